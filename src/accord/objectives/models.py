"""Objectives (SLOs) and error budget policies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from accord.db.base import Base, HasId, SoftDeleted, Timestamped
from accord.db.types import ExactDecimal, Identifier, JSONDocument, enum_type
from accord.objectives.enums import (
    BudgetingMethod,
    CalendarUnit,
    MissingData,
    MonitoringMode,
    PolicyTrigger,
    SliKind,
    SourceKind,
    WindowKind,
)


class ErrorBudgetPolicy(HasId, Timestamped, SoftDeleted, Base):
    """What happens as an objective's error budget burns: ordered thresholds with actions."""

    __tablename__ = "error_budget_policy"

    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(20_000), default="")
    business_unit_id: Mapped[int] = mapped_column(Identifier, ForeignKey("business_unit.id"))
    created_by: Mapped[str] = mapped_column(String(200))


class PolicyThreshold(HasId, SoftDeleted, Base):
    """One rung of a policy. Replacing a policy's thresholds soft-deletes the old rungs, so
    policy events recorded against them keep their meaning."""

    __tablename__ = "policy_threshold"
    __table_args__ = (
        Index("ix_policy_threshold_policy_id_position", "policy_id", "position"),
        CheckConstraint(
            "(trigger = 'budget_consumed') = (consumed_at_least IS NOT NULL)",
            name="consumed_only_for_budget_trigger",
        ),
    )

    policy_id: Mapped[int] = mapped_column(Identifier, ForeignKey("error_budget_policy.id"))
    position: Mapped[int] = mapped_column(SmallInteger)
    trigger: Mapped[PolicyTrigger] = mapped_column(enum_type(PolicyTrigger, "trigger"))
    consumed_at_least: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    """Share of the budget consumed (1 = all of it) at which the rung is crossed."""
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    """Validated by ``schemas.ThresholdAction``: notify, escalate, freeze releases, review."""


class Objective(HasId, Timestamped, SoftDeleted, Base):
    """A service level objective. Contractual when it belongs to an agreement version's terms;
    internal objectives stand alone. Addressed outside as ``SLO-0042`` (``rules.objective_key``)."""

    __tablename__ = "objective"
    __table_args__ = (
        Index(
            "uq_objective_service_id_name",
            "service_id",
            "name",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_objective_business_unit_id_id", "business_unit_id", "id"),
        Index("ix_objective_agreement_id", "agreement_id"),
        CheckConstraint("target > 0 AND target < 1", name="target_range"),
        CheckConstraint(
            "(window_kind = 'rolling' AND window_days IS NOT NULL AND calendar_unit IS NULL) OR "
            "(window_kind = 'calendar' AND window_days IS NULL AND calendar_unit IS NOT NULL)",
            name="window_shape",
        ),
        CheckConstraint(
            "(budgeting_method = 'occurrences') = (timeslice_seconds IS NULL)",
            name="timeslice_length_only_for_timeslices",
        ),
        CheckConstraint(
            "(budgeting_method = 'timeslices') = (timeslice_threshold IS NOT NULL)",
            name="timeslice_threshold_only_for_timeslices",
        ),
        CheckConstraint(
            "(sli_kind = 'latency') = (latency_threshold_ms IS NOT NULL)",
            name="latency_threshold_only_for_latency",
        ),
        CheckConstraint("(agreement_id IS NULL) = (version_id IS NULL)", name="terms_reference"),
    )

    service_id: Mapped[int] = mapped_column(Identifier, ForeignKey("service.id"))
    business_unit_id: Mapped[int] = mapped_column(Identifier, ForeignKey("business_unit.id"))
    """The service's unit, kept here because every list is scoped by it."""
    name: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2_000), default="")
    agreement_id: Mapped[int | None] = mapped_column(Identifier, ForeignKey("agreement.id"))
    version_id: Mapped[int | None] = mapped_column(Identifier, ForeignKey("agreement_version.id"))

    sli_kind: Mapped[SliKind] = mapped_column(enum_type(SliKind, "sli_kind"))
    latency_threshold_ms: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    target: Mapped[Decimal] = mapped_column(ExactDecimal())
    budgeting_method: Mapped[BudgetingMethod] = mapped_column(
        enum_type(BudgetingMethod, "budgeting_method")
    )
    timeslice_seconds: Mapped[int | None] = mapped_column(Integer)
    timeslice_threshold: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    missing_data: Mapped[MissingData] = mapped_column(enum_type(MissingData, "missing_data"))

    window_kind: Mapped[WindowKind] = mapped_column(enum_type(WindowKind, "window_kind"))
    window_days: Mapped[int | None] = mapped_column(SmallInteger)
    calendar_unit: Mapped[CalendarUnit | None] = mapped_column(
        enum_type(CalendarUnit, "calendar_unit")
    )
    time_zone: Mapped[str] = mapped_column(String(64))

    monitoring_mode: Mapped[MonitoringMode] = mapped_column(
        enum_type(MonitoringMode, "monitoring_mode")
    )
    evaluation_interval_seconds: Mapped[int] = mapped_column(Integer)

    source: Mapped[SourceKind] = mapped_column(enum_type(SourceKind, "source"))
    queries: Mapped[dict[str, str]] = mapped_column(JSONDocument)
    """Source queries, e.g. Prometheus ``error_query``/``total_query`` or ``error_ratio_query``."""
    labels: Mapped[dict[str, str]] = mapped_column(JSONDocument)
    alerting: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    """Alert names, labels and annotations for exported rules (``schemas.Alerting``)."""
    origin: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    """Where an imported definition came from (``schemas.ObjectiveOrigin``): exports use it to
    write back what was read. None for objectives defined in Accord."""

    provider_owner_id: Mapped[int | None] = mapped_column(Identifier, ForeignKey("principal.id"))
    customer_owner_id: Mapped[int | None] = mapped_column(Identifier, ForeignKey("principal.id"))
    policy_id: Mapped[int | None] = mapped_column(Identifier, ForeignKey("error_budget_policy.id"))

    below_tier_minimum_reason: Mapped[str | None] = mapped_column(String(2_000))
    """Why this objective may sit below its tier's minimum target (an approved exception)."""
    below_tier_minimum_approved_by: Mapped[str | None] = mapped_column(String(200))
    below_tier_minimum_approved_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(String(200))
