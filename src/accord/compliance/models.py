"""Status of objectives (the current one and the history of every evaluation) and policy events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Double, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from accord.compliance.enums import PolicyEventState
from accord.db.base import Base, HasId
from accord.db.types import ExactDecimal, Identifier, JSONDocument, enum_type


class _Evaluation:
    target: Mapped[Decimal] = mapped_column(ExactDecimal())
    """The target the objective was judged against: history keeps it when the target changes."""
    evaluated_at: Mapped[datetime]
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    good: Mapped[float] = mapped_column(Double)
    total: Mapped[float] = mapped_column(Double)
    sli: Mapped[float | None] = mapped_column(Double)
    """None when the window holds no valid events ("no data"): never NaN."""
    budget_consumed: Mapped[float] = mapped_column(Double)
    burn_rates: Mapped[dict[str, float]] = mapped_column(JSONDocument)
    """Burn rate per alert window, keyed by its length (``5m`` … ``3d``)."""
    page_alert: Mapped[bool] = mapped_column(Boolean)
    ticket_alert: Mapped[bool] = mapped_column(Boolean)
    exhaustion_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the budget runs out at the current (1 h) burn rate; None when it is not burning."""
    at_risk: Mapped[bool] = mapped_column(Boolean)
    data_coverage: Mapped[float] = mapped_column(Double)
    """Share of the window's buckets that hold data."""


class ObjectiveStatus(_Evaluation, Base):
    """The latest evaluation of each objective: the warm state lists and gates read."""

    __tablename__ = "objective_status"

    objective_id: Mapped[int] = mapped_column(
        Identifier, ForeignKey("objective.id"), primary_key=True
    )
    business_unit_id: Mapped[int] = mapped_column(Identifier, ForeignKey("business_unit.id"))
    """The objective's unit, so a page of statuses is scoped without a join."""
    service_id: Mapped[int] = mapped_column(Identifier, ForeignKey("service.id"))


class EvaluationPass(HasId, Base):
    """One recorded evaluation pass. Its id is the generation of the current statuses: a
    reader that keeps them presented (the API's cache) knows they changed when it grows."""

    __tablename__ = "evaluation_pass"

    evaluated_at: Mapped[datetime] = mapped_column(index=True)
    objectives: Mapped[int] = mapped_column(Integer)


class StatusSnapshot(HasId, _Evaluation, Base):
    """Every evaluation, kept for dashboards and audits."""

    __tablename__ = "status_snapshot"
    __table_args__ = (
        Index(
            "uq_status_snapshot_objective_id_evaluated_at",
            "objective_id",
            "evaluated_at",
            unique=True,
        ),
    )

    objective_id: Mapped[int] = mapped_column(Identifier, ForeignKey("objective.id"))
    service_id: Mapped[int] = mapped_column(Identifier)
    """The objective's service. No foreign key: it is the objective's (checked by the key
    above), and every pass appends a row per objective here, where a second key check per
    row cost a third of the insert at 10,000 objectives."""


class PolicyEvent(HasId, Base):
    """A policy threshold crossed by an objective: opened once, closed when it recovers."""

    __tablename__ = "policy_event"
    __table_args__ = (
        Index("ix_policy_event_objective_id_opened_at", "objective_id", "opened_at"),
        Index(
            "uq_policy_event_open_threshold",
            "objective_id",
            "threshold_id",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
    )

    objective_id: Mapped[int] = mapped_column(Identifier, ForeignKey("objective.id"))
    threshold_id: Mapped[int] = mapped_column(Identifier, ForeignKey("policy_threshold.id"))
    service_id: Mapped[int] = mapped_column(Identifier, ForeignKey("service.id"), index=True)
    business_unit_id: Mapped[int] = mapped_column(Identifier, ForeignKey("business_unit.id"))
    state: Mapped[PolicyEventState] = mapped_column(enum_type(PolicyEventState, "state"))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    freezes_releases: Mapped[bool] = mapped_column(Boolean)
    escalate_to: Mapped[str | None] = mapped_column(String(32), default=None)
    """The role the event escalates to, with ``respond_by`` and the documentation required."""
    respond_by: Mapped[datetime | None] = mapped_column(default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    """What was crossed (budget consumed, burn rates) and the actions taken, as recorded."""
