"""Use cases of telemetry: loading SLI buckets (with their rollups) and reading windows of them.

Two ways in:

- `load_buckets`: an actor's bulk load (API, CLI, integrations). Authorised per business unit of
  the objectives, audited with one event per load.
- `store_buckets`: the same storage path without an actor or audit event, for the system's own
  writers (the demo loader, benchmarks, tests) and for use cases of higher domains that
  authorise and audit on their own.

The reads (`window_counts`, `recent_buckets`, `buckets_at`, `missing_buckets`) serve the engine
and ingestion; their callers have authorised the objectives they ask about. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from accord.audit import service as audit_service
from accord.identity.rules import Actor, Permission
from accord.kit.errors import FieldProblem, InvalidInput
from accord.objectives import service as objectives_service
from accord.objectives.rules import objective_key
from accord.telemetry import rules
from accord.telemetry.repository import BucketRepository
from accord.telemetry.rules import BucketColumns, Int64Array
from accord.telemetry.schemas import BucketMatrix, GapRead, GapsRead, LoadResult, WindowCounts

Rows = BucketColumns | Iterable[Any]
"""Buckets as columns, or as (objective_id, bucket_start, good, total) tuples (`BucketRow`)."""

MAX_GAP_SPAN_DAYS = 400
"""A gap report covers at most this many days (a year of 5-minute buckets and some)."""

AUDITED_KEYS = 100
"""A load's audit event names its objectives when there are at most this many (else a count)."""


# ----------------------------------------------------------------------------------- loading


def load_buckets(
    session: Session, *, actor: Actor, rows: Rows, now: datetime, source: str | None = None
) -> LoadResult:
    """Store buckets for an actor holding ``telemetry:ingest`` in the unit of every objective
    loaded (or everywhere), with one audit event for the whole load.

    Idempotent: a bucket sent again replaces the stored one. All or nothing: an invalid bucket
    (or an unknown objective) fails the load before anything is written.
    """
    actor.require_anywhere(Permission.TELEMETRY_INGEST)
    columns = _validated(rows)
    units = _objective_units(session, columns)
    for unit in sorted(set(units.values())):
        actor.require(Permission.TELEMETRY_INGEST, unit)
    result = _store(session, columns)
    if result.buckets:
        objectives = sorted(units)
        audit_service.record_event(
            session,
            actor=actor,
            action="telemetry.loaded",
            entity_type="objective",
            entity_key=objective_key(objectives[0]) if len(objectives) == 1 else "bulk",
            business_unit_id=next(iter(units.values())) if len(set(units.values())) == 1 else None,
            after={
                **result.model_dump(mode="json"),
                "source": source,
                "objective_keys": (
                    [objective_key(o) for o in objectives]
                    if len(objectives) <= AUDITED_KEYS
                    else None
                ),
            },
            now=now,
        )
    return result


def store_buckets(
    session: Session,
    rows: Rows,
    *,
    source_id: int | None = None,
    received_at: datetime | None = None,
    fill_only: bool = False,
) -> LoadResult:
    """Store buckets without an actor or audit event (system writers and higher use cases that
    authorise and audit on their own; see the module doc).

    Validates like `load_buckets`, takes the objectives' load locks, upserts the buckets with
    their provenance (``source_id``, ``received_at``) and recomputes the hourly and daily
    rollups they touch, in the caller's transaction. ``fill_only`` keeps every bucket already
    stored: a secondary source filling the primary's gaps never overwrites it.
    """
    columns = _validated(rows)
    _objective_units(session, columns)
    return _store(
        session, columns, source_id=source_id, received_at=received_at, fill_only=fill_only
    )


def store_secondary_buckets(
    session: Session, columns: BucketColumns, *, source_id: int, received_at: datetime
) -> LoadResult:
    """A secondary source's buckets: kept beside the stored values for reconciliation, and
    stored where the primary has no bucket (marked with the secondary as provenance).
    Unknown or deleted objectives fail the load, as in `store_buckets`."""
    validated = rules.validated_columns(columns)
    _objective_units(session, validated)
    canonical = rules.canonical_columns(validated)
    BucketRepository(session).store_secondary(
        canonical, source_id=source_id, received_at=received_at
    )
    return _store(session, canonical, source_id=source_id, received_at=received_at, fill_only=True)


def _validated(rows: Rows) -> BucketColumns:
    columns = rows if isinstance(rows, BucketColumns) else rules.columns_from_rows(rows)
    return rules.validated_columns(columns)


def _objective_units(session: Session, columns: BucketColumns) -> dict[int, int]:
    """The unit of every objective loaded; unknown (or deleted) objectives fail the load,
    naming the first row of each."""
    wanted, first_row = np.unique(columns.objective_id, return_index=True)
    units = objectives_service.live_units(session, wanted.tolist())
    first_rows = sorted(zip(first_row.tolist(), wanted.tolist(), strict=True))
    problems = [
        FieldProblem(f"rows[{row}].objective_id", f"no objective {oid}")
        for row, oid in first_rows
        if oid not in units
    ][: rules.MAX_PROBLEMS]
    if problems:
        raise InvalidInput(f"{problems[0].field}: {problems[0].message}", problems=problems)
    return units


def _store(
    session: Session,
    columns: BucketColumns,
    *,
    source_id: int | None = None,
    received_at: datetime | None = None,
    fill_only: bool = False,
) -> LoadResult:
    canonical = rules.canonical_columns(columns)
    if len(canonical) == 0:
        return LoadResult(
            buckets=0, objectives=0, first_bucket=None, last_bucket=None, hours=0, days=0
        )
    repo = BucketRepository(session)
    objectives = np.unique(canonical.objective_id)
    repo.lock_objectives(objectives)
    hours, days = repo.store(
        canonical, source_id=source_id, received_at=received_at, fill_only=fill_only
    )
    repo.record_write(canonical, source_id=source_id)
    return LoadResult(
        buckets=len(canonical),
        objectives=len(objectives),
        first_bucket=rules.instant_of(int(canonical.start_epoch.min())),
        last_bucket=rules.instant_of(int(canonical.start_epoch.max())),
        hours=hours,
        days=days,
    )


# ------------------------------------------------------------------------------------- reads


def window_counts(
    session: Session, objective_ids: Sequence[int] | Int64Array, start: datetime, end: datetime
) -> WindowCounts:
    """Sums of good, total, buckets with data and their ratios over [start, end) for every
    objective, read from the coarsest rows that fit (see `rules.plan_window`) in one statement.

    Equal to summing the window's buckets (exactly, for whole-number counts below 2**53;
    ``ratio_sum`` to float rounding). A bucket counts when its start lies in the window.
    """
    ids = rules.distinct_ids(objective_ids)
    plan = rules.plan_window(*rules.window_epochs(start, end))
    oid, good, total, buckets, ratio_sum = BucketRepository(session).window_sums(ids, plan)
    n = len(ids)
    result = WindowCounts(
        objective_ids=ids,
        good=np.zeros(n, dtype=np.float64),
        total=np.zeros(n, dtype=np.float64),
        buckets=np.zeros(n, dtype=np.int64),
        ratio_sum=np.zeros(n, dtype=np.float64),
    )
    if len(oid):
        at, _ = rules.index_of(ids, oid)
        result.good[at], result.total[at] = good, total
        result.buckets[at], result.ratio_sum[at] = buckets, ratio_sum
    return result


def recent_buckets(
    session: Session, objective_ids: Sequence[int] | Int64Array, start: datetime, end: datetime
) -> BucketMatrix:
    """Every bucket of [start, end) for every objective as a dense matrix (objectives in the
    order given, one column per bucket start): the input of burn-rate windows and timeslices."""
    ids = rules.distinct_ids(objective_ids)
    first, after = rules.window_epochs(start, end)
    starts = np.arange(first, after, rules.BUCKET_SECONDS, dtype=np.int64)
    rules.check_matrix_size(len(ids), len(starts))
    rows = BucketRepository(session).buckets_between(ids, first, after)
    return BucketMatrix(ids, starts, *rules.dense_matrix(ids, starts, rows))


def buckets_at(
    session: Session, objective_ids: Sequence[int] | Int64Array, instants: Iterable[datetime]
) -> BucketMatrix:
    """The buckets starting at a few instants (e.g. the newest bucket and the one leaving a
    rolling window), for every objective; columns in ascending order of instant."""
    ids = rules.distinct_ids(objective_ids)
    starts = np.unique(
        np.array([rules.epoch_of(i, field="instants") for i in instants], dtype=np.int64)
    )
    if np.any(starts % rules.BUCKET_SECONDS):
        raise InvalidInput.field("instants", f"must be aligned to {rules.BUCKET_SECONDS} s")
    rules.check_matrix_size(len(ids), len(starts))
    rows = BucketRepository(session).buckets_at(ids, starts)
    return BucketMatrix(ids, starts, *rules.dense_matrix(ids, starts, rows))


def writes_since(session: Session, since: datetime) -> list[tuple[int, datetime]]:
    """(id, first bucket) of every write of buckets the database stamped after ``since`` (its
    own clock: see `database_now`), for readers that count buckets incrementally."""
    return BucketRepository(session).writes_since(since)


def database_now(session: Session) -> datetime:
    """The clock the write journal is stamped with."""
    return BucketRepository(session).database_now()


def missing_buckets(
    session: Session, objective_id: int, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The ranges [from, to) of [start, end) in which the objective has no stored bucket, in
    order. A stored zero-traffic bucket is not missing: its source reported no events."""
    first, after = rules.window_epochs(start, end)
    present = BucketRepository(session).starts_between(objective_id, first, after)
    return [
        (rules.instant_of(lo), rules.instant_of(hi))
        for lo, hi in rules.missing_ranges(present, first, after)
    ]


def objective_gaps(
    session: Session, *, actor: Actor, objective: str, start: datetime, end: datetime
) -> GapsRead:
    """The missing buckets of an objective the actor may read, over [start, end) (at most
    `MAX_GAP_SPAN_DAYS`), with the rule that decides how they count."""
    found = objectives_service.visible_objective(session, actor=actor, key=objective)
    first, after = rules.window_epochs(start, end)
    if after - first > MAX_GAP_SPAN_DAYS * rules.DAY_SECONDS:
        raise InvalidInput.field("end", f"a span of at most {MAX_GAP_SPAN_DAYS} days")
    ranges = missing_buckets(session, found.id, start, end)
    gaps = [
        GapRead(start=lo, end=hi, buckets=int((hi - lo).total_seconds()) // rules.BUCKET_SECONDS)
        for lo, hi in ranges
    ]
    return GapsRead(
        objective=objective_key(found.id),
        start=rules.instant_of(first),
        end=rules.instant_of(after),
        missing_buckets=sum(g.buckets for g in gaps),
        expected_buckets=(after - first) // rules.BUCKET_SECONDS,
        missing_data=found.missing_data.value,
        gaps=gaps,
    )
