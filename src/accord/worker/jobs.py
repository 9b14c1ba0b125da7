"""The worker's jobs, built from settings: SLO evaluation (warm counts kept between passes),
pulls from Prometheus and Datadog mappings, and housekeeping."""

from __future__ import annotations

import time
from datetime import datetime

from accord.compliance.jobs import EvaluationJob
from accord.config import Settings
from accord.db.session import Database
from accord.http import metrics
from accord.identity.rules import system_actor
from accord.telemetry.ingestion import service as ingestion_service
from accord.telemetry.pulls.jobs import PullJob
from accord.telemetry.pulls.rules import PullPolicy
from accord.telemetry.pulls.service import PullTask
from accord.worker.runner import ScheduledJob
from accord.worker.sources import metric_source

WORKER_ACTOR = system_actor("worker")


def evaluation(settings: Settings, database: Database) -> ScheduledJob:
    job = EvaluationJob(database, WORKER_ACTOR)

    def run(at: datetime) -> str:
        begun = time.perf_counter()
        report = job.run(at)
        metrics.observe_evaluation(time.perf_counter() - begun)
        summary = report.summary
        return f"{summary.objectives} objectives judged" + (" (rebuilt)" if report.rebuilt else "")

    return ScheduledJob("evaluate", settings.worker.evaluate_every_seconds, run)


def pulls(settings: Settings, database: Database) -> ScheduledJob:
    worker = settings.worker
    policy = PullPolicy(
        settle_seconds=worker.pull_settle_seconds,
        backfill_seconds=worker.pull_backfill_hours * 3_600,
        max_span_seconds=worker.pull_max_span_hours * 3_600,
        retry_max_seconds=worker.pull_retry_max_seconds,
    )

    def observe(task: PullTask, seconds: float, failed: bool) -> None:
        metrics.observe_pull(task.source_name, task.kind.value, seconds, failed=failed)

    job = PullJob(
        database, lambda task: metric_source(task, settings), policy=policy, observe=observe
    )

    def run(at: datetime) -> str:
        report = job.run(at)
        buckets = sum(p.buckets for p in report.pulled)
        return f"{len(report.pulled)} pulls ({buckets} buckets), {len(report.failed)} failed"

    return ScheduledJob("pull", worker.pull_every_seconds, run)


def housekeeping(settings: Settings, database: Database) -> ScheduledJob:
    """Hourly: forget idempotency keys past their window."""

    def run(at: datetime) -> str:
        with database.unit_of_work() as session:
            forgotten = ingestion_service.forget_idempotency_keys(
                session, now=at, keep_hours=settings.ingest.idempotency_hours
            )
        return f"{forgotten} idempotency keys forgotten"

    return ScheduledJob("housekeeping", 3_600, run)
