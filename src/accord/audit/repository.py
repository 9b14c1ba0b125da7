"""Every query of the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session

from accord.audit.models import AuditCheckpoint, AuditEvent
from accord.audit.rules import StoredEvent

# Any constant works; it only has to be the same for every appender of this database.
_CHAIN_LOCK_KEY = 0x41434344  # "ACCD"


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_chain(self) -> None:
        """Serialise appenders so the chain cannot fork.

        PostgreSQL: a transaction-scoped advisory lock, released by commit or rollback. (Locking
        the current head row with FOR UPDATE is not enough: two appenders that read the same head
        before either commits both extend it.) SQLite: write transactions already begin
        IMMEDIATE, which holds the database's single write lock until commit.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY}
            )

    def head(self) -> AuditEvent | None:
        return self.session.scalars(
            select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)
        ).first()

    def add(self, event: AuditEvent) -> None:
        self.session.add(event)
        self.session.flush()

    def iterate(self, batch: int = 5_000) -> Iterator[StoredEvent]:
        """All events in sequence order, in batches (the chain can be long).

        Plain column rows, not ORM objects: the session's identity map would otherwise hand back
        objects it already holds as they were loaded, hiding what the database says now (and
        grow without bound on a long chain).
        """
        columns = (
            AuditEvent.seq,
            AuditEvent.occurred_at,
            AuditEvent.actor_id,
            AuditEvent.actor_name,
            AuditEvent.action,
            AuditEvent.entity_type,
            AuditEvent.entity_key,
            AuditEvent.business_unit_id,
            AuditEvent.payload,
            AuditEvent.prev_hash,
            AuditEvent.hash,
        )
        after: int | None = None
        while True:
            stmt = select(*columns).order_by(AuditEvent.seq).limit(batch)
            if after is not None:
                stmt = stmt.where(AuditEvent.seq > after)
            rows = self.session.execute(stmt).all()
            if not rows:
                return
            for row in rows:
                yield StoredEvent(**row._asdict())
            after = rows[-1].seq

    def hash_at(self, seq: int) -> str | None:
        return self.session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq))

    def query(
        self,
        *,
        units: frozenset[int] | None,
        entity_type: str | None,
        entity_key: str | None,
        action: str | None,
        actor_name: str | None,
        since: datetime | None,
        until: datetime | None,
        before_seq: int | None,
        limit: int,
    ) -> list[AuditEvent]:
        """Newest first. ``units`` None means every unit (and org-wide events)."""
        stmt: Select[AuditEvent] = select(AuditEvent)
        if units is not None:
            stmt = stmt.where(AuditEvent.business_unit_id.in_(units))
        if entity_type is not None:
            stmt = stmt.where(AuditEvent.entity_type == entity_type)
        if entity_key is not None:
            stmt = stmt.where(AuditEvent.entity_key == entity_key)
        if action is not None:
            stmt = stmt.where(AuditEvent.action == action)
        if actor_name is not None:
            stmt = stmt.where(AuditEvent.actor_name == actor_name)
        if since is not None:
            stmt = stmt.where(AuditEvent.occurred_at >= since)
        if until is not None:
            stmt = stmt.where(AuditEvent.occurred_at < until)
        if before_seq is not None:
            stmt = stmt.where(AuditEvent.seq < before_seq)
        return list(self.session.scalars(stmt.order_by(AuditEvent.seq.desc()).limit(limit)))

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(AuditEvent)) or 0

    def last_checkpoint(self) -> AuditCheckpoint | None:
        return self.session.scalars(
            select(AuditCheckpoint).order_by(AuditCheckpoint.number.desc()).limit(1)
        ).first()

    def add_checkpoint(self, checkpoint: AuditCheckpoint) -> None:
        self.session.add(checkpoint)
        self.session.flush()
