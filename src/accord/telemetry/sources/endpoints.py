"""JSON API of the source registry: sources, their mappings and ingest tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from accord.http.deps import SessionDep, SettingsDep
from accord.http.problems import problem_responses
from accord.identity.deps import require
from accord.identity.rules import Actor, Permission
from accord.identity.schemas import TokenCreated
from accord.kit.time import utc_now
from accord.kit.types import Slug
from accord.telemetry.sources import service as sources_service
from accord.telemetry.sources.schemas import (
    MappingCreate,
    MappingRead,
    SourceCreate,
    SourceRead,
    SourceTokenCreate,
)

router = APIRouter(tags=["telemetry"], responses=problem_responses(401, 403, 422, 503))

READ = Permission.OBJECTIVES_READ
MANAGE = Permission.TELEMETRY_MANAGE
NamePath = Annotated[Slug, Path(description="The source's name.")]


@router.get("/telemetry/sources", response_model=list[SourceRead])
def list_sources(session: SessionDep, actor: Actor = require(READ)) -> list[SourceRead]:
    return sources_service.list_sources(session, actor=actor)


@router.post(
    "/telemetry/sources",
    response_model=SourceRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 409),
    summary="Register a telemetry source (and its machine principal for ingest tokens)",
)
def create_source(
    data: SourceCreate, session: SessionDep, response: Response, actor: Actor = require(MANAGE)
) -> SourceRead:
    source = sources_service.create_source(session, actor=actor, data=data, now=utc_now())
    response.headers["Location"] = f"/api/v1/telemetry/sources/{source.name}"
    return source


@router.get(
    "/telemetry/sources/{name}", response_model=SourceRead, responses=problem_responses(404)
)
def get_source(name: NamePath, session: SessionDep, actor: Actor = require(READ)) -> SourceRead:
    return sources_service.get_source(session, actor=actor, name=name)


@router.get(
    "/telemetry/sources/{name}/mappings",
    response_model=list[MappingRead],
    responses=problem_responses(404),
)
def list_mappings(
    name: NamePath, session: SessionDep, actor: Actor = require(READ)
) -> list[MappingRead]:
    return sources_service.list_mappings(session, actor=actor, source=name)


@router.post(
    "/telemetry/sources/{name}/mappings",
    response_model=MappingRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 409),
    summary="Map a metric (push) or a query pair (pull) of the source to an objective's SLI",
)
def create_mapping(
    name: NamePath, data: MappingCreate, session: SessionDep, actor: Actor = require(MANAGE)
) -> MappingRead:
    return sources_service.create_mapping(
        session, actor=actor, source=name, data=data, now=utc_now()
    )


@router.delete(
    "/telemetry/sources/{name}/mappings/{mapping_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404),
)
def delete_mapping(
    name: NamePath, mapping_id: int, session: SessionDep, actor: Actor = require(MANAGE)
) -> Response:
    sources_service.delete_mapping(
        session, actor=actor, source=name, mapping_id=mapping_id, now=utc_now()
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/telemetry/sources/{name}/tokens",
    response_model=TokenCreated,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404),
    summary="Issue an ingest token for the source (the secret is shown once)",
)
def issue_token(
    name: NamePath,
    data: SourceTokenCreate,
    session: SessionDep,
    settings: SettingsDep,
    actor: Actor = require(MANAGE),
) -> TokenCreated:
    return sources_service.issue_token(
        session, actor=actor, name=name, data=data, settings=settings.tokens, now=utc_now()
    )
