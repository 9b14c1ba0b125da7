"""Engines, sessions and the unit of work.

The unit of work is opened only at the edges (one HTTP request, one CLI command, one job) and is
the only place that commits. Services receive the session and flush, never commit.

SQLite specifics: write units of work begin ``IMMEDIATE`` so the write lock is taken up front (a
deferred read-then-write transaction fails with "database is locked" whatever the busy timeout);
read units begin deferred so readers never queue behind writers (WAL).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from accord.config import DatabaseSettings, Settings
from accord.db.migrate import require_migrated
from accord.kit.errors import ServiceUnavailable

_BEGIN_OPTION = "accord_sqlite_begin"
log = logging.getLogger(__name__)

REQUEST_ID = "accord.request_id"
"""`Session.info` key under which an edge stores the id of the request it serves."""

AfterCommitHook = Callable[[dict[str, Any]], None]
"""Runs after a write unit of work committed, with a copy of its `Session.info`."""


@dataclass(frozen=True)
class DurabilityCheck:
    setting: str
    value: str
    durable: bool
    advice: str


class Database:
    """A configured engine plus the two session factories (write and read)."""

    def __init__(self, bind: Engine | Connection, settings: DatabaseSettings) -> None:
        self.bind = bind
        self.settings = settings
        self.after_commit: list[AfterCommitHook] = []
        self.dialect = bind.dialect.name
        if isinstance(bind, Connection):
            # Tests: join the caller's transaction; a commit only releases a savepoint.
            self._writer = sessionmaker(
                bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )
            self._reader = self._writer
        else:
            self._writer = sessionmaker(
                bind=bind.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"}),
                expire_on_commit=False,
            )
            self._reader = sessionmaker(
                bind=bind.execution_options(**{_BEGIN_OPTION: "DEFERRED"}),
                expire_on_commit=False,
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(create_database_engine(settings.database_url, settings.db), settings.db)

    def new_session(self, *, write: bool) -> Session:
        return (self._writer if write else self._reader)()

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction: committed if the block ends normally (writes), else rolled back."""
        session = self.new_session(write=write)
        try:
            yield session
            if write:
                session.commit()
            else:
                session.rollback()
        except BaseException:
            session.rollback()
            raise
        finally:
            info = dict(session.info)
            session.close()
        if write:
            self.run_after_commit(info)

    def run_after_commit(self, info: dict[str, Any]) -> None:
        """Follow-up work of a committed unit (e.g. an audit checkpoint). Its failure must not
        turn an acknowledged, committed change into an error, so it is logged instead."""
        for hook in self.after_commit:
            try:
                hook(info)
            except Exception:
                log.exception("after-commit hook %s failed", getattr(hook, "__name__", hook))

    def dispose(self) -> None:
        if isinstance(self.bind, Engine):
            self.bind.dispose()

    # ------------------------------------------------------------------ durability
    def durability(self) -> list[DurabilityCheck]:
        """What the server is actually configured to do, read back from it."""
        with self.unit_of_work(write=False) as session:
            if self.dialect == "sqlite":
                journal = str(session.execute(text("PRAGMA journal_mode")).scalar_one())
                sync = int(session.execute(text("PRAGMA synchronous")).scalar_one())
                fks = int(session.execute(text("PRAGMA foreign_keys")).scalar_one())
                sync_name = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(sync, str(sync))
                return [
                    DurabilityCheck(
                        "journal_mode", journal, journal.lower() == "wal", "WAL is required"
                    ),
                    DurabilityCheck(
                        "synchronous",
                        sync_name,
                        sync >= 2,
                        "FULL or EXTRA; NORMAL can lose acknowledged commits on power loss",
                    ),
                    DurabilityCheck("foreign_keys", "ON" if fks else "OFF", fks == 1, "must be ON"),
                ]
            checks = []
            for name in ("fsync", "full_page_writes", "synchronous_commit"):
                value = str(session.execute(text(f"SHOW {name}")).scalar_one())
                checks.append(DurabilityCheck(name, value, value != "off", "must not be off"))
            return checks

    def assert_durable(self) -> None:
        weak = [c for c in self.durability() if not c.durable]
        if weak and not self.settings.allow_non_durable:
            names = ", ".join(f"{c.setting}={c.value} ({c.advice})" for c in weak)
            raise ServiceUnavailable(
                f"refusing to start: acknowledged writes could be lost: {names}. "
                "Fix the database configuration, or set ACCORD_DB__ALLOW_NON_DURABLE=true "
                "to accept the risk explicitly."
            )


def create_database_engine(url: str, settings: DatabaseSettings) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise ValueError("Accord needs a SQLite *file*; in-memory databases are not durable")
        engine = create_engine(
            parsed,
            connect_args={"check_same_thread": False},
            pool_size=settings.pool_size,
            max_overflow=settings.pool_size,
        )
        _configure_sqlite(engine, settings)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise ValueError("use the psycopg 3 driver: postgresql+psycopg://…")
        return create_engine(
            parsed,
            pool_size=settings.pool_size,
            max_overflow=settings.pool_size,
            pool_pre_ping=True,
        )
    raise ValueError(
        f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql"
    )


def _configure_sqlite(engine: Engine, settings: DatabaseSettings) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module: we emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={settings.sqlite_synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.busy_timeout_ms)}")
        cursor.close()

    install_sqlite_begin(engine)


def install_sqlite_begin(bind: Engine) -> None:
    """Emit BEGIN IMMEDIATE or BEGIN (deferred) as the session's execution option asks."""

    @event.listens_for(bind, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


class CommandDatabase:
    """The database as CLI commands see it: opened on first use and checked to be migrated.

    The root CLI creates one per invocation (``ctx.obj``) with ``configure`` installing the
    after-commit hooks; domain commands call `CommandDatabase.of(ctx.obj)`.
    """

    def __init__(self, settings: Settings, configure: Callable[[Database], None]) -> None:
        self.settings = settings
        self._configure = configure
        self._database: Database | None = None

    def get(self, *, require_schema: bool = True) -> Database:
        if self._database is None:
            database = Database.from_settings(self.settings)
            self._configure(database)
            self._database = database
        if require_schema:
            require_migrated(self._database.bind)
        return self._database

    @staticmethod
    def of(obj: object) -> Database:
        if not isinstance(obj, CommandDatabase):
            raise RuntimeError("commands run under the `accord` root command")
        return obj.get()

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()
