"""SLO periods as instants: rolling windows, calendar periods in a zone, bucket indices.

Every datetime taken or returned is timezone-aware (naive ones raise ValueError); results are
in UTC. Calendar periods start at local midnight in the agreement's IANA zone, so their length
in seconds follows the zone's clock changes: October 2026 in Europe/Berlin is 31 days and 1 hour.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from accord.kit.time import require_aware


class CalendarUnit(StrEnum):
    WEEK = "week"
    """Monday to Monday (ISO 8601)."""
    MONTH = "month"
    QUARTER = "quarter"
    """January, April, July and October to the next."""


def rolling_window(end: datetime, days: int) -> tuple[datetime, datetime]:
    """``[end - days, end)`` in UTC: exactly ``days * 86400`` seconds, whatever the zone."""
    if days <= 0:
        raise ValueError("a rolling window needs at least one day")
    stop = require_aware(end, what="end")
    return stop - timedelta(days=days), stop


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    # fold=0: where midnight does not exist (clocks jump forward at 00:00, e.g.
    # America/Santiago) the offset from before the jump applies, which lands on the first
    # instant of the day; where it occurs twice it is the first occurrence.
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _first_day(day: date, unit: CalendarUnit) -> date:
    if unit is CalendarUnit.WEEK:
        return day - timedelta(days=day.weekday())
    if unit is CalendarUnit.MONTH:
        return day.replace(day=1)
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _shift(first: date, unit: CalendarUnit, periods: int) -> date:
    """The first day of the period ``periods`` after (or before) the one starting on ``first``."""
    if unit is CalendarUnit.WEEK:
        return first + timedelta(weeks=periods)
    months = first.month - 1 + periods * (1 if unit is CalendarUnit.MONTH else 3)
    return date(first.year + months // 12, months % 12 + 1, 1)


def calendar_window(at: datetime, unit: str, zone: str) -> tuple[datetime, datetime]:
    """The calendar period ``[start, end)`` of ``unit`` in ``zone`` that contains ``at``.

    Boundaries are local midnights: the first day of the week (Monday), month or quarter and
    the first day of the next one, converted to UTC. A period containing a clock change is an
    hour shorter or longer than its days times 24 hours.
    """
    kind = CalendarUnit(unit)
    tz = _zone(zone)
    local_day = require_aware(at, what="at").astimezone(tz).date()
    first = _first_day(local_day, kind)
    return _local_midnight(first, tz), _local_midnight(_shift(first, kind, 1), tz)


def previous_periods(
    at: datetime, unit: str, zone: str, count: int
) -> list[tuple[datetime, datetime]]:
    """The ``count`` complete periods before the one containing ``at``, oldest first."""
    if count < 0:
        raise ValueError("count must not be negative")
    kind = CalendarUnit(unit)
    tz = _zone(zone)
    first = _first_day(require_aware(at, what="at").astimezone(tz).date(), kind)
    starts = [_shift(first, kind, -k) for k in range(count, -1, -1)]
    bounds = [_local_midnight(day, tz) for day in starts]
    return list(itertools.pairwise(bounds))


def bucket_index(instant: datetime, origin: datetime, grain: int | timedelta) -> int:
    """``floor((instant - origin) / grain)``: the bucket containing ``instant``.

    Exact (integer microseconds); negative before ``origin``. ``grain`` is seconds or a
    timedelta. The buckets of ``[a, b)`` are ``[bucket_index(a), bucket_index(b))`` when both
    are on bucket boundaries.
    """
    step = grain if isinstance(grain, timedelta) else timedelta(seconds=grain)
    if step <= timedelta(0):
        raise ValueError("grain must be positive")
    offset = require_aware(instant, what="instant") - require_aware(origin, what="origin")
    return offset // step
