"""Business calendar shapes: the definition as entered, as read, and the arithmetic's answers.

Times of day are ``"HH:MM"`` (``"24:00"`` ends a segment at midnight). A segment is
``[start, end]`` with start before end; a day's segments are listed in any order. The checks
that are business rules (overlaps, a week without working time, the built-in code) are in
`calendars.rules` and answer with a rule id; the shape is checked here.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from accord.kit.errors import FieldValueError
from accord.kit.hashing import content_hash
from accord.kit.types import Code, Name, ShortText

MAX_SEGMENTS_PER_DAY = 48
MAX_CUSTOM_DAYS = 5_000

Start = Annotated[
    str,
    StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$"),
    Field(description="`HH:MM`, 00:00 to 23:59."),
]
End = Annotated[
    str,
    StringConstraints(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"),
    Field(description="`HH:MM`, 00:01 to `24:00` (midnight at the end of the day)."),
]


def _runs_forward(segment: tuple[str, str]) -> tuple[str, str]:
    start, end = segment
    if minutes_of(end) <= minutes_of(start):
        raise ValueError(f"a segment must end after it starts, not {start}-{end}")
    return segment


SegmentText = Annotated[
    tuple[Start, End],
    AfterValidator(_runs_forward),
    Field(description='Worked local time `["08:00", "12:00"]`: from start up to end.'),
]
DaySegments = Annotated[list[SegmentText], Field(max_length=MAX_SEGMENTS_PER_DAY)]


def minutes_of(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _iana_zone(value: str) -> str:
    if value not in _zones():
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"not an IANA time zone: {value!r}") from None
    return value


TimeZone = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    AfterValidator(_iana_zone),
    Field(description="IANA time zone the hours are read in, e.g. `Europe/Berlin`, `UTC`."),
]
Country = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}$"),
    Field(description="ISO 3166-1 alpha-2 country whose public holidays are days off, e.g. `DE`."),
]
Subdivision = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    Field(description="A subdivision code of the country, e.g. `BY` (Bavaria) for `DE`."),
]


@functools.cache
def holiday_subdivisions() -> dict[str, tuple[str, ...]]:
    """Country → subdivision codes the installed `holidays` package supports."""
    return {
        country: tuple(subdivisions)
        for country, subdivisions in holidays.list_supported_countries(
            include_aliases=False
        ).items()
    }


class DayRule(BaseModel):
    """One date whose working time differs from the week: ``segments: []`` is a custom holiday,
    shorter segments a partial day, extra ones a one-off exception (a Saturday release)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: dt.date
    segments: DaySegments
    note: ShortText | None = None


class CalendarFields(BaseModel):
    """What a calendar is made of, as entered (create and replace share it)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    time_zone: TimeZone
    week: list[DaySegments] = Field(
        min_length=7,
        max_length=7,
        description="Seven days, Monday first, each a list of `[start, end]` segments.",
    )
    holiday_country: Country | None = Field(
        default=None,
        description="Its public holidays (the `holidays` package) are days off; null: none.",
    )
    holiday_subdivision: Subdivision | None = Field(
        default=None, description="Adds the subdivision's holidays; needs `holiday_country`."
    )
    days: list[DayRule] = Field(
        default_factory=list,
        max_length=MAX_CUSTOM_DAYS,
        description="Custom days; each replaces the week's segments and any national holiday "
        "of its date.",
    )

    @field_validator("holiday_country")
    @classmethod
    def _supported_country(cls, value: str | None) -> str | None:
        if value is not None and value not in holiday_subdivisions():
            raise ValueError(f"the holidays package has no country {value!r}")
        return value

    @model_validator(mode="after")
    def _subdivision_of_country(self) -> CalendarFields:
        subdivision, country = self.holiday_subdivision, self.holiday_country
        if subdivision is not None:
            if country is None:
                raise FieldValueError("holiday_subdivision", "needs holiday_country")
            known = holiday_subdivisions().get(country, ())
            if subdivision not in known:
                raise FieldValueError(
                    "holiday_subdivision",
                    f"{country} has no subdivision {subdivision!r}"
                    + (f" (one of: {', '.join(known)})" if known else " (it has none)"),
                )
        return self

    @model_validator(mode="after")
    def _one_rule_per_date(self) -> CalendarFields:
        seen: set[dt.date] = set()
        for position, day in enumerate(self.days):
            if day.date in seen:
                raise FieldValueError(f"days.{position}.date", f"{day.date} is listed twice")
            seen.add(day.date)
        return self


class CalendarCreate(CalendarFields):
    code: Code = Field(description="Stable identifier agreements name, e.g. `business-hours-eu`.")


class CalendarReplace(CalendarFields):
    """Every field of the calendar but its code (PUT replaces the whole definition)."""


class CalendarDefinition(BaseModel):
    """A calendar's content: what other domains read and what the arithmetic compiles. Frozen:
    it is shared with compiled working time cached under its `content_hash`."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    code: str
    name: str
    time_zone: str
    week: list[list[tuple[str, str]]]
    holiday_country: str | None
    holiday_subdivision: str | None
    days: list[DayRule]

    @functools.cached_property
    def content_hash(self) -> str:
        """sha256 of what the working time depends on (not the name or the code)."""
        return _content_hash(self)


def _content_hash(definition: CalendarDefinition) -> str:
    return content_hash(
        {
            "time_zone": definition.time_zone,
            "week": [[list(s) for s in day] for day in definition.week],
            "holiday_country": definition.holiday_country,
            "holiday_subdivision": definition.holiday_subdivision,
            "days": [
                {"date": d.date, "segments": [list(s) for s in d.segments]}
                for d in sorted(definition.days, key=lambda d: d.date)
            ],
        }
    )


class CalendarRead(CalendarDefinition):
    built_in: bool = Field(description="`24x7` is built in: always working, in UTC.")
    created_at: dt.datetime | None
    updated_at: dt.datetime | None


# ------------------------------------------------------------------------- arithmetic answers


class WorkingInterval(BaseModel):
    start: dt.datetime
    end: dt.datetime


class ElapsedRead(BaseModel):
    start: dt.datetime
    end: dt.datetime
    business_seconds: int = Field(description="Worked seconds in [start, end); 0 if end ≤ start.")
    working_intervals: list[WorkingInterval] = Field(
        description="The worked parts of [start, end), in order (at most 1,000)."
    )
    intervals_truncated: bool = Field(description="More than 1,000 intervals: the first shown.")


class AddRead(BaseModel):
    start: dt.datetime
    duration_seconds: int
    instant: dt.datetime = Field(
        description="Forward: the earliest instant with that much work done (a closing instant "
        "stays one); back: the latest (an opening); 0: the next working instant."
    )


class NextWorkingRead(BaseModel):
    at: dt.datetime
    instant: dt.datetime = Field(description="`at` if it is worked, else the next opening.")


class WorkingDaysRead(BaseModel):
    start: dt.datetime
    count: int
    end_of_day: bool
    instant: dt.datetime
