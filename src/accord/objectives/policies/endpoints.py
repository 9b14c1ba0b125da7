"""JSON API of error budget policies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from accord.http.deps import PageDep, SessionDep
from accord.http.problems import problem_responses
from accord.identity.deps import require
from accord.identity.rules import Actor, Permission
from accord.kit.pagination import Page, encode_cursor
from accord.kit.time import utc_now
from accord.kit.types import Code
from accord.objectives.policies import service as policies_service
from accord.objectives.policies.schemas import (
    PolicyCreate,
    PolicyName,
    PolicyRead,
    ThresholdsReplace,
)

router = APIRouter(tags=["policies"], responses=problem_responses(401, 403, 422, 503))

READ = Permission.OBJECTIVES_READ
WRITE = Permission.OBJECTIVES_WRITE
NamePath = Annotated[PolicyName, Path()]


@router.get("/policies", response_model=Page[PolicyRead])
def list_policies(
    session: SessionDep,
    page: PageDep,
    business_unit: Code | None = None,
    actor: Actor = require(READ),
) -> Page[PolicyRead]:
    items, last = policies_service.list_policies(
        session, actor=actor, business_unit=business_unit, after=page.after, limit=page.limit
    )
    return Page(items=items, next_cursor=encode_cursor(last) if last is not None else None)


@router.post(
    "/policies",
    response_model=PolicyRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
    summary="Define an error budget policy: ordered thresholds, each with its actions",
)
def create_policy(
    data: PolicyCreate, session: SessionDep, response: Response, actor: Actor = require(WRITE)
) -> PolicyRead:
    policy = policies_service.create_policy(session, actor=actor, data=data, now=utc_now())
    response.headers["Location"] = f"/api/v1/policies/{policy.name}"
    return policy


@router.get("/policies/{name}", response_model=PolicyRead, responses=problem_responses(404))
def get_policy(name: NamePath, session: SessionDep, actor: Actor = require(READ)) -> PolicyRead:
    return policies_service.get_policy(session, actor=actor, name=name)


@router.put(
    "/policies/{name}/thresholds",
    response_model=PolicyRead,
    responses=problem_responses(404),
    summary="Replace the thresholds (the old rungs are kept, retired, for past policy events)",
)
def replace_thresholds(
    name: NamePath, data: ThresholdsReplace, session: SessionDep, actor: Actor = require(WRITE)
) -> PolicyRead:
    return policies_service.replace_thresholds(
        session, actor=actor, name=name, data=data, now=utc_now()
    )


@router.delete(
    "/policies/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 409),
    summary="Soft-delete a policy (refused while objectives use it)",
)
def delete_policy(name: NamePath, session: SessionDep, actor: Actor = require(WRITE)) -> Response:
    policies_service.delete_policy(session, actor=actor, name=name, now=utc_now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
