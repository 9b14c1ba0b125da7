"""Reconciliation findings: buckets where an objective's primary and secondary sources disagree
beyond a tolerance, and how each was resolved."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Double, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.db.base import Base, HasId
from accord.db.types import Identifier, enum_type
from accord.telemetry.reconciliation.enums import FindingStatus


class ReconciliationFinding(HasId, Base):
    """One disagreeing bucket of one objective (at most one finding per bucket: a run that
    finds it again updates it). Values are the two sources' counts when last compared."""

    __tablename__ = "reconciliation_finding"
    __table_args__ = (
        UniqueConstraint("objective_id", "bucket_start"),
        Index("ix_reconciliation_finding_status_objective_id", "status", "objective_id"),
    )

    objective_id: Mapped[int] = mapped_column(Identifier, ForeignKey("objective.id"))
    bucket_start: Mapped[datetime]
    primary_source_id: Mapped[int] = mapped_column(Identifier, ForeignKey("telemetry_source.id"))
    secondary_source_id: Mapped[int] = mapped_column(Identifier, ForeignKey("telemetry_source.id"))
    primary_good: Mapped[float] = mapped_column(Double)
    primary_total: Mapped[float] = mapped_column(Double)
    secondary_good: Mapped[float] = mapped_column(Double)
    secondary_total: Mapped[float] = mapped_column(Double)
    relative_difference: Mapped[float] = mapped_column(Double)
    """max of |a - b| / max(a, b) over good and total (`accord.engine.reconciliation`)."""
    tolerance: Mapped[float] = mapped_column(Double)
    """The tolerance of the run that found (or last updated) it."""
    status: Mapped[FindingStatus] = mapped_column(enum_type(FindingStatus, "status"))
    found_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolved_by: Mapped[str | None] = mapped_column(String(200), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
