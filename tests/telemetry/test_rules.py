"""Pure rules of telemetry: instants, window decomposition, validation, gaps and matrices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.kit.errors import InvalidInput
from accord.telemetry import rules
from accord.telemetry.rules import BucketColumns

B, H, D = rules.BUCKET_SECONDS, rules.HOUR_SECONDS, rules.DAY_SECONDS
E0 = rules.epoch_of(datetime(2026, 3, 1, tzinfo=UTC))


def test_the_grain_divides_hours_and_days() -> None:
    assert rules.BUCKET_SECONDS == 300
    assert (rules.BUCKETS_PER_HOUR, rules.BUCKETS_PER_DAY) == (12, 288)


def test_instants_and_epochs() -> None:
    t = datetime(2026, 3, 1, 12, 5, tzinfo=UTC)
    assert rules.instant_of(rules.epoch_of(t)) == t
    assert rules.epoch_of(t.astimezone(timezone(timedelta(hours=-5)))) == rules.epoch_of(t)
    assert rules.is_aligned(t)
    assert not rules.is_aligned(t + timedelta(seconds=1))
    assert rules.bucket_start_of(t + timedelta(seconds=299, microseconds=9)) == t
    with pytest.raises(InvalidInput, match="UTC offset"):
        rules.epoch_of(datetime(2026, 3, 1))  # noqa: DTZ001 (the point)


def test_window_edges_round_up_to_bucket_starts() -> None:
    t = datetime(2026, 3, 1, tzinfo=UTC)
    assert rules.window_epochs(t, t + timedelta(hours=1)) == (E0, E0 + H)
    assert rules.window_epochs(t + timedelta(microseconds=1), t + timedelta(seconds=301)) == (
        E0 + B,
        E0 + 2 * B,
    )
    with pytest.raises(InvalidInput, match="end"):
        rules.window_epochs(t, t - timedelta(seconds=1))


@given(
    st.integers(0, 40 * D // B).map(lambda i: E0 + i * B),
    st.integers(0, 40 * D // B).map(lambda i: i * B),
)
def test_a_window_plan_covers_the_span_exactly_once(start: int, length: int) -> None:
    end = start + length
    plan = rules.plan_window(start, end)
    covered = sorted([*plan.buckets, *plan.hours, *plan.days])
    # Contiguous, disjoint, from start to end.
    position = start
    for lo, hi in covered:
        assert lo == position < hi
        position = hi
    assert position == end or (length == 0 and not covered)
    assert all(lo % H == 0 and hi % H == 0 for lo, hi in plan.hours)
    assert all(lo % D == 0 and hi % D == 0 for lo, hi in plan.days)
    # Coarsest rows that fit: fewer than an hour of buckets at each edge, less than a day of
    # hours, so at most 2 x 11 buckets and 2 x 23 hours.
    assert sum((hi - lo) // B for lo, hi in plan.buckets) <= 22
    assert sum((hi - lo) // H for lo, hi in plan.hours) <= 46
    assert len(plan.buckets) <= 2
    assert len(plan.hours) <= 2
    assert len(plan.days) <= 1


def test_a_thirty_day_window_reads_days_hours_and_edge_buckets() -> None:
    start = E0 + 5 * H + 25 * 60
    plan = rules.plan_window(start, start + 30 * D)
    assert plan.buckets == ((start, E0 + 6 * H), (E0 + 30 * D + 5 * H, start + 30 * D))
    assert plan.hours == ((E0 + 6 * H, E0 + D), (E0 + 30 * D, E0 + 30 * D + 5 * H))
    assert plan.days == ((E0 + D, E0 + 30 * D),)
    with pytest.raises(ValueError, match="aligned"):
        rules.plan_window(start + 1, start + B)


def _cols(*rows: tuple[int, int, float, float]) -> BucketColumns:
    oid, start, good, total = (np.array(c) for c in zip(*rows, strict=True))
    return BucketColumns(oid, start, good.astype(float), total.astype(float))


def test_canonical_columns_are_sorted_with_the_last_of_each_key() -> None:
    columns = rules.canonical_columns(
        _cols((2, E0, 1, 1), (1, E0 + B, 2, 2), (1, E0, 3, 3), (2, E0, 4, 4), (1, E0, 5, 5))
    )
    assert columns.objective_id.tolist() == [1, 1, 2]
    assert columns.start_epoch.tolist() == [E0, E0 + B, E0]
    assert columns.good.tolist() == [5, 2, 4]


def test_touched_periods() -> None:
    columns = rules.canonical_columns(
        _cols((1, E0, 1, 1), (1, E0 + B, 1, 1), (1, E0 + H, 1, 1), (2, E0 + D, 1, 1))
    )
    ids, hours = rules.touched_periods(columns, H)
    assert list(zip(ids.tolist(), hours.tolist(), strict=True)) == [
        (1, E0),
        (1, E0 + H),
        (2, E0 + D),
    ]
    ids, days = rules.touched_periods(columns, D)
    assert list(zip(ids.tolist(), days.tolist(), strict=True)) == [(1, E0), (2, E0 + D)]


def test_validation_converts_and_names_rows() -> None:
    checked = rules.validated_columns(
        BucketColumns(
            np.array([1], dtype=np.uint8),
            np.array([float(E0)]),
            np.array([1], dtype=np.int8),
            np.array([2], dtype=np.int8),
        )
    )
    assert checked.objective_id.dtype == np.int64
    assert checked.start_epoch.dtype == np.int64
    assert checked.good.dtype == np.float64


def test_columns_of_unequal_length_are_refused() -> None:
    with pytest.raises(InvalidInput, match="same length"):
        rules.validated_columns(
            BucketColumns(np.array([1]), np.array([E0]), np.array([1.0, 2.0]), np.array([2.0]))
        )
    with pytest.raises(InvalidInput, match="integers"):
        rules.validated_columns(
            BucketColumns(np.array([1.5]), np.array([E0]), np.array([1.0]), np.array([2.0]))
        )


def test_missing_ranges() -> None:
    present = np.array([E0 + B, E0 + 2 * B, E0 + 5 * B])
    assert rules.missing_ranges(present, E0, E0 + 7 * B) == [
        (E0, E0 + B),
        (E0 + 3 * B, E0 + 5 * B),
        (E0 + 6 * B, E0 + 7 * B),
    ]
    assert rules.missing_ranges(np.array([], dtype=np.int64), E0, E0 + B) == [(E0, E0 + B)]
    assert rules.missing_ranges(present, E0 + B, E0 + 3 * B) == []
    assert rules.missing_ranges(present, E0, E0) == []


def test_dense_matrix_places_rows_and_ignores_strangers() -> None:
    good, total, has_data = rules.dense_matrix(
        np.array([7, 3]),
        np.array([E0, E0 + B]),
        _cols((3, E0 + B, 1, 2), (7, E0, 0, 0), (9, E0, 5, 5), (3, E0 + 9 * B, 5, 5)),
    )
    assert good.tolist() == [[0, 0], [0, 1]]
    assert total.tolist() == [[0, 0], [0, 2]]
    assert has_data.tolist() == [[True, False], [False, True]]


def test_distinct_ids_keep_the_callers_order() -> None:
    assert rules.distinct_ids([5, 2, 5, 9, 2]).tolist() == [5, 2, 9]
    assert rules.distinct_ids([]).tolist() == []
