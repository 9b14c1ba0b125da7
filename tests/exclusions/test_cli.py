"""`accord exclusions list | declare | approve | reject` end to end, on a fresh database of each
backend (the commands commit for real)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from typer.testing import CliRunner, Result

from accord.cli import app
from accord.config import DatabaseSettings
from accord.db.session import Database, create_database_engine
from accord.exclusions import service as exclusions_service
from accord.exclusions.enums import ExclusionKind
from accord.exclusions.models import ExclusionWindow
from accord.exclusions.schemas import ExclusionCreate
from accord.identity.enums import Role
from accord.kit.errors import InvalidTransition
from accord.kit.time import utc_now
from tests.conftest import FreshDatabases
from tests.factories.catalogue import make_service
from tests.factories.identity import make_principal, make_unit

pytestmark = pytest.mark.db


@pytest.fixture
def cli_database(
    backend: str, fresh_databases: FreshDatabases, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Database]:
    url = fresh_databases.url(backend)
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")  # keep Rich from wrapping the rows under test
    database = Database(create_database_engine(url, DatabaseSettings()), DatabaseSettings())
    yield database
    database.dispose()


def accord(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def ok(*args: str) -> str:
    result = accord(*args)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def test_declare_list_approve_reject(cli_database: Database) -> None:
    now = utc_now().replace(microsecond=0)
    with cli_database.unit_of_work() as session:
        make_unit(session, "retail")
        make_service(session, "pay", "retail")
        eddie = make_principal(session, "eddie", (Role.EDITOR, "retail"))
        proposed_by_eddie = exclusions_service.declare_exclusion(
            session,
            actor=eddie,
            service="pay",
            data=ExclusionCreate(
                kind=ExclusionKind.EXCEPTION,
                starts_at=now - timedelta(hours=5),
                ends_at=now - timedelta(hours=4),
                reason="customer [bold]DDoS[/bold] test",
            ),
            now=now,
        ).id

    declared = ok(
        "exclusions",
        "declare",
        "pay",
        "--kind",
        "maintenance",
        "--starts",
        (now + timedelta(hours=1)).isoformat(),
        "--ends",
        (now + timedelta(hours=2)).isoformat(),
        "--reason",
        "kernel patching",
        "--counts-as-good",
    )
    assert "(maintenance, proposed)" in declared
    with cli_database.unit_of_work(write=False) as session:
        mine = session.scalars(
            select(ExclusionWindow.id).where(ExclusionWindow.reason == "kernel patching")
        ).one()

    listed = ok("exclusions", "list", "--service", "pay")
    assert "kernel patching" in listed
    assert "maintenance (good)" in listed
    assert "customer [bold]DDoS[/bold] test" in listed  # user text is printed, not rendered

    # Four eyes: the operator does not approve what the operator declared.
    refused = accord("exclusions", "approve", str(mine), "--reason", "fine by me")
    assert isinstance(refused.exception, InvalidTransition)
    assert refused.exception.rule == "four-eyes"

    assert "is approved" in ok(
        "exclusions", "approve", str(proposed_by_eddie), "--reason", "confirmed by the customer"
    )
    assert "is rejected" in ok("exclusions", "reject", str(mine), "--reason", "withdrawn")
    approved = ok("exclusions", "list", "--status", "approved")
    assert "DDoS" in approved
    assert "kernel patching" not in approved
    assert "kernel patching" in ok("exclusions", "list", "--status", "rejected")
    assert "kernel patching" not in ok("exclusions", "list", "--kind", "peak")


def test_naive_times_are_refused_naming_the_option(cli_database: Database) -> None:
    with cli_database.unit_of_work() as session:
        make_unit(session, "retail")
        make_service(session, "pay", "retail")
    result = accord(
        "exclusions",
        "declare",
        "pay",
        "--kind",
        "exception",
        "--starts",
        "2031-01-01T00:00:00",
        "--ends",
        "2031-01-01T01:00:00Z",
        "--reason",
        "outage",
    )
    assert isinstance(result.exception, ValidationError)
    assert [e["loc"] for e in result.exception.errors()] == [("starts_at",)]
    with cli_database.unit_of_work(write=False) as session:
        assert session.scalars(select(ExclusionWindow)).all() == []


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """The console measured its width at import, maybe on a narrow or absent terminal: the rows
    under test must not be cut."""
    from accord.exclusions import cli as exclusions_cli

    monkeypatch.setattr(exclusions_cli.console, "width", 250)
