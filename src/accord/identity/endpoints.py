"""JSON API of identity: the caller, business units, principals and grants, tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from accord.http.deps import PageDep, SessionDep, SettingsDep
from accord.http.problems import problem_responses
from accord.identity import service as identity_service
from accord.identity.deps import require
from accord.identity.rules import Actor, Permission
from accord.identity.schemas import (
    BusinessUnitCreate,
    BusinessUnitRead,
    BusinessUnitUpdate,
    GrantCreate,
    Me,
    PrincipalCreate,
    PrincipalRead,
    PrincipalUpdate,
    TokenCreate,
    TokenCreated,
    TokenRead,
)
from accord.kit.pagination import Page, encode_cursor
from accord.kit.time import utc_now
from accord.kit.types import Code

router = APIRouter(tags=["identity"], responses=problem_responses(401, 403, 422, 503))

UnitCode = Annotated[Code, Path(description="Business unit code")]
PrincipalName = Annotated[Code, Path(description="Principal login name")]


@router.get("/me", response_model=Me, summary="Who am I, and what may I do where")
def read_me(session: SessionDep, actor: Actor = require(None)) -> Me:
    return identity_service.me(session, actor=actor)


@router.get("/business-units", response_model=list[BusinessUnitRead])
def list_business_units(
    session: SessionDep, actor: Actor = require(Permission.CATALOGUE_READ)
) -> list[BusinessUnitRead]:
    return identity_service.list_business_units(session, actor=actor)


@router.post(
    "/business-units",
    response_model=BusinessUnitRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
def create_business_unit(
    data: BusinessUnitCreate,
    session: SessionDep,
    response: Response,
    actor: Actor = require(Permission.IDENTITY_ADMIN, everywhere=True),
) -> BusinessUnitRead:
    unit = identity_service.create_business_unit(session, actor=actor, data=data, now=utc_now())
    response.headers["Location"] = f"/api/v1/business-units/{unit.code}"
    return unit


@router.get(
    "/business-units/{code}", response_model=BusinessUnitRead, responses=problem_responses(404)
)
def get_business_unit(
    code: UnitCode, session: SessionDep, actor: Actor = require(Permission.CATALOGUE_READ)
) -> BusinessUnitRead:
    return identity_service.get_business_unit(session, actor=actor, code=code)


@router.patch(
    "/business-units/{code}", response_model=BusinessUnitRead, responses=problem_responses(404)
)
def update_business_unit(
    code: UnitCode,
    data: BusinessUnitUpdate,
    session: SessionDep,
    actor: Actor = require(Permission.IDENTITY_ADMIN, everywhere=True),
) -> BusinessUnitRead:
    return identity_service.update_business_unit(
        session, actor=actor, code=code, data=data, now=utc_now()
    )


@router.get("/principals", response_model=Page[PrincipalRead])
def list_principals(
    session: SessionDep, page: PageDep, actor: Actor = require(Permission.IDENTITY_READ)
) -> Page[PrincipalRead]:
    items, last = identity_service.list_principals(
        session, actor=actor, after=page.after, limit=page.limit
    )
    return Page(items=items, next_cursor=encode_cursor(last) if last is not None else None)


@router.post(
    "/principals",
    response_model=PrincipalRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
def create_principal(
    data: PrincipalCreate,
    session: SessionDep,
    response: Response,
    actor: Actor = require(Permission.IDENTITY_ADMIN, everywhere=True),
) -> PrincipalRead:
    principal = identity_service.create_principal(session, actor=actor, data=data, now=utc_now())
    response.headers["Location"] = f"/api/v1/principals/{principal.name}"
    return principal


@router.get("/principals/{name}", response_model=PrincipalRead, responses=problem_responses(404))
def get_principal(
    name: PrincipalName, session: SessionDep, actor: Actor = require(Permission.IDENTITY_READ)
) -> PrincipalRead:
    return identity_service.get_principal(session, actor=actor, name=name)


@router.patch("/principals/{name}", response_model=PrincipalRead, responses=problem_responses(404))
def update_principal(
    name: PrincipalName,
    data: PrincipalUpdate,
    session: SessionDep,
    actor: Actor = require(Permission.IDENTITY_ADMIN, everywhere=True),
) -> PrincipalRead:
    return identity_service.update_principal(
        session, actor=actor, name=name, data=data, now=utc_now()
    )


@router.post(
    "/principals/{name}/grants",
    response_model=PrincipalRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 409),
)
def grant_role(
    name: PrincipalName,
    data: GrantCreate,
    session: SessionDep,
    actor: Actor = require(Permission.IDENTITY_ADMIN, everywhere=True),
) -> PrincipalRead:
    return identity_service.grant_role(session, actor=actor, name=name, data=data, now=utc_now())


@router.delete(
    "/principals/{name}/grants/{grant_id}",
    response_model=PrincipalRead,
    responses=problem_responses(404),
)
def revoke_grant(
    name: PrincipalName,
    grant_id: int,
    session: SessionDep,
    actor: Actor = require(Permission.IDENTITY_ADMIN, everywhere=True),
) -> PrincipalRead:
    return identity_service.revoke_grant(
        session, actor=actor, name=name, grant_id=grant_id, now=utc_now()
    )


@router.get("/tokens", response_model=list[TokenRead], responses=problem_responses(404))
def list_tokens(
    session: SessionDep,
    principal: Annotated[Code | None, Query(description="Whose tokens; default: yours")] = None,
    include_revoked: bool = False,
    actor: Actor = require(Permission.TOKENS_OWN),
) -> list[TokenRead]:
    return identity_service.list_tokens(
        session, actor=actor, principal=principal, include_revoked=include_revoked
    )


@router.post(
    "/tokens",
    response_model=TokenCreated,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404),
    summary="Create an API token (the secret is shown once)",
)
def create_token(
    data: TokenCreate,
    session: SessionDep,
    settings: SettingsDep,
    actor: Actor = require(Permission.TOKENS_OWN),
) -> TokenCreated:
    return identity_service.create_token(
        session, actor=actor, data=data, settings=settings.tokens, now=utc_now()
    )


@router.delete("/tokens/{token_id}", response_model=TokenRead, responses=problem_responses(404))
def revoke_token(
    token_id: int, session: SessionDep, actor: Actor = require(Permission.TOKENS_OWN)
) -> TokenRead:
    return identity_service.revoke_token(session, actor=actor, token_id=token_id, now=utc_now())
