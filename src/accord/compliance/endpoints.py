"""JSON API of compliance: status, history, policy events, baselines and release gates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from accord.compliance import service as compliance_service
from accord.compliance.enums import PolicyEventState
from accord.compliance.schemas import BaselineRead, PolicyEventRead, ReleaseGate, StatusRead
from accord.http.deps import FleetPageDep, PageDep, SessionDep
from accord.http.problems import problem_responses
from accord.identity.deps import require
from accord.identity.rules import Actor, Permission
from accord.kit.pagination import Page, encode_cursor
from accord.kit.time import utc_now
from accord.kit.types import Instant, Slug
from accord.objectives.schemas import ObjectiveKey

router = APIRouter(tags=["compliance"], responses=problem_responses(401, 403, 422, 503))

READ = Permission.OBJECTIVES_READ
KeyPath = Annotated[ObjectiveKey, Path()]
SlugPath = Annotated[Slug, Path()]


@router.get(
    "/objectives/{key}/status",
    response_model=StatusRead,
    responses=problem_responses(404),
    summary="The objective judged at an instant (default now) from stored telemetry",
)
def get_status(
    key: KeyPath,
    session: SessionDep,
    at: Annotated[Instant | None, Query(description="ISO 8601 with offset; default now.")] = None,
    actor: Actor = require(READ),
) -> StatusRead:
    return compliance_service.get_status(session, actor=actor, key=key, at=at, now=utc_now())


@router.get(
    "/objectives/{key}/history",
    response_model=Page[StatusRead],
    responses=problem_responses(404),
    summary="Recorded evaluations of the objective, newest first",
)
def list_history(
    key: KeyPath,
    session: SessionDep,
    page: PageDep,
    since: Annotated[Instant | None, Query()] = None,
    until: Annotated[Instant | None, Query()] = None,
    actor: Actor = require(READ),
) -> Page[StatusRead]:
    items, last = compliance_service.list_history(
        session,
        actor=actor,
        key=key,
        since=since,
        until=until,
        after=page.after,
        limit=page.limit,
    )
    return Page(items=items, next_cursor=encode_cursor(last) if last is not None else None)


@router.get(
    "/objectives/{key}/policy-events",
    response_model=Page[PolicyEventRead],
    responses=problem_responses(404),
)
def list_objective_policy_events(
    key: KeyPath,
    session: SessionDep,
    page: PageDep,
    state: PolicyEventState | None = None,
    actor: Actor = require(READ),
) -> Page[PolicyEventRead]:
    items, last = compliance_service.list_policy_events(
        session, actor=actor, key=key, state=state, after=page.after, limit=page.limit
    )
    return Page(items=items, next_cursor=encode_cursor(last) if last is not None else None)


@router.get(
    "/objectives/{key}/baseline",
    response_model=BaselineRead,
    responses=problem_responses(404),
    summary="Achieved performance per period, baseline without peaks, recommended target",
)
def get_baseline(
    key: KeyPath,
    session: SessionDep,
    periods: Annotated[int, Query(ge=1, le=36)] = 12,
    achieved_in: Annotated[int, Query(ge=1, le=36)] = 9,
    actor: Actor = require(READ),
) -> BaselineRead:
    return compliance_service.get_baseline(
        session,
        actor=actor,
        key=key,
        periods=periods,
        achieved_in=min(achieved_in, periods),
        now=utc_now(),
    )


@router.get(
    "/status",
    response_model=Page[StatusRead],
    summary="The latest recorded status of every visible objective",
    description="A page may hold up to 10,000 objectives, so a dashboard reads the fleet in "
    "one call.",
)
def list_current(
    request: Request,
    session: SessionDep,
    page: FleetPageDep,
    service: Slug | None = None,
    actor: Actor = require(READ),
) -> Page[StatusRead]:
    items, last = compliance_service.list_current(
        session,
        actor=actor,
        service=service,
        after=page.after,
        limit=page.limit,
        cache=request.app.state.status_cache,
    )
    return Page(items=items, next_cursor=encode_cursor(last) if last is not None else None)


@router.get("/policy-events", response_model=Page[PolicyEventRead])
def list_policy_events(
    session: SessionDep,
    page: PageDep,
    state: PolicyEventState | None = None,
    actor: Actor = require(READ),
) -> Page[PolicyEventRead]:
    items, last = compliance_service.list_policy_events(
        session, actor=actor, key=None, state=state, after=page.after, limit=page.limit
    )
    return Page(items=items, next_cursor=encode_cursor(last) if last is not None else None)


@router.get(
    "/services/{slug}/release-gate",
    response_model=ReleaseGate,
    responses=problem_responses(404),
    summary="Whether releases of the service are frozen by an error budget policy, and why",
)
def release_gate(slug: SlugPath, session: SessionDep, actor: Actor = require(READ)) -> ReleaseGate:
    return compliance_service.release_gate(session, actor=actor, slug=slug, now=utc_now())
