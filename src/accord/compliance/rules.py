"""Rules of evaluation (pure): which window an objective is judged over at an instant, when it is
at risk, and which policy thresholds it crosses."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from accord.engine.alerting import BurnWindow, workbook_windows
from accord.engine.periods import calendar_window, rolling_window
from accord.kit.time import require_aware
from accord.objectives.enums import PolicyTrigger
from accord.objectives.rules import BUCKET_SECONDS
from accord.objectives.schemas import CalendarWindow, Window
from accord.telemetry.rules import EPOCH as EPOCH

GRAIN = timedelta(seconds=BUCKET_SECONDS)
BURN_WINDOWS: tuple[BurnWindow, ...] = workbook_windows()
"""The SRE Workbook's four window pairs; factors scale with each objective's period."""
EXHAUSTION_WINDOW_SECONDS = 3600
"""The burn rate a forecast assumes: the last hour (the shortest window that pages)."""


@dataclass(frozen=True)
class Period:
    """The span an objective is judged over at an evaluation instant."""

    start: datetime
    """Where counting starts (a rolling window's start, or the calendar period's start)."""
    stop: datetime
    """The evaluation's end: the last complete bucket boundary at or before the instant."""
    end: datetime
    """Where the period ends: ``stop`` for rolling windows, the calendar period's end."""
    seconds: int
    """The period's full length, which scales budgets and burn-rate factors."""


def evaluation_stop(at: datetime) -> datetime:
    """The last bucket boundary at or before ``at``: only complete buckets are judged."""
    since = require_aware(at, what="at") - EPOCH
    return EPOCH + (since // GRAIN) * GRAIN


def bucket_number(instant: datetime) -> int:
    """Buckets since the Unix epoch; an instant on a boundary starts its bucket."""
    return (require_aware(instant, what="instant") - EPOCH) // GRAIN


def bucket_start(number: int) -> datetime:
    return EPOCH + number * GRAIN


def period_at(window: Window, at: datetime) -> Period:
    stop = evaluation_stop(at)
    if isinstance(window, CalendarWindow):
        start, end = calendar_window(at, window.unit.value, window.time_zone)
        start = max(min(start, stop), EPOCH)
        return Period(start=start, stop=stop, end=end, seconds=int((end - start).total_seconds()))
    start, _ = rolling_window(stop, window.days)
    return Period(start=start, stop=stop, end=stop, seconds=window.days * 86_400)


def window_label(seconds: int) -> str:
    """``300`` → ``5m``, ``3600`` → ``1h``, ``259200`` → ``3d`` (Prometheus duration style)."""
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def burn_window_lengths() -> list[int]:
    return sorted({w.long_seconds for w in BURN_WINDOWS} | {w.short_seconds for w in BURN_WINDOWS})


def exhaustion_instant(stop: datetime, seconds: float) -> datetime | None:
    """When the budget runs out, or None when it is not burning (infinite time)."""
    if math.isinf(seconds) or math.isnan(seconds):
        return None
    # Beyond any plausible horizon the projection says nothing useful; keep it representable.
    return stop + timedelta(seconds=min(seconds, 100 * 365 * 86_400))


def at_risk(*, page: bool, ticket: bool, exhaustion_at: datetime | None, period: Period) -> bool:
    """A burn-rate alert is active, or at the current burn the budget runs out before the
    period ends (a rolling window "ends" one window length ahead: it never stops moving)."""
    if page or ticket:
        return True
    if exhaustion_at is None:
        return False
    horizon = (
        period.end if period.end > period.stop else period.stop + timedelta(seconds=period.seconds)
    )
    return exhaustion_at < horizon


@dataclass(frozen=True)
class Crossing:
    """What one evaluation says of an objective, as policy thresholds see it."""

    budget_consumed: float
    page_alert: bool
    ticket_alert: bool
    at_risk: bool


def crossed(trigger: PolicyTrigger, consumed_at_least: Decimal | None, state: Crossing) -> bool:
    if trigger is PolicyTrigger.BUDGET_CONSUMED:
        assert consumed_at_least is not None
        return state.budget_consumed >= float(consumed_at_least)
    if trigger is PolicyTrigger.PAGE_ALERT:
        return state.page_alert
    if trigger is PolicyTrigger.TICKET_ALERT:
        return state.ticket_alert
    return state.at_risk


@dataclass(frozen=True)
class ThresholdChange:
    opened: frozenset[int]
    """Threshold ids crossed now and not open before: record one event each."""
    recovered: frozenset[int]
    """Threshold ids open before and no longer crossed: close them (the rung re-arms)."""


def threshold_changes(
    thresholds: Mapping[int, tuple[PolicyTrigger, Decimal | None]],
    state: Crossing,
    open_ids: Iterable[int],
) -> ThresholdChange:
    """One event per crossing: none while a threshold stays crossed, a new one only after it
    recovered. Open events of thresholds no longer in the policy are closed too."""
    now_crossed = {
        tid for tid, (trigger, level) in thresholds.items() if crossed(trigger, level, state)
    }
    before = set(open_ids)
    return ThresholdChange(
        opened=frozenset(now_crossed - before), recovered=frozenset(before - now_crossed)
    )
