"""JSON API of agreements: CRUD, versions with ETag/If-Match, and the external (customer-facing)
view. Lifecycle transitions are in `agreements.approvals.endpoints`, support links in
`agreements.support.endpoints`."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response, status

from accord.agreements import service as agreements_service
from accord.agreements.schemas import (
    AgreementCreate,
    AgreementFilter,
    AgreementKey,
    AgreementListItem,
    AgreementRead,
    AgreementUpdate,
    EndingTerm,
    ExternalAgreementRead,
    PortfolioSummary,
    VersionCreate,
    VersionRead,
    VersionUpdate,
)
from accord.http.deps import PageDep, SessionDep
from accord.http.problems import problem_responses
from accord.identity.deps import require
from accord.identity.rules import Actor, Permission
from accord.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, encode_cursor
from accord.kit.time import utc_now
from accord.kit.types import Reason

router = APIRouter(tags=["agreements"], responses=problem_responses(401, 403, 422, 503))

READ = Permission.AGREEMENTS_READ
WRITE = Permission.AGREEMENTS_WRITE
APPROVE = Permission.AGREEMENTS_APPROVE
KeyPath = Annotated[AgreementKey, Path()]
NumberPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
"""A version number (a 32-bit column: larger values would fail in the database, not here)."""
LinkIdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
ReasonQuery = Annotated[Reason, Query(description="Why; recorded in the audit trail.")]
TRANSITION = problem_responses(404, 409)

_ETAG = re.compile(r'^(?:W/)?"([A-Z]+-[0-9]+)/v([0-9]+)/r([0-9]+)"$')


def version_etag(version: VersionRead) -> str:
    return f'"{version.agreement}/v{version.number}/r{version.revision}"'


def expected_revision(if_match: str | None, key: str, number: int) -> int | None:
    """The revision an If-Match header names; an ETag of another version never matches.

    ``*`` counts as no precondition (428): a draft is changed only against the revision read.
    """
    if if_match is None or if_match.strip() == "*":
        return None
    match = _ETAG.match(if_match.strip())
    if match is None or match.group(1) != key or int(match.group(2)) != number:
        return -1
    return int(match.group(3))


def with_etag(response: Response, version: VersionRead) -> VersionRead:
    response.headers["ETag"] = version_etag(version)
    return version


# ---------------------------------------------------------------------------------- agreements


@router.get("/agreements", response_model=Page[AgreementListItem])
def list_agreements(
    session: SessionDep,
    page: PageDep,
    filters: Annotated[AgreementFilter, Depends()],
    actor: Actor = require(READ),
) -> Page[AgreementListItem]:
    items, last = agreements_service.list_agreements(
        session, actor=actor, filters=filters, after=page.after, limit=page.limit
    )
    return Page(items=items, next_cursor=encode_cursor(last) if last is not None else None)


@router.post(
    "/agreements",
    response_model=AgreementRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create an agreement with its first draft version",
)
def create_agreement(
    data: AgreementCreate, session: SessionDep, response: Response, actor: Actor = require(WRITE)
) -> AgreementRead:
    agreement = agreements_service.create_agreement(session, actor=actor, data=data, now=utc_now())
    response.headers["Location"] = f"/api/v1/agreements/{agreement.key}"
    return agreement


@router.get(
    "/agreements/summary",
    response_model=PortfolioSummary,
    summary="How many agreements per kind and headline status",
)
def summarise_portfolio(session: SessionDep, actor: Actor = require(READ)) -> PortfolioSummary:
    return agreements_service.summarise_portfolio(session, actor=actor)


@router.get(
    "/agreements/ending",
    response_model=list[EndingTerm],
    summary="Active terms ending by a date (renewal candidates), soonest first",
)
def list_ending_terms(
    session: SessionDep,
    by: Annotated[date, Query(description="Latest term end to include")],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    actor: Actor = require(READ),
) -> list[EndingTerm]:
    return agreements_service.list_ending_terms(session, actor=actor, by=by, limit=limit)


@router.get("/agreements/{key}", response_model=AgreementRead, responses=problem_responses(404))
def get_agreement(key: KeyPath, session: SessionDep, actor: Actor = require(READ)) -> AgreementRead:
    return agreements_service.get_agreement(session, actor=actor, key=key)


@router.patch("/agreements/{key}", response_model=AgreementRead, responses=problem_responses(404))
def update_agreement(
    key: KeyPath, data: AgreementUpdate, session: SessionDep, actor: Actor = require(WRITE)
) -> AgreementRead:
    return agreements_service.update_agreement(
        session, actor=actor, key=key, data=data, now=utc_now()
    )


@router.delete(
    "/agreements/{key}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=TRANSITION,
    summary="Soft-delete an agreement (refused while active or underpinning an active one)",
)
def delete_agreement(
    key: KeyPath, reason: ReasonQuery, session: SessionDep, actor: Actor = require(WRITE)
) -> Response:
    agreements_service.delete_agreement(session, actor=actor, key=key, reason=reason, now=utc_now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ------------------------------------------------------------------------------------ versions


@router.post(
    "/agreements/{key}/versions",
    response_model=VersionRead,
    status_code=status.HTTP_201_CREATED,
    responses=TRANSITION,
    summary="Start a new draft version from the latest terms",
)
def create_version(
    key: KeyPath,
    data: VersionCreate,
    session: SessionDep,
    response: Response,
    actor: Actor = require(WRITE),
) -> VersionRead:
    version = agreements_service.create_version(
        session, actor=actor, key=key, data=data, now=utc_now()
    )
    response.headers["Location"] = f"/api/v1/agreements/{key}/versions/{version.number}"
    return with_etag(response, version)


@router.get(
    "/agreements/{key}/versions/{number}",
    response_model=VersionRead,
    responses=problem_responses(404),
)
def get_version(
    key: KeyPath,
    number: NumberPath,
    session: SessionDep,
    response: Response,
    actor: Actor = require(READ),
) -> VersionRead:
    return with_etag(
        response, agreements_service.get_version(session, actor=actor, key=key, number=number)
    )


@router.patch(
    "/agreements/{key}/versions/{number}",
    response_model=VersionRead,
    responses=problem_responses(404, 409, 412, 428),
    summary="Change a draft's terms (If-Match required)",
)
def update_version(
    key: KeyPath,
    number: NumberPath,
    data: VersionUpdate,
    session: SessionDep,
    response: Response,
    if_match: Annotated[str | None, Header(description="The ETag from GET")] = None,
    actor: Actor = require(WRITE),
) -> VersionRead:
    version = agreements_service.update_version(
        session,
        actor=actor,
        key=key,
        number=number,
        data=data,
        expected_revision=expected_revision(if_match, key, number),
        now=utc_now(),
    )
    return with_etag(response, version)


# ------------------------------------------------------------------------------ external view


@router.get(
    "/external/agreements",
    response_model=Page[ExternalAgreementRead],
    tags=["external"],
    summary="Your organisation's SLAs (customer-facing view)",
)
def list_external(
    session: SessionDep, page: PageDep, actor: Actor = require(Permission.AGREEMENTS_READ_EXTERNAL)
) -> Page[ExternalAgreementRead]:
    items, last = agreements_service.list_external(
        session, actor=actor, after=page.after, limit=page.limit
    )
    return Page(items=items, next_cursor=encode_cursor(last) if last is not None else None)


@router.get(
    "/external/agreements/{key}",
    response_model=ExternalAgreementRead,
    tags=["external"],
    responses=problem_responses(404),
)
def get_external(
    key: KeyPath, session: SessionDep, actor: Actor = require(Permission.AGREEMENTS_READ_EXTERNAL)
) -> ExternalAgreementRead:
    return agreements_service.get_external(session, actor=actor, key=key)
