"""Shared tools of the audit tests: real committed databases, a DBA's tampering, chain building."""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from accord.audit import rules
from accord.audit import service as audit_service
from accord.config import AuditSettings, DatabaseSettings
from accord.db.session import Database, create_database_engine
from accord.identity.rules import ActorKind
from accord.kit.hashing import canonical_json

T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
"""A fixed instant with microseconds, so hashes are reproducible."""

APPEND_ONLY_TABLES = ("audit_event", "audit_checkpoint")


@dataclass(frozen=True)
class Who:
    """A minimal `AuditActor`."""

    name: str
    principal_id: int | None = None
    kind: str = ActorKind.USER.value


ALICE = Who("alice", 42)


def event_content(i: int) -> dict[str, Any]:
    """The i-th event of a test chain: agreement-term changes with Decimals and non-ASCII text."""
    return {
        "actor": ALICE,
        "action": "agreement.terms.changed",
        "entity_type": "agreement",
        "entity_key": f"SLA-{i:04d}",
        "business_unit_id": 7,
        "before": {"target": Decimal("0.9990"), "note": f"Zürich — 東京 #{i}"},
        "after": {"target": Decimal("0.99950"), "note": f"Zürich — 東京 #{i} ✓"},
        "reason": f"renegotiated with Ünïcødé customer {i}",
        "now": T0 + timedelta(seconds=i, microseconds=i),
    }


def open_database(url: str) -> Database:
    """The product's Database on its own engine (real commits, as in production)."""
    return Database(create_database_engine(url, DatabaseSettings()), DatabaseSettings())


def append_events(database: Database, first: int, last: int) -> None:
    """Append events ``first..last`` of the test chain, one committed unit of work each."""
    for i in range(first, last + 1):
        with database.unit_of_work() as session:
            audit_service.record_event(session, **event_content(i))


@dataclass(frozen=True)
class Keys:
    private: Path
    public: Path

    def policy(self, directory: Path, *, every_events: int = 100) -> audit_service.CheckpointPolicy:
        policy = audit_service.checkpoint_policy(
            self.settings(directory, every_events=every_events)
        )
        assert policy is not None
        return policy

    def settings(self, directory: Path, *, every_events: int = 100) -> AuditSettings:
        return AuditSettings(
            signing_key_file=self.private,
            checkpoint_dir=directory,
            checkpoint_every_events=every_events,
        )


def make_keys(directory: Path) -> Keys:
    keys = Keys(directory / "signing.pem", directory / "signing.pub.pem")
    audit_service.generate_key_pair(keys.private, keys.public)
    return keys


def force_checkpoint(
    database: Database, keys: Keys, directory: Path, *, now: datetime
) -> int | None:
    with database.unit_of_work() as session:
        written = audit_service.checkpoint_if_due(
            session, policy=keys.policy(directory), now=now, force=True
        )
    return None if written is None else written.number


def verify(
    target: str | Connection, keys: Keys | None = None, directory: Path | None = None
) -> Any:
    """`audit_service.verify` in a fresh read-only unit of work: on an engine of its own for a
    URL, or inside the transaction of a connection (which then sees its uncommitted changes)."""
    database = (
        open_database(target) if isinstance(target, str) else Database(target, DatabaseSettings())
    )
    try:
        with database.unit_of_work(write=False) as session:
            if keys is None or directory is None:
                return audit_service.verify(session)
            return audit_service.verify(
                session,
                checkpoints=audit_service.read_checkpoint_files(directory),
                public_key=audit_service.load_public_key(keys.public),
            )
    finally:
        database.dispose()


# --------------------------------------------------------------------------------- tampering


@contextmanager
def bypass_triggers(conn: Connection) -> Iterator[Connection]:
    """Get past the append-only triggers on ``conn``, inside its current transaction, as a DBA
    (or an attacker with the database owner's credentials) would; the triggers are back in place
    afterwards."""
    if conn.dialect.name == "postgresql":
        for table in APPEND_ONLY_TABLES:
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        yield conn
        for table in APPEND_ONLY_TABLES:
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
        return
    triggers = conn.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name IN ('audit_event', 'audit_checkpoint')"
        )
    ).all()
    assert len(triggers) == 4, triggers
    for name, _ in triggers:
        conn.execute(text(f"DROP TRIGGER {name}"))
    yield conn
    for _, sql in triggers:
        conn.exec_driver_sql(sql)


@contextmanager
def dba(url: str) -> Iterator[Connection]:
    """`bypass_triggers` on a connection of its own, committed at the end."""
    engine = create_database_engine(url, DatabaseSettings())
    try:
        with engine.begin() as conn, bypass_triggers(conn):
            yield conn
    finally:
        engine.dispose()


def rows(conn: Connection) -> list[rules.StoredEvent]:
    result = conn.execute(
        text(
            "SELECT seq, occurred_at, actor_id, actor_name, action, entity_type, entity_key, "
            "business_unit_id, payload, prev_hash, hash FROM audit_event ORDER BY seq"
        )
    ).all()
    return [
        rules.StoredEvent(**{**r._asdict(), "occurred_at": _aware(r.occurred_at)}) for r in result
    ]


def _aware(value: Any) -> datetime:
    if isinstance(value, str):  # raw SQLite text
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def set_row(conn: Connection, seq: int, **values: Any) -> None:
    assignments = ", ".join(f"{column} = :{column}" for column in values)
    conn.execute(
        text(f"UPDATE audit_event SET {assignments} WHERE seq = :seq"), {**values, "seq": seq}
    )


def insert_row(conn: Connection, event: rules.StoredEvent) -> None:
    when = event.occurred_at
    conn.execute(
        text(
            "INSERT INTO audit_event (seq, occurred_at, actor_id, actor_name, action, "
            "entity_type, entity_key, business_unit_id, payload, prev_hash, hash) VALUES "
            "(:seq, :occurred_at, :actor_id, :actor_name, :action, :entity_type, :entity_key, "
            ":business_unit_id, :payload, :prev_hash, :hash)"
        ),
        {
            **asdict(event),
            "occurred_at": when.astimezone(UTC)
            .replace(tzinfo=None)
            .isoformat(sep=" ", timespec="microseconds")
            if conn.dialect.name == "sqlite"
            else when,
        },
    )


def forged_event(seq: int, prev_hash: str, *, actor: str = "mallory") -> rules.StoredEvent:
    """A well-formed event, correctly linked to ``prev_hash``: what a careful forger writes."""
    content = event_content(seq)
    payload = rules.event_payload(
        seq=seq,
        occurred_at=content["now"],
        actor_id=None,
        actor_name=actor,
        actor_kind="user",
        action="agreement.terms.changed",
        entity_type="agreement",
        entity_key=content["entity_key"],
        business_unit_id=7,
        reason="forged",
        before=None,
        after={"target": "0.5"},
        request_id=None,
    )
    return rules.StoredEvent(
        seq=seq,
        occurred_at=content["now"],
        actor_id=None,
        actor_name=actor,
        action="agreement.terms.changed",
        entity_type="agreement",
        entity_key=content["entity_key"],
        business_unit_id=7,
        payload=payload,
        prev_hash=prev_hash,
        hash=rules.chain_hash(prev_hash, payload),
    )


def rewrite_from(conn: Connection, first: int, change: dict[str, Any]) -> None:
    """Rewrite every event from ``first`` on with a change to its payload (the first one only)
    and recompute all later hashes, so the chain is consistent again: the forger's best move."""
    events = rows(conn)
    prev = rules.GENESIS_HASH if first == 1 else events[first - 2].hash
    for event in events[first - 1 :]:
        data = json.loads(event.payload)
        if event.seq == first:
            data.update(change)
        payload = canonical_json(data)
        new_hash = rules.chain_hash(prev, payload)
        set_row(conn, event.seq, payload=payload, prev_hash=prev, hash=new_hash)
        prev = new_hash


# ----------------------------------------------------------------------------------- copies


def copy_database(url: str, created: list[str]) -> str:
    """A byte-for-byte copy of the database (a backup); PostgreSQL names go into ``created``
    so the fixture that made the original drops them too."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database
        source = Path(parsed.database)
        target = source.with_name(f"copy_{uuid.uuid4().hex[:12]}.db")
        src, dst = sqlite3.connect(source), sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        return f"sqlite:///{target}"
    name = f"accord_test_copy_{uuid.uuid4().hex[:12]}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{parsed.database}"'))
    finally:
        admin.dispose()
    created.append(name)
    return parsed.set(database=name).render_as_string(hide_password=False)


def copy_directory(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


@contextmanager
def triggers_disabled(session: Session) -> Iterator[Connection]:
    """`bypass_triggers` inside the test's own transaction (rolled back at the end)."""
    with bypass_triggers(session.connection()) as conn:
        yield conn
