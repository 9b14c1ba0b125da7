"""Use cases of the source registry: register sources, map their metrics to objectives, issue
their ingest tokens. Reading needs ``objectives:read`` in the source's unit; every change needs
``telemetry:manage`` there and is audited. Nothing here commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from accord.audit import service as audit_service
from accord.config import TokenSettings
from accord.identity import service as identity_service
from accord.identity.rules import Actor, Permission
from accord.identity.schemas import TokenCreate, TokenCreated
from accord.kit.errors import Conflict, FieldProblem, InvalidInput, NotFound
from accord.objectives import service as objectives_service
from accord.objectives.rules import objective_key
from accord.telemetry.enums import MappingRole
from accord.telemetry.sources import rules
from accord.telemetry.sources.models import SourceMapping, TelemetrySource
from accord.telemetry.sources.repository import MappingRepository, SourceRepository
from accord.telemetry.sources.schemas import (
    MappingCreate,
    MappingRead,
    SourceCreate,
    SourceRead,
    SourceTokenCreate,
)

READ = Permission.OBJECTIVES_READ
MANAGE = Permission.TELEMETRY_MANAGE
PRINCIPAL_PREFIX = "source-"
"""A source's machine principal is ``source-<name>``."""


# ------------------------------------------------------------------------------------ sources


def create_source(
    session: Session, *, actor: Actor, data: SourceCreate, now: datetime
) -> SourceRead:
    unit = identity_service.unit_id(session, data.business_unit, field="business_unit")
    actor.require(MANAGE, unit)
    if data.kind in rules.PULLED_KINDS and data.base_url is None:
        raise InvalidInput.field("base_url", f"a {data.kind.value} source is pulled from an API")
    repo = SourceRepository(session)
    if repo.name_taken(data.name):
        raise Conflict(
            f"source {data.name!r} exists already", problems=[FieldProblem("name", "taken")]
        )
    owner = _owner_id(session, data.owner)
    principal_id = identity_service.create_source_principal(
        session,
        actor=actor,
        name=PRINCIPAL_PREFIX + data.name,
        display_name=f"Telemetry source {data.display_name or data.name}",
        business_unit_id=unit,
        now=now,
    )
    source = repo.add(
        TelemetrySource(
            name=data.name,
            display_name=data.display_name or data.name,
            kind=data.kind,
            business_unit_id=unit,
            owner_id=owner,
            principal_id=principal_id,
            expected_interval_seconds=data.expected_interval_seconds,
            time_zone=data.time_zone,
            latency_unit=data.latency_unit,
            base_url=data.base_url,
            naming_pattern=data.naming_pattern,
            created_by=actor.name,
            created_at=now,
            updated_at=now,
        )
    )
    read = present_sources(session, [source])[0]
    _record(
        session, actor, "telemetry_source.created", source, now, after=read.model_dump(mode="json")
    )
    return read


def list_sources(session: Session, *, actor: Actor) -> list[SourceRead]:
    return present_sources(
        session, SourceRepository(session).visible(actor.scope(READ).unit_filter)
    )


def get_source(session: Session, *, actor: Actor, name: str) -> SourceRead:
    return present_sources(session, [visible_source(session, actor=actor, name=name)])[0]


def visible_source(
    session: Session, *, actor: Actor, name: str, permission: Permission = READ
) -> TelemetrySource:
    """The source if the actor may see (or, with ``permission``, manage) it; else "not found"."""
    source = SourceRepository(session).by_name(name)
    if source is None or not actor.can(permission, source.business_unit_id):
        raise NotFound(f"no telemetry source {name}")
    return source


def source_of_principal(session: Session, principal_id: int | None) -> TelemetrySource | None:
    """The source whose machine principal this is (the caller of a push), if any."""
    return None if principal_id is None else SourceRepository(session).of_principal(principal_id)


def visible_sources(session: Session, *, units: frozenset[int] | None) -> list[TelemetrySource]:
    """Live sources of these units (None: all)."""
    return SourceRepository(session).visible(units)


def sources_by_ids(session: Session, ids: set[int]) -> dict[int, TelemetrySource]:
    return SourceRepository(session).by_ids(ids)


def issue_token(
    session: Session,
    *,
    actor: Actor,
    name: str,
    data: SourceTokenCreate,
    settings: TokenSettings,
    now: datetime,
) -> TokenCreated:
    """An ingest token for the source: its machine principal holds only ``ingest`` in the
    source's unit, so the token can push telemetry there and do nothing else."""
    source = visible_source(session, actor=actor, name=name, permission=MANAGE)
    return identity_service.issue_source_token(
        session,
        actor=actor,
        principal_id=source.principal_id,
        data=TokenCreate(name=data.name, expires_in_days=data.expires_in_days),
        settings=settings,
        now=now,
    )


def present_sources(session: Session, sources: list[TelemetrySource]) -> list[SourceRead]:
    units = identity_service.unit_codes(session, (s.business_unit_id for s in sources))
    names = identity_service.principal_names(
        session, [s.owner_id for s in sources] + [s.principal_id for s in sources]
    )
    return [
        SourceRead(
            name=s.name,
            display_name=s.display_name,
            kind=s.kind,
            business_unit=units[s.business_unit_id],
            owner=names.get(s.owner_id) if s.owner_id is not None else None,
            principal=names[s.principal_id],
            expected_interval_seconds=s.expected_interval_seconds,
            time_zone=s.time_zone,
            latency_unit=s.latency_unit,
            base_url=s.base_url,
            naming_pattern=s.naming_pattern,
            created_at=s.created_at,
            updated_at=s.updated_at,
        )
        for s in sources
    ]


# ----------------------------------------------------------------------------------- mappings


def create_mapping(
    session: Session, *, actor: Actor, source: str, data: MappingCreate, now: datetime
) -> MappingRead:
    """Map a source's metric (push) or queries (pull) to an objective's SLI in a role. The
    objective must be in the source's business unit: a source's token may feed only there."""
    found = visible_source(session, actor=actor, name=source, permission=MANAGE)
    objective = objectives_service.visible_objective(session, actor=actor, key=data.objective)
    if objective.business_unit_id != found.business_unit_id:
        raise InvalidInput.field("objective", f"{data.objective} is in another business unit")
    rules.check_mapping_shape(
        found.kind,
        metric=data.metric,
        good_query=data.good_query,
        error_query=data.error_query,
        total_query=data.total_query,
    )
    _check_names(found, data)
    repo = MappingRepository(session)
    if repo.of_objective(objective.id, data.role) is not None:
        raise Conflict(
            f"{data.objective} has a {data.role.value} source already",
            problems=[FieldProblem("role", "taken")],
        )
    other = MappingRole.SECONDARY if data.role is MappingRole.PRIMARY else MappingRole.PRIMARY
    counterpart = repo.of_objective(objective.id, other)
    if counterpart is not None and counterpart.source_id == found.id:
        raise InvalidInput.field("role", "a source cannot be both primary and secondary")
    if data.metric is not None and data.metric in repo.by_metrics(found.id, [data.metric]):
        raise Conflict(
            f"{source} maps {data.metric!r} already", problems=[FieldProblem("metric", "taken")]
        )
    mapping = repo.add(
        SourceMapping(
            source_id=found.id,
            objective_id=objective.id,
            role=data.role,
            metric=data.metric,
            good_query=data.good_query,
            error_query=data.error_query,
            total_query=data.total_query,
            per_second=data.per_second,
            created_by=actor.name,
            created_at=now,
            updated_at=now,
        )
    )
    read = _present_mapping(mapping, found.name)
    _record(
        session, actor, "source_mapping.created", found, now, after=read.model_dump(mode="json")
    )
    return read


def list_mappings(session: Session, *, actor: Actor, source: str) -> list[MappingRead]:
    found = visible_source(session, actor=actor, name=source)
    return [_present_mapping(m, found.name) for m in MappingRepository(session).of_source(found.id)]


def delete_mapping(
    session: Session, *, actor: Actor, source: str, mapping_id: int, now: datetime
) -> None:
    found = visible_source(session, actor=actor, name=source, permission=MANAGE)
    mapping = MappingRepository(session).get(mapping_id)
    if mapping is None or mapping.deleted_at is not None or mapping.source_id != found.id:
        raise NotFound(f"{source} has no mapping {mapping_id}")
    before = _present_mapping(mapping, found.name)
    mapping.deleted_at = now
    session.flush()
    _record(
        session, actor, "source_mapping.deleted", found, now, before=before.model_dump(mode="json")
    )


def mappings_of(session: Session, source_id: int) -> list[SourceMapping]:
    """The live mappings of a source (for its pull jobs)."""
    return MappingRepository(session).of_source(source_id)


def mapping_of(session: Session, objective_id: int, role: MappingRole) -> SourceMapping | None:
    return MappingRepository(session).of_objective(objective_id, role)


def objectives_of_metrics(session: Session, source_id: int, metrics: set[str]) -> dict[str, int]:
    """metric name → objective id for the source's push mappings."""
    return MappingRepository(session).by_metrics(source_id, metrics)


def sources_feeding(session: Session, objective_ids: set[int]) -> dict[int, set[int]]:
    """objective id → the sources mapped to it; objectives without mappings are absent (any
    authorised sender may feed them)."""
    return MappingRepository(session).feeding(objective_ids)


def secondary_for(session: Session, source_id: int, objective_ids: set[int]) -> set[int]:
    """The objectives among these that the source feeds as their secondary."""
    return MappingRepository(session).secondary_role(source_id, objective_ids)


def _check_names(source: TelemetrySource, data: MappingCreate) -> None:
    if data.metric is not None:
        rules.check_metric_name(source.kind, data.metric, source.naming_pattern, field="metric")
    for field in ("good_query", "error_query", "total_query"):
        query = getattr(data, field)
        if query is None:
            continue
        rules.check_query_labels(source.kind, query, field=field)
        names = rules.query_metric_names(source.kind, query)
        if not names:
            raise InvalidInput.field(field, "names no metric")
        for name in names:
            rules.check_metric_name(source.kind, name, source.naming_pattern, field=field)


def _present_mapping(mapping: SourceMapping, source: str) -> MappingRead:
    return MappingRead(
        id=mapping.id,
        source=source,
        objective=objective_key(mapping.objective_id),
        role=mapping.role,
        metric=mapping.metric,
        good_query=mapping.good_query,
        error_query=mapping.error_query,
        total_query=mapping.total_query,
        per_second=mapping.per_second,
        created_at=mapping.created_at,
    )


def _owner_id(session: Session, name: str | None) -> int | None:
    if name is None:
        return None
    principal = identity_service.find_principal(session, name)
    if principal is None:
        raise InvalidInput.field("owner", f"no principal {name}")
    return principal.id


def _record(
    session: Session,
    actor: Actor,
    action: str,
    source: TelemetrySource,
    now: datetime,
    *,
    before: object = None,
    after: object = None,
) -> None:
    audit_service.record_event(
        session,
        actor=actor,
        action=action,
        entity_type="telemetry_source",
        entity_key=source.name,
        business_unit_id=source.business_unit_id,
        before=before,
        after=after,
        now=now,
    )
