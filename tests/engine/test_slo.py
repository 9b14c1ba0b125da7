"""Occurrence SLIs, error budgets, window sums and exclusions (accord.engine.slo)."""

from __future__ import annotations

import math
import tracemalloc
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from accord.engine.slo import (
    BucketCounts,
    CumulativeCounts,
    MissingData,
    WindowCounts,
    apply_exclusions,
    budget_consumed,
    budget_remaining,
    burn_rate,
    data_coverage,
    exclusion_mask,
    seconds_to_exhaustion,
    sli,
    validate_buckets,
    window_counts,
)

Buckets = tuple[np.ndarray, np.ndarray, np.ndarray]
"""good, total, has_data: (n_objectives, n_buckets)."""

T0 = datetime(2026, 3, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
targets = st.floats(min_value=0.5, max_value=0.9999)


@st.composite
def buckets(draw: st.DrawFn, max_objectives: int = 4, max_buckets: int = 40) -> Buckets:
    """Valid integer-valued buckets: 0 <= good <= total, and 0 where no bucket arrived."""
    n = draw(st.integers(1, max_objectives))
    m = draw(st.integers(1, max_buckets))
    total = draw(hnp.arrays(np.int64, (n, m), elements=st.integers(0, 1000)))
    bad = draw(hnp.arrays(np.int64, (n, m), elements=st.integers(0, 1000)))
    has_data = draw(hnp.arrays(np.bool_, (n, m)))
    total = np.where(has_data, total, 0)
    good = total - np.minimum(bad, total)
    return good.astype(np.float64), total.astype(np.float64), has_data


def direct(good: np.ndarray, total: np.ndarray, start: int, stop: int) -> tuple[list, list]:
    """Plain Python sums of buckets [start, stop) (clipped), per objective."""
    m = good.shape[1]
    lo, hi = min(max(start, 0), m), min(max(stop, 0), m)
    g = [sum(float(x) for x in row[lo:hi]) for row in good]
    t = [sum(float(x) for x in row[lo:hi]) for row in total]
    return g, t


# ============================================================================= WindowCounts


def test_the_workbook_example_consumes_four_tenths_of_the_budget() -> None:
    # Target 99.9 %: the budget is 0.1 % of 1,000,000 events = 1,000 bad events.
    # 400 bad events: SLI = 999,600 / 1,000,000 = 0.9996; consumed = 400 / 1,000 = 0.4;
    # remaining = 0.6; burn rate = error ratio / budget = 0.0004 / 0.001 = 0.4.
    counts = WindowCounts(np.array([999_600.0]), np.array([1_000_000.0]))
    assert sli(counts)[0] == 0.9996
    assert budget_consumed(counts, 0.999)[0] == pytest.approx(0.4, rel=1e-12)
    assert budget_remaining(counts, 0.999)[0] == pytest.approx(0.6, rel=1e-12)
    assert burn_rate(counts, 0.999)[0] == pytest.approx(0.4, rel=1e-12)
    assert counts.error_ratio[0] == pytest.approx(0.0004, rel=1e-12)


def test_an_overspent_budget_leaves_a_negative_remainder() -> None:
    # Target 99 %, 10,000 events, 250 bad: budget 100 events, consumed 2.5, remaining -1.5.
    counts = WindowCounts(np.array([9_750.0]), np.array([10_000.0]))
    assert budget_consumed(counts, 0.99)[0] == pytest.approx(2.5)
    assert budget_remaining(counts, 0.99)[0] == pytest.approx(-1.5)


def test_no_data_is_explicit_and_consumes_no_budget() -> None:
    counts = WindowCounts(np.array([0.0, 5.0]), np.array([0.0, 10.0]))
    assert counts.has_data.tolist() == [False, True]
    assert math.isnan(sli(counts)[0])
    assert sli(counts)[1] == 0.5
    assert counts.error_ratio.tolist() == [0.0, 0.5]
    assert budget_consumed(counts, 0.9)[0] == 0.0
    assert budget_remaining(counts, 0.9)[0] == 1.0
    assert burn_rate(counts, 0.9)[0] == 0.0


def test_targets_may_differ_per_objective() -> None:
    # 1 bad in 100: against 99 % that is the whole budget, against 90 % a tenth of it.
    counts = WindowCounts(np.array([99.0, 99.0]), np.array([100.0, 100.0]))
    assert budget_consumed(counts, np.array([0.99, 0.9])) == pytest.approx([1.0, 0.1])


@pytest.mark.parametrize("target", [0.0, 1.0, -0.5, 1.5, float("nan")])
def test_a_target_outside_the_open_unit_interval_is_rejected(target: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        burn_rate(WindowCounts.empty(1), target)


def test_targets_of_the_wrong_shape_are_rejected() -> None:
    with pytest.raises(ValueError, match="shape"):
        budget_consumed(WindowCounts.empty(2), np.array([0.9, 0.9, 0.9]))


@pytest.mark.parametrize(
    ("good", "total", "message"),
    [
        ([11.0], [10.0], "good > total"),
        ([-1.0], [10.0], "negative"),
        ([float("nan")], [10.0], "finite"),
        ([1.0], [float("inf")], "finite"),
        ([[1.0]], [[1.0]], "1-D"),
        ([1.0, 2.0], [3.0], "1-D"),
    ],
)
def test_invalid_counts_are_rejected(good: list, total: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WindowCounts(np.array(good), np.array(total))


@given(buckets(), st.data())
def test_sli_lies_in_the_unit_interval_or_is_nan_without_data(
    data: Buckets, draw: st.DataObject
) -> None:
    good, total, _ = data
    start = draw.draw(st.integers(-5, good.shape[1] + 5))
    stop = draw.draw(st.integers(-5, good.shape[1] + 5))
    counts = window_counts(good, total, start, stop)
    value = sli(counts)
    assert np.all((value[counts.has_data] >= 0) & (value[counts.has_data] <= 1))
    assert np.isnan(value[~counts.has_data]).all()
    assert not np.isnan(counts.error_ratio).any()


@given(buckets(), targets, st.integers(1, 10))
def test_burn_rate_is_linear_in_the_error_ratio(data: Buckets, target: float, k: int) -> None:
    good, total, _ = data
    counts = window_counts(good, total, 0, good.shape[1])
    rate = burn_rate(counts, target)
    assert rate * (1 - target) == pytest.approx(counts.error_ratio, rel=1e-12, abs=1e-15)
    # k times the events, k times the bad ones among them: the same ratio, the same burn rate.
    scaled = WindowCounts(counts.good * k, counts.total * k)
    assert burn_rate(scaled, target) == pytest.approx(rate, rel=1e-12)
    # Over the whole window the budget consumed is the burn rate.
    assert np.array_equal(budget_consumed(counts, target), rate)


def test_doubling_the_error_ratio_doubles_the_burn_rate() -> None:
    # 30-day SLO at 99.9 %: 1.44 % errors burn at 14.4, 2.88 % at 28.8.
    counts = WindowCounts(np.array([10_000 - 144.0, 10_000 - 288.0]), np.array([10_000.0] * 2))
    rate = burn_rate(counts, 0.999)
    assert rate == pytest.approx([14.4, 28.8])
    assert rate[1] == pytest.approx(2 * rate[0], rel=1e-12)


# ============================================================================= window sums


def test_window_counts_sums_the_columns_of_the_window_and_clips_the_bounds() -> None:
    good = np.array([[1.0, 2, 3, 4], [0, 0, 5, 5]])
    total = np.array([[1.0, 2, 4, 8], [0, 0, 5, 10]])
    w = window_counts(good, total, 1, 3)
    assert w.good.tolist() == [5.0, 5.0]
    assert w.total.tolist() == [6.0, 5.0]
    assert window_counts(good, total, -10, 99).total.tolist() == [15.0, 15.0]
    assert window_counts(good, total, 3, 1).total.tolist() == [0.0, 0.0]
    assert window_counts(good, total, 5, 9).has_data.tolist() == [False, False]


def test_window_counts_takes_per_objective_bounds() -> None:
    good = np.arange(12.0).reshape(2, 6)
    total = good + 1
    w = window_counts(good, total, np.array([0, 2]), np.array([3, 6]))
    # Row 0: 0+1+2 = 3; row 1: 8+9+10+11 = 38.
    assert w.good.tolist() == [3.0, 38.0]
    assert w.total.tolist() == [6.0, 42.0]


def test_window_counts_does_not_copy_the_bucket_arrays() -> None:
    rng = np.random.default_rng(7)
    total = rng.integers(0, 100, (500, 4_000)).astype(np.float64)  # 16 MB
    good = np.floor(total / 2)
    tracemalloc.start()
    try:
        window_counts(good, total, 10, 3_990)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # the result: a few kB per array; a copy would be 16 MB


@given(buckets(), st.data())
def test_counts_of_split_windows_add_up(data: Buckets, draw: st.DataObject) -> None:
    good, total, _ = data
    a, b, c = sorted(draw.draw(st.lists(st.integers(0, good.shape[1]), min_size=3, max_size=3)))
    whole = window_counts(good, total, a, c)
    parts = window_counts(good, total, a, b) + window_counts(good, total, b, c)
    assert np.array_equal(whole.good, parts.good)
    assert np.array_equal(whole.total, parts.total)


@given(buckets(), st.data())
def test_cumulative_windows_equal_direct_sums(data: Buckets, draw: st.DataObject) -> None:
    good, total, _ = data
    n, m = good.shape
    cumulative = CumulativeCounts(good, total)
    bound = st.integers(-3, m + 3)
    start, stop = draw.draw(bound), draw.draw(bound)
    expected_good, expected_total = direct(good, total, start, stop)
    w = cumulative.window(start, stop)
    assert w.good.tolist() == expected_good
    assert w.total.tolist() == expected_total
    # Per-objective bounds: each row on its own.
    starts = np.array(draw.draw(st.lists(bound, min_size=n, max_size=n)))
    stops = np.array(draw.draw(st.lists(bound, min_size=n, max_size=n)))
    per_row = cumulative.window(starts, stops)
    direct_rows = window_counts(good, total, starts, stops)
    for j in range(n):
        g, t = direct(good[j : j + 1], total[j : j + 1], int(starts[j]), int(stops[j]))
        assert per_row.good[j] == g[0] == direct_rows.good[j]
        assert per_row.total[j] == t[0] == direct_rows.total[j]


@given(buckets(), st.integers(0, 40))
def test_appending_buckets_equals_building_from_all_of_them(data: Buckets, split: int) -> None:
    good, total, _ = data
    m = good.shape[1]
    split = min(split, m)
    grown = CumulativeCounts(good[:, :split], total[:, :split], spare=1)
    for i in range(split, m):  # the test appends bucket by bucket, as a live feed would
        grown.append(good[:, i], total[:, i])
    built = CumulativeCounts(good, total)
    assert grown.n_buckets == built.n_buckets == m
    assert np.array_equal(grown.good, built.good)
    assert np.array_equal(grown.total, built.total)
    assert np.array_equal(grown.window(0, m).good, good.sum(axis=1))


def test_extend_adds_several_buckets_at_once() -> None:
    good = np.array([[1.0, 1, 0, 2, 3]])
    total = np.array([[1.0, 2, 1, 2, 4]])
    cumulative = CumulativeCounts(good[:, :2], total[:, :2], spare=0)
    cumulative.extend(good[:, 2:], total[:, 2:])
    assert cumulative.good.tolist() == [[0.0, 1, 2, 2, 4, 7]]
    assert cumulative.total.tolist() == [[0.0, 1, 3, 4, 6, 10]]
    assert cumulative.stop == 5


def test_dropping_old_buckets_rebases_and_keeps_absolute_indices() -> None:
    good = np.array([[1.0, 2, 3, 4, 5, 6]])
    total = good * 2
    cumulative = CumulativeCounts(good, total)
    cumulative.drop_before(4)
    assert (cumulative.first, cumulative.stop, cumulative.n_buckets) == (4, 6, 2)
    assert cumulative.good.tolist() == [[0.0, 5, 11]]
    assert cumulative.window(4, 6).good.tolist() == [11.0]
    assert cumulative.window(5, 6).total.tolist() == [12.0]
    # Before the first bucket held there is nothing left to count.
    assert cumulative.window(0, 5).good.tolist() == [5.0]
    cumulative.append(np.array([7.0]), np.array([7.0]))
    assert cumulative.window(4, 7).good.tolist() == [18.0]


def test_the_running_totals_are_read_only() -> None:
    cumulative = CumulativeCounts(np.ones((1, 3)), np.ones((1, 3)))
    with pytest.raises(ValueError, match="read-only"):
        cumulative.good[0, 0] = 5.0


def test_fractional_counts_never_make_an_invalid_window() -> None:
    # Rates times seconds are fractional; differences of running totals carry rounding.
    rng = np.random.default_rng(3)
    total = rng.random((50, 2_000)) * 1e6
    good = total * (1 - rng.random((50, 2_000)) * 1e-9)
    cumulative = CumulativeCounts(good, np.maximum(good, total))
    for start in range(0, 2_000, 97):
        w = cumulative.window(start, start + 50)
        assert np.all(w.good <= w.total)
        assert np.all(w.good >= 0)


@pytest.mark.parametrize(
    ("good", "total", "has_data", "message"),
    [
        ([[2.0]], [[1.0]], None, "good > total"),
        ([[-1.0]], [[1.0]], None, "negative"),
        ([[np.nan]], [[1.0]], None, "finite"),
        ([[1.0]], [[np.nan]], None, "finite"),
        ([[1.0]], [[np.inf]], None, "finite"),
        ([[np.inf]], [[1.0]], None, "good > total"),
        ([[0.0]], [[-1.0]], None, "good > total"),
        ([[0.0]], [[1.0]], [[False]], "without data must be 0"),
        ([1.0], [1.0], None, "2-D"),
    ],
)
def test_invalid_buckets_are_rejected(
    good: list, total: list, has_data: list | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        validate_buckets(np.array(good), np.array(total), has_data)
    if has_data is None:
        with pytest.raises(ValueError, match=message):
            CumulativeCounts(np.array(good), np.array(total))


def test_a_bucket_source_and_running_totals_agree() -> None:
    good = np.array([[3.0, 4, 5], [0, 1, 1]])
    total = np.array([[3.0, 5, 5], [1, 1, 1]])
    for start, stop in [(0, 3), (1, 2), (2, 2), (-1, 9)]:
        a = BucketCounts(good, total).window(start, stop)
        b = CumulativeCounts(good, total).window(start, stop)
        assert np.array_equal(a.good, b.good)
        assert np.array_equal(a.total, b.total)


# =================================================================== budget over time


def test_seconds_to_exhaustion_at_the_current_burn_rate() -> None:
    # 30 days = 2,592,000 s. At burn 14.4 a whole budget lasts 2,592,000 / 14.4 = 180,000 s
    # (50 h); 60 % of it lasts 108,000 s (30 h). At burn 1 the 60 % lasts 0.6 of the period.
    result = seconds_to_exhaustion(
        np.array([0.6, 0.6, 0.6, 0.0, -0.2]), [14.4, 1, 0, 0, 3], 2_592_000
    )
    assert result[0] == pytest.approx(108_000)
    assert result[1] == pytest.approx(1_555_200)
    assert result[2] == math.inf  # not burning: never
    assert result[3] == 0.0  # spent, and not burning: already gone
    assert result[4] == 0.0


# ============================================================================== coverage


def test_coverage_is_the_share_of_buckets_that_arrived() -> None:
    has_data = np.array([[True, True, False, True], [False, False, False, False]])
    assert data_coverage(has_data).tolist() == [0.75, 0.0]
    assert data_coverage(has_data, 2, 4).tolist() == [0.5, 0.0]
    assert data_coverage(has_data, 3, 3).tolist() == [1.0, 1.0]


def test_missing_data_policies_are_named_as_stored() -> None:
    assert [p.value for p in MissingData] == ["ignore", "good", "bad"]


# ============================================================================== exclusions


def reference_mask(
    n: int, origin: datetime, grain: timedelta, intervals: list[tuple[datetime, datetime]]
) -> list[bool]:
    """Brute force: merge the intervals, then test every bucket for containment."""
    merged: list[list[datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out = []
    for i in range(n):
        lo, hi = origin + i * grain, origin + (i + 1) * grain
        out.append(any(s <= lo and hi <= e for s, e in merged))
    return out


def test_only_buckets_wholly_inside_an_interval_are_excluded() -> None:
    # 5-minute buckets from 00:00. [00:10, 00:20) covers buckets 2 and 3 exactly;
    # [00:31, 00:44) covers bucket 7 (00:35-00:40) wholly and 6 and 8 only in part.
    mask = exclusion_mask(
        12,
        T0,
        300,
        [(T0 + 10 * MINUTE, T0 + 20 * MINUTE), (T0 + 31 * MINUTE, T0 + 44 * MINUTE)],
    )
    assert np.flatnonzero(mask).tolist() == [2, 3, 7]


def test_touching_intervals_together_cover_a_bucket() -> None:
    # [00:00, 00:02) and [00:02, 00:07): neither alone covers bucket 0, together they do.
    mask = exclusion_mask(3, T0, 300, [(T0 + 2 * MINUTE, T0 + 7 * MINUTE), (T0, T0 + 2 * MINUTE)])
    assert mask.tolist() == [True, False, False]


def test_intervals_outside_the_buckets_are_clipped() -> None:
    mask = exclusion_mask(
        4,
        T0,
        timedelta(minutes=5),
        [(T0 - 60 * MINUTE, T0 + 5 * MINUTE), (T0 + 15 * MINUTE, T0 + 99 * MINUTE)],
    )
    assert mask.tolist() == [True, False, False, True]


def test_interval_zones_do_not_matter() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start = (T0 + 5 * MINUTE).astimezone(berlin)
    mask = exclusion_mask(3, T0, 300, [(start, start + 5 * MINUTE)])
    assert mask.tolist() == [False, True, False]


def test_exclusions_need_aware_ordered_intervals() -> None:
    naive = datetime(2026, 3, 1)  # noqa: DTZ001 - the input under test
    with pytest.raises(ValueError, match="UTC offset"):
        exclusion_mask(3, naive, 300, [])
    with pytest.raises(ValueError, match="UTC offset"):
        exclusion_mask(3, T0, 300, [(naive, naive)])
    with pytest.raises(ValueError, match="ends before"):
        exclusion_mask(3, T0, 300, [(T0 + MINUTE, T0)])


@given(
    st.integers(1, 30),
    st.sampled_from([60, 300, 600]),
    st.lists(st.tuples(st.integers(-20, 200), st.integers(0, 60)), max_size=6),
)
def test_exclusion_mask_matches_a_brute_force_reference(
    n: int, grain: int, spans: list[tuple[int, int]]
) -> None:
    intervals = [(T0 + start * MINUTE, T0 + (start + length) * MINUTE) for start, length in spans]
    mask = exclusion_mask(n, T0, grain, intervals)
    assert mask.tolist() == reference_mask(n, T0, timedelta(seconds=grain), intervals)


def test_excluded_buckets_are_removed_from_good_and_total() -> None:
    good = np.array([[10.0, 2.0, 10.0], [5.0, 0.0, 0.0]])
    total = np.array([[10.0, 10.0, 10.0], [5.0, 0.0, 0.0]])
    has_data = np.array([[True, True, True], [True, False, False]])
    mask = np.array([False, True, False])
    g, t, h = apply_exclusions(good, total, has_data, mask, count_as_good=False)
    assert g.tolist() == [[10.0, 0.0, 10.0], [5.0, 0.0, 0.0]]
    assert t.tolist() == [[10.0, 0.0, 10.0], [5.0, 0.0, 0.0]]
    # Excluded buckets are accounted for, even the one that never arrived.
    assert h.tolist() == [[True, True, True], [True, True, False]]
    # The inputs are untouched.
    assert good[0, 1] == 2.0
    assert total[0, 1] == 10.0
    assert not has_data[1, 1]


def test_excluded_buckets_may_count_as_good() -> None:
    good = np.array([[10.0, 2.0, 10.0]])
    total = np.array([[10.0, 10.0, 10.0]])
    g, t, _ = apply_exclusions(good, total, np.ones((1, 3), bool), [False, True, False], True)
    assert g.tolist() == [[10.0, 10.0, 10.0]]
    assert t.tolist() == [[10.0, 10.0, 10.0]]


def test_exclusions_may_differ_per_objective() -> None:
    good = np.zeros((2, 2))
    total = np.ones((2, 2))
    mask = np.array([[True, False], [False, True]])
    _, t, _ = apply_exclusions(good, total, np.ones((2, 2), bool), mask, count_as_good=False)
    assert t.tolist() == [[0.0, 1.0], [1.0, 0.0]]


@given(buckets(), targets, st.data())
def test_excluding_only_failed_buckets_never_increases_the_budget_consumed(
    data: Buckets, target: float, draw: st.DataObject
) -> None:
    good, total, has_data = data
    failed = (good == 0) & (total > 0)  # every event of the bucket was bad
    chosen = draw.draw(hnp.arrays(np.bool_, good.shape))
    m = good.shape[1]
    before = budget_consumed(window_counts(good, total, 0, m), target)
    g, t, _ = apply_exclusions(good, total, has_data, chosen & failed, count_as_good=False)
    after = budget_consumed(window_counts(g, t, 0, m), target)
    assert np.all(after <= before + 1e-12)


@given(buckets(), targets, st.data())
def test_counting_exclusions_as_good_never_increases_the_budget_consumed(
    data: Buckets, target: float, draw: st.DataObject
) -> None:
    good, total, has_data = data
    chosen = draw.draw(hnp.arrays(np.bool_, good.shape))
    m = good.shape[1]
    before = window_counts(good, total, 0, m)
    g, t, _ = apply_exclusions(good, total, has_data, chosen, count_as_good=True)
    after = window_counts(g, t, 0, m)
    assert np.array_equal(after.total, before.total)
    assert np.all(budget_consumed(after, target) <= budget_consumed(before, target))
