"""Which span a pull asks for, and how long a failing source is left alone."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from accord.telemetry.pulls.rules import PullPolicy, pull_span, retry_delay
from accord.telemetry.rules import BUCKET_SECONDS

POLICY = PullPolicy(settle_seconds=60, backfill_seconds=3_600, max_span_seconds=7_200)
NOW = 1_800_000_000 + 125  # 125 s into a bucket


def test_a_new_mapping_starts_its_backfill_before_the_last_settled_boundary() -> None:
    end = NOW - 125  # the boundary 125 s ago has settled (60 s); the next one has not begun
    assert pull_span(None, NOW, POLICY) == (end - 3_600, end)


def test_an_unsettled_bucket_waits() -> None:
    boundary = NOW - 125
    assert pull_span(boundary, NOW, POLICY) is None
    assert pull_span(boundary, boundary + 359, POLICY) is None
    assert pull_span(boundary, boundary + 360, POLICY) == (boundary, boundary + BUCKET_SECONDS)


def test_a_backlog_is_fetched_oldest_first_a_span_at_a_time() -> None:
    behind = NOW - 125 - 86_400
    assert pull_span(behind, NOW, POLICY) == (behind, behind + 7_200)


@given(
    complete=st.one_of(st.none(), st.integers(1_700_000_000, 1_800_000_000)),
    now=st.floats(1_700_000_000, 1_800_100_000),
)
def test_spans_are_aligned_and_bounded(complete: int | None, now: float) -> None:
    span = pull_span(complete, now, POLICY)
    if span is None:
        return
    start, end = span
    assert start % BUCKET_SECONDS == 0
    assert end % BUCKET_SECONDS == 0
    assert 0 < end - start <= POLICY.max_span_seconds
    assert end <= now - POLICY.settle_seconds


def test_retries_double_up_to_the_cap_and_honour_retry_after() -> None:
    policy = PullPolicy(retry_base_seconds=30, retry_max_seconds=900)
    assert [retry_delay(n, policy) for n in range(1, 8)] == [30, 60, 120, 240, 480, 900, 900]
    assert retry_delay(1, policy, asked=120) == 120
    assert retry_delay(10_000, policy) == 900
