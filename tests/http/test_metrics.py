"""Accord's own metrics: the record functions show in the exposition, GET /metrics serves it, and
in multiprocess mode the counts of every worker process are summed.

The metrics are process-wide, and tests run in parallel in one process each: every test uses a
source slug of its own, or compares before and after.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import prometheus_client
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from accord.http.metrics import (
    MULTIPROCESS_DIR_VARIABLE,
    exposition,
    observe_evaluation,
    observe_pull,
    record_ingest,
    record_push,
    router,
)

NOW = 1_800_000_000.0


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample (``accord_ingest_rows_total{source=…}``), None when absent."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return float(found.value)
    return None


def exposed(name: str, **labels: str) -> float | None:
    return sample(exposition().decode(), name, **labels)


@pytest.fixture
def source() -> str:
    return f"src-{uuid.uuid4().hex[:12]}"


def test_ingest_counts_rows_rejections_and_lag(source: str) -> None:
    assert exposed("accord_ingest_rows_total", source=source, outcome="accepted") is None
    for _ in range(2):
        record_ingest(
            source,
            accepted=40,
            rejected=3,
            quarantined=2,
            reasons={"good-above-total": 3, "unknown-unit": 2},
            newest_bucket_epoch=int(NOW) - 600,
            now_epoch=NOW,
        )
    text = exposition().decode()
    assert sample(text, "accord_ingest_rows_total", source=source, outcome="accepted") == 80
    assert sample(text, "accord_ingest_rows_total", source=source, outcome="rejected") == 6
    assert sample(text, "accord_ingest_rows_total", source=source, outcome="quarantined") == 4
    rejections = "accord_ingest_rejections_total"
    assert sample(text, rejections, source=source, reason="good-above-total") == 6
    assert sample(text, rejections, source=source, reason="unknown-unit") == 4
    assert sample(text, "accord_ingest_lag_seconds", source=source) == 600
    last = "accord_ingest_last_accepted_timestamp_seconds"
    assert sample(text, last, source=source) == NOW


def test_a_push_with_nothing_accepted_leaves_lag_and_last_accepted_alone(source: str) -> None:
    record_ingest(
        source,
        accepted=0,
        rejected=5,
        quarantined=0,
        reasons={"malformed": 5},
        newest_bucket_epoch=None,
        now_epoch=NOW,
    )
    text = exposition().decode()
    assert sample(text, "accord_ingest_rows_total", source=source, outcome="accepted") == 0
    assert sample(text, "accord_ingest_rejections_total", source=source, reason="malformed") == 5
    assert sample(text, "accord_ingest_lag_seconds", source=source) is None
    assert sample(text, "accord_ingest_last_accepted_timestamp_seconds", source=source) is None


def test_pushes_are_counted_by_status_class(source: str) -> None:
    for status in (201, 200, 429, 413, 503):
        record_push(source, status)
    text = exposition().decode()
    batches = "accord_ingest_batches_total"
    assert sample(text, batches, source=source, status="2xx") == 2
    assert sample(text, batches, source=source, status="4xx") == 2
    assert sample(text, batches, source=source, status="5xx") == 1
    with pytest.raises(ValueError, match="not an HTTP status"):
        record_push(source, 42)


def test_pulls_are_timed_and_failures_counted(source: str) -> None:
    observe_pull(source, "prometheus", 0.2, failed=False)
    text = exposition().decode()
    assert sample(text, "accord_pull_failures_total", source=source, kind="prometheus") == 0
    observe_pull(source, "prometheus", 3.0, failed=True)
    text = exposition().decode()
    labels = {"source": source, "kind": "prometheus"}
    assert sample(text, "accord_pull_failures_total", **labels) == 1
    assert sample(text, "accord_pull_duration_seconds_count", **labels) == 2
    assert sample(text, "accord_pull_duration_seconds_sum", **labels) == pytest.approx(3.2)
    assert sample(text, "accord_pull_duration_seconds_bucket", **labels, le="0.25") == 1
    assert sample(text, "accord_pull_duration_seconds_bucket", **labels, le="5.0") == 2


def test_evaluation_passes_are_timed() -> None:
    before = exposed("accord_evaluation_pass_seconds_count") or 0.0
    observe_evaluation(1.5)
    assert exposed("accord_evaluation_pass_seconds_count") == before + 1


def test_accord_metrics_stay_off_the_global_registry(source: str) -> None:
    record_push(source, 200)
    assert b"accord_ingest_batches_total" in exposition()
    assert b"accord_" not in prometheus_client.generate_latest(prometheus_client.REGISTRY)


def test_metrics_route_serves_the_text_exposition_outside_the_schema(source: str) -> None:
    record_push(source, 202)
    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        response = client.get("/metrics")
        assert "/metrics" not in client.get("/openapi.json").json().get("paths", {})
    assert response.status_code == 200
    assert response.headers["content-type"] == prometheus_client.CONTENT_TYPE_LATEST
    assert sample(response.text, "accord_ingest_batches_total", source=source, status="2xx") == 1
    assert {family.name for family in text_string_to_metric_families(response.text)} >= {
        "accord_ingest_rows",
        "accord_ingest_rejections",
        "accord_ingest_batches",
        "accord_ingest_lag_seconds",
        "accord_pull_duration_seconds",
        "accord_pull_failures",
        "accord_evaluation_pass_seconds",
    }


def run_worker(directory: Path, code: str) -> str:
    """Runs ``code`` in a new Python process in multiprocess mode (the variable must be set
    before prometheus_client is imported, as a real deployment sets it before the workers)."""
    env = {**os.environ, MULTIPROCESS_DIR_VARIABLE: str(directory)}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
def test_multiprocess_mode_sums_every_worker(tmp_path: Path) -> None:
    for accepted, newest in ((30, 1_799_999_400), (12, 1_799_999_700)):
        run_worker(
            tmp_path,
            f"""
            from accord.http.metrics import observe_evaluation, record_ingest, record_push
            record_ingest(
                "shared", accepted={accepted}, rejected=1, quarantined=0,
                reasons={{"unknown-unit": 1}}, newest_bucket_epoch={newest},
                now_epoch=1_800_000_000.0,
            )
            record_push("shared", 201)
            observe_evaluation(2.0)
            """,
        )
    text = run_worker(
        tmp_path,
        """
        import sys
        from accord.http.metrics import exposition
        sys.stdout.write(exposition().decode())
        """,
    )
    assert sample(text, "accord_ingest_rows_total", source="shared", outcome="accepted") == 42
    assert sample(text, "accord_ingest_rows_total", source="shared", outcome="rejected") == 2
    rejections = "accord_ingest_rejections_total"
    assert sample(text, rejections, source="shared", reason="unknown-unit") == 2
    assert sample(text, "accord_ingest_batches_total", source="shared", status="2xx") == 2
    assert sample(text, "accord_evaluation_pass_seconds_count") == 2
    # the gauge is the last worker's value, not a sum
    assert sample(text, "accord_ingest_lag_seconds", source="shared") == 300
    last = "accord_ingest_last_accepted_timestamp_seconds"
    assert sample(text, last, source="shared") == 1_800_000_000.0
