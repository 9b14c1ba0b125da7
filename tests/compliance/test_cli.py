"""`accord slo status | evaluate` end to end on a fresh database of each backend."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from accord.cli import app
from accord.compliance import cli as compliance_cli
from accord.compliance.models import EvaluationPass, ObjectiveStatus, StatusSnapshot
from accord.config import DatabaseSettings
from accord.db.session import Database, create_database_engine
from accord.objectives.rules import objective_key
from tests.compliance.test_service import NOW, STOP, store_day
from tests.conftest import FreshDatabases
from tests.factories.objectives import make_objective

pytestmark = [pytest.mark.db, pytest.mark.slow]


@pytest.fixture
def key(
    backend: str, fresh_databases: FreshDatabases, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Database, str]]:
    url = fresh_databases.url(backend)
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    for name in ("ACCORD_AUDIT__SIGNING_KEY_FILE", "ACCORD_AUDIT__CHECKPOINT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    database = Database(create_database_engine(url, DatabaseSettings()), DatabaseSettings())
    with database.unit_of_work() as session:
        objective = make_objective(session, service="checkout", unit="retail")
        store_day(session, objective.id)
        found = objective_key(objective.id)
    yield database, found
    database.dispose()


def accord(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_status_table_and_json(key: tuple[Database, str]) -> None:
    _, objective = key
    table = accord("slo", "status", "--at", NOW.isoformat())
    assert table.exit_code == 0, table.output
    assert objective in table.output
    assert "at risk" in table.output
    assert "99.583 %" in table.output  # SLI 1 - 120/28,800
    data = json.loads(accord("slo", "status", "--at", NOW.isoformat(), "--json").output)
    assert [d["objective"] for d in data] == [objective]
    assert data[0]["page_alert"] is True


def test_status_refuses_an_instant_without_offset(key: tuple[Database, str]) -> None:
    result = accord("slo", "status", "--at", "2026-11-26T12:00:00")
    assert result.exit_code != 0
    assert "offset" in result.output


def test_evaluate_records_status_and_history(key: tuple[Database, str]) -> None:
    database, _ = key
    result = accord("slo", "evaluate", "--at", NOW.isoformat())
    assert result.exit_code == 0, result.output
    assert "evaluated 1 objectives" in result.output
    assert "1 at risk" in result.output
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(StatusSnapshot)) == 1
        status = session.scalars(select(ObjectiveStatus)).one()
        assert status.evaluated_at == STOP


def test_evaluate_every_keeps_counts_warm_between_passes(
    key: tuple[Database, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    database, _ = key
    slept: list[float] = []
    monkeypatch.setattr(compliance_cli.time, "sleep", slept.append)
    result = accord("slo", "evaluate", "--every", "300", "--passes", "3")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("evaluated")]
    assert len(lines) == 3
    assert "counts read" in lines[0]
    assert all("warm counts" in line for line in lines[1:])
    assert len(slept) == 2
    assert all(0 < s <= 300 for s in slept)
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(EvaluationPass)) == 3


def test_evaluate_every_refuses_a_fixed_instant(key: tuple[Database, str]) -> None:
    result = accord("slo", "evaluate", "--every", "300", "--at", NOW.isoformat())
    assert result.exit_code != 0
    assert "--every" in result.output


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """The console measured its width at import, maybe on a narrow or absent terminal: the rows
    under test must not be cut."""
    monkeypatch.setattr(compliance_cli.console, "width", 250)
