"""Business calendars: working time and business-second arithmetic (accord.engine.calendars)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    epoch_seconds,
    from_epoch,
)

HOUR = 3600
MINUTE = 60
DAY = timedelta(days=1)


def utc(*args: int) -> int:
    """Epoch seconds of a UTC wall time."""
    return int(datetime(*args, tzinfo=UTC).timestamp())


def wall(zone: str, day: date, seconds: int = 0) -> int:
    """Epoch seconds of the local wall time ``seconds`` after ``day``'s midnight (fold=0)."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone))
    return int((midnight + timedelta(seconds=seconds)).timestamp())


def week_of(*days: tuple[Segment, ...]) -> tuple[tuple[Segment, ...], ...]:
    """Monday first; unnamed days do not work."""
    return (*days, *((),) * (7 - len(days)))


EIGHT_TO_EIGHT = (Segment.of("08:00", "20:00"),)
# GLPI's calendars. A: Mon-Fri 08:00-20:00. B: Mon 09:00-18:00, Tue 08:00-12:00 + 14:00-18:00.
CALENDAR_A = BusinessCalendar("UTC", week_of(*(EIGHT_TO_EIGHT,) * 5))
CALENDAR_B = BusinessCalendar(
    "UTC",
    week_of(
        (Segment.of("09:00", "18:00"),),
        (Segment.of("08:00", "12:00"), Segment.of("14:00", "18:00")),
    ),
)
A = CALENDAR_A.compile(date(2018, 10, 1), date(2019, 2, 28))
B = CALENDAR_B.compile(date(2018, 12, 1), date(2019, 2, 28))


# ======================================================================= GLPI known answers


def test_glpi_elapsed_time_on_calendar_a() -> None:
    assert A.elapsed_between(utc(2019, 1, 1, 7), utc(2019, 1, 1, 9)) == 3_600
    assert A.elapsed_between(utc(2019, 1, 1), utc(2019, 1, 8)) == 216_000
    assert A.elapsed_between(utc(2019, 1, 8), utc(2019, 1, 1)) == 0
    vector = A.elapsed(
        np.array([utc(2019, 1, 1, 7), utc(2019, 1, 1), utc(2019, 1, 8)]),
        np.array([utc(2019, 1, 1, 9), utc(2019, 1, 8), utc(2019, 1, 1)]),
    )
    assert vector.tolist() == [3_600, 216_000, 0]


# The week of Monday 2019-01-07: Mon = the 7th, Tue = the 8th.
@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (utc(2019, 1, 8, 10), 5, utc(2019, 1, 8, 17)),  # 10-12 and 14-17
        (utc(2019, 1, 8, 7), 3, utc(2019, 1, 8, 11)),  # starts at the 08:00 opening
        (utc(2019, 1, 8, 13), 2, utc(2019, 1, 8, 16)),  # starts after the lunch gap
        (utc(2019, 1, 7, 18), -9, utc(2019, 1, 7, 9)),  # Monday's whole day, back
        (utc(2019, 1, 8, 17), -5, utc(2019, 1, 8, 10)),  # 14-17 and 10-12, back
    ],
)
def test_glpi_added_durations_on_calendar_b(start: int, hours: int, expected: int) -> None:
    assert B.add_to(start, hours * HOUR) == expected
    assert B.add(np.array([start]), np.array([hours * HOUR])).tolist() == [expected]


def test_glpi_working_days_on_calendar_a() -> None:
    monday = utc(2018, 11, 19, 10)
    assert A.add_working_days(monday, 7, end_of_day=False) == utc(2018, 11, 28, 10)
    assert A.add_working_days(monday, 7, end_of_day=True) == utc(2018, 11, 28, 20)
    assert A.add_working_days(monday, -7, end_of_day=False) == utc(2018, 11, 8, 10)


def test_working_days_skip_holidays_and_start_from_the_next_working_instant() -> None:
    holiday = BusinessCalendar("UTC", CALENDAR_A.week, {date(2018, 11, 22): ()})
    working = holiday.compile(date(2018, 11, 1), date(2018, 12, 31))
    # Thursday the 22nd does not count: Mon 19 + 7 = Thu 29.
    assert working.add_working_days(utc(2018, 11, 19, 10), 7, end_of_day=False) == utc(
        2018, 11, 29, 10
    )
    # Saturday 24th 10:00 first moves to Monday 26th 08:00; one day on is Tuesday 08:00.
    assert working.add_working_days(utc(2018, 11, 24, 10), 1, end_of_day=False) == utc(
        2018, 11, 27, 8
    )
    # Zero days with end_of_day: the close of the start's own working day.
    assert working.add_working_days(utc(2018, 11, 20, 9), 0, end_of_day=True) == utc(
        2018, 11, 20, 20
    )
    # Counting back from a Saturday, Friday is already one day back.
    assert working.add_working_days(utc(2018, 11, 24, 10), -1, end_of_day=False) == utc(
        2018, 11, 23, 10
    )
    with pytest.raises(OutsideRange):
        working.add_working_days(utc(2018, 12, 20, 10), 30, end_of_day=False)


# ================================================================== the deadline-at-close rule


def test_a_deadline_at_the_close_is_the_closing_instant() -> None:
    monday = utc(2019, 1, 7)
    assert A.add_to(monday + 18 * HOUR, 2 * HOUR) == monday + 20 * HOUR  # not Tue 08:00
    # One second more does roll over to the next opening.
    assert A.add_to(monday + 18 * HOUR, 2 * HOUR + 1) == monday + DAY_SECONDS + 8 * HOUR + 1


def test_next_working_moves_closed_instants_to_the_next_opening() -> None:
    monday = utc(2019, 1, 7)
    tuesday_open = monday + DAY_SECONDS + 8 * HOUR
    saturday = utc(2019, 1, 12, 11)
    instants = np.array([monday + 20 * HOUR, saturday, monday + 10 * HOUR, monday + 8 * HOUR])
    expected = [tuesday_open, utc(2019, 1, 14, 8), monday + 10 * HOUR, monday + 8 * HOUR]
    assert A.next_working(instants).tolist() == expected
    # add(t, 0) is next_working(t).
    assert A.add(instants, np.zeros(4, dtype=np.int64)).tolist() == expected


def test_a_start_in_the_lunch_gap_begins_at_the_afternoon_opening() -> None:
    tuesday = utc(2019, 1, 8)
    assert B.add_to(tuesday + 12 * HOUR + 30 * MINUTE, 1) == tuesday + 14 * HOUR + 1
    assert B.add_to(tuesday + 13 * HOUR, 30 * MINUTE) == tuesday + 14 * HOUR + 30 * MINUTE
    assert B.next_working(np.array([tuesday + 12 * HOUR])).tolist() == [tuesday + 14 * HOUR]


def test_counting_back_lands_on_an_opening_never_on_the_previous_close() -> None:
    tuesday = utc(2019, 1, 8)
    # Tue 14:00 - 4 h: 08:00-12:00 exactly; the latest instant is the 08:00 opening.
    assert B.add_to(tuesday + 14 * HOUR, -4 * HOUR) == tuesday + 8 * HOUR
    # Tue 14:00 - 2 h = 10:00, not reached through the lunch gap's 12:00 close.
    assert B.add_to(tuesday + 14 * HOUR, -2 * HOUR) == tuesday + 10 * HOUR
    # Tue 08:00 - 1 h = Mon 17:00.
    assert B.add_to(tuesday + 8 * HOUR, -HOUR) == tuesday - 7 * HOUR


def test_counting_back_from_after_the_last_close_of_the_range() -> None:
    # Thu 2019-02-28 is the range's last day (closes at 20:00); its end is 2019-03-01 00:00.
    # There is no working time after the instant, but plenty before it to count back through.
    assert A.finish == utc(2019, 3, 1)
    assert A.add_to(A.finish, -HOUR) == utc(2019, 2, 28, 19)
    assert A.add_to(utc(2019, 2, 28, 22), -HOUR) == utc(2019, 2, 28, 19)
    mixed = A.add(np.array([A.finish, utc(2019, 2, 27, 9)]), np.array([-HOUR, HOUR]))
    assert mixed.tolist() == [utc(2019, 2, 28, 19), utc(2019, 2, 27, 10)]


# ================================================================ random calendars (hypothesis)

ZONES = ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC")
FIRST, LAST = date(2023, 1, 1), date(2025, 12, 31)


def clock_changes(zone: str) -> list[date]:
    """The local dates of FIRST..LAST whose UTC offset differs at their start and their end."""
    z = ZoneInfo(zone)
    found = []
    day = FIRST
    while day <= LAST:
        before = datetime.combine(day, time(0), tzinfo=z).utcoffset()
        after = datetime.combine(day + DAY, time(0), tzinfo=z).utcoffset()
        if before != after:
            found.append(day)
        day += DAY
    return found


CHANGES = {zone: clock_changes(zone) for zone in ZONES}


def test_the_zones_change_their_clocks_on_the_expected_dates() -> None:
    assert CHANGES["Europe/Berlin"][:2] == [date(2023, 3, 26), date(2023, 10, 29)]
    assert CHANGES["America/New_York"][:2] == [date(2023, 3, 12), date(2023, 11, 5)]
    assert CHANGES["Australia/Lord_Howe"][:2] == [date(2023, 4, 2), date(2023, 10, 1)]
    assert CHANGES["Asia/Kolkata"] == CHANGES["UTC"] == []
    assert all(len(CHANGES[zone]) == 6 for zone in ZONES[:3])


ANY_SECOND = st.integers(0, DAY_SECONDS)
ANY_MINUTE = st.integers(0, 1440).map(lambda m: m * MINUTE)
NEAR_THE_CHANGES = st.one_of(st.integers(0, 1440), st.integers(60, 240)).map(lambda m: m * MINUTE)
FIVE_MINUTES_AT_NIGHT = st.integers(12, 48).map(lambda m: m * 5 * MINUTE)  # 01:00-04:00
# Clocks change at 01:00-03:00 local time in these zones (Lord Howe by half an hour): a boundary
# strictly inside a skipped or repeated stretch has no single wall-clock reading, so the
# wall-clock oracle only gets boundaries outside (01:00, 02:00) and (02:00, 03:00).
WALL_SAFE_MINUTE = (
    st.integers(0, 1440).filter(lambda m: not (60 < m < 120 or 120 < m < 180)).map(lambda m: m * 60)
)


@st.composite
def day_segments(draw: st.DrawFn, boundaries: st.SearchStrategy[int]) -> tuple[Segment, ...]:
    """0-3 disjoint segments of a day, or several back to back."""
    points = sorted(draw(st.sets(boundaries, max_size=6)))
    if draw(st.booleans()):
        pairs = list(itertools.pairwise(points))
    else:
        pairs = list(zip(points[0::2], points[1::2], strict=False))
    segments = [Segment(start, end) for start, end in pairs]
    return tuple(draw(st.permutations(segments)))  # any order: the calendar sorts them


@st.composite
def calendars(
    draw: st.DrawFn,
    boundaries: st.SearchStrategy[int] = ANY_SECOND,
    zones: tuple[str, ...] = ZONES,
    *,
    changing_days: st.SearchStrategy[int] | None = None,
) -> BusinessCalendar:
    """Random weekly segments and special days (holidays, partial days, one-off exceptions).
    ``changing_days``: boundaries for special days put on every clock-change date instead."""
    zone = draw(st.sampled_from(zones))
    week = tuple(draw(day_segments(boundaries)) for _ in range(7))
    assume(any(week))
    dates = st.dates(FIRST, LAST)
    if CHANGES[zone]:
        dates = st.one_of(dates, st.sampled_from(CHANGES[zone]))
    days = draw(st.dictionaries(dates, day_segments(boundaries), max_size=6))
    if changing_days is not None:
        days = {**days, **{day: draw(day_segments(changing_days)) for day in CHANGES[zone]}}
    return BusinessCalendar(zone, week, days)


def compiled(calendar: BusinessCalendar) -> WorkingTime:
    return calendar.compile(FIRST, LAST)


def instants(working: WorkingTime) -> st.SearchStrategy[int]:
    return st.integers(working.begin, working.finish)


@given(calendars(), st.data())
def test_elapsed_is_additive_and_never_exceeds_wall_clock_time(
    calendar: BusinessCalendar, data: st.DataObject
) -> None:
    working = compiled(calendar)
    a, b, c = sorted(data.draw(st.lists(instants(working), min_size=3, max_size=3)))
    ab, bc, ac = (working.elapsed_between(x, y) for x, y in ((a, b), (b, c), (a, c)))
    assert ac == ab + bc
    assert 0 <= ab <= b - a
    assert 0 <= bc <= c - b
    if a < b:
        assert working.elapsed_between(b, a) == 0


@given(calendars(), st.data())
def test_position_and_add_are_monotone(calendar: BusinessCalendar, data: st.DataObject) -> None:
    working = compiled(calendar)
    points = np.array(sorted(data.draw(st.lists(instants(working), min_size=2, max_size=20))))
    positions = working.position(points)
    assert np.all(np.diff(positions) >= 0)
    assert np.all(np.diff(positions) <= np.diff(points))  # at most one business second a second
    assert positions[0] >= 0
    assert positions[-1] <= working.total

    # add is nondecreasing in the start, for a fixed duration of either sign or zero.
    duration = data.draw(st.integers(-30 * DAY_SECONDS, 30 * DAY_SECONDS))
    targets = positions + duration
    usable = (targets >= 0) & (targets <= working.total)
    if duration == 0:
        usable &= points < working.ends[-1]  # next_working needs a later opening
    reached = working.add(points[usable], np.full(int(usable.sum()), duration))
    assert np.all(np.diff(reached) >= 0)

    # add is strictly increasing in positive durations.
    start = data.draw(instants(working))
    room = working.total - working.position_of(start)
    assume(room > 0)
    durations = np.array(sorted(data.draw(st.sets(st.integers(1, room), min_size=1, max_size=20))))
    reached = working.add(np.full(durations.size, start), durations)
    assert np.all(np.diff(reached) > 0)


def worked(working: WorkingTime, instant: int) -> bool:
    """Whether the second starting at ``instant`` is a business second."""
    return working.elapsed_between(instant, instant + 1) == 1


@given(calendars(), st.data())
def test_add_is_the_inverse_of_elapsed(calendar: BusinessCalendar, data: st.DataObject) -> None:
    working = compiled(calendar)
    t = data.draw(instants(working))
    room = working.total - working.position_of(t)
    assume(room > 0)
    d = data.draw(st.integers(1, room))
    v = working.add_to(t, d)
    # Forward: exactly d business seconds, reached at the earliest such instant (its last
    # second is worked: a deadline at a close is the close, not the next opening).
    assert working.elapsed_between(t, v) == d
    assert worked(working, v - 1)
    assert working.elapsed_between(t, v - 1) == d - 1

    # add(t, elapsed(t, u)) for u ≥ t: when elapsed(t, u) > 0 the result is ≤ u, and it equals
    # u exactly when the second before u is worked (u is inside or at the close of a working
    # interval); otherwise u lies in a gap (or at an opening) and the result is the close that
    # began the gap. When elapsed(t, u) = 0 the result is next_working(t), which may be after u.
    u = data.draw(st.integers(t, working.finish))
    e = working.elapsed_between(t, u)
    back = working.add_to(t, e)
    if e > 0:
        assert back <= u
        assert (back == u) == worked(working, u - 1)
        assert working.elapsed_between(back, u) == 0
        assert worked(working, back - 1)
    elif t < working.ends[-1]:
        assert back == int(working.next_working(np.array([t]))[0])


@given(calendars(), st.data())
def test_counting_back_inverts_elapsed(calendar: BusinessCalendar, data: st.DataObject) -> None:
    working = compiled(calendar)
    t = data.draw(instants(working))
    before = working.position_of(t)
    d = data.draw(st.integers(1, max(1, before + 5)))
    if d > before:
        with pytest.raises(OutsideRange):
            working.add_to(t, -d)
        return
    v = working.add_to(t, -d)
    assert v <= t
    assert working.elapsed_between(v, t) == d
    # The latest such instant: the second at v is worked (an opening, never a close).
    assert worked(working, v)


ALWAYS = {zone: always(zone).compile(FIRST, LAST) for zone in ZONES}


@pytest.mark.parametrize("zone", ZONES)
@given(data=st.data())
def test_a_24x7_calendar_is_the_wall_clock(zone: str, data: st.DataObject) -> None:
    working = ALWAYS[zone]
    assert working.total == working.finish - working.begin
    a, b = data.draw(st.lists(instants(working), min_size=2, max_size=2))
    assert working.elapsed_between(a, b) == max(0, b - a)
    d = data.draw(st.integers(-(a - working.begin), working.finish - a))
    if d == 0 and a == working.finish:
        return  # add(t, 0) = next_working(t): nothing works after the range
    assert working.add_to(a, d) == a + d


def test_a_24x7_calendar_is_one_interval_from_local_midnight_to_local_midnight() -> None:
    for zone, working in ALWAYS.items():
        assert len(working.starts) == 1
        assert working.begin == wall(zone, FIRST)
        assert working.finish == wall(zone, LAST + DAY)


@given(calendars(), st.data())
def test_the_vectorised_and_scalar_paths_agree(
    calendar: BusinessCalendar, data: st.DataObject
) -> None:
    working = compiled(calendar)
    points = data.draw(st.lists(instants(working), min_size=1, max_size=25))
    positions = working.position(np.array(points))
    assert positions.tolist() == [working.position_of(t) for t in points]

    wanted = data.draw(st.lists(st.integers(0, working.total), min_size=1, max_size=25))
    assert working.instant_at(np.array(wanted)).tolist() == [working.instant_of(p) for p in wanted]
    # The latest instant at each position: pos(u) = p and, below the total, u is worked.
    latest = working.instant_at(np.array(wanted), latest=True)
    assert working.position(latest).tolist() == wanted
    for p, u in zip(wanted, latest.tolist(), strict=True):
        assert p == working.total or worked(working, u)

    # add over a batch of mixed signs equals one add_to per element.
    durations = [
        data.draw(st.integers(-working.position_of(t), working.total - working.position_of(t)))
        for t in points
    ]
    assume(all(d != 0 or t < working.ends[-1] for t, d in zip(points, durations, strict=True)))
    batch = working.add(np.array(points), np.array(durations))
    assert batch.tolist() == [working.add_to(t, d) for t, d in zip(points, durations, strict=True)]


# ------------------------------------------------------------------- brute-force oracles


def local_segments(calendar: BusinessCalendar, day: date) -> tuple[Segment, ...]:
    found = calendar.days.get(day)
    return found if found is not None else calendar.week[day.weekday()]


def wall_clock_minutes(calendar: BusinessCalendar, a: int, b: int) -> int:
    """Business seconds in [a, b): every UTC minute whose local wall time lies in a segment of
    its local date. Zone offsets are whole half hours, so UTC minutes are local minutes."""
    zone = ZoneInfo(calendar.time_zone)
    count = 0
    for minute in range(a, b, MINUTE):
        reading = datetime.fromtimestamp(minute, zone)
        second = reading.hour * HOUR + reading.minute * MINUTE
        count += any(s.start <= second < s.end for s in local_segments(calendar, reading.date()))
    return count * MINUTE


def fold0_minutes(calendar: BusinessCalendar, a: int, b: int) -> int:
    """Business seconds in [a, b) by the module's rule for boundaries on changing days: each
    segment of each local date runs between its boundaries read with fold=0; count the UTC
    minutes that lie in any of them."""
    zone = ZoneInfo(calendar.time_zone)
    spans = []
    day = datetime.fromtimestamp(a, zone).date() - DAY
    while day <= datetime.fromtimestamp(b, zone).date() + DAY:
        for s in local_segments(calendar, day):
            spans.append(
                (wall(calendar.time_zone, day, s.start), wall(calendar.time_zone, day, s.end))
            )
        day += DAY
    count = sum(any(lo <= m < hi for lo, hi in spans) for m in range(a, b, MINUTE))
    return count * MINUTE


@st.composite
def small_windows(draw: st.DrawFn, calendar: BusinessCalendar) -> tuple[int, int]:
    """A few days' span of whole UTC minutes, often around a clock change or a special day."""
    # Whole UTC days from the day before ``around``: keep clear of the range's local ends.
    lowest, highest = FIRST + 2 * DAY, LAST - 7 * DAY
    dates = st.dates(lowest, highest)
    special = [d for d in [*CHANGES[calendar.time_zone], *calendar.days] if lowest <= d <= highest]
    if special:
        dates = st.one_of(dates, st.sampled_from(special))
    around = draw(dates)
    start = utc(around.year, around.month, around.day) - DAY_SECONDS
    a = start + draw(st.integers(0, 3 * 1440)) * MINUTE
    b = a + draw(st.integers(-60, 3 * 1440)) * MINUTE
    return a, b


@given(calendars(boundaries=WALL_SAFE_MINUTE), st.data())
def test_elapsed_counts_the_worked_minutes_of_the_local_wall_clock(
    calendar: BusinessCalendar, data: st.DataObject
) -> None:
    working = compiled(calendar)
    a, b = data.draw(small_windows(calendar))
    expected = wall_clock_minutes(calendar, a, b)
    assert working.elapsed_between(a, b) == expected
    assert working.elapsed(np.array([a]), np.array([b])).tolist() == [expected]


@given(
    calendars(boundaries=NEAR_THE_CHANGES, zones=ZONES[:3], changing_days=FIVE_MINUTES_AT_NIGHT),
    st.data(),
)
def test_elapsed_counts_the_worked_minutes_with_boundaries_inside_clock_changes(
    calendar: BusinessCalendar, data: st.DataObject
) -> None:
    working = compiled(calendar)
    a, b = data.draw(small_windows(calendar))
    assert working.elapsed_between(a, b) == fold0_minutes(calendar, a, b)
    for day in CHANGES[calendar.time_zone]:  # every changing day, whole
        a, b = wall(calendar.time_zone, day), wall(calendar.time_zone, day + DAY)
        assert working.elapsed_between(a, b) == fold0_minutes(calendar, a, b), day


# ============================================================================= clock changes


def every_day(zone: str, *segments: Segment, first: date, last: date) -> WorkingTime:
    return BusinessCalendar(zone, (segments,) * 7).compile(first, last)


def business_day(working: WorkingTime, zone: str, day: date) -> int:
    """Business seconds from the local midnight of ``day`` to the next one."""
    return working.elapsed_between(wall(zone, day), wall(zone, day + DAY))


@pytest.mark.parametrize(
    ("zone", "spring", "autumn"),
    [
        ("Europe/Berlin", date(2026, 3, 29), date(2026, 10, 25)),
        ("America/New_York", date(2026, 3, 8), date(2026, 11, 1)),
    ],
)
def test_business_days_on_clock_change_days(zone: str, spring: date, autumn: date) -> None:
    first, last = date(2026, 1, 1), date(2026, 12, 31)
    whole = every_day(zone, Segment.of("00:00", "24:00"), first=first, last=last)
    assert business_day(whole, zone, spring) == 23 * HOUR
    assert business_day(whole, zone, autumn) == 25 * HOUR
    assert business_day(whole, zone, spring - DAY) == 24 * HOUR
    assert business_day(whole, zone, autumn + DAY) == 24 * HOUR

    office = every_day(zone, Segment.of("08:00", "17:00"), first=first, last=last)
    for day in (spring, autumn):
        assert business_day(office, zone, day) == 9 * HOUR
        # 17:00 is 17:00 local: nine hours after the 08:00 opening of the day.
        assert office.add_to(wall(zone, day, 8 * HOUR), 9 * HOUR) == wall(zone, day, 17 * HOUR)

    # The segment spanning the change loses the missing hour in spring and gains the
    # repeated hour in autumn (Berlin changes at 02:00-03:00, New York at 01:00-02:00 or
    # 02:00-03:00: 01:00-04:00 spans both).
    night = Segment.of("01:00", "04:00")
    nights = BusinessCalendar(zone, week_of(), {spring: (night,), autumn: (night,)})
    working = nights.compile(first, last)
    assert business_day(working, zone, spring) == 2 * HOUR
    assert business_day(working, zone, autumn) == 4 * HOUR
    assert working.total == 6 * HOUR


def test_a_boundary_inside_the_missing_hour_moves_forward_with_the_wall_clock() -> None:
    # Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC). 02:30 read with fold=0 is
    # 02:30 CET = 01:30 UTC = 03:30 CEST, so 02:30-04:00 works 03:30-04:00 CEST: half an hour.
    day = date(2026, 3, 29)
    calendar = BusinessCalendar("Europe/Berlin", week_of(), {day: (Segment.of("02:30", "04:00"),)})
    working = calendar.compile(day - DAY, day + DAY)
    assert working.starts.tolist() == [utc(2026, 3, 29, 1, 30)]
    assert working.total == 30 * MINUTE


def test_a_segment_before_a_shifted_one_in_the_missing_hour_keeps_its_time() -> None:
    # Berlin 2026-03-29: 02:15-02:30 (fold=0) is 01:15-01:30 UTC, 03:00-03:10 CEST is 01:00-01:10
    # UTC. Sorted by wall time the second starts earlier in UTC: both must be worked (25 min).
    day = date(2026, 3, 29)
    shifted, real = Segment.of("02:15", "02:30"), Segment.of("03:00", "03:10")
    calendar = BusinessCalendar("Europe/Berlin", week_of(), {day: (shifted, real)})
    working = calendar.compile(day - DAY, day + DAY)
    assert working.elapsed_between(utc(2026, 3, 29, 1), utc(2026, 3, 29, 1, 10)) == 10 * MINUTE
    assert working.total == 25 * MINUTE
    assert np.all(working.starts[1:] > working.ends[:-1])


def test_working_days_keep_the_local_time_across_a_clock_change() -> None:
    zone = "Europe/Berlin"
    working = BusinessCalendar(zone, week_of(*((Segment.of("08:00", "18:00"),),) * 5)).compile(
        date(2026, 3, 1), date(2026, 4, 30)
    )
    # Fri 2026-03-27 10:00 CET + 1 working day = Mon 2026-03-30 10:00 CEST (71 h later).
    friday = wall(zone, date(2026, 3, 27), 10 * HOUR)
    monday = wall(zone, date(2026, 3, 30), 10 * HOUR)
    assert working.add_working_days(friday, 1, end_of_day=False) == monday
    assert monday - friday == 71 * HOUR
    assert working.add_working_days(monday, -1, end_of_day=False) == friday
    assert working.add_working_days(friday, 1, end_of_day=True) == wall(
        zone, date(2026, 3, 30), 18 * HOUR
    )


# ==================================================================================== errors


def test_instants_and_results_outside_the_range_are_refused() -> None:
    with pytest.raises(OutsideRange):
        A.position_of(A.begin - 1)
    with pytest.raises(OutsideRange):
        A.position_of(A.finish + 1)
    with pytest.raises(OutsideRange):
        A.position(np.array([A.begin, A.finish + 1]))
    with pytest.raises(OutsideRange):
        A.elapsed(np.array([A.begin - 1]), np.array([A.begin]))
    with pytest.raises(OutsideRange):
        A.add_to(utc(2019, 2, 28, 10), 11 * HOUR)  # past the last close
    with pytest.raises(OutsideRange):
        A.add_to(utc(2018, 10, 1, 10), -3 * HOUR)  # before the first opening
    with pytest.raises(OutsideRange):
        A.next_working(np.array([utc(2019, 2, 28, 21)]))  # no later opening
    with pytest.raises(OutsideRange):
        A.instant_of(A.total + 1)
    with pytest.raises(OutsideRange):
        A.instant_at(np.array([-1]))
    # The range's own limits are inside it.
    assert A.position_of(A.begin) == 0
    assert A.position_of(A.finish) == A.total
    assert A.add_to(utc(2019, 2, 28, 10), 10 * HOUR) == utc(2019, 2, 28, 20)
    assert A.add_to(utc(2018, 10, 1, 10), -2 * HOUR) == utc(2018, 10, 1, 8)


def test_outside_range_is_a_value_error() -> None:
    assert issubclass(OutsideRange, ValueError)


@pytest.mark.parametrize(
    "text", ["8:00", "08:0", "24:01", "25:00", "12:60", "12:00:60", "ab:cd", "12", "1:2:3:4", ""]
)
def test_bad_times_of_day_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="time of day"):
        Segment.of(text, "23:00")


def test_times_of_day_read_as_seconds_after_midnight() -> None:
    assert Segment.of("00:00", "24:00") == Segment(0, DAY_SECONDS)
    assert Segment.of("08:30", "17:45:10") == Segment(8 * HOUR + 30 * MINUTE, 17 * HOUR + 2710)
    assert Segment.of("09:00", "17:00").seconds == 8 * HOUR


@pytest.mark.parametrize(
    ("start", "end"), [("10:00", "09:00"), ("10:00", "10:00"), ("00:00", "00:00")]
)
def test_a_segment_runs_forward(start: str, end: str) -> None:
    with pytest.raises(ValueError, match="runs forward"):
        Segment.of(start, end)


def test_a_segment_stays_within_one_day() -> None:
    with pytest.raises(ValueError, match="runs forward"):
        Segment(0, DAY_SECONDS + 1)
    with pytest.raises(ValueError, match="runs forward"):
        Segment(-1, 10)


def test_overlapping_segments_are_refused_and_touching_ones_merge() -> None:
    morning, late_morning = Segment.of("08:00", "12:00"), Segment.of("11:00", "13:00")
    with pytest.raises(ValueError, match="overlap"):
        BusinessCalendar("UTC", week_of((), (late_morning, morning)))
    with pytest.raises(ValueError, match="overlap"):
        BusinessCalendar("UTC", week_of(), {date(2019, 1, 7): (morning, late_morning)})
    afternoon = Segment.of("12:00", "17:00")
    touching = BusinessCalendar("UTC", week_of((afternoon, morning))).compile(
        date(2019, 1, 7), date(2019, 1, 7)
    )
    assert touching.starts.tolist() == [utc(2019, 1, 7, 8)]
    assert touching.ends.tolist() == [utc(2019, 1, 7, 17)]


def test_a_calendar_without_working_time_cannot_compile() -> None:
    with pytest.raises(ValueError, match="no working time"):
        BusinessCalendar("UTC", week_of()).compile(date(2019, 1, 1), date(2019, 12, 31))
    # Nor does a range made only of holidays.
    holidays = {date(2019, 1, 7) + i * DAY: () for i in range(7)}
    with pytest.raises(ValueError, match="no working time"):
        BusinessCalendar("UTC", CALENDAR_A.week, holidays).compile(
            date(2019, 1, 7), date(2019, 1, 13)
        )


def test_calendars_need_seven_days_a_known_zone_and_a_forward_range() -> None:
    with pytest.raises(ValueError, match="seven days"):
        BusinessCalendar("UTC", CALENDAR_A.week[:6])
    with pytest.raises(ZoneInfoNotFoundError):
        BusinessCalendar("Nowhere/Atlantis", CALENDAR_A.week)
    with pytest.raises(ValueError, match="ends before it starts"):
        CALENDAR_A.compile(date(2019, 1, 2), date(2019, 1, 1))


def test_epoch_seconds_need_an_aware_datetime_and_drop_fractions() -> None:
    with pytest.raises(ValueError, match="naive"):
        epoch_seconds(datetime(2019, 1, 1))  # noqa: DTZ001 - the input under test
    instant = datetime(2019, 1, 1, 8, 0, 0, 999_999, tzinfo=UTC)
    assert epoch_seconds(instant) == utc(2019, 1, 1, 8)
    assert from_epoch(utc(2019, 1, 1, 8)) == datetime(2019, 1, 1, 8, tzinfo=UTC)
    before_epoch = datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC)
    assert epoch_seconds(before_epoch) == -1


def test_working_days_keep_the_result_inside_the_target_days_working_time() -> None:
    """Counting back from after hours lands on the earlier day's close, not on the start's own
    day; from before opening, on the earlier day's opening; forward from a weekend, Monday's
    opening is day 0."""
    assert A.add_working_days(utc(2019, 1, 7, 21), -1, end_of_day=False) == utc(2019, 1, 4, 20)
    assert A.add_working_days(utc(2019, 1, 7, 7), -1, end_of_day=False) == utc(2019, 1, 4, 8)
    assert A.add_working_days(utc(2019, 1, 5, 10), 1, end_of_day=False) == utc(2019, 1, 8, 8)
    assert A.add_working_days(utc(2019, 1, 5, 10), -1, end_of_day=False) == utc(2019, 1, 4, 10)
    # Calendar B's Tuesday breaks for lunch: Monday 13:00 + 1 working day = Tuesday 14:00.
    assert B.add_working_days(utc(2019, 1, 7, 13), 1, end_of_day=False) == utc(2019, 1, 8, 14)


@given(calendars(), st.data())
def test_working_days_vectorised_equals_one_at_a_time(
    calendar: BusinessCalendar, data: st.DataObject
) -> None:
    working = compiled(calendar)
    span = working.finish - working.begin
    starts = data.draw(
        st.lists(
            st.integers(working.begin + span // 4, working.finish - span // 4),
            min_size=1,
            max_size=20,
        )
    )
    counts = data.draw(st.lists(st.integers(-5, 5), min_size=len(starts), max_size=len(starts)))
    end_of_day = data.draw(st.booleans())
    try:
        one_by_one = [
            working.add_working_days(s, c, end_of_day=end_of_day)
            for s, c in zip(starts, counts, strict=True)
        ]
    except OutsideRange:
        with pytest.raises(OutsideRange):
            working.working_days_after(
                np.asarray(starts), np.asarray(counts), end_of_day=end_of_day
            )
        return
    together = working.working_days_after(
        np.asarray(starts), np.asarray(counts), end_of_day=end_of_day
    )
    assert together.tolist() == one_by_one
    for start, count, found in zip(starts, counts, one_by_one, strict=True):
        if count > 0:
            assert found > start
        # Every result is a working instant or a day's close.
        assert working.next_working_of(found) == found or found in working.days.closings.tolist()
