"""JSON API of the version lifecycle: submit, return, sign off, approve, activate, supersede,
sunset."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from accord.agreements.approvals import service as approvals_service
from accord.agreements.endpoints import TRANSITION, KeyPath, NumberPath, with_etag
from accord.agreements.schemas import (
    ActivationRequest,
    AgreementRead,
    SignOffCreate,
    TransitionRequest,
    VersionRead,
)
from accord.http.deps import SessionDep
from accord.http.problems import problem_responses
from accord.identity.deps import require
from accord.identity.rules import Actor, Permission
from accord.kit.time import utc_now

router = APIRouter(tags=["agreements"], responses=problem_responses(401, 403, 422, 503))

WRITE = Permission.AGREEMENTS_WRITE
APPROVE = Permission.AGREEMENTS_APPROVE


@router.post("/agreements/{key}/sunset", response_model=AgreementRead, responses=TRANSITION)
def sunset_agreement(
    key: KeyPath, data: TransitionRequest, session: SessionDep, actor: Actor = require(APPROVE)
) -> AgreementRead:
    return approvals_service.sunset_agreement(
        session, actor=actor, key=key, data=data, now=utc_now()
    )


@router.post(
    "/agreements/{key}/versions/{number}/submit",
    response_model=VersionRead,
    responses=TRANSITION,
    summary="Draft → in review",
)
def submit_version(
    key: KeyPath,
    number: NumberPath,
    data: TransitionRequest,
    session: SessionDep,
    response: Response,
    actor: Actor = require(WRITE),
) -> VersionRead:
    return with_etag(
        response,
        approvals_service.submit_version(
            session, actor=actor, key=key, number=number, data=data, now=utc_now()
        ),
    )


@router.post(
    "/agreements/{key}/versions/{number}/return",
    response_model=VersionRead,
    responses=TRANSITION,
    summary="In review → draft (sign-offs are voided)",
)
def return_version(
    key: KeyPath,
    number: NumberPath,
    data: TransitionRequest,
    session: SessionDep,
    response: Response,
    actor: Actor = require(WRITE),
) -> VersionRead:
    return with_etag(
        response,
        approvals_service.return_version(
            session, actor=actor, key=key, number=number, data=data, now=utc_now()
        ),
    )


@router.post(
    "/agreements/{key}/versions/{number}/sign-offs",
    response_model=VersionRead,
    status_code=status.HTTP_201_CREATED,
    responses=TRANSITION,
    summary="Sign off an in-review version in one role",
)
def sign_off_version(
    key: KeyPath,
    number: NumberPath,
    data: SignOffCreate,
    session: SessionDep,
    response: Response,
    actor: Actor = require(Permission.AGREEMENTS_SIGN_OFF),
) -> VersionRead:
    return with_etag(
        response,
        approvals_service.sign_off_version(
            session, actor=actor, key=key, number=number, data=data, now=utc_now()
        ),
    )


@router.post(
    "/agreements/{key}/versions/{number}/approve",
    response_model=VersionRead,
    responses=TRANSITION,
    summary="In review → approved (terms frozen)",
)
def approve_version(
    key: KeyPath,
    number: NumberPath,
    data: TransitionRequest,
    session: SessionDep,
    response: Response,
    actor: Actor = require(APPROVE),
) -> VersionRead:
    return with_etag(
        response,
        approvals_service.approve_version(
            session, actor=actor, key=key, number=number, data=data, now=utc_now()
        ),
    )


@router.post(
    "/agreements/{key}/versions/{number}/activate",
    response_model=VersionRead,
    responses=TRANSITION,
    summary="Approved → active (refused while another is active)",
)
def activate_version(
    key: KeyPath,
    number: NumberPath,
    data: ActivationRequest,
    session: SessionDep,
    response: Response,
    actor: Actor = require(APPROVE),
) -> VersionRead:
    return with_etag(
        response,
        approvals_service.activate_version(
            session, actor=actor, key=key, number=number, data=data, supersede=False, now=utc_now()
        ),
    )


@router.post(
    "/agreements/{key}/versions/{number}/supersede",
    response_model=VersionRead,
    responses=TRANSITION,
    summary="Approved → active, ending the currently active version",
)
def supersede_with_version(
    key: KeyPath,
    number: NumberPath,
    data: ActivationRequest,
    session: SessionDep,
    response: Response,
    actor: Actor = require(APPROVE),
) -> VersionRead:
    return with_etag(
        response,
        approvals_service.activate_version(
            session, actor=actor, key=key, number=number, data=data, supersede=True, now=utc_now()
        ),
    )
