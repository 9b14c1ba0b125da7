"""The pull job: every mapping of a Prometheus or Datadog source, fetched when due, each in
its own units of work (one source failing never holds back another)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from accord.db.session import Database
from accord.kit.errors import AccordError
from accord.telemetry.ports import MetricSource, QueryRejected, SourceUnavailable
from accord.telemetry.pulls import rules
from accord.telemetry.pulls import service as pulls_service
from accord.telemetry.pulls.service import PullResult, PullTask

log = logging.getLogger(__name__)

SourceFactory = Callable[[PullTask], MetricSource]
"""Builds the adapter for a task's source (the worker knows the integrations)."""
PullObserver = Callable[[PullTask, float, bool], None]
"""Told of every pull: its task, seconds taken, and whether it failed (for /metrics)."""


@dataclass
class PullReport:
    pulled: list[PullResult] = field(default_factory=list)
    failed: list[tuple[PullTask, str]] = field(default_factory=list)


class PullJob:
    def __init__(
        self,
        database: Database,
        sources: SourceFactory,
        *,
        policy: rules.PullPolicy | None = None,
        observe: PullObserver | None = None,
    ) -> None:
        self.database = database
        self.sources = sources
        self.policy = policy or rules.PullPolicy()
        self.observe = observe

    def run(self, now: datetime) -> PullReport:
        with self.database.unit_of_work(write=False) as session:
            tasks = pulls_service.due_pulls(session, now=now, policy=self.policy)
        report = PullReport()
        for task in tasks:
            self._pull(task, now, report)
        return report

    def _pull(self, task: PullTask, now: datetime, report: PullReport) -> None:
        begun = time.perf_counter()
        error: str | None = None
        retry_after: int | None = None
        try:
            pulled = self.sources(task).fetch(task.query, task.start_epoch, task.end_epoch)
        except SourceUnavailable as exc:
            error, retry_after = f"unavailable: {exc}", exc.retry_after
        except QueryRejected as exc:
            # A refused query will be refused again: wait as long as backoff allows, and let
            # the error show on the mapping for someone to fix.
            error, retry_after = f"query rejected: {exc}", self.policy.retry_max_seconds
        seconds = time.perf_counter() - begun
        if self.observe is not None:
            self.observe(task, seconds, error is not None)
        if error is None:
            try:
                with self.database.unit_of_work() as session:
                    report.pulled.append(pulls_service.record_pull(session, task, pulled, now=now))
                return
            except AccordError as exc:
                # The source answered something that cannot be stored (good above total, a
                # negative count): nothing of this span was kept; the mapping shows why.
                error, retry_after = f"invalid data: {exc.detail}", self.policy.retry_max_seconds
        with self.database.unit_of_work() as session:
            retry_at = pulls_service.record_failure(
                session, task, error=error, retry_after=retry_after, now=now, policy=self.policy
            )
        log.warning(
            "pull of %s mapping %s failed (%s); next try at %s",
            task.source_name,
            task.mapping_id,
            error,
            retry_at.isoformat(),
        )
        report.failed.append((task, error))
