"""Calendar documents shared by the calendar tests."""

from __future__ import annotations

from typing import Any

from accord.calendars.schemas import CalendarDefinition

OFFICE = [["08:00", "20:00"]]


def body(**overrides: Any) -> dict[str, Any]:
    """A valid create body: Monday to Friday 08:00-20:00 UTC, no holidays."""
    return {
        "code": "office-hours",
        "name": "Office hours",
        "time_zone": "UTC",
        "week": [OFFICE] * 5 + [[], []],
    } | overrides


def definition(**overrides: Any) -> CalendarDefinition:
    """A calendar definition as other domains receive it (defaults as `body`)."""
    fields = body(holiday_country=None, holiday_subdivision=None, days=[]) | overrides
    return CalendarDefinition.model_validate(fields)
