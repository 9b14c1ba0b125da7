"""The audit trail: append-only, hash-chained events and signed checkpoints of its head.

`payload` is the canonical JSON of the event, stored verbatim and hashed; the other columns are a
queryable projection of it, which `accord audit verify` checks against the payload.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.db.base import Base
from accord.db.types import Identifier

GENESIS_HASH = "0" * 64


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_entity", "entity_type", "entity_key", "seq"),
        Index("ix_audit_event_business_unit_id_seq", "business_unit_id", "seq"),
    )

    # Assigned by the appender (previous + 1) under the append lock, never by a DB sequence, so
    # a gap is evidence of deletion rather than of a rolled-back insert.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    )
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(Identifier)
    actor_name: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_key: Mapped[str] = mapped_column(String(200))
    business_unit_id: Mapped[int | None] = mapped_column(Identifier)
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditCheckpoint(Base):
    """A signed statement "the chain had N events ending in hash H at time T".

    The signed document is also exported as a file outside the database; this row only lets the
    appender know when the next checkpoint is due.
    """

    __tablename__ = "audit_checkpoint"

    number: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    )
    event_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    head_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    document: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(200))
