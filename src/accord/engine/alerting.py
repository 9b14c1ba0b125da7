"""Multi-window, multi-burn-rate alerts (SRE Workbook ch. 5, as Sloth generates them).

A window pair (long, short) may burn ``budget_share`` of a period's error budget before it
alerts. Burning that share within the long window means a burn rate of

    factor = budget_share * period_seconds / long_seconds

(e.g. 2 % of 30 days in 1 h: 0.02 * 720 h / 1 h = 14.4). The pair fires when the burn rate
over BOTH its long and its short window is strictly above the factor (the long window proves
the burn is significant, the short one that it is still going on). A severity fires when any of
its pairs fires.

Correspondence with Prometheus: Sloth records ``rate(errors[1h]) / rate(total[1h])`` at the
evaluation time ``t``, i.e. the events of ``(t - 1h, t]``. Here a window of ``w`` seconds ending
at bucket index ``end`` is the ``w / grain`` buckets ``[end - w/grain, end)``, i.e. the events
of ``[origin + end*grain - w, origin + end*grain)``: a 1 h window at a 300 s grain is the last 12
buckets before ``end``. Evaluating at ``end = bucket_index(now)`` uses completed buckets only.
Sloth's alert expressions compare ``error_ratio > factor * (1 - target)``, the same inequality
as ``burn > factor`` multiplied through by the positive budget (they can differ only in the
last bit at an exact tie).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike

from accord.engine.slo import (
    DEFAULT_GRAIN,
    BoolArray,
    FloatArray,
    Index,
    WindowCounts,
    WindowSource,
    budget_consumed,
    burn_rate,
    seconds_to_exhaustion,
    sli,
)


class Severity(StrEnum):
    PAGE = "page"
    """Wake someone up: the budget will be gone within days at this rate."""
    TICKET = "ticket"
    """Look at it during working hours."""


@dataclass(frozen=True)
class BurnWindow:
    """One window pair of a multi-window multi-burn-rate alert.

    ``budget_share`` is the fraction of the period's error budget the pair lets burn within
    its long window before it alerts (Sloth's ``errorBudgetPercent / 100``).
    """

    severity: Severity
    long_seconds: int
    short_seconds: int
    budget_share: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", Severity(self.severity))
        if not 0 < self.short_seconds < self.long_seconds:
            raise ValueError("windows need 0 < short_seconds < long_seconds")
        if not 0 < self.budget_share <= 1:
            raise ValueError("budget_share must lie in (0, 1]")

    def factor(self, period_seconds: float) -> float:
        """The burn-rate threshold: ``budget_share * period_seconds / long_seconds``."""
        return self.budget_share * float(period_seconds) / self.long_seconds


HOUR = 3600
DAY = 24 * HOUR


def workbook_windows() -> tuple[BurnWindow, ...]:
    """The SRE Workbook's pairs: page 2 % @ 1h/5m and 5 % @ 6h/30m; ticket 10 % @ 1d/2h and
    10 % @ 3d/6h.

    Factors follow the period (``BurnWindow.factor``): 14.4, 6, 3, 1 for 30 days; 13.44, 5.6,
    2.8, 0.933 for 28 days. Reusing the 30-day factors for another period would alert on the
    wrong budget share.
    """
    return (
        BurnWindow(Severity.PAGE, HOUR, 5 * 60, 0.02),
        BurnWindow(Severity.PAGE, 6 * HOUR, 30 * 60, 0.05),
        BurnWindow(Severity.TICKET, DAY, 2 * HOUR, 0.10),
        BurnWindow(Severity.TICKET, 3 * DAY, 6 * HOUR, 0.10),
    )


def window_buckets(seconds: int, grain: int = DEFAULT_GRAIN) -> int:
    """Buckets in a window of ``seconds``; ValueError unless it is a whole number of buckets."""
    if grain <= 0:
        raise ValueError("grain must be positive")
    if seconds % grain:
        raise ValueError(f"a {seconds} s window is not a whole number of {grain} s buckets")
    return seconds // grain


@dataclass(frozen=True)
class AlertState:
    """Burn rates and alert states of every objective at one bucket index.

    Arrays over windows have shape ``(len(windows), n_objectives)``, in the order of
    ``windows``; ``burn`` maps every distinct window length (seconds) to its burn rates.
    """

    windows: tuple[BurnWindow, ...]
    factors: FloatArray
    long_burn: FloatArray
    short_burn: FloatArray
    firing: BoolArray
    """Pair ``i`` fires for objective ``j``: both burn rates above ``factors[i]``."""
    burn: Mapping[int, FloatArray]
    page: BoolArray
    ticket: BoolArray

    def severity(self, severity: Severity) -> BoolArray:
        return self.page if severity is Severity.PAGE else self.ticket


def mwmb_state(
    cumulative: WindowSource,
    end: Index,
    target: ArrayLike,
    period_seconds: float,
    windows: Sequence[BurnWindow] | None = None,
    grain: int = DEFAULT_GRAIN,
) -> AlertState:
    """Multi-window multi-burn-rate state of every objective for windows ending at ``end``.

    For every distinct window length ``w`` (long and short windows together): counts over
    buckets ``[end - w/grain, end)`` from ``cumulative`` (a ``CumulativeCounts``, or a
    ``BucketCounts`` for direct sums), ``burn = error_ratio / (1 - target)`` (0 without
    data). Pair ``i`` fires where ``long_burn > factor_i`` and ``short_burn > factor_i`` with
    ``factor_i = budget_share_i * period_seconds / long_seconds_i``; ``page``/``ticket`` are
    the OR of their pairs. ``end`` is exclusive and may differ per objective; windows reaching
    before the first bucket are clipped (fewer buckets, as Prometheus has at start-up).
    """
    chosen = tuple(workbook_windows() if windows is None else windows)
    n = cumulative.n_objectives
    lengths = sorted({w.long_seconds for w in chosen} | {w.short_seconds for w in chosen})
    end_arr: Index = end if isinstance(end, int | np.integer) else np.asarray(end)
    burn: dict[int, FloatArray] = {}
    for seconds in lengths:  # a handful of windows; each one is vectorised over objectives
        counts = cumulative.window(end_arr - window_buckets(seconds, grain), end_arr)
        burn[seconds] = burn_rate(counts, target)
    factors = np.array([w.factor(period_seconds) for w in chosen], dtype=np.float64)
    long_burn = np.array([burn[w.long_seconds] for w in chosen]).reshape(len(chosen), n)
    short_burn = np.array([burn[w.short_seconds] for w in chosen]).reshape(len(chosen), n)
    firing = (long_burn > factors[:, None]) & (short_burn > factors[:, None])
    is_page = np.array([w.severity is Severity.PAGE for w in chosen], dtype=np.bool_)
    return AlertState(
        windows=chosen,
        factors=factors,
        long_burn=long_burn,
        short_burn=short_burn,
        firing=firing,
        burn=burn,
        page=np.asarray(firing[is_page].any(axis=0), dtype=np.bool_),
        ticket=np.asarray(firing[~is_page].any(axis=0), dtype=np.bool_),
    )


@dataclass(frozen=True)
class Evaluation:
    """Everything one evaluation of a set of objectives at one bucket index yields."""

    period: WindowCounts
    """Counts over the SLO period (rolling, or from ``period_start``)."""
    sli: FloatArray
    """NaN where the period has no data (``period.has_data``)."""
    consumed: FloatArray
    remaining: FloatArray
    current_burn: FloatArray
    """Burn rate over ``exhaustion_window_seconds``, the rate the forecast assumes."""
    seconds_to_exhaustion: FloatArray
    alerts: AlertState


def evaluate(
    source: WindowSource,
    end: Index,
    target: ArrayLike,
    period_seconds: int,
    *,
    period_start: Index | None = None,
    windows: Sequence[BurnWindow] | None = None,
    grain: int = DEFAULT_GRAIN,
    exhaustion_window_seconds: int = HOUR,
) -> Evaluation:
    """Occurrence SLI, budget and burn-rate alerts of every objective at bucket index ``end``.

    The period is ``[end - period_seconds/grain, end)`` (a rolling window) unless
    ``period_start`` is given (a calendar period that began there). The exhaustion forecast
    assumes the burn rate of the last ``exhaustion_window_seconds`` (default 1 h, the shortest
    window that pages: a single 5-minute blip should not swing it) and the budget of a whole
    period: ``remaining * period_seconds / burn``.
    """
    end_arr: Index = end if isinstance(end, int | np.integer) else np.asarray(end)
    start = (
        end_arr - window_buckets(period_seconds, grain) if period_start is None else period_start
    )
    period = source.window(start, end_arr)
    consumed = budget_consumed(period, target)
    remaining = 1.0 - consumed
    alerts = mwmb_state(source, end_arr, target, period_seconds, windows, grain)
    if exhaustion_window_seconds in alerts.burn:
        current = alerts.burn[exhaustion_window_seconds]
    else:
        recent = source.window(end_arr - window_buckets(exhaustion_window_seconds, grain), end_arr)
        current = burn_rate(recent, target)
    return Evaluation(
        period=period,
        sli=sli(period),
        consumed=consumed,
        remaining=remaining,
        current_burn=current,
        seconds_to_exhaustion=seconds_to_exhaustion(remaining, current, period_seconds),
        alerts=alerts,
    )
