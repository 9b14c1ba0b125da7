"""Durability and integrity at the edges: a 2xx means committed, the database is configured to
keep acknowledged writes, and an un-migrated database is refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event, func, select, text
from sqlalchemy.exc import OperationalError

from accord.app import create_app
from accord.audit.models import AuditEvent
from accord.config import DatabaseSettings
from accord.db.session import Database
from accord.identity.enums import Role
from accord.identity.models import BusinessUnit
from accord.kit.errors import ServiceUnavailable
from tests.conftest import FreshDatabases, settings_for
from tests.factories.identity import make_principal, make_token


def test_sqlite_is_configured_durably(fresh_databases: FreshDatabases) -> None:
    database = Database.from_settings(settings_for(fresh_databases.url("sqlite")))
    try:
        checks = {c.setting: c for c in database.durability()}
        assert checks["journal_mode"].value.lower() == "wal"
        assert checks["synchronous"].value == "FULL"
        assert checks["foreign_keys"].value == "ON"
        assert all(c.durable for c in checks.values())
        database.assert_durable()
    finally:
        database.dispose()


def test_sqlite_normal_sync_needs_an_explicit_opt_out(fresh_databases: FreshDatabases) -> None:
    url = fresh_databases.url("sqlite")
    weak = Database.from_settings(
        settings_for(url, db=DatabaseSettings(sqlite_synchronous="NORMAL"))
    )
    try:
        with pytest.raises(ServiceUnavailable, match="synchronous=NORMAL"):
            weak.assert_durable()
    finally:
        weak.dispose()
    accepted = Database.from_settings(
        settings_for(url, db=DatabaseSettings(sqlite_synchronous="NORMAL", allow_non_durable=True))
    )
    try:
        accepted.assert_durable()  # the operator accepted the risk explicitly
    finally:
        accepted.dispose()


def test_postgresql_durability_is_read_from_the_server(fresh_databases: FreshDatabases) -> None:
    database = Database.from_settings(settings_for(fresh_databases.url("postgresql")))
    try:
        checks = {c.setting: c for c in database.durability()}
        assert set(checks) == {"fsync", "full_page_writes", "synchronous_commit"}
        assert all(c.durable for c in checks.values()), checks

        @event.listens_for(database.bind, "connect")
        def _weaken(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit = off")
            dbapi_connection.commit()

        database.dispose()  # new connections get the weakened setting
        with pytest.raises(ServiceUnavailable, match="synchronous_commit=off"):
            database.assert_durable()
    finally:
        database.dispose()


def test_app_refuses_an_unmigrated_database(backend: str, fresh_databases: FreshDatabases) -> None:
    app = create_app(settings_for(fresh_databases.url(backend, migrated=False)))
    with pytest.raises(ServiceUnavailable, match="accord db upgrade"), TestClient(app):
        pass


# ------------------------------------------------------------------ a commit that fails


def _fail_commits_of(database: Database, code: str) -> None:
    """Make COMMIT itself fail for transactions that created business unit ``code``.

    PostgreSQL: a deferred constraint trigger raising "disk full" (SQLSTATE 53100) at commit.
    SQLite has no deferred triggers, so a commit listener runs the same check just before the
    driver's COMMIT and raises the I/O error SQLite would raise.
    """
    if database.dialect == "postgresql":
        with database.bind.connect() as conn:  # type: ignore[union-attr]
            conn.execute(
                text("""
                CREATE FUNCTION fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'
                    USING ERRCODE = '53100'; END $$""")
            )
            conn.execute(
                text(f"""
                CREATE CONSTRAINT TRIGGER fail_at_commit AFTER INSERT ON business_unit
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.code = '{code}')
                EXECUTE FUNCTION fail_at_commit()""")
            )
            conn.commit()
        return

    @event.listens_for(database.bind, "commit")
    def _fail(conn: Connection) -> None:
        pending = conn.exec_driver_sql(
            "SELECT 1 FROM business_unit WHERE code = ?", (code,)
        ).first()
        if pending is not None:
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))


@pytest.fixture
def committed_app(
    backend: str, fresh_databases: FreshDatabases
) -> Iterator[tuple[TestClient, Database, str]]:
    settings = settings_for(fresh_databases.url(backend))
    database = Database.from_settings(settings)
    with database.unit_of_work() as session:
        make_principal(session, "root", (Role.ADMIN, None))
        token = make_token(session, "root")
    _fail_commits_of(database, "fail-at-commit")
    with TestClient(
        create_app(settings, database=database), raise_server_exceptions=False
    ) as client:
        yield client, database, token
    database.dispose()


def _counts(database: Database, code: str) -> tuple[int, int]:
    with database.unit_of_work(write=False) as session:
        units = session.scalar(
            select(func.count()).select_from(BusinessUnit).where(BusinessUnit.code == code)
        )
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    return int(units or 0), int(events or 0)


def test_a_failing_commit_is_a_5xx_and_leaves_nothing(
    committed_app: tuple[TestClient, Database, str],
) -> None:
    client, database, token = committed_app
    auth = {"Authorization": f"Bearer {token}"}
    _, events_before = _counts(database, "fail-at-commit")

    response = client.post(
        "/api/v1/business-units",
        headers=auth,
        json={"code": "fail-at-commit", "name": "Never stored"},
    )

    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in response.text
    assert response.headers["Retry-After"]
    assert _counts(database, "fail-at-commit") == (0, events_before)
    # the same request for another unit commits and is acknowledged
    ok = client.post("/api/v1/business-units", headers=auth, json={"code": "fine", "name": "Fine"})
    assert ok.status_code == 201
    assert _counts(database, "fine") == (1, events_before + 1)
