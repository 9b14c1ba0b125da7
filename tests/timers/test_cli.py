"""`accord tickets import|timers|show|compliance` and `accord agreements alignment` against a
real database: imports are all or nothing, errors exit non-zero with the field named."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from accord.cli import app
from accord.config import DatabaseSettings
from accord.db.session import Database, create_database_engine
from accord.timers import cli as timers_cli
from accord.timers.models import TicketEvent
from tests.conftest import FreshDatabases
from tests.timers.conftest import World, build_world

pytestmark = [pytest.mark.db, pytest.mark.slow]


@pytest.fixture
def world(
    backend: str, fresh_databases: FreshDatabases, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[World, Database]]:
    url = fresh_databases.url(backend)
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    monkeypatch.setattr(timers_cli.console, "width", 250)
    database = Database(create_database_engine(url, DatabaseSettings()), DatabaseSettings())
    session = database.new_session(write=True)
    built = build_world(session)
    session.close()
    yield built, database
    database.dispose()


def accord(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def events_stored(database: Database) -> int:
    with database.unit_of_work(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(TicketEvent)) or 0)


def servicenow_export(world: World) -> dict[str, object]:
    opened = world.at(0, 9).strftime("%Y-%m-%d %H:%M:%S")
    resolved = world.at(0, 15).strftime("%Y-%m-%d %H:%M:%S")
    return {
        "result": [
            {
                "sys_id": "a" * 32,
                "number": "INC0000100",
                "opened_at": opened,
                "sys_updated_on": resolved,
                "resolved_at": resolved,
                "closed_at": "",
                "state": "6",
                "priority": "1 - Critical",
                "assignment_group": "Service Desk",
                "business_service": "pay",
                "company": "acme",
                "short_description": "Card payments failing",
                "hold_reason": "",
                "reopen_count": "0",
            }
        ]
    }


def test_import_servicenow_then_timers_show_and_compliance(
    world: tuple[World, Database], tmp_path: Path
) -> None:
    w, database = world
    export = tmp_path / "incidents.json"
    export.write_text(json.dumps(servicenow_export(w)))
    result = accord("tickets", "import", str(export), "--format", "servicenow", "--source", "snow")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "events stored" in result.output
    stored = events_stored(database)
    assert stored >= 2
    # Importing the same export again stores nothing new.
    again = accord("tickets", "import", str(export), "--format", "servicenow", "--source", "snow")
    assert again.exit_code == 0
    assert events_stored(database) == stored

    shown = accord("tickets", "show", "snow", "INC0000100")
    assert shown.exit_code == 0, (shown.output, shown.exception)
    assert "time_to_resolve" in shown.output
    assert w.sla in shown.output
    listed = accord("tickets", "timers", "--breached")
    assert listed.exit_code == 0, (listed.output, listed.exception)
    assert "INC0000100" in listed.output  # P1: 4 h target, resolved after 6 business hours
    report = accord(
        "tickets", "compliance", "--start", w.at(0, 0).isoformat(), "--end", w.at(7, 0).isoformat()
    )
    assert report.exit_code == 0, (report.output, report.exception)
    assert "1 tickets with a breach" in report.output


def test_a_bad_generic_file_stores_nothing_and_exits_non_zero(
    world: tuple[World, Database], tmp_path: Path
) -> None:
    w, database = world
    good = {
        "id": "g-1",
        "ticket": "G1",
        "kind": "created",
        "occurred_at": w.at(0, 9).isoformat(),
        "service": "pay",
    }
    bad = good | {"id": "g-2", "ticket": "G2", "kind": "exploded"}
    path = tmp_path / "events.json"
    path.write_text(json.dumps({"source": "desk", "events": [good, bad]}))
    result = accord("tickets", "import", str(path))
    assert result.exit_code != 0
    assert "events.1.kind" in str(result.exception)
    assert events_stored(database) == 0


def test_alignment_exits_one_when_a_chain_does_not_always_fit(
    world: tuple[World, Database],
) -> None:
    w, _ = world
    result = accord("agreements", "alignment", "--agreement", w.sla, "--at", w.at(0, 0).isoformat())
    # The OLA promises no time to own, so that part of the chain cannot be shown to fit.
    assert result.exit_code == 1, (result.output, result.exception)
    assert "no-target" in result.output
    assert "fits" in result.output
