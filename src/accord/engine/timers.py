"""Ticket timers, vectorised over many timers at once: running intervals, elapsed business time,
deadlines, breaches and thresholds on a compiled business calendar (`WorkingTime`).

A timer is a target in business seconds and the intervals during which it ran (pauses and stops
are the gaps between them), given either as `RunningIntervals` or, as the ticket pipeline does,
as `TimerPoints`: the instants at which each timer starts or stops running, so that no interval
array is ever built for a million tickets. Arrays are grouped by timer index (nondecreasing);
per-timer arrays are indexed by that number.

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


@dataclass(frozen=True)
class TimerPoints:
    """Change points: from ``times[i]`` on, timer ``timer[i]`` runs when ``running[i]``, until
    its next point, or ``until[timer]`` after its last one (grouped by timer, in time order).
    ``positions``: the points' positions on the calendar, when the caller already has them."""

    timer: Indices
    times: Seconds
    running: Flags
    until: Seconds
    positions: Seconds | None = None


def points_of(intervals: RunningIntervals, count: int) -> TimerPoints:
    """The same timers as change points: each interval starts a run and its end stops it."""
    n = intervals.timer.size
    timer = np.repeat(intervals.timer, 2)
    times = np.empty(2 * n, dtype=np.int64)
    times[0::2], times[1::2] = intervals.starts, intervals.ends
    running = np.zeros(2 * n, dtype=bool)
    running[0::2] = True
    until = np.zeros(count, dtype=np.int64)
    if n:
        lasts = np.append(intervals.timer[1:] != intervals.timer[:-1], True)
        until[intervals.timer[lasts]] = intervals.ends[lasts]
        empty = np.ones(count, dtype=bool)
        empty[intervals.timer] = False
        until[empty] = intervals.starts[0]  # no points: never read, but inside the range
    else:
        until[:] = NONE
    return TimerPoints(timer, times, running, until)


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


class _Runs:
    """What every reach computation of one set of timers shares: each point's business seconds
    (up to the next point, when running), their running total, and each timer's bounds."""

    def __init__(
        self, working: WorkingTime, timers: TimerPoints | RunningIntervals, count: int
    ) -> None:
        points = timers if isinstance(timers, TimerPoints) else points_of(timers, count)
        self.working = working
        self.times = points.times
        n = points.times.size
        self.position = (
            working.position(points.times) if points.positions is None else points.positions
        )
        timer = points.timer
        self.first, self.last = _run_bounds(timer, count)
        has = self.last > self.first
        following = np.empty(n, dtype=np.int64)
        if n:
            following[:-1] = self.position[1:]
            ends = self.last[has] - 1
            following[ends] = working.position(points.until[has])
        self.biz = np.where(points.running, np.maximum(following - self.position, 0), 0)
        self.points = points
        self.cumulative = np.cumsum(self.biz, dtype=np.int64)
        before_first = (
            self.cumulative[np.maximum(self.first - 1, 0)] if n else np.zeros(count, np.int64)
        )
        self.offset = np.where(self.first > 0, before_first, 0).astype(np.int64)
        through_last = self.cumulative[np.maximum(self.last - 1, 0)] if n else self.offset
        self.total = np.where(has, through_last - self.offset, 0).astype(np.int64)

    def _first_runs(self) -> Seconds:
        """Per timer, the start of its first non-empty run (``NONE`` when it never ran)."""
        points = self.points
        n = points.times.size
        following = np.empty(n, dtype=np.int64)
        following[:-1] = points.times[1:]
        has = self.last > self.first
        following[self.last[has] - 1] = points.until[has]
        ran = np.flatnonzero(points.running & (following > points.times))
        found = np.full(self.first.size, NONE, dtype=np.int64)
        owners = points.timer[ran]
        firsts = np.unique(owners, return_index=True)[1]
        found[owners[firsts]] = points.times[ran[firsts]]
        return found

    def reach(self, amounts: Seconds, carried: Seconds, project_from: Seconds) -> Seconds:
        amounts = np.asarray(amounts, dtype=np.int64)
        needed = amounts - carried  # business seconds needed from the runs
        result = np.full(amounts.size, NONE, dtype=np.int64)

        # Already reached before these runs: where the first of them starts (rare: a later
        # phase that keeps more time than its new target).
        over = (needed <= 0) & (self.last > self.first)
        if np.any(over):
            first_run = self._first_runs()
            over &= first_run != NONE
            result[over] = first_run[over]

        # Reached inside a run: the first point whose running total gets there.
        j = np.searchsorted(self.cumulative, self.offset + needed, side="left")
        inside = (needed > 0) & (j < self.last)
        if np.any(inside):
            k = np.flatnonzero(inside)
            jj = j[k]
            into = self.offset[k] + needed[k] - (self.cumulative[jj] - self.biz[jj])
            result[k] = self.working.instant_at(self.position[jj] + into)

        # Not reached yet: projected from where the timer runs on.
        pending = (result == NONE) & (project_from != NONE) & (needed > 0)
        if np.any(pending):
            k = np.flatnonzero(pending)
            result[k] = self.working.add(project_from[k], needed[k] - self.total[k])
        return result


def reach_instants(
    working: WorkingTime,
    intervals: TimerPoints | RunningIntervals,
    amounts: Seconds,
    *,
    carried: Seconds,
    project_from: Seconds,
) -> Seconds:
    """The instant each timer reaches ``amounts[k]`` business seconds (see the module's rule):
    inside its runs when it got there, else projected from ``project_from[k]`` (``NONE``: not
    projected). An amount already reached by ``carried`` is reached where the first run
    starts."""
    runs = _Runs(working, intervals, len(amounts))
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
    intervals: TimerPoints | RunningIntervals,
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
