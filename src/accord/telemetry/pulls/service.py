"""Use cases of pulling buckets from Prometheus and Datadog mappings.

A pull is three steps so that no transaction stays open while a remote API answers: read what
is due (`due_pulls`), fetch outside any transaction (the job, through a `MetricSource`), then
store what came back and move the mapping on (`record_pull`) or note the failure and back off
(`record_failure`).

Gaps and fallback follow from two rules. A mapping moves on only after a successful pull, so
while its source is down nothing is skipped: once it answers again, the next pulls fetch the
backlog a span at a time, oldest first (bounded retries: the wait doubles up to a cap). And a
secondary source's buckets fill only buckets the primary has not supplied (marked with the
secondary as provenance), while a primary's value always replaces a filler; so while the
primary cannot supply a range the secondary's data stands in, and the primary's backfill takes
its place when it comes. Buckets neither supplied stay missing: `telemetry_service.
missing_buckets` shows them and the objective's missing-data rule decides how they count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from accord.objectives.enums import SourceKind
from accord.telemetry import rules as telemetry_rules
from accord.telemetry import service as telemetry_service
from accord.telemetry.enums import MappingRole
from accord.telemetry.ports import PulledBuckets, PullQuery
from accord.telemetry.pulls import rules
from accord.telemetry.pulls.models import PullState
from accord.telemetry.pulls.repository import PullStateRepository
from accord.telemetry.rules import BucketColumns
from accord.telemetry.sources import service as sources_service

PULLED = (SourceKind.PROMETHEUS, SourceKind.DATADOG)


@dataclass(frozen=True)
class PullTask:
    """One mapping to pull now, and the span to ask for."""

    mapping_id: int
    objective_id: int
    role: MappingRole
    source_id: int
    source_name: str
    kind: SourceKind
    base_url: str
    query: PullQuery
    start_epoch: int
    end_epoch: int


@dataclass(frozen=True)
class PullResult:
    task: PullTask
    buckets: int
    missing: int
    """Buckets of the span the source had no answer for."""


def due_pulls(session: Session, *, now: datetime, policy: rules.PullPolicy) -> list[PullTask]:
    """Every live mapping of a pulled source that is not backing off and has a settled span."""
    tasks = []
    states = PullStateRepository(session)
    for source in sources_service.visible_sources(session, units=None):
        if source.kind not in PULLED or source.base_url is None:
            continue
        for mapping in sources_service.mappings_of(session, source.id):
            if mapping.total_query is None:
                continue
            state = states.of_mapping(mapping.id)
            if state is not None and state.retry_at is not None and state.retry_at > now:
                continue
            complete = (
                None
                if state is None or state.complete_until is None
                else telemetry_rules.epoch_of(state.complete_until)
            )
            span = rules.pull_span(complete, now.timestamp(), policy)
            if span is None:
                continue
            tasks.append(
                PullTask(
                    mapping_id=mapping.id,
                    objective_id=mapping.objective_id,
                    role=mapping.role,
                    source_id=source.id,
                    source_name=source.name,
                    kind=source.kind,
                    base_url=source.base_url,
                    query=PullQuery(
                        good_query=mapping.good_query,
                        error_query=mapping.error_query,
                        total_query=mapping.total_query,
                        kind=source.kind.value,
                        per_second=mapping.per_second,
                    ),
                    start_epoch=span[0],
                    end_epoch=span[1],
                )
            )
    return tasks


def record_pull(
    session: Session, task: PullTask, pulled: PulledBuckets, *, now: datetime
) -> PullResult:
    """Store what the source answered (with its provenance) and move the mapping on."""
    columns = BucketColumns(
        objective_id=np.full(len(pulled.start_epoch), task.objective_id, dtype=np.int64),
        start_epoch=pulled.start_epoch,
        good=pulled.good,
        total=pulled.total,
    )
    if task.role is MappingRole.PRIMARY:
        stored = telemetry_service.store_buckets(
            session, columns, source_id=task.source_id, received_at=now
        )
    else:
        stored = telemetry_service.store_secondary_buckets(
            session, columns, source_id=task.source_id, received_at=now
        )
    state = _state(session, task.mapping_id, now)
    state.complete_until = telemetry_rules.instant_of(task.end_epoch)
    state.attempts, state.retry_at, state.last_error = 0, None, None
    state.last_success_at = now
    session.flush()
    missing = sum((hi - lo) // telemetry_rules.BUCKET_SECONDS for lo, hi in pulled.missing)
    return PullResult(task=task, buckets=stored.buckets, missing=missing)


def record_failure(
    session: Session,
    task: PullTask,
    *,
    error: str,
    retry_after: int | None,
    now: datetime,
    policy: rules.PullPolicy,
) -> datetime:
    """Note a failed pull and when to try again; the mapping stays where it was, so the span
    is fetched once the source answers. Returns the next attempt's instant."""
    state = _state(session, task.mapping_id, now)
    state.attempts += 1
    state.retry_at = now + timedelta(
        seconds=rules.retry_delay(state.attempts, policy, asked=retry_after)
    )
    state.last_error = error[:2_000]
    session.flush()
    return state.retry_at


def _state(session: Session, mapping_id: int, now: datetime) -> PullState:
    repo = PullStateRepository(session)
    state = repo.of_mapping(mapping_id)
    if state is None:
        state = repo.add(PullState(mapping_id=mapping_id, attempts=0, updated_at=now))
    state.updated_at = now
    return state
