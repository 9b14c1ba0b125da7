"""Use cases of business calendars. Calendars are org-wide reference data, like regions: anyone
who may read the catalogue reads them, and changing them needs ``catalogue:write`` in every
unit. The built-in ``24x7`` is listed with them and cannot be created, replaced or deleted.

Other domains resolve a calendar code with `definition` or `working_time` (no authorisation:
they run on behalf of an agreement the caller may already see).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from accord.audit import service as audit_service
from accord.calendars import rules
from accord.calendars.models import BusinessCalendarDefinition
from accord.calendars.repository import CalendarRepository
from accord.calendars.schemas import (
    AddRead,
    CalendarCreate,
    CalendarDefinition,
    CalendarFields,
    CalendarRead,
    CalendarReplace,
    ElapsedRead,
    NextWorkingRead,
    WorkingDaysRead,
    WorkingInterval,
)
from accord.engine.calendars import OutsideRange, WorkingTime
from accord.identity.rules import Actor, Permission
from accord.kit.errors import Conflict, InvalidInput, NotFound

READ = Permission.CATALOGUE_READ
WRITE = Permission.CATALOGUE_WRITE

MAX_ELAPSED_YEARS = 100
"""The longest span `elapsed` measures (it compiles every year of it)."""


# ------------------------------------------------------------------------------- definitions


def list_calendars(session: Session, *, actor: Actor) -> list[CalendarRead]:
    """The built-in ``24x7`` first, then the live calendars by code."""
    actor.require_anywhere(READ)
    return [_built_in(), *(_present(c) for c in CalendarRepository(session).all_live())]


def get_calendar(session: Session, *, actor: Actor, code: str) -> CalendarRead:
    actor.require_anywhere(READ)
    if code == rules.ALWAYS:
        return _built_in()
    return _present(_calendar(session, code))


def create_calendar(
    session: Session, *, actor: Actor, data: CalendarCreate, now: datetime
) -> CalendarRead:
    actor.require(WRITE, None)
    rules.check_code(data.code)
    rules.check_definition(data)
    repo = CalendarRepository(session)
    if repo.code_taken(data.code):
        raise Conflict(f"calendar {data.code!r} exists already (or existed: codes are not reused)")
    calendar = repo.add(
        BusinessCalendarDefinition(code=data.code, **_columns(data), created_at=now, updated_at=now)
    )
    read = _present(calendar)
    _record(session, actor, "calendar.created", read, now, after=read.model_dump(mode="json"))
    return read


def replace_calendar(
    session: Session, *, actor: Actor, code: str, data: CalendarReplace, now: datetime
) -> CalendarRead:
    """Replace the whole definition (the code stays). Timers compiled from the old hours are
    not reused: compiled working time is cached by content, not by code."""
    actor.require(WRITE, None)
    rules.check_code(code)
    calendar = _calendar(session, code, lock=True)
    rules.check_definition(data)
    before = _present(calendar).model_dump(mode="json")
    for name, value in _columns(data).items():
        setattr(calendar, name, value)
    calendar.updated_at = now
    session.flush()
    read = _present(calendar)
    _record(
        session,
        actor,
        "calendar.replaced",
        read,
        now,
        before=before,
        after=read.model_dump(mode="json"),
    )
    return read


def delete_calendar(session: Session, *, actor: Actor, code: str, now: datetime) -> None:
    """Soft delete; the code stays taken.

    Not checked here: whether an agreement version's ``supported_hours`` names the calendar.
    Agreements rank above calendars, so that check belongs to the agreements side."""
    actor.require(WRITE, None)
    rules.check_code(code)
    calendar = _calendar(session, code, lock=True)
    before = _present(calendar)
    calendar.deleted_at = now
    calendar.updated_at = now
    session.flush()
    _record(session, actor, "calendar.deleted", before, now, before=before.model_dump(mode="json"))


# ------------------------------------------------------------------------ for other domains


def definition(session: Session, code: str) -> CalendarDefinition:
    """Calendar ``code`` (``24x7`` included) as a plain value, even when deleted: deleting a
    calendar stops new agreements from naming it, but the agreements that already do keep
    being timed on it. NotFound for a code that never existed."""
    if code == rules.ALWAYS:
        return rules.BUILT_IN
    found = CalendarRepository(session).by_code_even_deleted(code)
    if found is None:
        raise NotFound(f"no calendar {code!r}")
    return CalendarDefinition.model_validate(found)


def working_time(session: Session, code: str, first: date, last: date) -> WorkingTime:
    """Calendar ``code`` compiled for (at least) the local dates ``first`` … ``last``: whole
    calendar years, cached by content (`calendars.rules.compiled`). NotFound for an unknown
    code."""
    return rules.compiled(definition(session, code), first, last)


def known_codes(session: Session) -> set[str]:
    """Codes an agreement may name in ``supported_hours``: ``24x7`` and the live calendars."""
    return {rules.ALWAYS, *CalendarRepository(session).live_codes()}


# -------------------------------------------------------------------------------- arithmetic


def elapsed(
    session: Session, *, actor: Actor, code: str, start: datetime, end: datetime
) -> ElapsedRead:
    """Business seconds in ``[start, end)`` and the worked intervals in it."""
    actor.require_anywhere(READ)
    found = definition(session, code)
    _supported(start, "start")
    _supported(end, "end")
    if (end - start).days > MAX_ELAPSED_YEARS * 366:
        raise InvalidInput.field("end", f"at most {MAX_ELAPSED_YEARS} years after start")
    result = rules.elapsed(found, start, end)
    return ElapsedRead(
        start=start,
        end=end,
        business_seconds=result.seconds,
        working_intervals=[WorkingInterval(start=a, end=b) for a, b in result.intervals],
        intervals_truncated=result.truncated,
    )


def add(
    session: Session, *, actor: Actor, code: str, start: datetime, duration_seconds: int
) -> AddRead:
    actor.require_anywhere(READ)
    found = definition(session, code)
    _supported(start, "start")
    try:
        instant = rules.add(found, start, duration_seconds)
    except OutsideRange as error:
        raise InvalidInput.field("duration_seconds", str(error)) from None
    return AddRead(start=start, duration_seconds=duration_seconds, instant=instant)


def next_working(session: Session, *, actor: Actor, code: str, at: datetime) -> NextWorkingRead:
    actor.require_anywhere(READ)
    found = definition(session, code)
    _supported(at, "at")
    try:
        instant = rules.next_working(found, at)
    except OutsideRange as error:
        raise InvalidInput.field("at", str(error)) from None
    return NextWorkingRead(at=at, instant=instant)


def working_days(
    session: Session,
    *,
    actor: Actor,
    code: str,
    start: datetime,
    count: int,
    end_of_day: bool,
) -> WorkingDaysRead:
    actor.require_anywhere(READ)
    found = definition(session, code)
    _supported(start, "start")
    try:
        instant = rules.add_working_days(found, start, count, end_of_day=end_of_day)
    except OutsideRange as error:
        raise InvalidInput.field("count", str(error)) from None
    return WorkingDaysRead(start=start, count=count, end_of_day=end_of_day, instant=instant)


# --------------------------------------------------------------------------------- internals


def _calendar(session: Session, code: str, *, lock: bool = False) -> BusinessCalendarDefinition:
    repo = CalendarRepository(session)
    calendar = repo.locked_by_code(code) if lock else repo.by_code(code)
    if calendar is None:
        raise NotFound(f"no calendar {code!r}")
    return calendar


def _columns(data: CalendarFields) -> dict[str, Any]:
    """The stored form: JSON lists, custom days in date order."""
    return {
        "name": data.name,
        "time_zone": data.time_zone,
        "week": [[list(segment) for segment in day] for day in data.week],
        "holiday_country": data.holiday_country,
        "holiday_subdivision": data.holiday_subdivision,
        "days": [
            day.model_dump(mode="json", exclude_none=True)
            for day in sorted(data.days, key=lambda d: d.date)
        ],
    }


def _present(calendar: BusinessCalendarDefinition) -> CalendarRead:
    return CalendarRead.model_validate(
        {
            "code": calendar.code,
            "name": calendar.name,
            "time_zone": calendar.time_zone,
            "week": calendar.week,
            "holiday_country": calendar.holiday_country,
            "holiday_subdivision": calendar.holiday_subdivision,
            "days": calendar.days,
            "built_in": False,
            "created_at": calendar.created_at,
            "updated_at": calendar.updated_at,
        }
    )


def _built_in() -> CalendarRead:
    return CalendarRead(
        **rules.BUILT_IN.model_dump(), built_in=True, created_at=None, updated_at=None
    )


def _supported(instant: datetime, field: str) -> None:
    try:
        rules.check_supported(instant)
    except ValueError as error:
        raise InvalidInput.field(field, str(error)) from None


def _record(
    session: Session,
    actor: Actor,
    action: str,
    calendar: CalendarRead,
    now: datetime,
    *,
    before: Any = None,
    after: Any = None,
) -> None:
    audit_service.record_event(
        session,
        actor=actor,
        action=action,
        entity_type="business_calendar",
        entity_key=calendar.code,
        business_unit_id=None,
        before=before,
        after=after,
        now=now,
    )
