"""What ingestion keeps besides the buckets: flagged buckets held in quarantine, and the
idempotency records that make a retried push a no-op."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Double, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.db.base import Base, HasId
from accord.db.types import Identifier, JSONDocument, enum_type
from accord.telemetry.enums import QuarantineStatus


class QuarantinedBucket(HasId, Base):
    """A bucket that failed a check configured as *flag*: kept, but out of every calculation
    until someone releases it into storage or discards it (both audited)."""

    __tablename__ = "quarantined_bucket"
    __table_args__ = (Index("ix_quarantined_bucket_status_source_id", "status", "source_id"),)

    source_id: Mapped[int] = mapped_column(Identifier, ForeignKey("telemetry_source.id"))
    objective_id: Mapped[int | None] = mapped_column(Identifier, ForeignKey("objective.id"))
    """None when the reference resolved to no objective."""
    reference: Mapped[str] = mapped_column(String(220))
    """What the sender named: ``objective:SLO-0042`` or ``metric:checkout_requests``."""
    bucket_start: Mapped[datetime | None]
    good: Mapped[float | None] = mapped_column(Double)
    total: Mapped[float | None] = mapped_column(Double)
    checks: Mapped[list[str]] = mapped_column(JSONDocument)
    messages: Mapped[list[str]] = mapped_column(JSONDocument)
    payload: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    """The rows as they were sent."""
    received_at: Mapped[datetime]
    status: Mapped[QuarantineStatus] = mapped_column(enum_type(QuarantineStatus, "status"))
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(200), default=None)


class IngestRequest(Base):
    """A push that carried an ``Idempotency-Key``, stored with its 2xx response in the same
    transaction as its buckets: a retry with the same key and body gets these bytes back."""

    __tablename__ = "ingest_request"

    token_id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    """Keys are scoped to the calling token (two senders may use the same key)."""
    idempotency_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    body_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(index=True)
