"""Exclusion windows declared on a service (or one of its objectives)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.db.base import Base, HasId, Timestamped
from accord.db.types import Identifier, enum_type
from accord.exclusions.enums import ExclusionKind, ExclusionStatus


class ExclusionWindow(HasId, Timestamped, Base):
    __tablename__ = "exclusion_window"
    __table_args__ = (
        Index("ix_exclusion_window_service_id_starts_at", "service_id", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    service_id: Mapped[int] = mapped_column(Identifier, ForeignKey("service.id"))
    objective_id: Mapped[int | None] = mapped_column(Identifier, ForeignKey("objective.id"))
    """Only this objective; every objective of the service when empty."""
    business_unit_id: Mapped[int] = mapped_column(Identifier, ForeignKey("business_unit.id"))
    kind: Mapped[ExclusionKind] = mapped_column(enum_type(ExclusionKind, "kind"))
    status: Mapped[ExclusionStatus] = mapped_column(enum_type(ExclusionStatus, "status"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(2_000))
    counts_as_good: Mapped[bool] = mapped_column(default=False)
    """The agreement counts this period as good instead of leaving it out."""
    created_by: Mapped[str] = mapped_column(String(200))
    decided_by: Mapped[str | None] = mapped_column(String(200), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
