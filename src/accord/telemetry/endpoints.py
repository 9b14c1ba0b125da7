"""JSON API of stored telemetry: where an objective's buckets are missing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from accord.http.deps import SessionDep
from accord.http.problems import problem_responses
from accord.identity.deps import require
from accord.identity.rules import Actor, Permission
from accord.objectives.schemas import ObjectiveKey
from accord.telemetry import service as telemetry_service
from accord.telemetry.schemas import GapsRead

router = APIRouter(tags=["telemetry"], responses=problem_responses(401, 403, 422, 503))


@router.get(
    "/telemetry/gaps",
    response_model=GapsRead,
    responses=problem_responses(404),
    summary="Missing buckets of an objective, and how its missing-data rule counts them",
)
def objective_gaps(
    session: SessionDep,
    objective: Annotated[ObjectiveKey, Query()],
    start: Annotated[AwareDatetime, Query(description="ISO 8601 with offset.")],
    end: Annotated[AwareDatetime, Query(description="ISO 8601 with offset; exclusive.")],
    actor: Actor = require(Permission.OBJECTIVES_READ),
) -> GapsRead:
    return telemetry_service.objective_gaps(
        session, actor=actor, objective=objective, start=start, end=end
    )
