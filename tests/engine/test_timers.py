"""Ticket timers: running intervals, reach instants and figures (accord.engine.timers)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from accord.engine.calendars import (
    DAY_SECONDS,
    BusinessCalendar,
    OutsideRange,
    Segment,
    WorkingTime,
    always,
)
from accord.engine.timers import (
    NONE,
    TimerFigures,
    reach_instants,
    running_intervals,
    timer_figures,
)

HOUR = 3600
MINUTE = 60


def utc(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


# Calendar A: Mon-Fri 08:00-20:00 UTC. Fri 2019-01-11, Mon 2019-01-14.
A = BusinessCalendar("UTC", ((Segment.of("08:00", "20:00"),),) * 5 + ((), ())).compile(
    date(2019, 1, 1), date(2019, 2, 28)
)
FRIDAY = utc(2019, 1, 11)
MONDAY = utc(2019, 1, 14)


def one_timer(
    points: list[tuple[int, bool]],
    target: int,
    *,
    until: int,
    carried: int = 0,
    project_from: int = NONE,
    working: WorkingTime = A,
) -> TimerFigures:
    """The figures of a single timer from its change points (instant, runs from there on)."""
    intervals = running_intervals(
        np.zeros(len(points), dtype=np.int64),
        np.array([t for t, _ in points], dtype=np.int64),
        np.array([r for _, r in points], dtype=bool),
        until=np.array([until]),
    )
    return timer_figures(
        working,
        intervals,
        np.array([target]),
        carried=np.array([carried]),
        project_from=np.array([project_from]),
    )


# ======================================================================== running intervals


def test_running_intervals_run_from_running_points_to_the_next_point_or_until() -> None:
    timer = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    times = np.array([10, 20, 35, 5, 9, 100, 100, 130])
    running = np.array([True, False, True, True, True, True, True, False])
    until = np.array([50, 40, 200])
    intervals = running_intervals(timer, times, running, until=until)
    # Timer 0: 10-20 ran, 20-35 paused, 35-until(50) ran. Timer 1: 5-9 and 9-until(40).
    # Timer 2: 100-100 is empty (dropped), 100-130 ran, stopped at 130.
    assert intervals.timer.tolist() == [0, 0, 1, 1, 2]
    assert intervals.starts.tolist() == [10, 35, 5, 9, 100]
    assert intervals.ends.tolist() == [20, 50, 9, 40, 130]


def test_a_timer_still_running_at_until_or_with_until_before_its_last_point() -> None:
    # The last point is the until instant itself: an empty interval, dropped.
    intervals = running_intervals(
        np.array([0, 0]), np.array([10, 20]), np.array([True, True]), until=np.array([20])
    )
    assert intervals.starts.tolist() == [10]
    assert intervals.ends.tolist() == [20]
    empty = running_intervals(
        np.array([], dtype=np.int64),
        np.array([], dtype=np.int64),
        np.array([], dtype=bool),
        until=np.array([5, 6]),
    )
    assert empty.timer.size == empty.starts.size == empty.ends.size == 0


def intervals_oracle(
    points: list[list[tuple[int, bool]]], until: list[int]
) -> list[list[tuple[int, int]]]:
    """Per timer, [start, end) from each running point to the next (or until), non-empty."""
    found = []
    for changes, last in zip(points, until, strict=True):
        ends = [t for t, _ in changes[1:]] + [last] if changes else []
        found.append([(t, e) for (t, r), e in zip(changes, ends, strict=True) if r and e > t])
    return found


@given(st.data())
def test_running_intervals_match_walking_each_timer(data: st.DataObject) -> None:
    count = data.draw(st.integers(1, 6))
    changes = st.lists(st.tuples(st.integers(0, 100), st.booleans()), max_size=6)
    points = [sorted(data.draw(changes), key=lambda p: p[0]) for _ in range(count)]
    until = [data.draw(st.integers(0, 120)) for _ in range(count)]
    intervals = running_intervals(
        np.array([k for k, ps in enumerate(points) for _ in ps], dtype=np.int64),
        np.array([t for ps in points for t, _ in ps], dtype=np.int64),
        np.array([r for ps in points for _, r in ps], dtype=bool),
        until=np.array(until),
    )
    expected = intervals_oracle(points, until)
    got: list[list[tuple[int, int]]] = [[] for _ in range(count)]
    for k, s, e in zip(
        intervals.timer.tolist(), intervals.starts.tolist(), intervals.ends.tolist(), strict=True
    ):
        got[k].append((s, e))
    assert got == expected
    assert np.all(np.diff(intervals.timer) >= 0)


# =================================================================== hand-worked on calendar A


def test_a_ticket_from_friday_evening_is_due_on_monday_morning() -> None:
    # 4 business hours from Fri 18:00: 18:00-20:00 on Friday, 08:00-10:00 on Monday.
    now = FRIDAY + 18 * HOUR + 30 * MINUTE
    f = one_timer([(FRIDAY + 18 * HOUR, True)], 4 * HOUR, until=now, project_from=now)
    assert f.deadline.tolist() == [MONDAY + 10 * HOUR]
    assert f.elapsed.tolist() == [30 * MINUTE]
    assert f.remaining.tolist() == [3 * HOUR + 30 * MINUTE]
    assert f.breached.tolist() == [False]
    assert f.breach_at.tolist() == [NONE]
    assert f.percent[0] == pytest.approx(12.5)
    # Seen over the weekend, nothing has moved: the weekend is not business time.
    saturday = FRIDAY + DAY_SECONDS + 12 * HOUR
    f = one_timer([(FRIDAY + 18 * HOUR, True)], 4 * HOUR, until=saturday, project_from=saturday)
    assert f.elapsed.tolist() == [2 * HOUR]
    assert f.deadline.tolist() == [MONDAY + 10 * HOUR]


def test_a_pause_over_the_weekend_adds_only_the_business_hours_paused() -> None:
    # Paused Fri 19:00 to Mon 09:00: 1 h of Friday and 1 h of Monday are paused, so the
    # deadline moves from Mon 10:00 to Mon 12:00 (1 h ran on Friday, 3 h more from 09:00).
    now = MONDAY + 9 * HOUR + 30 * MINUTE
    points = [(FRIDAY + 18 * HOUR, True), (FRIDAY + 19 * HOUR, False), (MONDAY + 9 * HOUR, True)]
    f = one_timer(points, 4 * HOUR, until=now, project_from=now)
    assert f.elapsed.tolist() == [HOUR + 30 * MINUTE]
    assert f.deadline.tolist() == [MONDAY + 12 * HOUR]
    # Reached later, the same deadline comes from the intervals instead of a projection.
    later = MONDAY + 15 * HOUR
    f = one_timer(points, 4 * HOUR, until=later, project_from=later)
    assert f.deadline.tolist() == [MONDAY + 12 * HOUR]
    assert f.breach_at.tolist() == [MONDAY + 12 * HOUR]
    assert f.overrun.tolist() == [3 * HOUR]


def test_stopped_exactly_at_the_deadline_is_met() -> None:
    points = [(FRIDAY + 18 * HOUR, True), (MONDAY + 10 * HOUR, False)]
    f = one_timer(points, 4 * HOUR, until=MONDAY + 15 * HOUR)
    assert f.elapsed.tolist() == [4 * HOUR]
    assert f.breached.tolist() == [False]
    assert f.percent.tolist() == [100.0]
    assert f.remaining.tolist() == [0]
    assert f.overrun.tolist() == [0]
    assert f.deadline.tolist() == [MONDAY + 10 * HOUR]
    assert f.breach_at.tolist() == [NONE]


def test_stopped_one_business_minute_late_is_breached_at_the_deadline() -> None:
    points = [(FRIDAY + 18 * HOUR, True), (MONDAY + 10 * HOUR + MINUTE, False)]
    f = one_timer(points, 4 * HOUR, until=MONDAY + 15 * HOUR)
    assert f.breached.tolist() == [True]
    assert f.deadline.tolist() == [MONDAY + 10 * HOUR]
    assert f.breach_at.tolist() == [MONDAY + 10 * HOUR]
    assert f.overrun.tolist() == [60]
    assert f.remaining.tolist() == [0]
    assert f.percent[0] == pytest.approx(100 * (4 * HOUR + 60) / (4 * HOUR))


def test_a_timer_stopped_after_the_close_is_met_at_the_close() -> None:
    # Ran Fri 18:00-23:00 and stopped: 2 business hours, exactly the target; not breached.
    points = [(FRIDAY + 18 * HOUR, True), (FRIDAY + 23 * HOUR, False)]
    f = one_timer(points, 2 * HOUR, until=MONDAY + 9 * HOUR)
    assert f.elapsed.tolist() == [2 * HOUR]
    assert f.breached.tolist() == [False]
    assert f.deadline.tolist() == [FRIDAY + 20 * HOUR]  # the close, not Monday's opening


def test_carried_time_at_or_over_the_target_is_reached_at_the_first_start() -> None:
    start = MONDAY + 9 * HOUR
    now = MONDAY + 9 * HOUR + 10 * MINUTE
    over = one_timer([(start, True)], 4 * HOUR, until=now, carried=5 * HOUR, project_from=now)
    assert over.elapsed.tolist() == [5 * HOUR + 10 * MINUTE]
    assert over.breached.tolist() == [True]
    assert over.deadline.tolist() == [start]
    assert over.breach_at.tolist() == [start]
    exact = one_timer([(start, True)], 4 * HOUR, until=now, carried=4 * HOUR, project_from=now)
    assert exact.deadline.tolist() == [start]
    assert exact.breach_at.tolist() == [start]  # 10 running minutes over


def test_carried_time_under_the_target_brings_the_deadline_forward() -> None:
    now = FRIDAY + 18 * HOUR + 30 * MINUTE
    points = [(FRIDAY + 18 * HOUR, True)]
    fresh = one_timer(points, 4 * HOUR, until=now, project_from=now)
    carried = one_timer(points, 4 * HOUR, until=now, carried=HOUR, project_from=now)
    # 1 h carried: 3 h to go from Fri 18:00, Mon 09:00 (an hour before Mon 10:00).
    assert fresh.deadline.tolist() == [MONDAY + 10 * HOUR]
    assert carried.deadline.tolist() == [MONDAY + 9 * HOUR]
    assert carried.elapsed.tolist() == [HOUR + 30 * MINUTE]
    # Reached inside the intervals, too: 1 h carried plus Fri 18:00-20:00 = 3 h at 20:00.
    three = one_timer(points, 3 * HOUR, until=MONDAY + 12 * HOUR, carried=HOUR)
    assert three.deadline.tolist() == [FRIDAY + 20 * HOUR]


def test_a_paused_timer_is_not_projected_and_does_not_breach_while_paused() -> None:
    points = [(FRIDAY + 18 * HOUR, True), (FRIDAY + 19 * HOUR, False)]
    # A week on, still paused: 1 h of 4 elapsed, no deadline, not breached.
    f = one_timer(points, 4 * HOUR, until=MONDAY + 7 * DAY_SECONDS)
    assert f.elapsed.tolist() == [HOUR]
    assert f.deadline.tolist() == [NONE]
    assert f.breached.tolist() == [False]
    assert f.breach_at.tolist() == [NONE]
    assert f.remaining.tolist() == [3 * HOUR]
    # Paused after its deadline: breached, at the deadline inside its intervals.
    late = [(FRIDAY + 18 * HOUR, True), (MONDAY + 11 * HOUR, False)]
    f = one_timer(late, 4 * HOUR, until=MONDAY + 7 * DAY_SECONDS)
    assert f.breached.tolist() == [True]
    assert f.breach_at.tolist() == [MONDAY + 10 * HOUR]


def test_reach_instants_of_several_amounts_and_timers() -> None:
    # Timer 0 from Fri 18:00 (running), timer 1 from Mon 08:00 paused at 09:00, timer 2 none.
    now = MONDAY + 9 * HOUR + 30 * MINUTE
    intervals = running_intervals(
        np.array([0, 1, 1]),
        np.array([FRIDAY + 18 * HOUR, MONDAY + 8 * HOUR, MONDAY + 9 * HOUR]),
        np.array([True, True, False]),
        until=np.array([now, now, now]),
    )
    amounts = np.array([3 * HOUR, 30 * MINUTE, HOUR])
    reached = reach_instants(
        A,
        intervals,
        amounts,
        carried=np.zeros(3, np.int64),
        project_from=np.array([now, NONE, now]),
    )
    # Timer 0: 2 h on Friday, 1 h more at Mon 09:00 (inside). Timer 1: 08:30 (inside).
    # Timer 2 never ran: projected an hour of business time from now.
    assert reached.tolist() == [MONDAY + 9 * HOUR, MONDAY + 8 * HOUR + 30 * MINUTE, now + HOUR]
    # Timer 1 wants more than it ran, but is paused: no projection.
    more = reach_instants(
        A,
        intervals,
        np.array([3 * HOUR, 2 * HOUR, HOUR]),
        carried=np.zeros(3, np.int64),
        project_from=np.array([now, NONE, NONE]),
    )
    assert more.tolist() == [MONDAY + 9 * HOUR, NONE, NONE]


def test_a_24x7_timer_is_wall_clock_time() -> None:
    working = always("Europe/Berlin").compile(date(2026, 3, 1), date(2026, 4, 30))
    start = utc(2026, 3, 28, 12)  # across the spring change: still 24 h of real time a day
    f = one_timer(
        [(start, True)], 48 * HOUR, until=start + HOUR, project_from=start + HOUR, working=working
    )
    assert f.deadline.tolist() == [start + 48 * HOUR]


def test_a_projection_beyond_the_compiled_range_is_refused() -> None:
    now = utc(2019, 2, 28, 12)
    with pytest.raises(OutsideRange):
        one_timer([(now, True)], 100 * HOUR, until=now, project_from=now)


# ================================================================== properties (hypothesis)

FIRST, LAST = date(2024, 1, 1), date(2024, 12, 31)
ZONES = ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC")


@st.composite
def working_times(draw: st.DrawFn) -> WorkingTime:
    """A random calendar (minute boundaries, a few holidays) compiled for 2024."""
    zone = draw(st.sampled_from(ZONES))
    week = []
    for _ in range(7):
        points = sorted(draw(st.sets(st.integers(0, 1440), max_size=4)))
        week.append(
            tuple(
                Segment(a * MINUTE, b * MINUTE)
                for a, b in zip(points[0::2], points[1::2], strict=False)
            )
        )
    assume(any(week))
    holidays = draw(st.dictionaries(st.dates(FIRST, LAST), st.just(()), max_size=5))
    return BusinessCalendar(zone, tuple(week), holidays).compile(FIRST, LAST)


@dataclass
class Timers:
    points: list[list[tuple[int, bool]]]
    until: list[int]
    targets: list[int]
    carried: list[int]
    project_from: list[int]


@st.composite
def timers(draw: st.DrawFn, working: WorkingTime) -> Timers:
    """Timers with change points in the range's first months; some without any point."""
    count = draw(st.integers(1, 8))
    early = st.integers(working.begin, working.begin + 90 * DAY_SECONDS)
    points, until, project_from = [], [], []
    for _ in range(count):
        changes = draw(st.lists(st.tuples(early, st.booleans()), max_size=5))
        changes.sort(key=lambda p: p[0])
        points.append(changes)
        last = changes[-1][0] if changes else working.begin
        until.append(last + draw(st.integers(0, 20 * DAY_SECONDS)))
        # A running timer is projected from its until instant ("now"); others not at all.
        running = bool(changes) and changes[-1][1]
        project_from.append(until[-1] if running or draw(st.booleans()) else NONE)
    hours = st.integers(0, 60 * HOUR)
    return Timers(
        points,
        until,
        [draw(hours) for _ in range(count)],
        [draw(st.sampled_from([0, 0, HOUR]) | hours) for _ in range(count)],
        project_from,
    )


@dataclass
class Expected:
    elapsed: int
    deadline: int


def oracle(
    working: WorkingTime, spans: list[tuple[int, int]], target: int, carried: int, start: int
) -> Expected:
    """One timer, walked interval by interval with the scalar WorkingTime methods."""
    business = [working.elapsed_between(s, e) for s, e in spans]
    elapsed = carried + sum(business)
    needed = target - carried
    if needed <= 0:
        return Expected(elapsed, spans[0][0] if spans else NONE)
    done = 0
    for (s, _), worked in zip(spans, business, strict=True):
        if done + worked >= needed:
            return Expected(elapsed, working.instant_of(working.position_of(s) + needed - done))
        done += worked
    return Expected(elapsed, NONE if start == NONE else working.add_to(start, needed - done))


def compute(working: WorkingTime, t: Timers) -> TimerFigures:
    intervals = running_intervals(
        np.array([k for k, ps in enumerate(t.points) for _ in ps], dtype=np.int64),
        np.array([x for ps in t.points for x, _ in ps], dtype=np.int64),
        np.array([r for ps in t.points for _, r in ps], dtype=bool),
        until=np.array(t.until),
    )
    return timer_figures(
        working,
        intervals,
        np.array(t.targets),
        carried=np.array(t.carried),
        project_from=np.array(t.project_from),
    )


def business_until(working: WorkingTime, spans: list[tuple[int, int]], instant: int) -> int:
    """Business seconds of the spans up to ``instant``."""
    return sum(working.elapsed_between(s, min(e, instant)) for s, e in spans if s < instant)


@given(working_times(), st.data())
def test_figures_match_a_per_timer_loop_over_the_scalar_methods(
    working: WorkingTime, data: st.DataObject
) -> None:
    t = data.draw(timers(working))
    spans = intervals_oracle(t.points, t.until)
    try:
        expected = [
            oracle(working, s, target, carried, start)
            for s, target, carried, start in zip(
                spans, t.targets, t.carried, t.project_from, strict=True
            )
        ]
    except OutsideRange:  # a projection past 2024: the batch refuses it too
        with pytest.raises(OutsideRange):
            compute(working, t)
        return
    f = compute(working, t)
    assert f.elapsed.tolist() == [e.elapsed for e in expected]
    assert f.deadline.tolist() == [e.deadline for e in expected]

    for k, (s, target, carried) in enumerate(zip(spans, t.targets, t.carried, strict=True)):
        elapsed, deadline = int(f.elapsed[k]), int(f.deadline[k])
        # elapsed is carried plus the intervals' business time, each measured on its own.
        assert elapsed == carried + sum(working.elapsed_between(a, b) for a, b in s)
        # breached exactly when over target, at the deadline; the other figures follow.
        assert bool(f.breached[k]) == (elapsed > target)
        assert int(f.breach_at[k]) == (deadline if elapsed > target else NONE)
        assert int(f.remaining[k]) == max(0, target - elapsed)
        assert int(f.overrun[k]) == max(0, elapsed - target)
        if target > 0:
            assert f.percent[k] == pytest.approx(100 * elapsed / target)
        # A deadline reached inside the intervals is the earliest instant at which carried
        # plus the business time run so far equals the target.
        if carried < target <= elapsed:
            assert s[0][0] < deadline <= s[-1][1]
            assert carried + business_until(working, s, deadline) == target
            assert carried + business_until(working, s, deadline - 1) == target - 1
        # A breached timer (with intervals) has its breach instant inside them.
        if elapsed > target and s:
            assert s[0][0] <= int(f.breach_at[k]) <= s[-1][1]
        # Not reached and not running on: no deadline at all.
        if elapsed < target and t.project_from[k] == NONE:
            assert deadline == NONE
            assert not f.breached[k]


@given(working_times(), st.data())
def test_a_batch_computes_each_timer_as_if_alone(working: WorkingTime, data: st.DataObject) -> None:
    t = data.draw(timers(working))
    try:
        together = compute(working, t)
    except OutsideRange:
        assume(False)
        return
    for k in range(len(t.targets)):
        alone = compute(
            working,
            Timers(
                [t.points[k]], [t.until[k]], [t.targets[k]], [t.carried[k]], [t.project_from[k]]
            ),
        )
        for name in ("elapsed", "remaining", "overrun", "breached", "deadline", "breach_at"):
            assert getattr(alone, name).tolist() == [getattr(together, name)[k].item()], name


@given(working_times(), st.data())
def test_reach_instants_are_nondecreasing_in_the_amount(
    working: WorkingTime, data: st.DataObject
) -> None:
    # The same timer asked for growing amounts (thresholds: 50 %, 75 %, 100 % ...).
    t = data.draw(timers(working))
    k = data.draw(st.integers(0, len(t.targets) - 1))
    assume(t.project_from[k] != NONE)
    # Amounts beyond what was carried in (those are all reached at the first start).
    wanted = st.integers(t.carried[k] + 1, t.carried[k] + 60 * HOUR)
    amounts = sorted(data.draw(st.lists(wanted, min_size=2, max_size=6)))
    n = len(amounts)
    changes = t.points[k]
    intervals = running_intervals(
        np.repeat(np.arange(n), len(changes)),
        np.tile(np.array([x for x, _ in changes], dtype=np.int64), n),
        np.tile(np.array([r for _, r in changes], dtype=bool), n),
        until=np.full(n, t.until[k]),
    )
    try:
        reached = reach_instants(
            working,
            intervals,
            np.array(amounts),
            carried=np.full(n, t.carried[k]),
            project_from=np.full(n, t.project_from[k]),
        )
    except OutsideRange:
        assume(False)
        return
    assert np.all(reached != NONE)
    for (a, x), (b, y) in itertools.pairwise(zip(amounts, reached.tolist(), strict=True)):
        assert x <= y
        if a < b:
            assert x < y
