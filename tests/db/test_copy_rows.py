"""`Repository.copy_rows` writes COPY text itself: every value must read back as it was sent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from accord.compliance.models import ObjectiveStatus
from accord.config import DatabaseSettings
from accord.db.repository import Repository
from accord.db.session import Database, create_database_engine
from tests.conftest import FreshDatabases

ROWS = [
    (1, None, True, 0.1 + 0.2, Decimal("0.99995"), "tab\there\nnew line \\ back\\slash \\N",
     datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2))),
     {"5m": 14.400000000000002, "note": "a\tb"}),
    (2, 7, False, -0.0, Decimal("1"), "", datetime(2026, 1, 1, tzinfo=UTC), [1, "\\"]),
]  # fmt: skip


@pytest.fixture(scope="module")
def postgresql(fresh_databases: FreshDatabases) -> Iterator[Database]:
    """COPY is PostgreSQL's (on SQLite, bulk writes use executemany)."""
    settings = DatabaseSettings()
    engine = create_database_engine(fresh_databases.url("postgresql", migrated=False), settings)
    yield Database(engine, settings)
    engine.dispose()


@pytest.fixture
def session(postgresql: Database) -> Iterator[Session]:
    with postgresql.unit_of_work(write=False) as session:
        yield session


def test_values_read_back_exactly(session: Session) -> None:
    session.execute(
        text(
            "CREATE TEMP TABLE copy_probe (id int, n int, flag boolean, x double precision, "
            "d numeric, s text, at timestamptz, doc jsonb)"
        )
    )
    columns = ["id", "n", "flag", "x", "d", "s", "at", "doc"]
    Repository[ObjectiveStatus](session).copy_rows("copy_probe", columns, ROWS)
    back = session.execute(text("SELECT * FROM copy_probe ORDER BY id")).all()
    assert [tuple(r) for r in back] == ROWS


def test_naive_datetimes_are_refused(session: Session) -> None:
    session.execute(text("CREATE TEMP TABLE copy_probe (at timestamptz)"))
    with pytest.raises(ValueError, match="naive"):
        Repository[ObjectiveStatus](session).copy_rows(
            "copy_probe",
            ["at"],
            [(datetime(2026, 1, 1),)],  # noqa: DTZ001
        )
