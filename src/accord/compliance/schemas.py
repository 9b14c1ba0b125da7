"""Compliance shapes: objective status, history, policy events, release gates, baselines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from accord.compliance.enums import PolicyEventState
from accord.objectives.enums import PolicyTrigger


class StatusRead(BaseModel):
    """An objective judged at one instant. ``sli`` is null when the window holds no events
    ("no data"), which consumes no budget; it is never NaN."""

    objective: str
    service: str
    target: Decimal
    evaluated_at: datetime
    window_start: datetime
    window_end: datetime
    good: float
    total: float
    sli: float | None
    budget_consumed: float = Field(description="Share of the window's error budget spent.")
    budget_remaining: float = Field(description="1 - consumed; negative once overspent.")
    burn_rates: dict[str, float] = Field(description="Burn rate per alert window (`5m` … `3d`).")
    page_alert: bool
    ticket_alert: bool
    exhaustion_at: datetime | None = Field(
        description="When the budget runs out at the last hour's burn rate; null if not burning."
    )
    at_risk: bool
    data_coverage: float = Field(description="Share of the window's buckets holding data.")


class PolicyEventRead(BaseModel):
    id: int
    objective: str
    service: str
    policy: str
    trigger: PolicyTrigger
    consumed_at_least: Decimal | None
    state: PolicyEventState
    opened_at: datetime
    closed_at: datetime | None
    freezes_releases: bool
    escalate_to: str | None
    respond_by: datetime | None
    detail: dict[str, Any]


class FreezeReason(BaseModel):
    objective: str
    policy: str
    trigger: PolicyTrigger
    since: datetime
    budget_consumed: float | None


class ReleaseGate(BaseModel):
    """What a CI/CD pipeline asks before deploying a service."""

    service: str
    frozen: bool
    reasons: list[FreezeReason]
    checked_at: datetime


class EvaluationSummary(BaseModel):
    evaluated_at: datetime
    objectives: int
    at_risk: int
    page_alerts: int
    ticket_alerts: int
    policy_events_opened: int
    policy_events_recovered: int


class PeriodPerformance(BaseModel):
    start: datetime
    end: datetime
    good: float
    total: float
    sli: float | None
    peak: bool = Field(description="A declared peak period: shown, left out of the baseline.")


class TargetCandidate(BaseModel):
    target: Decimal
    met_in: int


class BaselineRead(BaseModel):
    objective: str
    current_target: Decimal
    tier: int
    tier_minimum: Decimal
    periods: list[PeriodPerformance]
    baseline_sli: float | None = Field(description="Achieved over the periods, peaks left out.")
    recommended_target: Decimal | None = Field(
        description="The highest candidate met in `achieved_in` of the last `of_last` periods."
    )
    achieved_in: int
    of_last: int
    candidates: list[TargetCandidate]
