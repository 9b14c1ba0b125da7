"""JSON API of support links: the OLAs and UCs underpinning an agreement."""

from __future__ import annotations

from fastapi import APIRouter, status

from accord.agreements.endpoints import TRANSITION, KeyPath, LinkIdPath, ReasonQuery
from accord.agreements.support import service as support_service
from accord.agreements.support.schemas import AgreementSupport, SupportLinkCreate
from accord.http.deps import SessionDep
from accord.http.problems import problem_responses
from accord.identity.deps import require
from accord.identity.rules import Actor, Permission
from accord.kit.time import utc_now

router = APIRouter(tags=["agreements"], responses=problem_responses(401, 403, 422, 503))

READ = Permission.AGREEMENTS_READ
WRITE = Permission.AGREEMENTS_WRITE


@router.get(
    "/agreements/{key}/support", response_model=AgreementSupport, responses=problem_responses(404)
)
def get_support(
    key: KeyPath, session: SessionDep, actor: Actor = require(READ)
) -> AgreementSupport:
    return support_service.get_support(session, actor=actor, key=key)


@router.post(
    "/agreements/{key}/support",
    response_model=AgreementSupport,
    status_code=status.HTTP_201_CREATED,
    responses=TRANSITION,
    summary="Record that an OLA or UC underpins this agreement for a service",
)
def add_support_link(
    key: KeyPath, data: SupportLinkCreate, session: SessionDep, actor: Actor = require(WRITE)
) -> AgreementSupport:
    return support_service.add_support_link(session, actor=actor, key=key, data=data, now=utc_now())


@router.delete(
    "/agreements/{key}/support/{link_id}",
    response_model=AgreementSupport,
    responses=problem_responses(404),
)
def remove_support_link(
    key: KeyPath,
    link_id: LinkIdPath,
    reason: ReasonQuery,
    session: SessionDep,
    actor: Actor = require(WRITE),
) -> AgreementSupport:
    return support_service.remove_support_link(
        session, actor=actor, key=key, link_id=link_id, reason=reason, now=utc_now()
    )
