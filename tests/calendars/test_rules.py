"""Calendar rules without a database: definition checks, compilation into the engine's calendar
(week, national holidays, custom days), the compiled-years cache and the arithmetic around it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from accord.calendars import rules
from accord.calendars.schemas import CalendarCreate
from accord.engine.calendars import OutsideRange, Segment, always
from accord.kit.errors import InvalidTransition, RuleViolation, located
from tests.calendars.documents import body, definition

NINE_TO_SIX = [["09:00", "18:00"]]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def hours(definition_: Any, day: date) -> float:
    """Business hours worked on one UTC date."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    return rules.elapsed(definition_, start, start + timedelta(days=1)).seconds / 3600


def bavaria(**overrides: Any) -> Any:
    return definition(
        time_zone="UTC",
        week=[NINE_TO_SIX] * 5 + [[], []],
        holiday_country="DE",
        holiday_subdivision="BY",
        **overrides,
    )


# ----------------------------------------------------------------------------------- holidays


def test_bavarian_holidays_include_epiphany() -> None:
    calendar = rules.engine_calendar(bavaria(), range(2026, 2027))
    assert calendar.days[date(2026, 1, 6)] == ()  # Epiphany (Heilige Drei Könige), a Tuesday
    assert calendar.days[date(2026, 1, 1)] == ()
    assert calendar.segments_on(date(2026, 1, 6)) == ()
    assert hours(bavaria(), date(2026, 1, 6)) == 0
    assert hours(bavaria(), date(2026, 1, 7)) == 9


def test_epiphany_is_regional() -> None:
    """Germany as a whole does not rest on 6 January; Bavaria does."""
    national = definition(week=[NINE_TO_SIX] * 5 + [[], []], holiday_country="DE")
    assert date(2026, 1, 6) not in rules.engine_calendar(national, range(2026, 2027)).days
    assert hours(national, date(2026, 1, 6)) == 9
    assert hours(national, date(2026, 5, 1)) == 0  # Labour Day is national


def test_holidays_come_for_the_years_asked() -> None:
    calendar = rules.engine_calendar(bavaria(), range(2030, 2032))
    assert {date(2030, 1, 6), date(2031, 1, 6)} <= set(calendar.days)
    assert date(2026, 1, 6) not in calendar.days


def test_a_custom_day_overrides_a_national_holiday() -> None:
    working_epiphany = bavaria(
        days=[{"date": "2026-01-06", "segments": [["09:00", "12:00"]], "note": "on call"}]
    )
    calendar = rules.engine_calendar(working_epiphany, range(2026, 2027))
    assert calendar.days[date(2026, 1, 6)] == (Segment.of("09:00", "12:00"),)
    assert hours(working_epiphany, date(2026, 1, 6)) == 3
    assert hours(working_epiphany, date(2026, 1, 1)) == 0  # other holidays stay


def test_partial_days_custom_holidays_and_one_off_exceptions() -> None:
    custom = bavaria(
        days=[
            {"date": "2026-12-24", "segments": [["09:00", "12:00"]], "note": "Christmas Eve"},
            {"date": "2026-11-20", "segments": []},  # a Friday off
            {"date": "2026-11-21", "segments": [["10:00", "14:00"]]},  # a Saturday release
        ]
    )
    assert hours(custom, date(2026, 12, 24)) == 3
    assert hours(custom, date(2026, 11, 20)) == 0
    assert hours(custom, date(2026, 11, 21)) == 4
    assert hours(custom, date(2026, 11, 19)) == 9
    assert hours(custom, date(2026, 11, 22)) == 0  # Sunday


def test_24x7_is_always_in_utc() -> None:
    assert rules.engine_calendar(rules.BUILT_IN, range(2026, 2027)) == always()
    assert rules.engine_calendar(rules.BUILT_IN, range(2026, 2027)).time_zone == "UTC"
    assert hours(rules.BUILT_IN, date(2026, 1, 1)) == 24


# --------------------------------------------------------------------------------- definitions


def test_overlapping_segments_are_a_rule_violation_naming_the_day() -> None:
    week = [[["08:00", "12:00"]], [["08:00", "12:00"], ["11:00", "13:00"]], [], [], [], [], []]
    with pytest.raises(RuleViolation) as raised:
        rules.check_definition(CalendarCreate.model_validate(body(week=week)))
    assert raised.value.rule == "segments-overlap"
    assert [p.field for p in raised.value.problems] == ["week.1"]

    days = [{"date": "2026-01-02", "segments": [["08:00", "12:00"], ["08:00", "09:00"]]}]
    with pytest.raises(RuleViolation) as raised:
        rules.check_definition(CalendarCreate.model_validate(body(days=days)))
    assert [p.field for p in raised.value.problems] == ["days.0.segments"]


def test_touching_segments_are_fine() -> None:
    week = [[["12:00", "17:00"], ["08:00", "12:00"]]] + [[]] * 6
    rules.check_definition(CalendarCreate.model_validate(body(week=week)))


def test_a_week_without_working_time_is_refused() -> None:
    holiday_only = body(
        week=[[]] * 7, days=[{"date": "2026-01-03", "segments": [["08:00", "09:00"]]}]
    )
    with pytest.raises(RuleViolation) as raised:
        rules.check_definition(CalendarCreate.model_validate(holiday_only))
    assert raised.value.rule == "calendar-without-working-time"
    assert [p.field for p in raised.value.problems] == ["week"]


def test_the_built_in_code_is_reserved() -> None:
    with pytest.raises(InvalidTransition) as raised:
        rules.check_code("24x7")
    assert (raised.value.rule, raised.value.status) == ("calendar-built-in", 409)
    rules.check_code("business-hours-eu")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "utc"}, "time_zone"),
        ({"week": [[]] * 6}, "week"),
        ({"week": [[["24:00", "24:00"]]] + [[]] * 6}, "week.0.0.0"),
        ({"week": [[["8:00", "12:00"]]] + [[]] * 6}, "week.0.0.0"),
        ({"week": [[["08:00", "24:01"]]] + [[]] * 6}, "week.0.0.1"),
        ({"week": [[["18:00", "08:00"]]] + [[]] * 6}, "week.0.0"),
        ({"week": [[["08:00", "08:00"]]] + [[]] * 6}, "week.0.0"),
        ({"week": [[["08:00"]]] + [[]] * 6}, "week.0.0.1"),
        ({"holiday_country": "XX"}, "holiday_country"),
        ({"holiday_country": "de"}, "holiday_country"),
        ({"holiday_country": "DE", "holiday_subdivision": "XX"}, "holiday_subdivision"),
        ({"holiday_country": "DE", "holiday_subdivision": "Bayern"}, "holiday_subdivision"),
        ({"holiday_subdivision": "BY"}, "holiday_subdivision"),
        (
            {
                "days": [
                    {"date": "2026-01-02", "segments": []},
                    {"date": "2026-01-02", "segments": []},
                ]
            },
            "days.1.date",
        ),
        ({"days": [{"date": "2026-02-30", "segments": []}]}, "days.0.date"),
        ({"code": "24 7"}, "code"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_definitions_name_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        CalendarCreate.model_validate(body(**overrides))
    fields = {".".join(located(e)[0]) for e in raised.value.errors()}
    assert field in fields


def test_good_definitions() -> None:
    calendar = CalendarCreate.model_validate(
        body(
            time_zone="America/New_York",
            week=[[["00:00", "24:00"]], [["08:00", "12:00"], ["13:00", "17:30"]]] + [[]] * 5,
            holiday_country="US",
            holiday_subdivision="NY",
        )
    )
    assert calendar.week[0] == [("00:00", "24:00")]


# ---------------------------------------------------------------------------------- compiling


def test_compiled_working_time_is_cached_by_content_not_by_code() -> None:
    first = definition(code="one", name="One")
    same = definition(code="two", name="Two")
    other = definition(week=[[["08:00", "19:00"]]] * 5 + [[], []])
    assert first.content_hash == same.content_hash != other.content_hash
    compiled = rules.compiled(first, date(2026, 3, 1), date(2026, 3, 2))
    assert rules.compiled(same, date(2026, 7, 1), date(2026, 12, 31)) is compiled
    assert rules.compiled(other, date(2026, 3, 1), date(2026, 3, 2)) is not compiled
    assert not compiled.starts.flags.writeable


def test_compiled_ranges_are_whole_calendar_years() -> None:
    compiled = rules.compiled(definition(), date(2026, 3, 1), date(2027, 2, 1))
    assert compiled.begin == int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
    assert compiled.finish == int(datetime(2028, 1, 1, tzinfo=UTC).timestamp())


# -------------------------------------------------------------------------------- arithmetic


def test_elapsed_lists_the_worked_intervals() -> None:
    result = rules.elapsed(definition(), utc("2019-01-04T19:00"), utc("2019-01-08T09:30"))
    assert result.seconds == 3600 + 12 * 3600 + 5400
    assert result.intervals == [
        (utc("2019-01-04T19:00"), utc("2019-01-04T20:00")),
        (utc("2019-01-07T08:00"), utc("2019-01-07T20:00")),
        (utc("2019-01-08T08:00"), utc("2019-01-08T09:30")),
    ]
    assert not result.truncated
    assert (
        rules.elapsed(definition(), utc("2019-01-05T00:00"), utc("2019-01-06T00:00")).seconds == 0
    )


def test_elapsed_lists_at_most_a_thousand_intervals_but_counts_them_all() -> None:
    result = rules.elapsed(definition(), utc("2019-01-01T00:00"), utc("2024-01-01T00:00"))
    weekdays = sum(
        1 for n in range(365 * 5 + 1) if (date(2019, 1, 1) + timedelta(days=n)).weekday() < 5
    )
    assert result.seconds == weekdays * 12 * 3600
    assert len(result.intervals) == rules.MAX_INTERVALS
    assert result.truncated


def test_additions_search_further_years_when_they_need_to() -> None:
    """One hour a week: 200 hours lie four years away (the first compiled range is two years)."""
    monday_hour = definition(week=[[["09:00", "10:00"]]] + [[]] * 6)
    start = utc("2019-01-07T09:00")
    assert rules.add(monday_hour, start, 200 * 3600) == utc("2019-01-07T10:00") + timedelta(
        weeks=199
    )
    assert rules.add(monday_hour, start, -200 * 3600) == start - timedelta(weeks=200)
    assert rules.add_working_days(monday_hour, start, 300, end_of_day=False) == start + timedelta(
        weeks=300
    )
    with pytest.raises(OutsideRange):
        rules.add(monday_hour, start, 100 * 53 * 3600)


def test_a_year_emptied_by_custom_days_is_no_work_not_an_error() -> None:
    mondays_2020 = [
        {"date": (date(2020, 1, 6) + timedelta(weeks=n)).isoformat(), "segments": []}
        for n in range(52)
    ]
    sparse = definition(week=[[["09:00", "10:00"]]] + [[]] * 6, days=mondays_2020)
    assert rules.elapsed(sparse, utc("2020-03-01T00:00"), utc("2020-12-01T00:00")).seconds == 0
    assert rules.next_working(sparse, utc("2020-06-01T00:00")) == utc("2021-01-04T09:00")


def test_business_seconds_are_real_seconds_across_daylight_saving_changes() -> None:
    """Europe/Berlin, Sundays 01:00-04:00 local: 2 real hours when clocks go forward (29 March
    2026), 4 when they go back (25 October 2026), 3 otherwise."""
    night = definition(time_zone="Europe/Berlin", week=[[]] * 6 + [[["01:00", "04:00"]]])
    assert hours(night, date(2026, 3, 29)) == 2
    assert hours(night, date(2026, 10, 24)) + hours(night, date(2026, 10, 25)) == 4
    assert hours(night, date(2026, 3, 22)) == 3


def test_sub_second_parts_are_dropped() -> None:
    start = utc("2019-01-01T08:00:00.900")
    assert rules.elapsed(definition(), start, utc("2019-01-01T08:00:01.100")).seconds == 1
    assert rules.add(definition(), start, 1) == utc("2019-01-01T08:00:01")


def test_supported_years() -> None:
    rules.check_supported(utc("1900-01-01T00:00"))
    rules.check_supported(utc("2199-12-31T23:59"))
    with pytest.raises(ValueError, match="1900-2199"):
        rules.check_supported(utc("2200-01-01T00:00"))
