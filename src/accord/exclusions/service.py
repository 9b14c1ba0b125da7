"""Use cases of exclusion windows. A window belongs to a service (optionally to one objective of
it) and is visible inside the service's business unit only (404 elsewhere). Editors declare
windows (``objectives:write``); an approver of the unit other than the declarer approves them
(``agreements:approve``, four eyes). See `exclusions.rules` for what may be declared."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from accord.audit import service as audit_service
from accord.catalogue import service as catalogue_service
from accord.exclusions import rules
from accord.exclusions.enums import ExclusionKind, ExclusionStatus
from accord.exclusions.models import ExclusionWindow
from accord.exclusions.repository import ExclusionRepository
from accord.exclusions.rules import ExclusionSpan
from accord.exclusions.schemas import (
    ExclusionCreate,
    ExclusionDecision,
    ExclusionFilter,
    ExclusionRead,
)
from accord.identity import service as identity_service
from accord.identity.rules import Actor, Permission
from accord.kit.errors import InvalidInput, NotFound
from accord.objectives import service as objectives_service
from accord.objectives.rules import objective_key

READ = Permission.OBJECTIVES_READ
WRITE = Permission.OBJECTIVES_WRITE
APPROVE = Permission.AGREEMENTS_APPROVE


def list_exclusions(
    session: Session,
    *,
    actor: Actor,
    service: str | None,
    filters: ExclusionFilter,
    after: int | None,
    limit: int,
) -> tuple[list[ExclusionRead], int | None]:
    """Windows of one service (its slug) or of every service the actor may read, oldest
    declaration first."""
    actor.require_anywhere(READ)
    service_id = (
        catalogue_service.visible_service(session, actor=actor, slug=service, permission=READ).id
        if service is not None
        else None
    )
    rows = ExclusionRepository(session).page(
        units=actor.scope(READ).unit_filter,
        service_id=service_id,
        status=filters.status,
        kind=filters.kind,
        ends_after=filters.ends_after,
        starts_before=filters.starts_before,
        after=after,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return present_exclusions(session, rows), rows[-1].id if more and rows else None


def get_exclusion(session: Session, *, actor: Actor, exclusion_id: int) -> ExclusionRead:
    window = visible_exclusion(session, actor=actor, exclusion_id=exclusion_id)
    return present_exclusions(session, [window])[0]


def visible_exclusion(
    session: Session, *, actor: Actor, exclusion_id: int, lock: bool = False
) -> ExclusionWindow:
    """The window if the actor may read it; otherwise exactly the "does not exist" answer.
    ``lock``: held against concurrent decisions until the transaction ends."""
    repo = ExclusionRepository(session)
    window = repo.locked(exclusion_id) if lock else repo.get(exclusion_id)
    if window is None or not actor.can(READ, window.business_unit_id):
        raise NotFound(f"no exclusion window {exclusion_id}")
    return window


def declare_exclusion(
    session: Session, *, actor: Actor, service: str, data: ExclusionCreate, now: datetime
) -> ExclusionRead:
    """A new window on the service, ``proposed`` until an approver decides."""
    found = catalogue_service.visible_service(session, actor=actor, slug=service, permission=READ)
    actor.require(WRITE, found.business_unit_id)
    objective_id = None
    if data.objective is not None:
        objective_id = _objective_of(session, actor, data.objective, found.id, service)
    rules.check_window(data.kind, data.starts_at, data.ends_at, now=now)
    window = ExclusionRepository(session).add(
        ExclusionWindow(
            service_id=found.id,
            objective_id=objective_id,
            business_unit_id=found.business_unit_id,
            kind=data.kind,
            status=ExclusionStatus.PROPOSED,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            reason=data.reason,
            counts_as_good=data.counts_as_good,
            created_by=actor.name,
            created_at=now,
            updated_at=now,
        )
    )
    read = present_exclusions(session, [window])[0]
    _record(session, actor, "exclusion.declared", window, data.reason, now, None, read)
    return read


def approve_exclusion(
    session: Session, *, actor: Actor, exclusion_id: int, data: ExclusionDecision, now: datetime
) -> ExclusionRead:
    window = visible_exclusion(session, actor=actor, exclusion_id=exclusion_id, lock=True)
    actor.require(APPROVE, window.business_unit_id)
    rules.check_decidable(window.status, operation="approve")
    rules.check_approver(approver=actor.name, declarer=window.created_by)
    rules.check_approvable(window.kind, window.ends_at, now=now)
    return _decide(session, actor, window, ExclusionStatus.APPROVED, data.reason, now)


def reject_exclusion(
    session: Session, *, actor: Actor, exclusion_id: int, data: ExclusionDecision, now: datetime
) -> ExclusionRead:
    """Refuse a proposed window; its declarer (holding the permission) may reject it to
    withdraw it. The reason is kept in the audit trail."""
    window = visible_exclusion(session, actor=actor, exclusion_id=exclusion_id, lock=True)
    actor.require(APPROVE, window.business_unit_id)
    rules.check_decidable(window.status, operation="reject")
    return _decide(session, actor, window, ExclusionStatus.REJECTED, data.reason, now)


# ------------------------------------------------------------------ for evaluation and baselines


def approved_windows(
    session: Session, service_ids: Iterable[int], start: datetime, end: datetime
) -> list[ExclusionSpan]:
    """Approved maintenance windows and exceptions of these services overlapping
    ``[start, end)``, unclipped, ordered by service and start. No authorisation: evaluation
    is a system job."""
    rows = ExclusionRepository(session).approved_overlapping(
        service_ids, start, end, rules.EXCLUDED_KINDS
    )
    return [_span(w) for w in rows]


def peak_windows(
    session: Session, service_ids: Iterable[int], start: datetime, end: datetime
) -> list[ExclusionSpan]:
    """Approved peaks of these services overlapping ``[start, end)`` (left out of baselines)."""
    rows = ExclusionRepository(session).approved_overlapping(
        service_ids, start, end, [ExclusionKind.PEAK]
    )
    return [_span(w) for w in rows]


def present_exclusions(session: Session, windows: list[ExclusionWindow]) -> list[ExclusionRead]:
    services = catalogue_service.services_by_ids(session, {w.service_id for w in windows})
    units = identity_service.unit_codes(session, (w.business_unit_id for w in windows))
    return [
        ExclusionRead(
            id=w.id,
            service=services[w.service_id].slug,
            objective=objective_key(w.objective_id) if w.objective_id is not None else None,
            business_unit=units[w.business_unit_id],
            kind=w.kind,
            status=w.status,
            starts_at=w.starts_at,
            ends_at=w.ends_at,
            reason=w.reason,
            counts_as_good=w.counts_as_good,
            created_by=w.created_by,
            decided_by=w.decided_by,
            decided_at=w.decided_at,
            created_at=w.created_at,
            updated_at=w.updated_at,
        )
        for w in windows
    ]


# ---------------------------------------------------------------------------------- internals


def _objective_of(session: Session, actor: Actor, key: str, service_id: int, slug: str) -> int:
    try:
        objective = objectives_service.visible_objective(session, actor=actor, key=key)
    except NotFound:
        raise InvalidInput.field("objective", f"no objective {key}") from None
    if objective.service_id != service_id:
        raise InvalidInput.field("objective", f"{key} is not an objective of {slug}")
    return objective.id


def _decide(
    session: Session,
    actor: Actor,
    window: ExclusionWindow,
    status: ExclusionStatus,
    reason: str,
    now: datetime,
) -> ExclusionRead:
    before = present_exclusions(session, [window])[0]
    window.status = status
    window.decided_by = actor.name
    window.decided_at = now
    window.updated_at = now
    session.flush()
    read = present_exclusions(session, [window])[0]
    _record(session, actor, f"exclusion.{status.value}", window, reason, now, before, read)
    return read


def _span(window: ExclusionWindow) -> ExclusionSpan:
    return ExclusionSpan(
        id=window.id,
        service_id=window.service_id,
        objective_id=window.objective_id,
        kind=window.kind,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        counts_as_good=window.counts_as_good,
    )


def _record(
    session: Session,
    actor: Actor,
    action: str,
    window: ExclusionWindow,
    reason: str,
    now: datetime,
    before: ExclusionRead | None,
    after: ExclusionRead,
) -> None:
    audit_service.record_event(
        session,
        actor=actor,
        action=action,
        entity_type="exclusion_window",
        entity_key=str(window.id),
        business_unit_id=window.business_unit_id,
        before=before.model_dump(mode="json") if before is not None else None,
        after=after.model_dump(mode="json"),
        reason=reason,
        now=now,
    )
