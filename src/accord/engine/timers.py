"""Ticket timers, vectorised over many timers at once: running intervals, elapsed business time,
deadlines, breaches and thresholds on a compiled business calendar (`WorkingTime`).

A timer is a target in business seconds and the intervals during which it ran (pauses and stops
are the gaps between them). Arrays hold the intervals of every timer, grouped by timer index
(nondecreasing); per-timer arrays are indexed by that number.

- elapsed = carried + sum over the timer's intervals of business seconds in ``[start, end)``
  (``carried``: business time brought from an earlier phase measured on another calendar).
- The instant a timer reaches an amount X of business time is the earliest instant, inside its
  intervals, at which carried + running business time = X; when it has not happened yet, it is
  projected from ``project_from`` (the instant the timer runs on from, usually now) with the
  remaining X - elapsed. A timer that does not run on (paused, stopped) has no projection.
- deadline = the instant it reaches its target; remaining = max(0, target - elapsed);
  overrun = max(0, elapsed - target); percent = 100 * elapsed / target.
- breached = elapsed > target, decided on business time alone: a timer stopped exactly at its
  deadline is met, and the breach instant of a breached timer is its deadline. A paused timer
  cannot become breached, because pauses add no elapsed time.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from accord.engine.calendars import Seconds, WorkingTime

Indices = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]
NONE = -1
"""An absent instant in instant arrays (an instant is never negative: epoch seconds)."""


@dataclass(frozen=True)
class RunningIntervals:
    """``[starts[i], ends[i])`` during which timer ``timer[i]`` ran (grouped by timer)."""

    timer: Indices
    starts: Seconds
    ends: Seconds


def running_intervals(
    timer: Indices, times: Seconds, running: Flags, *, until: Seconds
) -> RunningIntervals:
    """The intervals between a timer's change points during which it ran.

    ``times`` are the change points of each timer, grouped by timer and in time order within it;
    ``running[i]`` says whether the timer runs from point ``i`` on. An interval runs from a
    running point to the timer's next point, or to ``until[timer]`` after its last point. Empty
    intervals are dropped.
    """
    timer = np.asarray(timer, dtype=np.int64)
    times = np.asarray(times, dtype=np.int64)
    nxt = np.empty_like(times)
    if times.size:
        nxt[:-1] = times[1:]
        last = np.ones(times.size, dtype=bool)
        last[:-1] = timer[1:] != timer[:-1]
        nxt[last] = np.asarray(until, dtype=np.int64)[timer[last]]
    keep = np.asarray(running, dtype=bool) & (nxt > times)
    return RunningIntervals(timer[keep], times[keep], nxt[keep])


def _run_bounds(timer: Indices, count: int) -> tuple[Indices, Indices]:
    """For each timer, the index of its first interval and one past its last."""
    numbers = np.arange(count, dtype=np.int64)
    first = np.searchsorted(timer, numbers, side="left").astype(np.int64)
    last = np.searchsorted(timer, numbers, side="right").astype(np.int64)
    return first, last


def business_per_interval(working: WorkingTime, intervals: RunningIntervals) -> Seconds:
    return working.elapsed(intervals.starts, intervals.ends)


class _Runs:
    """What every reach computation of one set of timers shares: the intervals' business
    seconds, their running total and each timer's first and last interval."""

    def __init__(
        self,
        working: WorkingTime,
        intervals: RunningIntervals,
        count: int,
        business: Seconds | None = None,
    ) -> None:
        self.working = working
        self.intervals = intervals
        # Each interval start's position is needed again for every amount reached inside it.
        self.start_position = working.position(intervals.starts)
        self.biz = (
            np.maximum(working.position(intervals.ends) - self.start_position, 0)
            if business is None
            else business
        )
        self.first, self.last = _run_bounds(intervals.timer, count)
        self.cumulative = np.cumsum(self.biz, dtype=np.int64)
        before_first = (
            self.cumulative[np.maximum(self.first - 1, 0)]
            if self.biz.size
            else np.zeros(count, np.int64)
        )
        self.offset = np.where(self.first > 0, before_first, 0).astype(np.int64)
        self.total = np.bincount(intervals.timer, weights=self.biz, minlength=count).astype(
            np.int64
        )

    def reach(self, amounts: Seconds, carried: Seconds, project_from: Seconds) -> Seconds:
        amounts = np.asarray(amounts, dtype=np.int64)
        needed = amounts - carried  # business seconds needed from the intervals
        result = np.full(amounts.size, NONE, dtype=np.int64)
        starts = self.intervals.starts

        # Already reached before these intervals: at the first one's start.
        carried_over = (needed <= 0) & (self.last > self.first)
        result[carried_over] = starts[self.first[carried_over]]

        # Reached inside an interval: the first whose running total gets there.
        j = np.searchsorted(self.cumulative, self.offset + needed, side="left")
        inside = (needed > 0) & (j < self.last)
        if np.any(inside):
            k = np.flatnonzero(inside)
            jj = j[k]
            into = self.offset[k] + needed[k] - (self.cumulative[jj] - self.biz[jj])
            result[k] = self.working.instant_at(self.start_position[jj] + into)

        # Not reached yet: projected from where the timer runs on.
        pending = (result == NONE) & (project_from != NONE) & (needed > 0)
        if np.any(pending):
            k = np.flatnonzero(pending)
            result[k] = self.working.add(project_from[k], needed[k] - self.total[k])
        return result


def reach_instants(
    working: WorkingTime,
    intervals: RunningIntervals,
    amounts: Seconds,
    *,
    carried: Seconds,
    project_from: Seconds,
    business: Seconds | None = None,
) -> Seconds:
    """The instant each timer reaches ``amounts[k]`` business seconds (see the module's rule):
    inside its intervals when it got there, else projected from ``project_from[k]`` (``NONE``:
    not projected). An amount already reached by ``carried`` is reached at the first interval's
    start. ``business``: the intervals' business seconds when already computed."""
    runs = _Runs(working, intervals, len(amounts), business)
    return runs.reach(
        amounts,
        np.asarray(carried, dtype=np.int64),
        np.asarray(project_from, dtype=np.int64),
    )


@dataclass(frozen=True)
class TimerFigures:
    """Per timer; instants are epoch seconds or ``NONE``."""

    elapsed: Seconds
    remaining: Seconds
    overrun: Seconds
    percent: npt.NDArray[np.float64]
    breached: Flags
    deadline: Seconds
    breach_at: Seconds
    reached: dict[Hashable, Seconds] = field(default_factory=dict)
    """Threshold -> the instant it is reached (see `timer_figures`)."""


def timer_figures(
    working: WorkingTime,
    intervals: RunningIntervals,
    targets: Seconds,
    *,
    carried: Seconds,
    project_from: Seconds,
    thresholds: Mapping[Hashable, Seconds] | None = None,
) -> TimerFigures:
    """elapsed, remaining, overrun, percent, breached, deadline and breach instant of each timer
    (formulas in the module's docstring); and, in ``reached``, the instant each timer reaches
    each of the ``thresholds`` (amounts of business seconds per timer, e.g. 75 % of the target),
    computed in the same pass."""
    targets = np.asarray(targets, dtype=np.int64)
    count = len(targets)
    carried = np.asarray(carried, dtype=np.int64)
    project_from = np.asarray(project_from, dtype=np.int64)
    runs = _Runs(working, intervals, count)
    elapsed = carried + runs.total
    deadline = runs.reach(targets, carried, project_from)
    reached = {
        key: runs.reach(amounts, carried, project_from)
        for key, amounts in (thresholds or {}).items()
    }
    breached = elapsed > targets
    with np.errstate(divide="ignore", invalid="ignore"):
        percent = np.where(targets > 0, 100.0 * elapsed / np.maximum(targets, 1), 100.0)
    return TimerFigures(
        elapsed=elapsed,
        remaining=np.maximum(targets - elapsed, 0),
        overrun=np.maximum(elapsed - targets, 0),
        percent=percent.astype(np.float64),
        breached=breached,
        deadline=deadline,
        breach_at=np.where(breached, deadline, NONE).astype(np.int64),
        reached=reached,
    )
