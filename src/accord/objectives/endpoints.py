"""JSON API of objectives."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from accord.http.deps import PageDep, SessionDep
from accord.http.problems import problem_responses
from accord.identity.deps import require
from accord.identity.rules import Actor, Permission
from accord.kit.pagination import Page, encode_cursor
from accord.kit.time import utc_now
from accord.objectives import service as objectives_service
from accord.objectives.schemas import (
    ObjectiveCreate,
    ObjectiveFilter,
    ObjectiveKey,
    ObjectiveRead,
    ObjectiveUpdate,
)

router = APIRouter(tags=["objectives"], responses=problem_responses(401, 403, 422, 503))

READ = Permission.OBJECTIVES_READ
WRITE = Permission.OBJECTIVES_WRITE
KeyPath = Annotated[ObjectiveKey, Path()]


@router.get("/objectives", response_model=Page[ObjectiveRead])
def list_objectives(
    session: SessionDep,
    page: PageDep,
    filters: Annotated[ObjectiveFilter, Depends()],
    actor: Actor = require(READ),
) -> Page[ObjectiveRead]:
    items, last = objectives_service.list_objectives(
        session, actor=actor, filters=filters, after=page.after, limit=page.limit
    )
    return Page(items=items, next_cursor=encode_cursor(last) if last is not None else None)


@router.post(
    "/objectives",
    response_model=ObjectiveRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 409),
    summary="Define an objective (SLO) on a service, optionally in a draft agreement's terms",
)
def create_objective(
    data: ObjectiveCreate, session: SessionDep, response: Response, actor: Actor = require(WRITE)
) -> ObjectiveRead:
    objective = objectives_service.create_objective(session, actor=actor, data=data, now=utc_now())
    response.headers["Location"] = f"/api/v1/objectives/{objective.key}"
    return objective


@router.get("/objectives/{key}", response_model=ObjectiveRead, responses=problem_responses(404))
def get_objective(key: KeyPath, session: SessionDep, actor: Actor = require(READ)) -> ObjectiveRead:
    return objectives_service.get_objective(session, actor=actor, key=key)


@router.patch("/objectives/{key}", response_model=ObjectiveRead, responses=problem_responses(404))
def update_objective(
    key: KeyPath, data: ObjectiveUpdate, session: SessionDep, actor: Actor = require(WRITE)
) -> ObjectiveRead:
    return objectives_service.update_objective(
        session, actor=actor, key=key, data=data, now=utc_now()
    )


@router.delete(
    "/objectives/{key}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404),
    summary="Soft-delete an objective (refused while it is part of approved terms)",
)
def delete_objective(key: KeyPath, session: SessionDep, actor: Actor = require(WRITE)) -> Response:
    objectives_service.delete_objective(session, actor=actor, key=key, now=utc_now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
