"""JSON API of business calendars and their business-time arithmetic."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from accord.calendars import service as calendars_service
from accord.calendars.schemas import (
    AddRead,
    CalendarCreate,
    CalendarRead,
    CalendarReplace,
    ElapsedRead,
    NextWorkingRead,
    WorkingDaysRead,
)
from accord.http.deps import SessionDep
from accord.http.problems import problem_responses
from accord.identity.deps import require
from accord.identity.rules import Actor, Permission
from accord.kit.time import utc_now
from accord.kit.types import Code, Instant

router = APIRouter(tags=["calendars"], responses=problem_responses(401, 403, 422, 503))

READ = Permission.CATALOGUE_READ
WRITE = Permission.CATALOGUE_WRITE
CodePath = Annotated[Code, Path(description="The calendar's code; `24x7` is built in.")]
MAX_SECONDS = 100 * 366 * 86_400


@router.get("/calendars", response_model=list[CalendarRead], summary="Calendars, 24x7 first")
def list_calendars(session: SessionDep, actor: Actor = require(READ)) -> list[CalendarRead]:
    return calendars_service.list_calendars(session, actor=actor)


@router.post(
    "/calendars",
    response_model=CalendarRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
def create_calendar(
    data: CalendarCreate,
    session: SessionDep,
    response: Response,
    actor: Actor = require(WRITE, everywhere=True),
) -> CalendarRead:
    calendar = calendars_service.create_calendar(session, actor=actor, data=data, now=utc_now())
    response.headers["Location"] = f"/api/v1/calendars/{calendar.code}"
    return calendar


@router.get("/calendars/{code}", response_model=CalendarRead, responses=problem_responses(404))
def get_calendar(code: CodePath, session: SessionDep, actor: Actor = require(READ)) -> CalendarRead:
    return calendars_service.get_calendar(session, actor=actor, code=code)


@router.put(
    "/calendars/{code}",
    response_model=CalendarRead,
    responses=problem_responses(404, 409),
    summary="Replace a calendar's definition (its code stays)",
)
def replace_calendar(
    code: CodePath,
    data: CalendarReplace,
    session: SessionDep,
    actor: Actor = require(WRITE, everywhere=True),
) -> CalendarRead:
    return calendars_service.replace_calendar(
        session, actor=actor, code=code, data=data, now=utc_now()
    )


@router.delete(
    "/calendars/{code}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 409),
    summary="Soft-delete a calendar (its code stays taken)",
)
def delete_calendar(
    code: CodePath, session: SessionDep, actor: Actor = require(WRITE, everywhere=True)
) -> Response:
    calendars_service.delete_calendar(session, actor=actor, code=code, now=utc_now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -------------------------------------------------------------------------------- arithmetic


@router.get(
    "/calendars/{code}/elapsed",
    response_model=ElapsedRead,
    responses=problem_responses(404),
    summary="Business seconds between two instants",
)
def elapsed(
    code: CodePath,
    start: Annotated[Instant, Query(description="ISO 8601 with an offset.")],
    end: Annotated[Instant, Query(description="Exclusive; before start gives 0.")],
    session: SessionDep,
    actor: Actor = require(READ),
) -> ElapsedRead:
    return calendars_service.elapsed(session, actor=actor, code=code, start=start, end=end)


@router.get(
    "/calendars/{code}/add",
    response_model=AddRead,
    responses=problem_responses(404),
    summary="The instant a number of business seconds after (or before) another",
)
def add(
    code: CodePath,
    start: Annotated[Instant, Query(description="ISO 8601 with an offset.")],
    duration_seconds: Annotated[
        int,
        Query(ge=-MAX_SECONDS, le=MAX_SECONDS, description="Business seconds; negative: back."),
    ],
    session: SessionDep,
    actor: Actor = require(READ),
) -> AddRead:
    return calendars_service.add(
        session, actor=actor, code=code, start=start, duration_seconds=duration_seconds
    )


@router.get(
    "/calendars/{code}/next-working",
    response_model=NextWorkingRead,
    responses=problem_responses(404),
    summary="The instant itself if worked, else the next opening",
)
def next_working(
    code: CodePath,
    at: Annotated[Instant, Query(description="ISO 8601 with an offset.")],
    session: SessionDep,
    actor: Actor = require(READ),
) -> NextWorkingRead:
    return calendars_service.next_working(session, actor=actor, code=code, at=at)


@router.get(
    "/calendars/{code}/working-days",
    response_model=WorkingDaysRead,
    responses=problem_responses(404),
    summary="The same local time a number of working days on (or back)",
)
def working_days(
    code: CodePath,
    start: Annotated[Instant, Query(description="ISO 8601 with an offset.")],
    count: Annotated[
        int, Query(ge=-36_600, le=36_600, description="Working days; negative: back.")
    ],
    session: SessionDep,
    end_of_day: Annotated[
        bool, Query(description="The last closing of the target day instead.")
    ] = False,
    actor: Actor = require(READ),
) -> WorkingDaysRead:
    return calendars_service.working_days(
        session, actor=actor, code=code, start=start, count=count, end_of_day=end_of_day
    )
