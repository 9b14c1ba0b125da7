"""JSON API of exclusion windows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from accord.exclusions import service as exclusions_service
from accord.exclusions.schemas import (
    ExclusionCreate,
    ExclusionDecision,
    ExclusionFilter,
    ExclusionRead,
)
from accord.http.deps import PageDep, SessionDep
from accord.http.problems import problem_responses
from accord.identity.deps import require
from accord.identity.rules import Actor, Permission
from accord.kit.pagination import Page, encode_cursor
from accord.kit.time import utc_now
from accord.kit.types import Slug

router = APIRouter(tags=["exclusions"], responses=problem_responses(401, 403, 422, 503))

READ = Permission.OBJECTIVES_READ
WRITE = Permission.OBJECTIVES_WRITE
APPROVE = Permission.AGREEMENTS_APPROVE
SlugPath = Annotated[Slug, Path()]
ExclusionIdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get(
    "/services/{slug}/exclusions",
    response_model=Page[ExclusionRead],
    responses=problem_responses(404),
)
def list_exclusions(
    slug: SlugPath,
    session: SessionDep,
    page: PageDep,
    filters: Annotated[ExclusionFilter, Depends()],
    actor: Actor = require(READ),
) -> Page[ExclusionRead]:
    items, last = exclusions_service.list_exclusions(
        session, actor=actor, service=slug, filters=filters, after=page.after, limit=page.limit
    )
    return Page(items=items, next_cursor=encode_cursor(last) if last is not None else None)


@router.post(
    "/services/{slug}/exclusions",
    response_model=ExclusionRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404),
    summary="Declare a maintenance window, an exception or a peak (proposed until approved)",
)
def declare_exclusion(
    slug: SlugPath,
    data: ExclusionCreate,
    session: SessionDep,
    response: Response,
    actor: Actor = require(WRITE),
) -> ExclusionRead:
    window = exclusions_service.declare_exclusion(
        session, actor=actor, service=slug, data=data, now=utc_now()
    )
    response.headers["Location"] = f"/api/v1/exclusions/{window.id}"
    return window


@router.get(
    "/exclusions/{exclusion_id}", response_model=ExclusionRead, responses=problem_responses(404)
)
def get_exclusion(
    exclusion_id: ExclusionIdPath, session: SessionDep, actor: Actor = require(READ)
) -> ExclusionRead:
    return exclusions_service.get_exclusion(session, actor=actor, exclusion_id=exclusion_id)


@router.post(
    "/exclusions/{exclusion_id}/approve",
    response_model=ExclusionRead,
    responses=problem_responses(404, 409),
    summary="Proposed → approved (not by its declarer)",
)
def approve_exclusion(
    exclusion_id: ExclusionIdPath,
    data: ExclusionDecision,
    session: SessionDep,
    actor: Actor = require(APPROVE),
) -> ExclusionRead:
    return exclusions_service.approve_exclusion(
        session, actor=actor, exclusion_id=exclusion_id, data=data, now=utc_now()
    )


@router.post(
    "/exclusions/{exclusion_id}/reject",
    response_model=ExclusionRead,
    responses=problem_responses(404, 409),
    summary="Proposed → rejected (its declarer may reject it to withdraw it)",
)
def reject_exclusion(
    exclusion_id: ExclusionIdPath,
    data: ExclusionDecision,
    session: SessionDep,
    actor: Actor = require(APPROVE),
) -> ExclusionRead:
    return exclusions_service.reject_exclusion(
        session, actor=actor, exclusion_id=exclusion_id, data=data, now=utc_now()
    )
