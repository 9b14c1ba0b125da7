"""JSON API of tickets and timers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from accord.http.deps import PageDep, SessionDep
from accord.http.errors import BAD_BODY_IS_400
from accord.http.problems import problem_responses
from accord.identity.deps import require
from accord.identity.rules import Actor, Permission
from accord.kit.pagination import Page, encode_cursor
from accord.kit.time import utc_now
from accord.kit.types import Code, Instant
from accord.timers import service as timers_service
from accord.timers.schemas import (
    AgreementRef,
    AlignmentRow,
    ComplianceGroup,
    ComplianceRead,
    IngestSummary,
    TicketDetail,
    TicketEventBatch,
    TicketKey,
    TimerFilter,
    TimerRead,
)

router = APIRouter(tags=["tickets"], responses=problem_responses(401, 403, 422, 503))

INGEST = Permission.TELEMETRY_INGEST
READ = Permission.OBJECTIVES_READ


@router.post(
    "/tickets/events",
    response_model=IngestSummary,
    responses=problem_responses(400),
    summary="Store ticket events (any order; a re-sent event id is ignored)",
    openapi_extra={BAD_BODY_IS_400: True},
)
def ingest_events(
    batch: TicketEventBatch, session: SessionDep, actor: Actor = require(INGEST)
) -> IngestSummary:
    return timers_service.ingest_events(session, actor=actor, batch=batch, now=utc_now())


@router.get(
    "/tickets/{source}/{key}",
    response_model=TicketDetail,
    responses=problem_responses(404),
    summary="A ticket with its events, timers (with running intervals) and handoff timers",
)
def get_ticket(
    source: Annotated[Code, Path()],
    key: Annotated[TicketKey, Path()],
    session: SessionDep,
    actor: Actor = require(READ),
) -> TicketDetail:
    return timers_service.get_ticket(session, actor=actor, source=source, key=key, now=utc_now())


@router.get("/timers", response_model=Page[TimerRead], responses=problem_responses(404))
def list_timers(
    session: SessionDep,
    page: PageDep,
    filters: Annotated[TimerFilter, Depends()],
    actor: Actor = require(READ),
) -> Page[TimerRead]:
    """Timers of a page of tickets (the cursor pages tickets; filters on metric, status and
    breach apply to the timers of that page)."""
    items, last = timers_service.list_timers(
        session, actor=actor, filters=filters, after=page.after, limit=page.limit, now=utc_now()
    )
    return Page(items=items, next_cursor=encode_cursor(last) if last is not None else None)


@router.get("/timers/compliance", response_model=ComplianceRead)
def compliance(
    start: Annotated[Instant, Query(description="Period start (tickets opened from here).")],
    end: Annotated[Instant, Query(description="Period end (exclusive).")],
    session: SessionDep,
    group_by: ComplianceGroup = ComplianceGroup.PRIORITY,
    actor: Actor = require(READ),
) -> ComplianceRead:
    return timers_service.compliance(
        session, actor=actor, start=start, end=end, group_by=group_by, now=utc_now()
    )


@router.get(
    "/agreements/alignment",
    response_model=list[AlignmentRow],
    responses=problem_responses(404),
    summary="Do the supporting OLAs/UCs fit inside each SLA target?",
)
def alignment(
    session: SessionDep,
    agreement: Annotated[AgreementRef | None, Query(description="One SLA only.")] = None,
    at: Annotated[
        Instant | None, Query(description="The versions in effect then (default: now).")
    ] = None,
    actor: Actor = require(Permission.AGREEMENTS_READ),
) -> list[AlignmentRow]:
    return timers_service.alignment(session, actor=actor, agreement=agreement, now=at or utc_now())
