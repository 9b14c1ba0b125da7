"""Rolling and calendar SLO periods, bucket indices (accord.engine.periods)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.engine.periods import (
    CalendarUnit,
    bucket_index,
    calendar_window,
    previous_periods,
    rolling_window,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
NAIVE = datetime(2026, 10, 15, 12)  # noqa: DTZ001 - the input under test


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ================================================================================= rolling


def test_a_rolling_window_is_the_days_before_the_end() -> None:
    start, end = rolling_window(utc(2026, 3, 30, 12), 28)
    assert (start, end) == (utc(2026, 3, 2, 12), utc(2026, 3, 30, 12))


def test_a_rolling_window_ignores_clock_changes_and_returns_utc() -> None:
    # Across Berlin's spring change the window is still 30 * 24 h of real time.
    end = datetime(2026, 4, 10, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    start, stop = rolling_window(end, 30)
    assert stop - start == 30 * DAY
    assert stop == utc(2026, 4, 10, 10)
    assert stop.tzinfo is UTC


def test_rolling_windows_need_an_aware_end_and_a_day() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        rolling_window(NAIVE, 30)
    with pytest.raises(ValueError, match="at least one day"):
        rolling_window(utc(2026, 1, 1), 0)


# ================================================================================ calendar


def test_a_berlin_month_with_the_autumn_change_is_an_hour_longer() -> None:
    # 1 Oct 00:00 CEST (+2) = 30 Sep 22:00 UTC; 1 Nov 00:00 CET (+1) = 31 Oct 23:00 UTC.
    start, end = calendar_window(utc(2026, 10, 15, 12), "month", "Europe/Berlin")
    assert (start, end) == (utc(2026, 9, 30, 22), utc(2026, 10, 31, 23))
    assert end - start == 31 * DAY + HOUR


def test_a_berlin_month_with_the_spring_change_is_an_hour_shorter() -> None:
    # 1 Mar 00:00 CET = 28 Feb 23:00 UTC; 1 Apr 00:00 CEST = 31 Mar 22:00 UTC.
    start, end = calendar_window(utc(2026, 3, 29, 12), CalendarUnit.MONTH, "Europe/Berlin")
    assert (start, end) == (utc(2026, 2, 28, 23), utc(2026, 3, 31, 22))
    assert end - start == 31 * DAY - HOUR


def test_new_york_months_across_both_changes() -> None:
    # March 2026 (EST -5 to EDT -4 on the 8th): 05:00 UTC to 04:00 UTC, 31 days less an hour.
    start, end = calendar_window(utc(2026, 3, 20), "month", "America/New_York")
    assert (start, end) == (utc(2026, 3, 1, 5), utc(2026, 4, 1, 4))
    # November 2026 (back to EST on the 1st at 02:00, after midnight): 30 days and an hour.
    start, end = calendar_window(utc(2026, 11, 1, 12), "month", "America/New_York")
    assert (start, end) == (utc(2026, 11, 1, 4), utc(2026, 12, 1, 5))
    assert end - start == 30 * DAY + HOUR


def test_the_local_date_decides_the_period() -> None:
    # 31 Oct 23:30 UTC is 1 Nov 00:30 in Berlin: November there.
    start, _ = calendar_window(utc(2026, 10, 31, 23, 30), "month", "Europe/Berlin")
    assert start == utc(2026, 10, 31, 23)
    # One minute before local midnight: still October.
    start, end = calendar_window(utc(2026, 10, 31, 22, 59), "month", "Europe/Berlin")
    assert (start, end) == (utc(2026, 9, 30, 22), utc(2026, 10, 31, 23))
    # The same instant in New York is still 31 October.
    start, _ = calendar_window(utc(2026, 10, 31, 23, 30), "month", "America/New_York")
    assert start == utc(2026, 10, 1, 4)


def test_the_start_belongs_to_the_period_and_the_end_to_the_next() -> None:
    start, end = calendar_window(utc(2026, 10, 15), "month", "Europe/Berlin")
    assert calendar_window(start, "month", "Europe/Berlin") == (start, end)
    assert calendar_window(end, "month", "Europe/Berlin")[0] == end


def test_weeks_start_on_monday() -> None:
    # Sunday 25 Oct 2026 is the autumn change: Mon 19 Oct 00:00 CEST to Mon 26 Oct 00:00 CET.
    start, end = calendar_window(utc(2026, 10, 25, 12), "week", "Europe/Berlin")
    assert (start, end) == (utc(2026, 10, 18, 22), utc(2026, 10, 25, 23))
    assert end - start == 7 * DAY + HOUR
    assert start.astimezone(ZoneInfo("Europe/Berlin")).weekday() == 0
    # A Monday is the first day of its own week.
    assert calendar_window(utc(2026, 10, 26, 12), "week", "UTC")[0] == utc(2026, 10, 26)


def test_quarters_in_berlin() -> None:
    zone = "Europe/Berlin"
    # Q1-Q4 2026 start at local midnight on 1 Jan (CET), 1 Apr, 1 Jul, 1 Oct (CEST).
    assert calendar_window(utc(2026, 2, 14), "quarter", zone) == (
        utc(2025, 12, 31, 23),
        utc(2026, 3, 31, 22),
    )
    assert calendar_window(utc(2026, 4, 1, 12), "quarter", zone) == (
        utc(2026, 3, 31, 22),
        utc(2026, 6, 30, 22),
    )
    assert calendar_window(utc(2026, 9, 30, 21), "quarter", zone) == (
        utc(2026, 6, 30, 22),
        utc(2026, 9, 30, 22),
    )
    # Q4 runs into the next year: 92 days and the autumn hour.
    start, end = calendar_window(utc(2026, 12, 31, 22, 59), "quarter", zone)
    assert (start, end) == (utc(2026, 9, 30, 22), utc(2026, 12, 31, 23))
    assert end - start == 92 * DAY + HOUR
    # New Year's Eve 23:00 UTC is already 2027 in Berlin.
    assert calendar_window(utc(2026, 12, 31, 23), "quarter", zone)[0] == utc(2026, 12, 31, 23)


def test_a_period_starting_at_a_missing_midnight_starts_at_the_first_instant_of_the_day() -> None:
    # Paraguay moved its clocks from 00:00 to 01:00 on 1 Oct 2023: the month began at 01:00
    # local (-03), the instant that ended September, 04:00 UTC.
    zone = ZoneInfo("America/Asuncion")
    start, _ = calendar_window(utc(2023, 10, 15), "month", "America/Asuncion")
    assert start == utc(2023, 10, 1, 4)
    assert start.astimezone(zone).hour == 1
    assert calendar_window(utc(2023, 9, 15), "month", "America/Asuncion")[1] == start


def test_calendar_windows_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        calendar_window(NAIVE, "month", "UTC")
    with pytest.raises(ValueError, match="fortnight"):
        calendar_window(utc(2026, 1, 1), "fortnight", "UTC")
    with pytest.raises(ValueError, match="unknown time zone"):
        calendar_window(utc(2026, 1, 1), "month", "Mars/Olympus_Mons")


def test_previous_periods_are_the_complete_ones_before_oldest_first() -> None:
    periods = previous_periods(utc(2026, 2, 10), "month", "Europe/Berlin", 3)
    assert periods == [
        (utc(2025, 10, 31, 23), utc(2025, 11, 30, 23)),
        (utc(2025, 11, 30, 23), utc(2025, 12, 31, 23)),
        (utc(2025, 12, 31, 23), utc(2026, 1, 31, 23)),
    ]
    assert previous_periods(utc(2026, 2, 10), "month", "UTC", 0) == []
    with pytest.raises(ValueError, match="negative"):
        previous_periods(utc(2026, 2, 10), "month", "UTC", -1)


zones = st.sampled_from(
    ["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]
)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2037, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@given(instants, st.sampled_from(list(CalendarUnit)), zones, st.integers(0, 14))
def test_calendar_periods_tile_time(
    at: datetime, unit: CalendarUnit, zone: str, count: int
) -> None:
    start, end = calendar_window(at, unit, zone)
    assert start <= at < end
    local = start.astimezone(ZoneInfo(zone))
    assert (local.hour, local.minute) == (0, 0)
    if unit is CalendarUnit.WEEK:
        assert local.weekday() == 0
    else:
        assert local.day == 1
        assert unit is CalendarUnit.MONTH or local.month in (1, 4, 7, 10)
    periods = [*previous_periods(at, unit, zone, count), (start, end)]
    assert len(periods) == count + 1
    for (_, a_end), (b_start, _) in itertools.pairwise(periods):
        assert a_end == b_start
    for a, b in periods:
        assert calendar_window(a, unit, zone) == (a, b)


# =================================================================================== buckets


def test_bucket_index_floors_to_the_bucket_containing_the_instant() -> None:
    origin = utc(2026, 1, 1)
    assert bucket_index(utc(2026, 1, 1, 0, 4, 59), origin, 300) == 0
    assert bucket_index(utc(2026, 1, 1, 0, 5), origin, 300) == 1
    assert bucket_index(utc(2026, 1, 31), origin, 300) == 30 * 288
    assert bucket_index(utc(2025, 12, 31, 23, 59), origin, 300) == -1
    assert bucket_index(utc(2026, 1, 1, 1), origin, timedelta(minutes=30)) == 2


def test_bucket_index_is_exact_and_zone_blind() -> None:
    origin = utc(2026, 1, 1)
    just_before = utc(2026, 1, 1, 0, 5) - timedelta(microseconds=1)
    assert bucket_index(just_before, origin, 300) == 0
    berlin = datetime(2026, 1, 1, 1, 5, tzinfo=ZoneInfo("Europe/Berlin"))  # 00:05 UTC
    assert bucket_index(berlin, origin, 300) == 1


def test_bucket_index_rejects_naive_instants_and_empty_grains() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        bucket_index(NAIVE, utc(2026, 1, 1), 300)
    with pytest.raises(ValueError, match="UTC offset"):
        bucket_index(utc(2026, 1, 1), NAIVE, 300)
    with pytest.raises(ValueError, match="grain"):
        bucket_index(utc(2026, 1, 1), utc(2026, 1, 1), 0)
