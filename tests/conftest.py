"""Test fixtures: real databases (SQLite always, PostgreSQL when ACCORD_TEST_POSTGRES_URL is set),
schema built by the migrations, one outer transaction per test that is rolled back at the end.

`ACCORD_TEST_POSTGRES_URL` is an admin URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres):
each test session creates its own fresh database from it and drops it afterwards. When
`ACCORD_REQUIRE_SERVICES=1` (set by .ci/run), a missing service fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from accord.app import create_app
from accord.config import DatabaseSettings, Settings
from accord.db import migrate
from accord.db.session import Database, create_database_engine

# The machines are shared and noisy: a property test must not fail for being slow once.
hypothesis.settings.register_profile("accord", deadline=None)
hypothesis.settings.load_profile("accord")

POSTGRES_ADMIN_URL = os.environ.get("ACCORD_TEST_POSTGRES_URL")
REQUIRE_SERVICES = os.environ.get("ACCORD_REQUIRE_SERVICES") == "1"
BACKENDS = ["sqlite", "postgresql"]


def missing_service(reason: str) -> None:
    """Skip locally; fail under CI, where every service must be present."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def settings_for(database_url: str, **overrides: object) -> Settings:
    return Settings(database_url=database_url, **overrides)  # type: ignore[arg-type]


class FreshDatabases:
    """Creates empty, migrated databases of either backend; drops the PostgreSQL ones at exit."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.created: list[str] = []

    def url(self, backend: str, *, migrated: bool = True) -> str:
        name = f"accord_test_{uuid.uuid4().hex[:12]}"
        if backend == "sqlite":
            url = f"sqlite:///{self.tmp / (name + '.db')}"
        else:
            if not POSTGRES_ADMIN_URL:
                missing_service("PostgreSQL: set ACCORD_TEST_POSTGRES_URL to run these tests")
            admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            url = (
                make_url(POSTGRES_ADMIN_URL)
                .set(database=name)
                .render_as_string(hide_password=False)
            )
            self.created.append(name)
        if migrated:
            engine = create_database_engine(url, DatabaseSettings())
            migrate.upgrade(engine)
            engine.dispose()
        return url

    def drop_all(self) -> None:
        if not self.created or not POSTGRES_ADMIN_URL:
            return
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def fresh_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FreshDatabases]:
    factory = FreshDatabases(tmp_path_factory.mktemp("databases"))
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, fresh_databases: FreshDatabases) -> str:
    """One migrated database per backend per test session (per xdist worker)."""
    return fresh_databases.url(backend)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_database_engine(database_url, DatabaseSettings())
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        if outer.is_active:
            outer.rollback()


@pytest.fixture
def database(connection: Connection) -> Database:
    """The product's Database, bound to the test's outer transaction."""
    return Database(connection, DatabaseSettings())


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    session = database.new_session(write=True)
    yield session
    session.close()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return settings_for(database_url)


@pytest.fixture
def client(settings: Settings, database: Database) -> Iterator[TestClient]:
    app = create_app(settings, database=database)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Under ACCORD_REQUIRE_SERVICES=1 (CI) a skipped test is a failed test: every real service
    (PostgreSQL, …) must be present there, so nothing may silently not run."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_SERVICES and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under ACCORD_REQUIRE_SERVICES=1: {report.longrepr}"
