"""`PrometheusSource` against a real Prometheus (``/usr/bin/prometheus``) scraping counters whose
every bucket is known.

Construction (why the pulled counts EQUAL the served ones, not approximately). The exporter
serves cumulative counters sampled every 60 s of simulated time, with explicit timestamps, from
the first bucket's start s0 to the last bucket's end: a sample sits on every bucket boundary,
and within a bucket the counter grows by the same amount each step (linear). A range query at a
bucket end t reads ``increase(x[5m])`` over [t - 300, t] (Prometheus 2.x ranges are closed:
`prometheus --version` here and in CI is 2.42), whose first and last samples lie exactly on the
range's edges, so no extrapolation happens and the result is last - first, an exact integer in
float64. (Prometheus 3 opens ranges on the left, so the sample at t - 300 drops out and 240 s
are extrapolated to 300 s; because the counter is linear within the bucket the answer is still
the served count, but only up to float rounding.) A span with no samples, or with only the one
at its edge, has no ``increase`` at all: those buckets must come back missing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from accord.integrations.prometheus.query import MAX_POINTS_PER_QUERY, PrometheusSource
from accord.telemetry.ports import PullQuery, QueryRejected, SourceUnavailable
from accord.telemetry.rules import BUCKET_SECONDS
from tests.integrations.prometheus.live import (
    TimestampedExporter,
    prometheus_binary,
    running_prometheus,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("prometheus-live")]

STEP_SECONDS = 60
STEPS_PER_BUCKET = BUCKET_SECONDS // STEP_SECONDS
# Per bucket: what each counter grows by at every 60 s step (so a bucket holds 5 times that).
# Bucket 2 has no traffic at all; in bucket 4 every request failed.
SHARD_A = [4, 10, 0, 7, 1, 3]
SHARD_B = [2, 0, 0, 5, 1, 8]
FAILED = [1, 0, 0, 3, 2, 0]
BUCKETS = len(SHARD_A)

TOTAL = "accord_test_requests_total"
GOOD = "accord_test_requests_good_total"
ERRORS = "accord_test_requests_failed_total"


@dataclass(frozen=True)
class Scenario:
    url: str
    s0: int
    """Start of the first simulated bucket."""
    good: list[float]
    total: list[float]

    @property
    def end(self) -> int:
        return self.s0 + BUCKETS * BUCKET_SECONDS

    def source(self) -> PrometheusSource:
        return PrometheusSource(self.url, timeout=30.0)


def frames(s0: int) -> list[str]:
    """One exposition per 60 s step: every counter's cumulative value at s0 + 60 i."""
    a = b = failed = 0
    out = []
    for i in range(BUCKETS * STEPS_PER_BUCKET + 1):
        ms = (s0 + i * STEP_SECONDS) * 1000
        out.append(
            f"# TYPE {TOTAL} counter\n"
            f'{TOTAL}{{shard="a"}} {a} {ms}\n'
            f'{TOTAL}{{shard="b"}} {b} {ms}\n'
            f"# TYPE {GOOD} counter\n"
            f"{GOOD} {a + b - failed} {ms}\n"
            f"# TYPE {ERRORS} counter\n"
            f"{ERRORS} {failed} {ms}\n"
        )
        if i < BUCKETS * STEPS_PER_BUCKET:
            bucket = i // STEPS_PER_BUCKET
            a, b, failed = a + SHARD_A[bucket], b + SHARD_B[bucket], failed + FAILED[bucket]
    return out


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    prometheus_binary()
    now = int(time.time())
    # The last simulated bucket ends 10 minutes ago: in the past, well inside the head.
    s0 = now - now % BUCKET_SECONDS - 600 - BUCKETS * BUCKET_SECONDS
    tmp = tmp_path_factory.mktemp("prometheus")
    with (
        TimestampedExporter(frames(s0)) as exporter,
        running_prometheus(tmp, exporter.target) as prometheus,
    ):
        exporter.wait_drained(timeout=120)
        total = [float(STEPS_PER_BUCKET * (a + b)) for a, b in zip(SHARD_A, SHARD_B, strict=True)]
        good = [t - STEPS_PER_BUCKET * f for t, f in zip(total, FAILED, strict=True)]
        yield Scenario(prometheus.url, s0, good, total)


def counts(
    good: str | None = f"sum(increase({GOOD}[{{{{.window}}}}]))", **changes: Any
) -> PullQuery:
    """A count query pair over the served counters, with ``changes`` to its fields."""
    query = PullQuery(
        good_query=good,
        error_query=None,
        total_query=f"sum(increase({TOTAL}[{{{{.window}}}}]))",
        kind="prometheus",
    )
    return replace(query, **changes)


def starts(scenario: Scenario) -> list[int]:
    return [scenario.s0 + i * BUCKET_SECONDS for i in range(BUCKETS)]


def test_increase_buckets_equal_what_the_exporter_served(scenario: Scenario) -> None:
    pulled = scenario.source().fetch(counts(), scenario.s0, scenario.end)

    assert pulled.start_epoch.tolist() == starts(scenario)
    assert pulled.total.tolist() == scenario.total
    assert pulled.good.tolist() == scenario.good
    assert pulled.missing == ()
    assert pulled.start_epoch.dtype == np.int64
    assert pulled.good.dtype == np.float64


def test_an_error_query_gives_good_as_total_minus_errors(scenario: Scenario) -> None:
    query = counts(good=None, error_query=f"sum(increase({ERRORS}[{{{{.window}}}}]))")

    pulled = scenario.source().fetch(query, scenario.s0, scenario.end)

    assert pulled.good.tolist() == scenario.good
    assert pulled.total.tolist() == scenario.total


def test_per_second_rates_are_multiplied_by_the_bucket_length(scenario: Scenario) -> None:
    """Sloth's ``rate()`` queries: rate = increase / 300 here, so * 300 gives the counts back up
    to float rounding (division then multiplication), hence the 1e-12 relative tolerance."""
    query = counts(
        good=f"sum(rate({GOOD}[{{{{.window}}}}]))",
        total_query=f"sum(rate({TOTAL}[{{{{.window}}}}]))",
        per_second=True,
    )

    pulled = scenario.source().fetch(query, scenario.s0, scenario.end)

    assert pulled.start_epoch.tolist() == starts(scenario)
    assert pulled.total.tolist() == pytest.approx(scenario.total, rel=1e-12, abs=1e-12)
    assert pulled.good.tolist() == pytest.approx(scenario.good, rel=1e-12, abs=1e-12)


def test_buckets_outside_the_samples_are_missing(scenario: Scenario) -> None:
    """Before s0 there is nothing; the bucket ending at s0 holds only s0's own sample, and the
    bucket after the last one only the final sample: no increase, so missing, never zero."""
    start, end = scenario.s0 - 3 * BUCKET_SECONDS, scenario.end + 2 * BUCKET_SECONDS

    pulled = scenario.source().fetch(counts(), start, end)

    assert pulled.start_epoch.tolist() == starts(scenario)
    assert pulled.good.tolist() == scenario.good
    assert pulled.missing == ((start, scenario.s0), (scenario.end, end))


def test_a_span_longer_than_prometheus_point_limit_is_asked_in_pieces(scenario: Scenario) -> None:
    """12,006 buckets in one range query would exceed Prometheus' 11,000 points per series and
    be refused (400 bad_data); the pieces are seamless (one missing range across them)."""
    start = scenario.s0 - 12_000 * BUCKET_SECONDS
    assert (scenario.end - start) // BUCKET_SECONDS > 11_000 > MAX_POINTS_PER_QUERY

    pulled = scenario.source().fetch(counts(), start, scenario.end)

    assert pulled.start_epoch.tolist() == starts(scenario)
    assert pulled.total.tolist() == scenario.total
    assert pulled.missing == ((start, scenario.s0),)


def test_nan_answers_are_missing(scenario: Scenario) -> None:
    """0 / 0 in the zero-traffic bucket is NaN in PromQL: that bucket is a gap."""
    increase = f"sum(increase({TOTAL}[{{{{.window}}}}]))"
    query = counts(total_query=f"{increase} / {increase} * {increase}")

    pulled = scenario.source().fetch(query, scenario.s0, scenario.end)

    zero_bucket = scenario.s0 + 2 * BUCKET_SECONDS
    assert zero_bucket not in pulled.start_epoch.tolist()
    assert pulled.missing == ((zero_bucket, zero_bucket + BUCKET_SECONDS),)
    assert len(pulled) == BUCKETS - 1


def test_an_absent_error_series_is_a_gap_unless_the_query_says_zero(scenario: Scenario) -> None:
    """A counter never incremented is often never exported: its query answers nothing, which
    is a gap. ``or vector(0)`` states that nothing means no errors."""
    absent = "sum(increase(accord_test_never_exported_total[{{.window}}]))"

    gaps = scenario.source().fetch(counts(good=None, error_query=absent), scenario.s0, scenario.end)
    zeros = scenario.source().fetch(
        counts(good=None, error_query=f"{absent} or vector(0)"), scenario.s0, scenario.end
    )

    assert len(gaps) == 0
    assert gaps.missing == ((scenario.s0, scenario.end),)
    assert zeros.good.tolist() == scenario.total
    assert zeros.missing == ()


def test_several_series_are_rejected(scenario: Scenario) -> None:
    query = counts(total_query=f"increase({TOTAL}[{{{{.window}}}}])")  # one series per shard

    with pytest.raises(QueryRejected, match=r"returned 2 series.*aggregate with sum\(\)"):
        scenario.source().fetch(query, scenario.s0, scenario.end)


def test_bad_promql_is_rejected_with_prometheus_message(scenario: Scenario) -> None:
    query = counts(total_query=f"sum(increase({TOTAL}[{{{{.window}}}}])")

    with pytest.raises(QueryRejected, match=r"\(400\): bad_data: .*parse error"):
        scenario.source().fetch(query, scenario.s0, scenario.end)


def test_a_mapping_with_both_good_and_error_queries_is_rejected(scenario: Scenario) -> None:
    query = counts(error_query=f"sum(increase({ERRORS}[{{{{.window}}}}]))")

    with pytest.raises(QueryRejected, match="exactly one"):
        scenario.source().fetch(query, scenario.s0, scenario.end)


def test_an_unaligned_span_is_a_caller_error(scenario: Scenario) -> None:
    with pytest.raises(ValueError, match="not aligned"):
        scenario.source().fetch(counts(), scenario.s0 + 1, scenario.end)


def test_a_stopped_prometheus_is_unavailable(tmp_path: Path) -> None:
    with running_prometheus(tmp_path) as prometheus:
        source = PrometheusSource(prometheus.url, timeout=10.0)
        now = int(time.time())
        end = now - now % BUCKET_SECONDS
        empty = source.fetch(counts(), end - 3 * BUCKET_SECONDS, end)
        prometheus.stop()

        with pytest.raises(SourceUnavailable, match="could not be reached") as caught:
            source.fetch(counts(), end - 3 * BUCKET_SECONDS, end)

    assert len(empty) == 0
    assert empty.missing == ((end - 3 * BUCKET_SECONDS, end),)
    assert caught.value.retry_after is None
