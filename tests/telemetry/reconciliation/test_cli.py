"""`accord telemetry reconcile` end to end on a fresh database of each backend: the table and
summary, exit 1 while open findings remain and 0 when none, bad input refused with exit 2 and
nothing written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from accord import cli as accord_cli
from accord.config import DatabaseSettings
from accord.db.session import Database, create_database_engine
from accord.identity.enums import Role
from accord.objectives.rules import objective_key
from accord.telemetry import rules
from accord.telemetry import service as telemetry_service
from accord.telemetry.reconciliation import cli as reconciliation_cli
from accord.telemetry.reconciliation.models import ReconciliationFinding
from tests.conftest import FreshDatabases
from tests.factories.identity import make_principal
from tests.factories.objectives import make_objective
from tests.telemetry.conftest import columns
from tests.telemetry.reconciliation.test_service import DAY, World, load_day, map_sources

pytestmark = [pytest.mark.db, pytest.mark.slow]

# The root command's callback (settings, ctx.obj) with the reconciliation group mounted the way
# accord.cli mounts it, so the test does not depend on the wiring being in place yet.
root = typer.Typer()
root.callback()(accord_cli.root)
root.add_typer(reconciliation_cli.app, name="telemetry")


@pytest.fixture
def keys(
    backend: str, fresh_databases: FreshDatabases, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Database, str, str]]:
    """A day of telemetry with two disagreements (SLO with both sources), and an objective
    whose sources agree everywhere."""
    url = fresh_databases.url(backend)
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    for name in ("ACCORD_AUDIT__SIGNING_KEY_FILE", "ACCORD_AUDIT__CHECKPOINT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(reconciliation_cli.console, "width", 250)
    database = Database(create_database_engine(url, DatabaseSettings()), DatabaseSettings())
    with database.unit_of_work() as session:
        objective = make_objective(session, service="checkout", unit="retail").id
        quiet = make_objective(session, service="checkout", unit="retail").id
        primary, secondary = map_sources(session, objective, "retail", "checkout")
        quiet_sources = map_sources(session, quiet, "retail", "quiet")
        operator = make_principal(session, "olga", (Role.EDITOR, "retail"))
        world = World(objective, quiet, primary, secondary, operator, operator, operator)
        load_day(session, world)
        same = columns([(quiet, rules.epoch_of(DAY) + i * 300, 99.0, 100.0) for i in range(288)])
        telemetry_service.store_buckets(session, same, source_id=quiet_sources[0], received_at=DAY)
        telemetry_service.store_secondary_buckets(
            session, same, source_id=quiet_sources[1], received_at=DAY
        )
    yield database, objective_key(objective), objective_key(quiet)
    database.dispose()


def accord(*args: str) -> Result:
    return CliRunner().invoke(root, ["telemetry", "reconcile", *args])


def findings(database: Database) -> int:
    with database.unit_of_work(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(ReconciliationFinding)) or 0)


SINCE = DAY.isoformat()
UNTIL = DAY.replace(day=2).isoformat()


def test_open_disagreements_exit_1_with_a_table(keys: tuple[Database, str, str]) -> None:
    database, objective, _ = keys
    result = accord("--objective", objective, "--since", SINCE, "--until", UNTIL)
    assert result.exit_code == 1, result.output
    assert "open findings" in result.output
    assert "2026-11-01T16:40:00+00:00" in result.output  # bucket 200
    assert "288 buckets; 279 agree, 1 within, 2 disagree" in result.output
    assert "6 filled" in result.output
    assert "2 opened" in result.output
    assert findings(database) == 2
    # A lenient tolerance finds no new disagreement, but the two stay open for a person.
    again = accord(
        "--objective", objective, "--since", SINCE, "--until", UNTIL, "--tolerance", "0.5"
    )
    assert again.exit_code == 1, again.output
    assert "0 disagree" in again.output
    assert "2 open" in again.output
    assert findings(database) == 2


def test_agreeing_sources_exit_0(keys: tuple[Database, str, str]) -> None:
    database, _, quiet = keys
    result = accord("--objective", quiet, "--since", SINCE, "--until", UNTIL)
    assert result.exit_code == 0, result.output
    assert "288 agree" in result.output
    assert "0 open" in result.output
    assert "open findings" not in result.output
    assert findings(database) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "2026-11-01T00:00:00"), "offset"),
        (("--since", "yesterday"), "ISO 8601"),
        (("--since", SINCE, "--tolerance", "1.5"), "tolerance"),
        (("--since", SINCE, "--until", "2026-10-01T00:00:00Z"), "end"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    keys: tuple[Database, str, str], args: tuple[str, ...], message: str
) -> None:
    database, objective, _ = keys
    result = accord("--objective", objective, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert findings(database) == 0


def test_unknown_objective_exits_2(keys: tuple[Database, str, str]) -> None:
    result = accord("--objective", "SLO-9999", "--since", SINCE, "--until", UNTIL)
    assert result.exit_code == 2, result.output
    assert "no objective SLO-9999" in result.output
