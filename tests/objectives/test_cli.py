"""`accord objectives list | show | create` end to end, on a fresh database of each backend (the
commands commit for real, so they do not share the per-test rolled-back database)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from accord import cli as accord_cli
from accord.audit.models import AuditEvent
from accord.cli import app
from accord.config import DatabaseSettings
from accord.db.session import Database, create_database_engine
from accord.kit.errors import NotFound
from accord.objectives.models import Objective
from tests.agreements.helpers import build_world
from tests.conftest import FreshDatabases

pytestmark = [pytest.mark.db, pytest.mark.slow]

QUERIES = {
    "error_query": 'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
    "total_query": "sum(rate(http_requests_total[{{.window}}]))",
}


@pytest.fixture
def cli_database(
    backend: str, fresh_databases: FreshDatabases, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Database]:
    """A migrated database of its own with the agreements tests' world (retail: payments-api
    tier 2, cards tier 3; wholesale: billing)."""
    url = fresh_databases.url(backend)
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    for name in ("ACCORD_AUDIT__SIGNING_KEY_FILE", "ACCORD_AUDIT__CHECKPOINT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "250")  # keep Rich from wrapping the rows under test
    database = Database(create_database_engine(url, DatabaseSettings()), DatabaseSettings())
    with database.unit_of_work() as session:
        build_world(session)
    yield database
    database.dispose()


def accord(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def ok(*args: str) -> str:
    result = accord(*args)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["accord", *args])
    with pytest.raises(SystemExit) as exit_info:
        accord_cli.main()
    code = exit_info.value.code
    assert isinstance(code, int)
    return code


def objectives(database: Database) -> int:
    with database.unit_of_work(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(Objective)) or 0)


def write(path: Path, document: Any) -> str:
    if path.suffix == ".json":
        path.write_text(json.dumps(document))
    else:
        path.write_text(yaml.safe_dump(document))
    return str(path)


def test_create_list_and_show(cli_database: Database, tmp_path: Path) -> None:
    out = ok(
        "objectives",
        "create",
        "--file",
        write(
            tmp_path / "availability.json",
            {
                "service": "payments-api",
                "name": "availability",
                "sli_kind": "availability",
                "target": "0.9995",
            },
        ),
    )
    assert "created SLO-" in out
    assert "99.95% over 30d rolling, active monitoring every 300 s" in out
    first = out.split("created ")[1].split(" ")[0]
    out = ok(
        "objectives",
        "create",
        "--file",
        write(
            tmp_path / "latency.yaml",
            {
                "service": "cards",
                "name": "checkout-latency",
                "display_name": "[red]Checkout[/red] latency",
                "sli_kind": "latency",
                "latency_threshold_ms": 250,
                "target": 0.995,
                "budgeting_method": "timeslices",
                "timeslice_seconds": 600,
                "timeslice_threshold": "0.95",
                "window": {"kind": "calendar", "unit": "month", "time_zone": "Europe/Berlin"},
                "source": "prometheus",
                "queries": QUERIES,
                "labels": {"team": "cards"},
            },
        ),
    )
    assert "99.5% over calendar month (Europe/Berlin), passive monitoring every 900 s" in out
    second = out.split("created ")[1].split(" ")[0]

    listed = ok("objectives", "list")
    lines = {line.split()[1]: line for line in listed.splitlines() if "SLO-" in line}
    assert set(lines) == {first, second}
    assert "payments-api" in lines[first]
    assert "99.95%" in lines[first]
    assert "30d rolling" in lines[first]
    assert "occurrences" in lines[first]
    assert "active" in lines[first]
    assert "push" in lines[first]
    assert "99.5%" in lines[second]
    assert "calendar month (Europe/Berlin)" in lines[second]
    assert "timeslices" in lines[second]
    assert "passive" in lines[second]
    assert "prometheus" in lines[second]
    only_cards = ok("objectives", "list", "--service", "cards")
    assert second in only_cards
    assert first not in only_cards

    as_json = json.loads(ok("objectives", "list", "--json"))
    assert [o["key"] for o in as_json] == [first, second]
    assert as_json[0]["target"] == "0.9995"
    assert as_json[1]["queries"] == QUERIES
    assert json.loads(ok("objectives", "list", "--json", "--service", "billing")) == []

    shown = ok("objectives", "show", second)
    assert "[red]Checkout[/red] latency" in shown  # user text is not Rich markup
    assert QUERIES["error_query"] in shown  # brackets and all
    assert "latency under 250 ms" in shown
    assert "timeslices of 600 s, good at 95%" in shown
    assert "team=cards" in shown
    assert json.loads(ok("objectives", "show", second, "--json")) == as_json[1]

    with cli_database.unit_of_work(write=False) as session:
        events = session.execute(
            select(AuditEvent.action, AuditEvent.entity_key, AuditEvent.actor_name)
            .where(AuditEvent.entity_type == "objective")
            .order_by(AuditEvent.seq)
        ).all()
    assert [(action, key) for action, key, _ in events] == [
        ("objective.created", first),
        ("objective.created", second),
    ]
    assert all(actor.startswith("cli:") for _, _, actor in events)


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"sli_kind": "latency"}, "latency_threshold_ms"),
        ({"source": "prometheus", "queries": {"error_query": "e"}}, "queries"),
        ({"window": {"kind": "calendar", "unit": "month", "time_zone": "Mars/Base"}}, "time_zone"),
        ({"target": "1.5"}, "target"),
        ({"colour": "blue"}, "colour"),
        ({"target": "0.99"}, "target"),  # below tier 2's minimum: a rule, named too
        ({"service": "nothing"}, "no service 'nothing'"),
    ],
)
def test_an_invalid_document_names_the_field_and_writes_nothing(
    cli_database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    document: dict[str, Any],
    named: str,
) -> None:
    full = {
        "service": "payments-api",
        "name": "availability",
        "sli_kind": "availability",
        "target": "0.999",
    } | document
    path = write(tmp_path / "objective.yaml", full)
    code = run_main(monkeypatch, "objectives", "create", "--file", path)
    err = capsys.readouterr().err
    assert code == (1 if named.startswith("no service") else 2), err
    assert "error" in err
    assert named in err
    assert objectives(cli_database) == 0


def test_unreadable_files_are_refused(
    cli_database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"service": "payments-api",')
    assert run_main(monkeypatch, "objectives", "create", "--file", str(broken)) == 2
    assert "file: not valid JSON" in capsys.readouterr().err
    listed = tmp_path / "list.yaml"
    listed.write_text("- service: payments-api\n")
    assert run_main(monkeypatch, "objectives", "create", "--file", str(listed)) == 2
    assert "expected one objective" in capsys.readouterr().err
    bad_yaml = tmp_path / "bad.yml"
    bad_yaml.write_text("service: [payments-api\n")
    assert run_main(monkeypatch, "objectives", "create", "--file", str(bad_yaml)) == 2
    assert "not valid YAML" in capsys.readouterr().err
    text = tmp_path / "objective.txt"
    text.write_text("{}")
    result = accord("objectives", "create", "--file", str(text))
    assert result.exit_code == 2
    assert "expected a .json, .yaml or .yml file" in result.output
    result = accord("objectives", "create", "--file", str(tmp_path / "missing.json"))
    assert result.exit_code == 2
    assert objectives(cli_database) == 0
    missing = accord("objectives", "show", "SLO-9999")
    assert isinstance(missing.exception, NotFound)
    assert run_main(monkeypatch, "objectives", "show", "SLO-9999") == 1
    assert "no objective SLO-9999" in capsys.readouterr().err


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """The console measured its width at import, maybe on a narrow or absent terminal: the rows
    under test must not be cut."""
    from accord.objectives import cli as objectives_cli

    monkeypatch.setattr(objectives_cli.console, "width", 250)
