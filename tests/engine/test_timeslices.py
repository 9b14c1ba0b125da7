"""Timeslice SLIs (accord.engine.timeslices)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from accord.engine.slo import (
    MissingData,
    apply_exclusions,
    budget_consumed,
    sli,
    window_counts,
)
from accord.engine.timeslices import (
    SliceState,
    ratio_timeslices_sli,
    slice_states,
    timeslice_sli,
)

G, B, IDLE, M = SliceState.GOOD, SliceState.BAD, SliceState.IDLE, SliceState.MISSING


def example() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One objective, 5 slices of 2 buckets, and a trailing half slice.

    slice 0: 20/20 -> 1.0 good; slice 1: 18/20 -> 0.9 good at 0.9; slice 2: 17/20 -> bad;
    slice 3: one bucket missing, the other 10/10 -> good; slice 4: nothing arrived;
    bucket 10: in progress, not a slice yet.
    """
    good = np.array([[10.0, 10, 9, 9, 7, 10, 0, 10, 0, 0, 0]])
    total = np.array([[10.0, 10, 10, 10, 10, 10, 0, 10, 0, 0, 5]])
    has_data = np.array([[True] * 6 + [False, True, False, False, True]])
    return good, total, has_data


def test_slices_are_judged_on_their_own_ratio() -> None:
    good, total, has_data = example()
    states = slice_states(good, total, has_data, 2, 0.9)
    assert states.tolist() == [[G, G, B, G, M]]


def test_missing_slices_are_left_out_by_default() -> None:
    good, total, has_data = example()
    counts = timeslice_sli(good, total, has_data, 2, 0.9)
    # 3 good of 4 slices with data; the missing slice and the trailing bucket do not count.
    assert counts.good.tolist() == [3.0]
    assert counts.total.tolist() == [4.0]
    assert sli(counts).tolist() == [0.75]


def test_missing_slices_may_count_as_good_or_bad() -> None:
    good, total, has_data = example()
    as_good = timeslice_sli(good, total, has_data, 2, 0.9, MissingData.GOOD)
    as_bad = timeslice_sli(good, total, has_data, 2, 0.9, MissingData.BAD)
    assert (as_good.good.tolist(), as_good.total.tolist()) == ([4.0], [5.0])
    assert (as_bad.good.tolist(), as_bad.total.tolist()) == ([3.0], [5.0])
    assert timeslice_sli(good, total, has_data, 2, 0.9, "bad").total.tolist() == [5.0]  # type: ignore[arg-type]


def test_idle_slices_never_count() -> None:
    # Both buckets arrived with zero events: nothing to judge, whatever the missing policy.
    good = np.array([[0.0, 0, 5, 5]])
    total = np.array([[0.0, 0, 5, 5]])
    has_data = np.ones((1, 4), dtype=bool)
    assert slice_states(good, total, has_data, 2, 0.99).tolist() == [[IDLE, G]]
    for policy in MissingData:
        counts = timeslice_sli(good, total, has_data, 2, 0.99, policy)
        assert counts.total.tolist() == [1.0]


def test_budget_math_applies_to_slices() -> None:
    # 99 % of 5-minute slices over 30 days: 8,640 slices, budget 86.4 slices.
    # 43 bad slices: consumed 43 / 86.4 = 0.4977.
    total = np.ones((1, 8_640))
    good = total.copy()
    good[0, :43] = 0
    counts = timeslice_sli(good, total, total > 0, 1, 0.5)
    assert counts.good.tolist() == [8_597.0]
    assert budget_consumed(counts, 0.99)[0] == pytest.approx(43 / 86.4)


def test_thresholds_may_differ_per_objective() -> None:
    good = np.array([[95.0], [95.0]])
    total = np.array([[100.0], [100.0]])
    states = slice_states(good, total, total > 0, 1, np.array([0.95, 0.99]))
    assert states.tolist() == [[G], [B]]


def test_no_slice_at_all_is_no_data() -> None:
    good = np.zeros((1, 3))
    counts = timeslice_sli(good, good, good > 0, 5, 0.9)
    assert counts.total.tolist() == [0.0]
    assert math.isnan(sli(counts)[0])
    assert budget_consumed(counts, 0.9)[0] == 0.0


@pytest.mark.parametrize("threshold", [0.0, 1.01, -1.0])
def test_a_threshold_outside_the_unit_interval_is_rejected(threshold: float) -> None:
    good = np.ones((1, 2))
    with pytest.raises(ValueError, match="thresholds"):
        timeslice_sli(good, good, good > 0, 1, threshold)


def test_a_slice_has_at_least_one_bucket() -> None:
    good = np.ones((1, 2))
    with pytest.raises(ValueError, match="slice_buckets"):
        timeslice_sli(good, good, good > 0, 0, 0.9)


def test_excluded_buckets_do_not_become_bad_slices() -> None:
    # Slice 1 is a maintenance window that never reported: excluded, it is accounted for, so
    # even "missing counts as bad" leaves it out.
    good = np.array([[10.0, 10, 0, 0]])
    total = good.copy()
    has_data = np.array([[True, True, False, False]])
    g, t, h = apply_exclusions(good, total, has_data, [False, False, True, True], False)
    counts = timeslice_sli(g, t, h, 2, 0.9, MissingData.BAD)
    assert (counts.good.tolist(), counts.total.tolist()) == ([1.0], [1.0])
    # Without the exclusion the missing slice would have been bad.
    plain = timeslice_sli(good, total, has_data, 2, 0.9, MissingData.BAD)
    assert (plain.good.tolist(), plain.total.tolist()) == ([1.0], [2.0])


# ======================================================================== ratio timeslices


def test_ratio_timeslices_average_the_slice_ratios() -> None:
    good, total, has_data = example()
    counts = ratio_timeslices_sli(good, total, has_data, 2)
    # Ratios 1.0, 0.9, 0.85, 1.0 over the four slices with events: mean 3.75 / 4 = 0.9375.
    assert counts.good[0] == pytest.approx(3.75)
    assert counts.total.tolist() == [4.0]
    assert sli(counts)[0] == pytest.approx(0.9375)
    # Missing slices count as ratio 1 (GOOD) or 0 (BAD).
    assert ratio_timeslices_sli(good, total, has_data, 2, MissingData.GOOD).good[0] == (
        pytest.approx(4.75)
    )
    bad = ratio_timeslices_sli(good, total, has_data, 2, MissingData.BAD)
    assert (bad.good[0], bad.total[0]) == (pytest.approx(3.75), 5.0)


def test_a_quiet_slice_weighs_as_much_as_a_busy_one() -> None:
    # Occurrences: 1 bad of 1,001 events. Ratio timeslices: slice ratios 1.0 and 0.0 -> 0.5.
    good = np.array([[1_000.0, 0.0]])
    total = np.array([[1_000.0, 1.0]])
    assert sli(ratio_timeslices_sli(good, total, total > 0, 1))[0] == 0.5
    assert sli(window_counts(good, total, 0, 2))[0] == pytest.approx(1_000 / 1_001)


# ============================================================================= properties


@st.composite
def sliced_buckets(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    n = draw(st.integers(1, 3))
    s = draw(st.integers(1, 5))
    m = draw(st.integers(0, 30))
    total = draw(hnp.arrays(np.int64, (n, m), elements=st.integers(0, 20)))
    bad = draw(hnp.arrays(np.int64, (n, m), elements=st.integers(0, 20)))
    has_data = draw(hnp.arrays(np.bool_, (n, m)))
    total = np.where(has_data, total, 0)
    good = total - np.minimum(bad, total)
    return good.astype(float), total.astype(float), has_data, s


@given(sliced_buckets(), st.floats(0.01, 1.0), st.sampled_from(list(MissingData)))
def test_slice_states_match_a_naive_reference(
    data: tuple, threshold: float, policy: MissingData
) -> None:
    good, total, has_data, s = data
    n, m = good.shape
    states = slice_states(good, total, has_data, s, threshold)
    expected = []
    for j in range(n):
        row = []
        for k in range(m // s):
            cols = range(k * s, (k + 1) * s)
            g = sum(good[j, c] for c in cols)
            t = sum(total[j, c] for c in cols)
            if t > 0:
                row.append(G if g / t >= threshold else B)
            else:
                row.append(IDLE if any(has_data[j, c] for c in cols) else M)
        expected.append(row)
    assert states.tolist() == expected
    counts = timeslice_sli(good, total, has_data, s, threshold, policy)
    for j, row in enumerate(expected):
        missing = row.count(M) if policy is not MissingData.IGNORE else 0
        assert counts.good[j] == row.count(G) + (missing if policy is MissingData.GOOD else 0)
        assert counts.total[j] == row.count(G) + row.count(B) + missing
    value = sli(counts)
    assert np.all((value[counts.has_data] >= 0) & (value[counts.has_data] <= 1))


@given(st.data(), st.integers(1, 3), st.integers(1, 6), st.integers(1, 20))
def test_timeslices_agree_with_occurrences_with_one_event_per_slice(
    draw: st.DataObject, n: int, s: int, k: int
) -> None:
    # Every slice holds exactly one event, somewhere in it: a slice is good exactly when its
    # event is, so good slices / slices = good events / events, at any threshold.
    where = draw.draw(hnp.arrays(np.int64, (n, k), elements=st.integers(0, s - 1)))
    outcome = draw.draw(hnp.arrays(np.bool_, (n, k)))
    threshold = draw.draw(st.floats(0.01, 1.0))
    total = np.zeros((n, k * s))
    good = np.zeros((n, k * s))
    rows, slices = np.indices((n, k))
    total[rows, slices * s + where] = 1
    good[rows, slices * s + where] = outcome
    has_data = np.ones_like(total, dtype=bool)
    by_slices = timeslice_sli(good, total, has_data, s, threshold)
    by_events = window_counts(good, total, 0, k * s)
    assert np.array_equal(by_slices.good, by_events.good)
    assert np.array_equal(by_slices.total, by_events.total)
    assert np.array_equal(sli(by_slices), sli(by_events))


@given(sliced_buckets())
def test_ratio_timeslices_are_the_mean_of_slice_ratios(data: tuple) -> None:
    good, total, has_data, s = data
    counts = ratio_timeslices_sli(good, total, has_data, s)
    n, m = good.shape
    for j in range(n):
        ratios = []
        for k in range(m // s):
            t = total[j, k * s : (k + 1) * s].sum()
            if t > 0:
                ratios.append(good[j, k * s : (k + 1) * s].sum() / t)
        assert counts.total[j] == len(ratios)
        assert counts.good[j] == pytest.approx(sum(ratios))
