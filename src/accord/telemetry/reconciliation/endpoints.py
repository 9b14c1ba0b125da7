"""JSON API of reconciliation: runs (which record findings, hence a POST), the findings, and
their resolution."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from accord.http.deps import PageDep, SessionDep
from accord.http.problems import problem_responses
from accord.identity.deps import require
from accord.identity.rules import Actor, Permission
from accord.kit.pagination import Page, encode_cursor
from accord.kit.time import utc_now
from accord.objectives.schemas import ObjectiveKey
from accord.telemetry.reconciliation import service as reconciliation_service
from accord.telemetry.reconciliation.enums import FindingStatus
from accord.telemetry.reconciliation.schemas import (
    FindingRead,
    FindingResolve,
    ReconciliationReport,
    ReconciliationRun,
)

router = APIRouter(tags=["telemetry"], responses=problem_responses(401, 403, 422, 503))

READ = Permission.OBJECTIVES_READ
MANAGE = Permission.TELEMETRY_MANAGE


@router.post(
    "/telemetry/reconciliation/runs",
    response_model=ReconciliationReport,
    responses=problem_responses(404),
    summary="Compare an objective's primary and secondary sources; record disagreements",
)
def run_reconciliation(
    data: ReconciliationRun, session: SessionDep, actor: Actor = require(MANAGE)
) -> ReconciliationReport:
    return reconciliation_service.reconcile(
        session,
        actor=actor,
        objective_key=data.objective,
        start=data.start,
        end=data.end,
        tolerance=data.tolerance,
        now=utc_now(),
    )


@router.get(
    "/telemetry/reconciliation/findings",
    response_model=Page[FindingRead],
    responses=problem_responses(404),
)
def list_findings(
    session: SessionDep,
    page: PageDep,
    objective: Annotated[ObjectiveKey, Query(description="The objective's findings.")],
    status: Annotated[
        FindingStatus | None, Query(description="Only findings in this status.")
    ] = None,
    actor: Actor = require(READ),
) -> Page[FindingRead]:
    items, last = reconciliation_service.list_findings(
        session,
        actor=actor,
        objective_key=objective,
        status=status,
        after=page.after,
        limit=page.limit,
    )
    return Page(items=items, next_cursor=encode_cursor(last) if last is not None else None)


@router.post(
    "/telemetry/reconciliation/findings/{finding_id}/resolve",
    response_model=FindingRead,
    responses=problem_responses(404, 409),
    summary="Keep the primary's value or store the secondary's (audited with the reason)",
)
def resolve_finding(
    finding_id: int, data: FindingResolve, session: SessionDep, actor: Actor = require(MANAGE)
) -> FindingRead:
    return reconciliation_service.resolve(
        session,
        actor=actor,
        finding_id=finding_id,
        use=data.use,
        reason=data.reason,
        now=utc_now(),
    )
