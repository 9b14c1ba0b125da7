"""`accord agreements list | show | expire-due` end to end, on a fresh database of each backend
(the commands commit for real, so they do not share the per-test rolled-back database)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from typer.testing import CliRunner, Result

from accord.agreements.enums import AgreementKind
from accord.cli import app
from accord.config import DatabaseSettings
from accord.db.session import Database, create_database_engine
from accord.kit.errors import NotFound
from accord.kit.time import utc_now
from tests.agreements.helpers import (
    activate,
    approve,
    build_world,
    create,
    make_active,
    new_version,
)
from tests.conftest import FreshDatabases


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


def test_list_show_and_expire(cli_database: Database) -> None:
    now = utc_now()
    ended = (now - timedelta(days=2)).date()
    with cli_database.unit_of_work() as session:
        build_world(session)
        payments = create(session, title="Payments for ACME", region="eu-west").key
        make_active(session, payments, now=now - timedelta(days=10))
        new_version(session, payments, terms={"summary": "renewal"}, now=now - timedelta(days=5))
        ending = create(
            session,
            title="Cards for Globex",
            customer="globex",
            services=["cards"],
            terms={"term_end": ended},
        ).key
        approve(session, ending, now=now - timedelta(days=10))
        activate(
            session, ending, effective_from=now - timedelta(days=9), now=now - timedelta(days=9)
        )
        vendor = create(session, kind=AgreementKind.UC, title="Cloud hosting").key

    listed = ok("agreements", "list")
    for key in (payments, ending, vendor):
        assert key in listed
    by_service = ok("agreements", "list", "--service", "payments-api", "--kind", "sla")
    assert payments in by_service
    assert ending not in by_service
    assert vendor not in by_service
    assert ending in ok("agreements", "list", "--customer", "globex")
    assert payments not in ok("agreements", "list", "--customer", "globex")
    assert ok("agreements", "list", "--status", "expired").count("SLA-") == 0
    limited = ok("agreements", "list", "--limit", "1")
    assert payments in limited
    assert "more than 1" in limited

    shown = ok("agreements", "show", payments)
    assert "Payments for ACME" in shown
    assert "v1 terms" in shown  # the active version, not the newer draft
    assert "payments-api" in shown
    assert "provider_owner by signer-provider_owner" in shown

    expired = ok("agreements", "expire-due")
    assert f"{ending}/v1" in expired
    assert "expired 1 version" in expired
    assert "expired 0 version" in ok("agreements", "expire-due")
    assert ending in ok("agreements", "list", "--status", "expired")

    # `accord.cli.main` turns this into a one-line message and exit status 1.
    missing = accord("agreements", "show", "SLA-0999")
    assert isinstance(missing.exception, NotFound)
