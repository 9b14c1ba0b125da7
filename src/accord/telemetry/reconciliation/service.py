"""Use cases of reconciliation: compare an objective's primary and secondary sources bucket by
bucket, record the disagreements as findings, and resolve them.

The stored value of a bucket (``sli_bucket``) is the primary's when its provenance is the
primary source; the secondary's own value is kept beside it (``secondary_bucket``). A run
classifies every bucket of the range with `accord.engine.reconciliation.compare` and records
each ``DISAGREE`` bucket as an open finding, idempotently: one finding per bucket, updated when
its values change, left alone otherwise. A resolved finding whose values changed since (the
primary re-sent the bucket) is opened again. A run that changes findings is audited once.

Resolving keeps the primary (nothing stored changes) or stores the secondary's value with the
secondary as provenance, through `telemetry_service.store_buckets`, so the hourly and daily
rollups are recomputed exactly; each resolution is one audit event carrying the reason.

Running and resolving need ``telemetry:manage`` in the objective's unit (a run writes
findings); listing needs ``objectives:read``. Objectives of other units are "not found".
Nothing here commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy.orm import Session

from accord.audit import service as audit_service
from accord.engine import reconciliation as engine
from accord.engine.reconciliation import BucketClass
from accord.identity.rules import Actor, Permission
from accord.kit.errors import Conflict, InvalidInput, NotFound
from accord.kit.hashing import floats_as_text
from accord.objectives import rules as objectives_rules
from accord.objectives import service as objectives_service
from accord.telemetry import rules as telemetry_rules
from accord.telemetry import service as telemetry_service
from accord.telemetry.enums import MappingRole
from accord.telemetry.reconciliation.enums import FindingStatus, Use
from accord.telemetry.reconciliation.models import ReconciliationFinding
from accord.telemetry.reconciliation.repository import STORED, FindingRepository
from accord.telemetry.reconciliation.schemas import (
    ClassCounts,
    FindingRead,
    ReconciliationReport,
)
from accord.telemetry.sources import service as sources_service
from accord.telemetry.sources.models import TelemetrySource

if TYPE_CHECKING:
    from accord.objectives.models import Objective

READ = Permission.OBJECTIVES_READ
MANAGE = Permission.TELEMETRY_MANAGE
MAX_RANGE_DAYS = 31
"""A run compares at most this many days (8,928 buckets): a month, with the edges."""
REPORTED_FINDINGS = 200
"""A report lists at most this many open findings; the list endpoint pages through them all."""

_RESOLVED = {Use.PRIMARY: FindingStatus.KEPT_PRIMARY, Use.SECONDARY: FindingStatus.USED_SECONDARY}
_NO_SOURCE = -1


def reconcile(
    session: Session,
    *,
    actor: Actor,
    objective_key: str,
    start: datetime,
    end: datetime,
    tolerance: float,
    now: datetime,
) -> ReconciliationReport:
    """Compare the objective's sources over the buckets starting in [start, end) and record
    the disagreements beyond ``tolerance`` (see the module doc)."""
    objective = objectives_service.visible_objective(session, actor=actor, key=objective_key)
    actor.require(MANAGE, objective.business_unit_id)
    try:
        tol = engine.check_tolerance(tolerance)
    except ValueError:
        raise InvalidInput.field("tolerance", "must be at least 0 and below 1") from None
    first, after = telemetry_rules.window_epochs(start, end)
    if after - first > MAX_RANGE_DAYS * telemetry_rules.DAY_SECONDS:
        raise InvalidInput.field("end", f"a run compares at most {MAX_RANGE_DAYS} days")
    primary, secondary = _sources(session, objective)
    series = _series(session, objective.id, first, after)
    comparison = engine.compare(
        engine.Side(series.good, series.total, series.stored & (series.provenance == primary.id)),
        engine.Side(series.secondary_good, series.secondary_total, series.secondary),
        tol,
    )
    classes = comparison.classes
    counted = comparison.counts()
    foreign = series.stored & ~np.isin(series.provenance, [primary.id, secondary.id])
    filled = (
        (classes == BucketClass.SECONDARY_ONLY)
        & series.stored
        & (series.provenance == secondary.id)
    )
    changes = _record_findings(session, objective, primary, secondary, series, comparison, tol, now)
    lo, hi = telemetry_rules.instant_of(first), telemetry_rules.instant_of(after)
    if any(changes.values()):
        audit_service.record_event(
            session,
            actor=actor,
            action="reconciliation.ran",
            entity_type="objective",
            entity_key=objectives_rules.objective_key(objective.id),
            business_unit_id=objective.business_unit_id,
            after={
                **changes,
                "start": lo.isoformat(),
                "end": hi.isoformat(),
                "tolerance": floats_as_text(tol),  # the audit trail's JSON refuses floats
            },
            now=now,
        )
    listed, open_count = FindingRepository(session).open_in_range(
        objective.id, lo, hi, REPORTED_FINDINGS
    )
    return ReconciliationReport(
        objective=objectives_rules.objective_key(objective.id),
        primary_source=primary.name,
        secondary_source=secondary.name,
        start=lo,
        end=hi,
        tolerance=tol,
        buckets=len(series.starts),
        counts=ClassCounts(
            agree=counted[BucketClass.AGREE],
            within=counted[BucketClass.WITHIN],
            disagree=counted[BucketClass.DISAGREE],
            primary_only=counted[BucketClass.PRIMARY_ONLY],
            secondary_only=counted[BucketClass.SECONDARY_ONLY],
            neither=counted[BucketClass.NEITHER],
            filled=int(filled.sum()),
            other_provenance=int(foreign.sum()),
        ),
        **changes,
        open_findings=open_count,
        findings=present_findings(session, listed),
        findings_limit=REPORTED_FINDINGS,
    )


def list_findings(
    session: Session,
    *,
    actor: Actor,
    objective_key: str,
    status: FindingStatus | None,
    after: int | None,
    limit: int,
) -> tuple[list[FindingRead], int | None]:
    """The objective's findings in the order they were found; (page, last id if more)."""
    objective = objectives_service.visible_objective(session, actor=actor, key=objective_key)
    found = FindingRepository(session).page(
        objective_id=objective.id, status=status, after=after, limit=limit + 1
    )
    last = found[limit - 1].id if len(found) > limit else None
    return present_findings(session, found[:limit]), last


def resolve(
    session: Session, *, actor: Actor, finding_id: int, use: Use, reason: str, now: datetime
) -> FindingRead:
    """Decide an open finding: keep the primary's stored value, or store the secondary's
    (provenance: the secondary, received now; rollups recomputed). One audit event with the
    reason. The values decided on are the finding's, as the last run recorded them."""
    finding = FindingRepository(session).get(finding_id)
    try:
        objective = (
            None
            if finding is None
            else objectives_service.visible_objective(
                session, actor=actor, key=objectives_rules.objective_key(finding.objective_id)
            )
        )
    except NotFound:
        objective = None
    if finding is None or objective is None:
        raise NotFound(f"no reconciliation finding {finding_id}")
    actor.require(MANAGE, objective.business_unit_id)
    if finding.status is not FindingStatus.OPEN:
        raise Conflict(f"reconciliation finding {finding_id} was {finding.status.value} already")
    before = present_findings(session, [finding])[0]
    if use is Use.SECONDARY:
        telemetry_service.store_buckets(
            session,
            [
                (
                    finding.objective_id,
                    finding.bucket_start,
                    finding.secondary_good,
                    finding.secondary_total,
                )
            ],
            source_id=finding.secondary_source_id,
            received_at=now,
        )
    finding.status = _RESOLVED[use]
    finding.resolved_by, finding.resolved_at, finding.reason = actor.name, now, reason
    finding.updated_at = now
    session.flush()
    after = present_findings(session, [finding])[0]
    audit_service.record_event(
        session,
        actor=actor,
        action=f"reconciliation.{'kept_primary' if use is Use.PRIMARY else 'used_secondary'}",
        entity_type="reconciliation_finding",
        entity_key=str(finding.id),
        business_unit_id=objective.business_unit_id,
        before=_auditable(before),
        after=_auditable(after),
        reason=reason,
        now=now,
    )
    return after


def present_findings(session: Session, findings: list[ReconciliationFinding]) -> list[FindingRead]:
    sources = sources_service.sources_by_ids(
        session,
        {f.primary_source_id for f in findings} | {f.secondary_source_id for f in findings},
    )
    return [
        FindingRead(
            id=f.id,
            objective=objectives_rules.objective_key(f.objective_id),
            bucket_start=f.bucket_start,
            primary_source=sources[f.primary_source_id].name,
            secondary_source=sources[f.secondary_source_id].name,
            primary_good=f.primary_good,
            primary_total=f.primary_total,
            secondary_good=f.secondary_good,
            secondary_total=f.secondary_total,
            relative_difference=f.relative_difference,
            tolerance=f.tolerance,
            status=f.status,
            found_at=f.found_at,
            updated_at=f.updated_at,
            resolved_by=f.resolved_by,
            resolved_at=f.resolved_at,
            reason=f.reason,
        )
        for f in findings
    ]


# ------------------------------------------------------------------------------------ helpers


class _Series:
    """Both sources' buckets of one objective as dense arrays over the range's bucket starts."""

    def __init__(self, first: int, after: int) -> None:
        self.starts = np.arange(first, after, telemetry_rules.BUCKET_SECONDS, dtype=np.int64)
        n = len(self.starts)
        self.good, self.total = np.zeros(n), np.zeros(n)
        self.stored = np.zeros(n, dtype=np.bool_)
        self.provenance = np.full(n, _NO_SOURCE, dtype=np.int64)
        self.secondary_good, self.secondary_total = np.zeros(n), np.zeros(n)
        self.secondary = np.zeros(n, dtype=np.bool_)


def _series(session: Session, objective_id: int, first: int, after: int) -> _Series:
    series = _Series(first, after)
    rows = FindingRepository(session).series(
        [objective_id], telemetry_rules.instant_of(first), telemetry_rules.instant_of(after)
    )
    for side, _, bucket_start, good, total, source_id in rows:
        i = (telemetry_rules.epoch_of(bucket_start) - first) // telemetry_rules.BUCKET_SECONDS
        if side == STORED:
            series.good[i], series.total[i], series.stored[i] = good, total, True
            series.provenance[i] = _NO_SOURCE if source_id is None else source_id
        else:
            series.secondary_good[i], series.secondary_total[i] = good, total
            series.secondary[i] = True
    return series


def _sources(session: Session, objective: Objective) -> tuple[TelemetrySource, TelemetrySource]:
    """The objective's primary and secondary sources (both must be mapped)."""
    mapped = {role: sources_service.mapping_of(session, objective.id, role) for role in MappingRole}
    missing = [role.value for role, mapping in mapped.items() if mapping is None]
    if missing:
        raise InvalidInput.field(
            "objective",
            f"{objectives_rules.objective_key(objective.id)} has no "
            f"{' and no '.join(missing)} source to reconcile",
        )
    ids = {role: mapping.source_id for role, mapping in mapped.items() if mapping is not None}
    sources = sources_service.sources_by_ids(session, set(ids.values()))
    return sources[ids[MappingRole.PRIMARY]], sources[ids[MappingRole.SECONDARY]]


def _record_findings(
    session: Session,
    objective: Objective,
    primary: TelemetrySource,
    secondary: TelemetrySource,
    series: _Series,
    comparison: engine.Comparison,
    tolerance: float,
    now: datetime,
) -> dict[str, int]:
    """Insert, update or reopen the finding of every disagreeing bucket; counts of each."""
    repo = FindingRepository(session)
    lo = telemetry_rules.instant_of(int(series.starts[0])) if len(series.starts) else None
    existing = (
        repo.in_range(
            objective.id,
            lo,
            telemetry_rules.instant_of(int(series.starts[-1]) + telemetry_rules.BUCKET_SECONDS),
        )
        if lo is not None
        else {}
    )
    changes = {"opened": 0, "updated": 0, "reopened": 0}
    for i in np.flatnonzero(comparison.classes == BucketClass.DISAGREE).tolist():
        values = {
            "primary_source_id": primary.id,
            "secondary_source_id": secondary.id,
            "primary_good": float(series.good[i]),
            "primary_total": float(series.total[i]),
            "secondary_good": float(series.secondary_good[i]),
            "secondary_total": float(series.secondary_total[i]),
        }
        bucket = telemetry_rules.instant_of(int(series.starts[i]))
        finding = existing.get(bucket)
        if finding is None:
            repo.add(
                ReconciliationFinding(
                    objective_id=objective.id,
                    bucket_start=bucket,
                    **values,
                    relative_difference=float(comparison.difference[i]),
                    tolerance=tolerance,
                    status=FindingStatus.OPEN,
                    found_at=now,
                    updated_at=now,
                )
            )
            changes["opened"] += 1
            continue
        if all(getattr(finding, k) == v for k, v in values.items()):
            continue  # seen before with these very values: open or decided, nothing new
        for k, v in values.items():
            setattr(finding, k, v)
        finding.relative_difference = float(comparison.difference[i])
        finding.tolerance, finding.updated_at = tolerance, now
        if finding.status is FindingStatus.OPEN:
            changes["updated"] += 1
        else:
            # The decision was about other values: someone must look again.
            finding.status = FindingStatus.OPEN
            finding.resolved_by = finding.resolved_at = finding.reason = None
            changes["reopened"] += 1
    session.flush()
    return changes


def _auditable(read: FindingRead) -> dict[str, Any]:
    # The audit trail's canonical JSON refuses floats: numbers go in as text.
    dump: dict[str, Any] = floats_as_text(read.model_dump(mode="json"))
    return dump
