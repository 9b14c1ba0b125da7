"""Accord's own Prometheus metrics: every one is defined here, and ``GET /metrics`` serves them.

Services and jobs call the small functions below (`record_ingest`, `record_push`,
`observe_pull`, `observe_evaluation`); nothing else touches prometheus_client, so the names,
labels and help strings live in one place.

The metrics sit on a registry of their own (`REGISTRY`), not prometheus_client's global one, so
that Accord's exposition holds only Accord's metrics and libraries or tests that register on the
global registry cannot collide with it.

Label values must come from bounded sets, or Prometheus stores a series per value forever:
``source`` is a registered source's slug, ``reason`` a check name of the ingestion pipeline
(``good-above-total``, ``unknown-unit``, ``malformed``, …), ``kind`` the pull adapter
(``prometheus``, ``datadog``). Never pass request data (a metric name, a client address) as a label.

Several worker processes. Each uvicorn/gunicorn worker is a process with its own counters, so
without more, ``/metrics`` shows the counts of whichever worker answered the scrape. Set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory, in the environment that starts the workers
(prometheus_client reads it when first imported, so it cannot be set from Python later), and
wipe it at each start: every process then writes its values to files there, and ``/metrics``
sums the files of all of them (`exposition`). Gauges declare how processes combine
(``multiprocess_mode``); counters and histograms are summed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

REGISTRY = CollectorRegistry(auto_describe=True)

INGEST_ROWS = Counter(
    "accord_ingest_rows_total",
    "Telemetry rows pushed, by source and outcome: accepted (stored), rejected (refused with "
    "the push) or quarantined (kept aside for review).",
    ["source", "outcome"],
    registry=REGISTRY,
)
INGEST_REJECTIONS = Counter(
    "accord_ingest_rejections_total",
    "Pushed rows refused or quarantined, by source and by the check that failed "
    "(good-above-total, unknown-unit, malformed, ...); a row failing two checks counts twice.",
    ["source", "reason"],
    registry=REGISTRY,
)
INGEST_BATCHES = Counter(
    "accord_ingest_batches_total",
    "Pushes answered, by source and HTTP status class (2xx, 4xx, 5xx).",
    ["source", "status"],
    registry=REGISTRY,
)
INGEST_LAG = Gauge(
    "accord_ingest_lag_seconds",
    "At the last accepted push of the source: that time minus the start of the newest bucket "
    "it carried. Frozen while the source is silent: see accord_ingest_last_accepted_timestamp_"
    "seconds for silence.",
    ["source"],
    registry=REGISTRY,
    # the newest push wins, whichever worker took it
    multiprocess_mode="mostrecent",
)
INGEST_LAST_ACCEPTED = Gauge(
    "accord_ingest_last_accepted_timestamp_seconds",
    "Unix time of the source's last push with accepted rows; alert on "
    "time() - accord_ingest_last_accepted_timestamp_seconds to catch a silent source.",
    ["source"],
    registry=REGISTRY,
    # time only moves forward, so the latest across workers is the largest
    multiprocess_mode="max",
)
PULL_DURATION = Histogram(
    "accord_pull_duration_seconds",
    "Duration of one worker pull of telemetry from a monitoring system, failed pulls included.",
    ["source", "kind"],
    registry=REGISTRY,
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
)
PULL_FAILURES = Counter(
    "accord_pull_failures_total",
    "Worker pulls of telemetry that failed (unreachable system, error answer, invalid data).",
    ["source", "kind"],
    registry=REGISTRY,
)
EVALUATION_PASS = Histogram(
    "accord_evaluation_pass_seconds",
    "Duration of one pass of the SLO evaluation job over every live objective.",
    registry=REGISTRY,
    buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0),
)


def record_ingest(
    source: str,
    *,
    accepted: int,
    rejected: int,
    quarantined: int,
    reasons: Mapping[str, int],
    newest_bucket_epoch: int | None,
    now_epoch: float,
) -> None:
    """Count one push's rows. ``reasons`` maps each failed check to its row count;
    ``newest_bucket_epoch`` is the start (Unix seconds) of the newest bucket accepted, None when
    nothing was. A backfill of old buckets therefore shows as lag: what just arrived is old."""
    # All three outcomes, zeros included, so each series exists from the source's first push
    # and rate() over it is defined.
    INGEST_ROWS.labels(source, "accepted").inc(accepted)
    INGEST_ROWS.labels(source, "rejected").inc(rejected)
    INGEST_ROWS.labels(source, "quarantined").inc(quarantined)
    for reason, rows in reasons.items():
        INGEST_REJECTIONS.labels(source, reason).inc(rows)
    if newest_bucket_epoch is not None:
        INGEST_LAG.labels(source).set(now_epoch - newest_bucket_epoch)
    if accepted:
        INGEST_LAST_ACCEPTED.labels(source).set(now_epoch)


def record_push(source: str, status_code: int) -> None:
    """Count one answered push by its HTTP status class (``201`` → ``2xx``)."""
    if not 100 <= status_code <= 599:
        raise ValueError(f"not an HTTP status: {status_code}")
    INGEST_BATCHES.labels(source, f"{status_code // 100}xx").inc()


def observe_pull(source: str, kind: str, seconds: float, *, failed: bool) -> None:
    """One worker pull of ``source`` through the ``kind`` adapter, and whether it failed."""
    PULL_DURATION.labels(source, kind).observe(seconds)
    # inc(0) on success creates the series, so a failure rate reads 0 rather than nothing
    PULL_FAILURES.labels(source, kind).inc(1 if failed else 0)


def observe_evaluation(seconds: float) -> None:
    """One pass of the SLO evaluation job."""
    EVALUATION_PASS.observe(seconds)


def exposition() -> bytes:
    """The text exposition of every Accord metric; of every worker process in multiprocess
    mode (`PROMETHEUS_MULTIPROC_DIR` set), else of this process."""
    directory = os.environ.get(MULTIPROCESS_DIR_VARIABLE)
    if not directory:
        return generate_latest(REGISTRY)
    # A fresh registry holding only the files' collector: our own REGISTRY's values are in
    # those files too, and adding both would count this process twice.
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


router = APIRouter()


# Unauthenticated, like every Prometheus target (and like /healthz, outside /api/v1): it holds
# counts per source slug, no agreement data. Sync, so reading the files runs in the threadpool.
@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
