"""Enumerations of objectives (no SQLAlchemy: pure modules use them too)."""

from __future__ import annotations

from enum import StrEnum

# One definition each, in the engine that computes with them.
from accord.engine.periods import CalendarUnit
from accord.engine.slo import MissingData

__all__ = [
    "BudgetingMethod",
    "CalendarUnit",
    "MissingData",
    "MonitoringMode",
    "PolicyAction",
    "PolicyTrigger",
    "SliKind",
    "SourceKind",
    "WindowKind",
]


class SliKind(StrEnum):
    AVAILABILITY = "availability"
    """Share of requests served successfully."""
    LATENCY = "latency"
    """Share of requests served under ``latency_threshold_ms``."""
    RATIO = "ratio"
    """Any other good/total ratio."""


class BudgetingMethod(StrEnum):
    OCCURRENCES = "occurrences"
    """SLI = sum(good) / sum(total) over the window."""
    TIMESLICES = "timeslices"
    """SLI = good slices / slices with data; a slice is good when its ratio meets the threshold."""
    RATIO_TIMESLICES = "ratio_timeslices"
    """SLI = mean of the slices' ratios (what Sloth's period rule computes)."""


class WindowKind(StrEnum):
    ROLLING = "rolling"
    CALENDAR = "calendar"


class MonitoringMode(StrEnum):
    ACTIVE = "active"
    """Evaluated and alerted at the tier's frequency."""
    PASSIVE = "passive"
    """Evaluated for reports only."""


class SourceKind(StrEnum):
    PROMETHEUS = "prometheus"
    DATADOG = "datadog"
    PUSH = "push"
    """Buckets are pushed to Accord (API or bulk load)."""
    TICKETING = "ticketing"
    """A ticketing tool: feeds ticket timers, never an objective's SLI (a registry kind only)."""


class PolicyTrigger(StrEnum):
    BUDGET_CONSUMED = "budget_consumed"
    """Budget consumed reaches ``consumed_at_least``."""
    PAGE_ALERT = "page_alert"
    """The page-severity burn-rate alert fires."""
    TICKET_ALERT = "ticket_alert"
    """The ticket-severity burn-rate alert fires."""
    AT_RISK = "at_risk"
    """A burn-rate alert fires or the budget is projected to run out before the window ends."""


class PolicyAction(StrEnum):
    NOTIFY = "notify"
    ESCALATE = "escalate"
    FREEZE_RELEASES = "freeze_releases"
    REQUIRE_REVIEW = "require_review"
