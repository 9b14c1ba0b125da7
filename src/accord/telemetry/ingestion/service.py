"""Use cases of ingestion: a source pushes a batch; flagged buckets wait in quarantine until
released or discarded.

A push is all or nothing. The batch is decoded and screened (`rules.screen`); a row failing a
check configured as *reject* refuses the whole batch with every row at fault named
(`RowsRejected`, 400) and nothing is written. Otherwise the accepted buckets are stored (an
idempotent upsert, with the source as provenance), the flagged ones are put in quarantine, and
the response is built — all in the caller's transaction, which commits before the response
leaves. Buckets for objectives the source feeds as *secondary* are kept for reconciliation and
only fill the primary's gaps.

Batches are journalled (`sli_write`, with the source), not audited one by one: a sender pushing
every few seconds would otherwise serialise on the audit chain. Releasing and discarding
quarantined buckets are audited.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import orjson
from sqlalchemy.orm import Session

from accord.audit import service as audit_service
from accord.config import IngestSettings
from accord.identity.rules import Actor, Permission
from accord.kit.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from accord.kit.hashing import floats_as_text
from accord.objectives import service as objectives_service
from accord.objectives.rules import objective_id, objective_key
from accord.telemetry import rules as telemetry_rules
from accord.telemetry import service as telemetry_service
from accord.telemetry.enums import QuarantineStatus
from accord.telemetry.ingestion import rules
from accord.telemetry.ingestion.errors import RowsRejected
from accord.telemetry.ingestion.models import IngestRequest, QuarantinedBucket
from accord.telemetry.ingestion.repository import IngestRequestRepository, QuarantineRepository
from accord.telemetry.ingestion.schemas import PushOutcome, PushResult, QuarantinedRead
from accord.telemetry.rules import BucketColumns
from accord.telemetry.schemas import LoadResult
from accord.telemetry.sources import service as sources_service
from accord.telemetry.sources.models import TelemetrySource

READ = Permission.OBJECTIVES_READ
MANAGE = Permission.TELEMETRY_MANAGE


def policy_of(settings: IngestSettings) -> rules.IngestPolicy:
    """The checks' actions: the defaults (`rules.DEFAULT_ACTIONS`) with the operator's
    overrides. An unknown check name is a configuration error: the app builds the policy once
    at start-up, so it refuses to start."""
    actions = dict(rules.DEFAULT_ACTIONS)
    for names, action in (
        (settings.reject, rules.Action.REJECT),
        (settings.flag, rules.Action.FLAG),
    ):
        for name in names:
            try:
                actions[rules.Check(name)] = action
            except ValueError:
                known = ", ".join(c.value for c in rules.Check)
                raise ValueError(f"ACCORD_INGEST: unknown check {name!r}; one of {known}") from None
    return rules.IngestPolicy(
        actions=actions, max_future_skew_seconds=settings.max_future_skew_seconds
    )


def push(
    session: Session,
    *,
    actor: Actor,
    body: bytes,
    content_type: str | None,
    content_encoding: str | None,
    idempotency_key: str | None,
    source_name: str | None = None,
    policy: rules.IngestPolicy,
    max_decompressed_bytes: int,
    now: datetime,
) -> PushOutcome:
    """Ingest one pushed batch from a source's ingest token (see the module doc).

    With an ``idempotency_key`` (scoped to the token), a retry of a committed batch answers
    the first response byte for byte and writes nothing; the same key with another body is a
    422; while the first request is still in flight, a 409 (retry later).
    """
    source = _sending_source(session, actor, source_name)
    body_hash = hashlib.sha256(body).hexdigest()
    requests = IngestRequestRepository(session)
    if idempotency_key is not None:
        if actor.token_id is None:
            raise InvalidInput.field("Idempotency-Key", "needs an API token (keys are per token)")
        if not requests.claim(actor.token_id, idempotency_key):
            raise Conflict("a request with this Idempotency-Key is still in flight; retry later")
        earlier = requests.find(actor.token_id, idempotency_key)
        if earlier is not None:
            if earlier.body_sha256 != body_hash:
                raise InvalidInput.field(
                    "Idempotency-Key", "was used for another body by this token"
                )
            return PushOutcome(source=source.name, body=earlier.response_body, replayed=True)

    rows = rules.decode_body(
        body,
        content_type=content_type,
        content_encoding=content_encoding,
        max_decompressed_bytes=max_decompressed_bytes,
    )
    destinations = _destinations(session, source, rules.references(rows), now)
    screening = rules.screen(
        rows,
        destinations=destinations,
        source=rules.SourceContext(time_zone=source.time_zone, latency_unit=source.latency_unit),
        policy=policy,
        now_epoch=now.timestamp(),
    )
    if screening.rejected:
        first = screening.rejected[0]
        more = screening.rejected_rows - 1
        raise RowsRejected(
            f"{screening.rejected_rows} of {screening.rows} rows rejected, nothing stored; "
            f"{first.field}: {first.message}" + (f" (and {more} more rows)" if more > 0 else ""),
            problems=[FieldProblem(p.field, f"{p.code}: {p.message}") for p in screening.rejected],
            rows=screening.rejected_rows,
            reasons=screening.reasons(),
        )

    stored = _store(session, source, screening.accepted, now)
    quarantine_ids = _hold(session, source, screening.quarantined, now)
    result = PushResult(
        source=source.name,
        rows=screening.rows,
        buckets=stored.buckets,
        quarantined=len(quarantine_ids),
        quarantine_ids=quarantine_ids,
        first_bucket=stored.first_bucket,
        last_bucket=stored.last_bucket,
    )
    response = orjson.dumps(result.model_dump(mode="json"))
    if idempotency_key is not None and actor.token_id is not None:
        requests.add(
            IngestRequest(
                token_id=actor.token_id,
                idempotency_key=idempotency_key,
                body_sha256=body_hash,
                status_code=200,
                response_body=response,
                created_at=now,
            )
        )
    accepted = screening.accepted
    return PushOutcome(
        source=source.name,
        body=response,
        replayed=False,
        accepted_rows=screening.rows - sum(len(q.rows) for q in screening.quarantined),
        quarantined_rows=sum(len(q.rows) for q in screening.quarantined),
        newest_bucket_epoch=int(accepted.start_epoch.max()) if len(accepted) else None,
        reasons=screening.reasons(),
    )


def forget_idempotency_keys(session: Session, *, now: datetime, keep_hours: int) -> int:
    """Drop the idempotency records older than ``keep_hours``; returns how many. A retry after
    that is processed as a new push, which stores the same buckets again (an upsert)."""
    return IngestRequestRepository(session).delete_before(now - timedelta(hours=keep_hours))


def _sending_source(session: Session, actor: Actor, name: str | None) -> TelemetrySource:
    """The source a push is from: the caller's own for a source's ingest token; the named one
    for anyone else holding ``telemetry:ingest`` in that source's unit (an operator replaying a
    sender's data)."""
    actor.require_anywhere(Permission.TELEMETRY_INGEST)
    own = sources_service.source_of_principal(session, actor.principal_id)
    if own is not None:
        if name is not None and name != own.name:
            raise Forbidden(f"this token pushes for source {own.name} only")
        return own
    if name is None:
        raise InvalidInput.field(
            "source", "name the source (only a source's own token may omit it)"
        )
    source = sources_service.visible_source(
        session, actor=actor, name=name, permission=Permission.TELEMETRY_INGEST
    )
    return source


def _destinations(
    session: Session, source: TelemetrySource, references: set[rules.Reference], now: datetime
) -> dict[rules.Reference, rules.Destination]:
    """Resolve what the rows name, in three queries: objective keys and the source's metric
    names to objectives; the objectives' units, thresholds and open windows; the sources
    mapped to them. An objective outside the source's unit resolves to nothing, like an
    unknown one: a source token learns nothing about other units."""
    by_key = {ref: objective_id(ref[1]) for ref in references if ref[0] == "objective"}
    by_metric = sources_service.objectives_of_metrics(
        session, source.id, {ref[1] for ref in references if ref[0] == "metric"}
    )
    resolved: dict[rules.Reference, int] = {
        ref: oid for ref, oid in by_key.items() if oid is not None
    }
    resolved.update({("metric", m): oid for m, oid in by_metric.items()})
    targets = objectives_service.feed_targets(session, set(resolved.values()), now)
    feeding = sources_service.sources_feeding(session, set(targets))
    destinations = {}
    for ref, oid in resolved.items():
        target = targets.get(oid)
        if target is None or target.business_unit_id != source.business_unit_id:
            continue
        mapped = feeding.get(oid)
        destinations[ref] = rules.Destination(
            objective_id=oid,
            latency_threshold_ms=target.latency_threshold_ms,
            open_since_epoch=int(target.open_since.timestamp()),
            wrong_source=mapped is not None and source.id not in mapped,
        )
    return destinations


def _store(
    session: Session, source: TelemetrySource, accepted: BucketColumns, now: datetime
) -> LoadResult:
    """Primary (or unmapped) objectives' buckets are stored; a secondary's are kept for
    reconciliation and fill only the primary's gaps."""
    secondary = sources_service.secondary_for(
        session, source.id, set(np.unique(accepted.objective_id).tolist())
    )
    if not secondary:
        return telemetry_service.store_buckets(
            session, accepted, source_id=source.id, received_at=now
        )
    as_secondary = np.isin(accepted.objective_id, np.fromiter(secondary, dtype=np.int64))
    primary_part = _subset(accepted, ~as_secondary)
    secondary_part = _subset(accepted, as_secondary)
    first = telemetry_service.store_buckets(
        session, primary_part, source_id=source.id, received_at=now
    )
    second = telemetry_service.store_secondary_buckets(
        session, secondary_part, source_id=source.id, received_at=now
    )
    if second.buckets == 0:
        return first
    if first.buckets == 0:
        return second
    return LoadResult(
        buckets=first.buckets + second.buckets,
        objectives=first.objectives + second.objectives,
        first_bucket=min(filter(None, (first.first_bucket, second.first_bucket))),
        last_bucket=max(filter(None, (first.last_bucket, second.last_bucket))),
        hours=first.hours + second.hours,
        days=first.days + second.days,
    )


def _subset(columns: BucketColumns, mask: Any) -> BucketColumns:
    return BucketColumns(
        objective_id=columns.objective_id[mask],
        start_epoch=columns.start_epoch[mask],
        good=columns.good[mask],
        total=columns.total[mask],
    )


def _hold(
    session: Session,
    source: TelemetrySource,
    quarantined: tuple[rules.QuarantinedBucket, ...],
    now: datetime,
) -> list[int]:
    return QuarantineRepository(session).add_many(
        [
            {
                "source_id": source.id,
                "objective_id": q.objective_id,
                "reference": f"{q.reference[0]}:{q.reference[1]}"[:220],
                "bucket_start": (
                    None
                    if q.bucket_start_epoch is None
                    else telemetry_rules.instant_of(q.bucket_start_epoch)
                ),
                "good": q.good,
                "total": q.total,
                "checks": [c.value for c in q.checks],
                "messages": list(q.messages),
                "payload": [_json_safe(p) for p in q.payload],
                "received_at": now,
                "status": QuarantineStatus.HELD,
            }
            for q in quarantined
        ]
    )


def _json_safe(row: Mapping[str, Any]) -> dict[str, Any]:
    """Rows as sent, with NaN and infinities as strings: JSON columns cannot hold them."""
    return {
        k: (str(v) if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()
    }


# --------------------------------------------------------------------------------- quarantine


def list_quarantine(
    session: Session,
    *,
    actor: Actor,
    source: str | None,
    status: QuarantineStatus | None,
    after: int | None,
    limit: int,
) -> tuple[list[QuarantinedRead], int | None]:
    """Quarantined buckets of the sources the actor may read, oldest first."""
    if source is not None:
        source_ids: list[int] | None = [
            sources_service.visible_source(session, actor=actor, name=source).id
        ]
    else:
        scope = actor.scope(READ)
        source_ids = (
            None
            if scope.everywhere
            else [s.id for s in sources_service.visible_sources(session, units=scope.unit_filter)]
        )
    entries = QuarantineRepository(session).page(
        source_ids=source_ids, status=status, after=after, limit=limit + 1
    )
    last = entries[limit - 1].id if len(entries) > limit else None
    return _present(session, entries[:limit]), last


def release(
    session: Session, *, actor: Actor, entry_id: int, reason: str, now: datetime
) -> QuarantinedRead:
    """Store a held bucket as if it had passed its checks (only checks that may be waived:
    `rules.RELEASABLE`), with its source as provenance; audited with the reason."""
    entry, source = _held(session, actor, entry_id)
    waivable = {c.value for c in rules.RELEASABLE}
    blocking = [c for c in entry.checks if c not in waivable]
    if (
        blocking
        or entry.objective_id is None
        or entry.bucket_start is None
        or entry.good is None
        or entry.total is None
    ):
        raise InvalidInput.field(
            "id", f"cannot be released ({', '.join(blocking) or 'no bucket'}); discard it"
        )
    telemetry_service.store_buckets(
        session,
        [(entry.objective_id, entry.bucket_start, entry.good, entry.total)],
        source_id=source.id,
        received_at=now,
    )
    return _resolve(session, actor, entry, source, QuarantineStatus.RELEASED, reason, now)


def discard(
    session: Session, *, actor: Actor, entry_id: int, reason: str, now: datetime
) -> QuarantinedRead:
    entry, source = _held(session, actor, entry_id)
    return _resolve(session, actor, entry, source, QuarantineStatus.DISCARDED, reason, now)


def _held(
    session: Session, actor: Actor, entry_id: int
) -> tuple[QuarantinedBucket, TelemetrySource]:
    entry = QuarantineRepository(session).get(entry_id)
    source = (
        sources_service.sources_by_ids(session, {entry.source_id}).get(entry.source_id)
        if entry
        else None
    )
    if entry is None or source is None or not actor.can(READ, source.business_unit_id):
        raise NotFound(f"no quarantined bucket {entry_id}")
    actor.require(MANAGE, source.business_unit_id)
    if entry.status is not QuarantineStatus.HELD:
        raise Conflict(f"quarantined bucket {entry_id} was {entry.status.value} already")
    return entry, source


def _resolve(
    session: Session,
    actor: Actor,
    entry: QuarantinedBucket,
    source: TelemetrySource,
    status: QuarantineStatus,
    reason: str,
    now: datetime,
) -> QuarantinedRead:
    before = _present(session, [entry])[0]
    QuarantineRepository(session).resolve(entry, status, actor.name, now)
    after = _present(session, [entry])[0]
    audit_service.record_event(
        session,
        actor=actor,
        action=f"quarantine.{status.value}",
        entity_type="quarantined_bucket",
        entity_key=str(entry.id),
        business_unit_id=source.business_unit_id,
        before=_auditable(before),
        after=_auditable(after),
        reason=reason,
        now=now,
    )
    return after


def _auditable(read: QuarantinedRead) -> dict[str, Any]:
    # The audit trail's canonical JSON refuses floats: counts go in as text.
    dump: dict[str, Any] = floats_as_text(read.model_dump(mode="json", exclude={"payload"}))
    return dump


def _present(session: Session, entries: list[QuarantinedBucket]) -> list[QuarantinedRead]:
    sources = sources_service.sources_by_ids(session, {e.source_id for e in entries})
    waivable = {c.value for c in rules.RELEASABLE}
    return [
        QuarantinedRead(
            id=e.id,
            source=sources[e.source_id].name,
            objective=None if e.objective_id is None else objective_key(e.objective_id),
            reference=e.reference,
            bucket_start=e.bucket_start,
            good=e.good,
            total=e.total,
            checks=list(e.checks),
            messages=list(e.messages),
            payload=list(e.payload),
            received_at=e.received_at,
            status=e.status,
            releasable=(
                e.status is QuarantineStatus.HELD
                and e.objective_id is not None
                and e.bucket_start is not None
                and e.good is not None
                and all(c in waivable for c in e.checks)
            ),
            resolved_at=e.resolved_at,
            resolved_by=e.resolved_by,
        )
        for e in entries
    ]
