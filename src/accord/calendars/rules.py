"""Pure rules of business calendars: what a definition may be, how it becomes the engine's
`BusinessCalendar`, and business-time arithmetic on whole compiled years (cached).

A definition is read as follows (`engine_calendar`):

1. the week gives each date its working segments (Monday first, local time in the zone);
2. the public holidays of ``holiday_country`` (and ``holiday_subdivision``), as the `holidays`
   package lists them for each year (observed days included), are days without segments;
3. custom ``days`` replace both for their date: ``[]`` a custom holiday, other segments a
   partial day or a one-off exception. A custom day on a national holiday therefore wins (a
   support desk that works on a holiday lists that date with its hours).

The arithmetic's definitions are `accord.engine.calendars`'s; docs/calendars.md restates them.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final, TypeVar

import holidays
import numpy as np

from accord.calendars.schemas import CalendarDefinition, CalendarFields, DayRule, minutes_of
from accord.engine.calendars import (
    BusinessCalendar,
    OutsideRange,
    Segment,
    WorkingTime,
    always,
    epoch_seconds,
    from_epoch,
)
from accord.kit.errors import InvalidTransition, RuleViolation

T = TypeVar("T")

ALWAYS: Final = "24x7"
"""The built-in calendar: every second works, in UTC. Its code cannot be taken."""

BUILT_IN: Final = CalendarDefinition(
    code=ALWAYS,
    name="Always (24x7)",
    time_zone="UTC",
    week=[[("00:00", "24:00")]] * 7,
    holiday_country=None,
    holiday_subdivision=None,
    days=[],
)

SUPPORTED_YEARS: Final = range(1900, 2200)
"""Instants the arithmetic accepts (their UTC year); compiled ranges stay a year around it."""

MAX_SEARCH_YEARS: Final = 64
"""An addition or a working-day count looks this many years ahead (or back) at most."""

MAX_INTERVALS: Final = 1_000
"""Working intervals listed by `elapsed` (the seconds count them all)."""

COMPILED_CACHE_SIZE: Final = 128


# ---------------------------------------------------------------------------- definition rules


def check_code(code: str) -> None:
    if code == ALWAYS:
        raise InvalidTransition(
            "calendar-built-in", f"{ALWAYS!r} is built in: it cannot be created, changed or deleted"
        )


def check_definition(fields: CalendarFields) -> None:
    """Segments of one day must not overlap (touching is fine: 12:00-12:00), and the week must
    work at some time (holidays and custom days cannot make up for an empty week)."""
    for weekday, segments in enumerate(fields.week):
        _check_overlaps(segments, f"week.{weekday}")
    for position, day in enumerate(fields.days):
        _check_overlaps(day.segments, f"days.{position}.segments")
    if not any(fields.week):
        raise RuleViolation(
            "calendar-without-working-time",
            "the week has no working segment: every business timer would stand still",
            field="week",
        )


def _check_overlaps(segments: Iterable[tuple[str, str]], field: str) -> None:
    ordered = sorted((minutes_of(start), minutes_of(end), start, end) for start, end in segments)
    for before, after in itertools.pairwise(ordered):
        if after[0] < before[1]:
            raise RuleViolation(
                "segments-overlap",
                f"{field}: {before[2]}-{before[3]} and {after[2]}-{after[3]} overlap",
                field=field,
            )


# ------------------------------------------------------------------------------- compilation


def engine_calendar(definition: CalendarDefinition, years: range) -> BusinessCalendar:
    """The engine's calendar for ``definition``, with national holidays of ``years`` (the
    calendar years it will be compiled for; custom days apply whatever their year).

    The built-in ``24x7`` is `engine.calendars.always()` in UTC."""
    if definition.code == ALWAYS:
        return always()
    week = tuple(tuple(Segment.of(start, end) for start, end in day) for day in definition.week)
    days: dict[date, tuple[Segment, ...]] = {}
    if definition.holiday_country is not None and len(years):
        national = holidays.country_holidays(
            definition.holiday_country, subdiv=definition.holiday_subdivision, years=years
        )
        days.update(dict.fromkeys(national, ()))
    for day in definition.days:
        days[day.date] = _segments(day)
    return BusinessCalendar(definition.time_zone, week, days)


def _segments(day: DayRule) -> tuple[Segment, ...]:
    return tuple(Segment.of(start, end) for start, end in day.segments)


@dataclass(frozen=True, eq=False)
class _ByContent:
    """A definition as a cache key: equal when the working time it defines is."""

    digest: str
    definition: CalendarDefinition

    def __hash__(self) -> int:
        return hash(self.digest)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ByContent) and other.digest == self.digest


def compiled(definition: CalendarDefinition, first: date, last: date) -> WorkingTime:
    """Working time covering the local dates ``first`` … ``last``, compiled for the whole
    calendar years they fall in.

    Tickets and reports compile the same calendars over and over: the result is cached by the
    definition's content hash (not its code or name, so a replaced calendar never answers from
    its old hours) and the year range. The returned object is shared: its arrays are
    read-only."""
    if last < first:
        raise ValueError("the range ends before it starts")
    return _compiled_years(_ByContent(definition.content_hash, definition), first.year, last.year)


@functools.lru_cache(maxsize=COMPILED_CACHE_SIZE)
def _compiled_years(key: _ByContent, first_year: int, last_year: int) -> WorkingTime:
    years = range(first_year, last_year + 1)
    working = engine_calendar(key.definition, years).compile(
        date(first_year, 1, 1), date(last_year, 12, 31)
    )
    for array in (working.starts, working.ends, working.before, working.through):
        array.flags.writeable = False
    return working


def clear_cache() -> None:
    _compiled_years.cache_clear()


# -------------------------------------------------------------------------------- arithmetic


@dataclass(frozen=True)
class Elapsed:
    seconds: int
    intervals: list[tuple[datetime, datetime]]
    truncated: bool


def check_supported(instant: datetime) -> None:
    """Instants in `SUPPORTED_YEARS` only (ValueError otherwise)."""
    if instant.astimezone(UTC).year not in SUPPORTED_YEARS:
        raise ValueError(
            f"give an instant in the years {SUPPORTED_YEARS.start}-{SUPPORTED_YEARS.stop - 1}"
        )


def elapsed(definition: CalendarDefinition, start: datetime, end: datetime) -> Elapsed:
    """Business seconds in ``[start, end)`` (0 when end is not after start) and the worked
    intervals between them (the first `MAX_INTERVALS`)."""
    if end <= start:
        return Elapsed(0, [], False)
    try:
        working = compiled(definition, _day_before(start), _day_after(end))
    except ValueError as error:
        if _without_working_time(error):
            return Elapsed(0, [], False)
        raise
    a, b = epoch_seconds(start), epoch_seconds(end)
    seconds = working.elapsed_between(a, b)
    first = int(np.searchsorted(working.ends, a, side="right"))
    stop = int(np.searchsorted(working.starts, b, side="left"))
    shown = range(first, min(stop, first + MAX_INTERVALS))
    intervals = [
        (from_epoch(max(int(working.starts[i]), a)), from_epoch(min(int(working.ends[i]), b)))
        for i in shown
    ]
    return Elapsed(seconds, intervals, stop - first > MAX_INTERVALS)


def add(definition: CalendarDefinition, start: datetime, duration_seconds: int) -> datetime:
    """The instant ``duration_seconds`` business seconds after ``start`` (before it when
    negative; the next working instant for 0): see `WorkingTime.add`."""
    at = epoch_seconds(start)
    return from_epoch(
        _searching(
            definition,
            start,
            forward=duration_seconds >= 0,
            attempt=lambda working: working.add_to(at, duration_seconds),
        )
    )


def next_working(definition: CalendarDefinition, at: datetime) -> datetime:
    """``at`` when it is worked, else the next opening."""
    return add(definition, at, 0)


def add_working_days(
    definition: CalendarDefinition, start: datetime, count: int, *, end_of_day: bool
) -> datetime:
    """See `WorkingTime.add_working_days`: the same local time ``count`` working days on (or
    back), or with ``end_of_day`` that day's last closing."""
    at = epoch_seconds(start)
    return from_epoch(
        _searching(
            definition,
            start,
            forward=count >= 0,
            attempt=lambda working: working.add_working_days(at, count, end_of_day=end_of_day),
        )
    )


def _searching(
    definition: CalendarDefinition,
    start: datetime,
    *,
    forward: bool,
    attempt: Callable[[WorkingTime], T],
) -> T:
    """``attempt`` on ever wider compiled ranges (1, 2, 4 … years beyond the start, in the
    direction of the search) until the answer lies inside one; OutsideRange beyond
    `MAX_SEARCH_YEARS` or the supported years."""
    low, high = _day_before(start), _day_after(start)
    span = 1
    while True:
        if forward:
            first_year = low.year
            last_year = min(high.year + span, SUPPORTED_YEARS.stop)
        else:
            first_year = max(low.year - span, SUPPORTED_YEARS.start - 1)
            last_year = high.year
        try:
            return attempt(compiled(definition, date(first_year, 1, 1), date(last_year, 1, 1)))
        except OutsideRange:
            pass
        except ValueError as error:
            if not _without_working_time(error):
                raise
        at_limit = (
            last_year >= SUPPORTED_YEARS.stop if forward else first_year < SUPPORTED_YEARS.start
        )
        if span >= MAX_SEARCH_YEARS or at_limit:
            raise OutsideRange(
                f"no answer within {span} years {'after' if forward else 'before'} the start"
            )
        span *= 2


def _without_working_time(error: ValueError) -> bool:
    """The engine refuses to compile a range without any working time (custom days can empty
    whole years of a sparse week): for the arithmetic that is no work, not a failure."""
    return not isinstance(error, OutsideRange) and "no working time" in str(error)


def _day_before(instant: datetime) -> date:
    """The earliest local date the instant can fall on in any zone (offsets reach ±14 h)."""
    return instant.astimezone(UTC).date() - timedelta(days=1)


def _day_after(instant: datetime) -> date:
    return instant.astimezone(UTC).date() + timedelta(days=1)
