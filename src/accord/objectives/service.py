"""Use cases of objectives. An objective belongs to a service and is visible inside the service's
business unit only (404 elsewhere); a contractual one also belongs to an agreement version's terms,
which it joins while that version is a draft."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from accord.agreements import service as agreements_service
from accord.agreements.enums import VersionStatus
from accord.audit import service as audit_service
from accord.catalogue import service as catalogue_service
from accord.engine.periods import calendar_window, rolling_window
from accord.identity import service as identity_service
from accord.identity.enums import PrincipalKind
from accord.identity.rules import Actor, Permission
from accord.kit.errors import Conflict, FieldValueError, InvalidInput, NotFound, RuleViolation
from accord.objectives import rules
from accord.objectives.enums import CalendarUnit, MonitoringMode, WindowKind
from accord.objectives.models import Objective
from accord.objectives.repository import ObjectiveRepository, PolicyNameRepository
from accord.objectives.schemas import (
    Alerting,
    CalendarWindow,
    FeedTarget,
    ObjectiveCreate,
    ObjectiveDefinition,
    ObjectiveFilter,
    ObjectiveOrigin,
    ObjectiveRead,
    ObjectiveUpdate,
    RollingWindow,
    TierExceptionRead,
    Window,
)

READ = Permission.OBJECTIVES_READ
WRITE = Permission.OBJECTIVES_WRITE


def list_objectives(
    session: Session, *, actor: Actor, filters: ObjectiveFilter, after: int | None, limit: int
) -> tuple[list[ObjectiveRead], int | None]:
    actor.require_anywhere(READ)
    service_id = agreement_id = None
    if filters.service is not None:
        service_id = catalogue_service.visible_service(
            session, actor=actor, slug=filters.service
        ).id
    if filters.agreement is not None:
        agreement_id = agreements_service.visible_agreement(session, actor, filters.agreement).id
    rows = ObjectiveRepository(session).page(
        units=actor.scope(READ).unit_filter,
        service_id=service_id,
        agreement_id=agreement_id,
        monitoring_mode=filters.monitoring_mode,
        source=filters.source,
        after=after,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return present_objectives(session, rows), rows[-1].id if more and rows else None


def all_objectives(
    session: Session, *, actor: Actor, filters: ObjectiveFilter, page: int = 500
) -> list[ObjectiveRead]:
    """Every live objective matching ``filters`` that the actor may read, page by page."""
    rows: list[ObjectiveRead] = []
    after = None
    while True:
        found, after = list_objectives(
            session, actor=actor, filters=filters, after=after, limit=page
        )
        rows += found
        if after is None:
            return rows


def get_objective(session: Session, *, actor: Actor, key: str) -> ObjectiveRead:
    return present_objectives(session, [visible_objective(session, actor=actor, key=key)])[0]


def visible_objective(
    session: Session, *, actor: Actor, key: str, permission: Permission = READ
) -> Objective:
    """The objective if the actor may see it; otherwise exactly the "does not exist" answer."""
    id_ = rules.objective_id(key)
    objective = ObjectiveRepository(session).get(id_) if id_ is not None else None
    if (
        objective is None
        or objective.deleted_at is not None
        or not actor.can(permission, objective.business_unit_id)
    ):
        raise NotFound(f"no objective {key}")
    return objective


def create_objective(
    session: Session,
    *,
    actor: Actor,
    data: ObjectiveCreate,
    now: datetime,
    origin: ObjectiveOrigin | None = None,
) -> ObjectiveRead:
    """A new objective. ``origin`` records where an imported definition came from."""
    service = catalogue_service.visible_service(session, actor=actor, slug=data.service)
    actor.require(WRITE, service.business_unit_id)
    repo = ObjectiveRepository(session)
    if repo.by_service_and_name(service.id, data.name) is not None:
        raise Conflict(f"{service.slug} already has an objective {data.name!r}")
    tier = catalogue_service.tiers_by_level(session)[service.tier_level]
    excepted = _check_exception(actor, service.business_unit_id, data.tier_exception is not None)
    rules.check_tier_minimum(data.target, tier.min_target, tier.level, excepted=excepted)
    agreement_id, version_id = _terms(session, actor, data.agreement, data.version, service.id)
    objective = Objective(
        service_id=service.id,
        business_unit_id=service.business_unit_id,
        name=data.name,
        display_name=data.display_name or data.name,
        description=data.description,
        agreement_id=agreement_id,
        version_id=version_id,
        sli_kind=data.sli_kind,
        latency_threshold_ms=data.latency_threshold_ms,
        target=data.target,
        budgeting_method=data.budgeting_method,
        timeslice_seconds=data.timeslice_seconds,
        timeslice_threshold=data.timeslice_threshold,
        missing_data=data.missing_data,
        monitoring_mode=data.monitoring_mode
        or (MonitoringMode.ACTIVE if tier.active_monitoring_required else MonitoringMode.PASSIVE),
        evaluation_interval_seconds=data.evaluation_interval_seconds
        or tier.evaluation_interval_seconds,
        source=data.source,
        queries=dict(data.queries),
        labels=dict(data.labels),
        alerting=data.alerting.model_dump(mode="json"),
        origin=origin.model_dump(mode="json") if origin is not None else None,
        provider_owner_id=_principal_id(session, data.provider_owner, field="provider_owner"),
        customer_owner_id=_principal_id(session, data.customer_owner, field="customer_owner"),
        policy_id=_policy_id(session, data.policy, service.business_unit_id),
        created_by=actor.name,
        created_at=now,
        updated_at=now,
    )
    _set_window(objective, data.window)
    if data.tier_exception is not None and data.target < tier.min_target:
        _grant_exception(objective, data.tier_exception.reason, actor, now)
    repo.add(objective)
    read = present_objectives(session, [objective])[0]
    _record(session, actor, "objective.created", objective, now, after=read)
    return read


def update_objective(
    session: Session, *, actor: Actor, key: str, data: ObjectiveUpdate, now: datetime
) -> ObjectiveRead:
    objective = visible_objective(session, actor=actor, key=key)
    actor.require(WRITE, objective.business_unit_id)
    before = present_objectives(session, [objective])[0]
    changes = data.model_dump(exclude_unset=True)
    for name in ("display_name", "description", "monitoring_mode", "evaluation_interval_seconds"):
        if name in changes and changes[name] is None:
            raise InvalidInput.field(name, "may not be null")
    rules.check_terms_editable(
        {n for n in changes if n in rules.TERM_FIELDS and changes[n] is not None},
        contractual=objective.version_id is not None,
        draft=_version_is_draft(session, objective),
    )
    if "queries" in changes:
        try:
            rules.check_queries(objective.source, changes["queries"] or {})
        except FieldValueError as error:
            raise InvalidInput.field(error.field, error.message) from error
    target = data.target if data.target is not None else objective.target
    services = catalogue_service.services_by_ids(session, [objective.service_id])
    tier = catalogue_service.tiers_by_level(session)[services[objective.service_id].tier_level]
    # The minimum judges a new target. An unchanged one keeps its standing (the exception granted
    # for it, or a minimum raised since), so its other fields stay editable; only an approver
    # grants or rewrites an exception.
    requested = data.tier_exception is not None
    unchanged = data.target is None
    excepted = _check_exception(actor, objective.business_unit_id, requested) or unchanged
    rules.check_tier_minimum(target, tier.min_target, tier.level, excepted=excepted)
    if target >= tier.min_target:
        _clear_exception(objective)
    elif data.tier_exception is not None:
        _grant_exception(objective, data.tier_exception.reason, actor, now)
    for name in (
        "display_name",
        "description",
        "target",
        "monitoring_mode",
        "evaluation_interval_seconds",
    ):
        if changes.get(name) is not None:
            setattr(objective, name, changes[name])
    if data.window is not None:
        _set_window(objective, data.window)
    if "queries" in changes:
        objective.queries = dict(changes["queries"] or {})
    if "labels" in changes:
        objective.labels = dict(changes["labels"] or {})
    if "alerting" in changes:
        objective.alerting = (data.alerting or Alerting()).model_dump(mode="json")
    if "provider_owner" in changes:
        objective.provider_owner_id = _principal_id(
            session, data.provider_owner, field="provider_owner"
        )
    if "customer_owner" in changes:
        objective.customer_owner_id = _principal_id(
            session, data.customer_owner, field="customer_owner"
        )
    if "policy" in changes:
        objective.policy_id = _policy_id(session, data.policy, objective.business_unit_id)
    objective.updated_at = now
    session.flush()
    read = present_objectives(session, [objective])[0]
    _record(session, actor, "objective.updated", objective, now, before=before, after=read)
    return read


def delete_objective(session: Session, *, actor: Actor, key: str, now: datetime) -> None:
    """Soft delete: reports and credits that refer to the objective keep it."""
    objective = visible_objective(session, actor=actor, key=key)
    actor.require(WRITE, objective.business_unit_id)
    if objective.version_id is not None and not _version_is_draft(session, objective):
        raise RuleViolation(
            "terms-frozen",
            f"{rules.objective_key(objective.id)} is part of approved agreement terms: "
            "supersede the agreement version",
        )
    before = present_objectives(session, [objective])[0]
    objective.deleted_at = now
    objective.updated_at = now
    session.flush()
    _record(session, actor, "objective.deleted", objective, now, before=before)


# ------------------------------------------------------------------ for the evaluator and interop


def definitions(
    session: Session, *, units: frozenset[int] | None = None, ids: Iterable[int] | None = None
) -> list[ObjectiveDefinition]:
    """Every live objective (or the given ones) as the evaluator needs it."""
    windows: dict[tuple[Any, ...], Window] = {}
    found = []
    for row in ObjectiveRepository(session).definition_rows(units=units, ids=ids):
        # Thousands of objectives share a handful of windows: build each once.
        shape = (row.window_kind, row.window_days, row.calendar_unit, row.time_zone)
        if shape not in windows:
            windows[shape] = _window(*shape)
        found.append(
            ObjectiveDefinition(
                id=row.id,
                key=rules.objective_key(row.id),
                service_id=row.service_id,
                business_unit_id=row.business_unit_id,
                target=row.target,
                budgeting_method=row.budgeting_method,
                timeslice_seconds=row.timeslice_seconds,
                timeslice_threshold=row.timeslice_threshold,
                missing_data=row.missing_data,
                window=windows[shape],
                monitoring_mode=row.monitoring_mode,
                evaluation_interval_seconds=row.evaluation_interval_seconds,
                policy_id=row.policy_id,
            )
        )
    return found


def definitions_fingerprint(session: Session) -> str:
    """A digest of what `definitions` returns for every live objective, read in one narrow
    query: an evaluator that kept the definitions knows from it whether to read them again."""
    digest = hashlib.sha256()
    for line in ObjectiveRepository(session).definition_lines():
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def objectives_of_services(session: Session, service_ids: Iterable[int]) -> list[Objective]:
    return ObjectiveRepository(session).of_services(service_ids)


def live_units(session: Session, ids: Iterable[int]) -> dict[int, int]:
    """objective id → business unit of the live ones among ``ids`` (one narrow query: a
    telemetry load checks every objective it writes for)."""
    return ObjectiveRepository(session).live_units(ids)


def feed_targets(session: Session, ids: Iterable[int], now: datetime) -> dict[int, FeedTarget]:
    """What ingestion needs of the live objectives among ``ids``: their unit, latency
    threshold and the start of their open window (the current calendar period, or the rolling
    window ending now). Unknown and deleted objectives are absent."""
    targets = {}
    # Thousands of objectives share a handful of windows: each is cut once.
    opened: dict[tuple[Any, ...], datetime] = {}
    for oid, unit, threshold, kind, days, calendar_unit, zone in ObjectiveRepository(
        session
    ).feed_rows(ids):
        window = (kind, days, calendar_unit, zone)
        open_since = opened.get(window)
        if open_since is None:
            if kind is WindowKind.CALENDAR:
                open_since = calendar_window(now, calendar_unit, zone)[0]
            else:
                open_since = rolling_window(now, days)[0]
            opened[window] = open_since
        targets[int(oid)] = FeedTarget(
            business_unit_id=int(unit),
            latency_threshold_ms=None if threshold is None else float(threshold),
            open_since=open_since,
        )
    return targets


def policy_in_use(session: Session, policy_id: int) -> bool:
    return ObjectiveRepository(session).using_policy(policy_id)


def window_of(objective: Objective) -> Window:
    return _window(
        objective.window_kind, objective.window_days, objective.calendar_unit, objective.time_zone
    )


def _window(
    kind: WindowKind, days: int | None, unit: CalendarUnit | None, time_zone: str
) -> Window:
    if kind is WindowKind.CALENDAR:
        assert unit is not None
        return CalendarWindow(unit=unit, time_zone=time_zone)
    assert days is not None
    return RollingWindow(days=days)


def present_objectives(session: Session, objectives: list[Objective]) -> list[ObjectiveRead]:
    services = catalogue_service.services_by_ids(session, {o.service_id for o in objectives})
    units = identity_service.unit_codes(session, (o.business_unit_id for o in objectives))
    principals = identity_service.principal_names(
        session,
        [o.provider_owner_id for o in objectives] + [o.customer_owner_id for o in objectives],
    )
    agreements = agreements_service.agreement_keys(session, (o.agreement_id for o in objectives))
    versions = agreements_service.version_numbers(session, (o.version_id for o in objectives))
    policies = PolicyNameRepository(session).labels_by_ids(
        (o.policy_id for o in objectives), "name"
    )
    return [
        ObjectiveRead(
            key=rules.objective_key(o.id),
            service=services[o.service_id].slug,
            business_unit=units[o.business_unit_id],
            name=o.name,
            display_name=o.display_name,
            description=o.description,
            agreement=agreements.get(o.agreement_id) if o.agreement_id else None,
            version=versions.get(o.version_id) if o.version_id else None,
            sli_kind=o.sli_kind,
            latency_threshold_ms=o.latency_threshold_ms,
            target=o.target,
            budgeting_method=o.budgeting_method,
            timeslice_seconds=o.timeslice_seconds,
            timeslice_threshold=o.timeslice_threshold,
            missing_data=o.missing_data,
            window=window_of(o),
            monitoring_mode=o.monitoring_mode,
            evaluation_interval_seconds=o.evaluation_interval_seconds,
            source=o.source,
            queries=o.queries,
            labels=o.labels,
            alerting=Alerting.model_validate(o.alerting),
            provider_owner=principals.get(o.provider_owner_id) if o.provider_owner_id else None,
            customer_owner=principals.get(o.customer_owner_id) if o.customer_owner_id else None,
            policy=policies.get(o.policy_id) if o.policy_id else None,
            tier_exception=TierExceptionRead(
                reason=o.below_tier_minimum_reason,
                approved_by=o.below_tier_minimum_approved_by or "",
                approved_at=o.below_tier_minimum_approved_at or o.created_at,
            )
            if o.below_tier_minimum_reason
            else None,
            origin=ObjectiveOrigin.model_validate(o.origin) if o.origin is not None else None,
            created_at=o.created_at,
            updated_at=o.updated_at,
        )
        for o in objectives
    ]


# ---------------------------------------------------------------------------------- internals


def _set_window(objective: Objective, window: Window) -> None:
    if isinstance(window, CalendarWindow):
        objective.window_kind = WindowKind.CALENDAR
        objective.window_days = None
        objective.calendar_unit = window.unit
        objective.time_zone = window.time_zone
    else:
        objective.window_kind = WindowKind.ROLLING
        objective.window_days = window.days
        objective.calendar_unit = None
        objective.time_zone = "UTC"


def _check_exception(actor: Actor, unit: int, requested: bool) -> bool:
    if requested and not actor.can(Permission.AGREEMENTS_APPROVE, unit):
        raise RuleViolation(
            "tier-exception-unapproved",
            "only an approver of the business unit may set a target below the tier's minimum",
            field="tier_exception",
        )
    return requested


def _grant_exception(objective: Objective, reason: str, actor: Actor, now: datetime) -> None:
    objective.below_tier_minimum_reason = reason
    objective.below_tier_minimum_approved_by = actor.name
    objective.below_tier_minimum_approved_at = now


def _clear_exception(objective: Objective) -> None:
    objective.below_tier_minimum_reason = None
    objective.below_tier_minimum_approved_by = None
    objective.below_tier_minimum_approved_at = None


def _terms(
    session: Session, actor: Actor, key: str | None, number: int | None, service_id: int
) -> tuple[int | None, int | None]:
    if key is None or number is None:
        return None, None
    agreement = agreements_service.visible_agreement(session, actor, key)
    version = agreements_service.version_of(session, agreement, number)
    if version.status is not VersionStatus.DRAFT:
        raise RuleViolation(
            "terms-frozen",
            f"{agreement.key} v{number} is {version.status.value}: objectives join the terms of a "
            "draft version",
            field="version",
        )
    if service_id not in {s.id for s in agreements_service.covered_services(session, version)}:
        raise RuleViolation(
            "service-not-covered",
            f"{agreement.key} v{number} does not cover the objective's service",
            field="service",
        )
    return agreement.id, version.id


def _version_is_draft(session: Session, objective: Objective) -> bool:
    if objective.version_id is None:
        return True
    return agreements_service.version_status(session, objective.version_id) is VersionStatus.DRAFT


def _principal_id(session: Session, name: str | None, *, field: str) -> int | None:
    if name is None:
        return None
    principal = identity_service.find_principal(session, name)
    if principal is None or principal.kind is not PrincipalKind.USER:
        raise InvalidInput.field(field, f"no user {name!r}")
    return principal.id


def _policy_id(session: Session, name: str | None, unit: int) -> int | None:
    """A policy of the objective's own unit: another unit's policies are not visible here."""
    if name is None:
        return None
    policy = PolicyNameRepository(session).by_name(name)
    if policy is None or policy.business_unit_id != unit:
        raise InvalidInput.field("policy", f"no error budget policy {name!r}")
    return policy.id


def _record(
    session: Session,
    actor: Actor,
    action: str,
    objective: Objective,
    now: datetime,
    *,
    before: ObjectiveRead | None = None,
    after: ObjectiveRead | None = None,
) -> None:
    dump: Any = lambda read: read.model_dump(mode="json") if read is not None else None  # noqa: E731
    audit_service.record_event(
        session,
        actor=actor,
        action=action,
        entity_type="objective",
        entity_key=rules.objective_key(objective.id),
        business_unit_id=objective.business_unit_id,
        before=dump(before),
        after=dump(after),
        now=now,
    )
