"""Achieved baselines and target recommendations (accord.engine.baseline)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.engine.baseline import baseline, baseline_counts, recommend_target

CANDIDATES = [0.99, 0.995, 0.999, 0.9995]


def test_the_baseline_pools_events_outside_declared_peaks() -> None:
    # Three months of 1,000,000 events; the peak month (December) had 5,000 bad.
    # Without it: 1,998,500 good of 2,000,000 = 0.99925. With it: 6,500 bad of 3,000,000,
    # 2,993,500 / 3,000,000 = 0.99783.
    good = np.array([[999_000.0, 995_000.0, 999_500.0]])
    total = np.full((1, 3), 1_000_000.0)
    peaks = np.array([False, True, False])
    assert baseline(good, total, peaks)[0] == pytest.approx(0.99925)
    assert baseline(good, total, np.zeros(3, bool))[0] == pytest.approx(2_993_500 / 3_000_000)
    counts = baseline_counts(good, total, peaks)
    assert (counts.good[0], counts.total[0]) == (1_998_500.0, 2_000_000.0)


def test_a_quiet_period_weighs_what_its_traffic_weighs() -> None:
    # 10 bad of 1,000 then 0 bad of 99,000: 99,990 / 100,000, not the mean of 0.99 and 1.
    good = np.array([[990.0, 99_000.0]])
    total = np.array([[1_000.0, 99_000.0]])
    assert baseline(good, total, [False, False])[0] == pytest.approx(0.9999)


def test_peaks_may_differ_per_objective_and_all_excluded_is_no_data() -> None:
    good = np.array([[9.0, 10.0], [9.0, 10.0]])
    total = np.full((2, 2), 10.0)
    peaks = np.array([[True, False], [True, True]])
    result = baseline(good, total, peaks)
    assert result[0] == 1.0
    assert math.isnan(result[1])
    assert not baseline_counts(good, total, peaks).has_data[1]


def test_baseline_rejects_invalid_periods() -> None:
    with pytest.raises(ValueError, match="good > total"):
        baseline(np.array([[2.0]]), np.array([[1.0]]), [False])
    with pytest.raises(ValueError, match="differ in shape"):
        baseline(np.ones((1, 2)), np.ones((1, 3)), [False, False])


# ============================================================================ recommendation


def test_the_highest_target_met_in_nine_of_the_last_twelve_months() -> None:
    # 14 months, oldest first; only the last 12 count. Months meeting each candidate among
    # them: 0.99 -> 12; 0.995 -> 11 (all but 0.9949); 0.999 -> 8 (all but 0.9985, 0.997,
    # 0.9949 and 0.998); 0.9995 -> 3 (0.9996 twice and 0.9999). Highest met in 9: 0.995.
    last_year = [0.9992, 0.9996, 0.9985, 0.9991, 0.997, 0.9999, 0.9993, 0.9949, 0.9990, 0.9994]
    slis = [0.90, 0.91, *last_year, 0.9996, 0.998]
    rec = recommend_target(slis, CANDIDATES)
    assert rec.met == {0.99: 12, 0.995: 11, 0.999: 8, 0.9995: 3}
    assert rec.target == 0.995
    assert rec.periods == 12
    assert rec.achieved_in == 9


def test_exactly_nine_months_is_enough() -> None:
    slis = [0.999] * 9 + [0.99] * 3
    rec = recommend_target(slis, CANDIDATES)
    assert rec.met[0.999] == 9
    assert rec.target == 0.999


def test_no_candidate_met_often_enough_recommends_nothing() -> None:
    rec = recommend_target([0.98] * 12, CANDIDATES)
    assert rec.target is None
    assert set(rec.met.values()) == {0}


def test_months_without_data_meet_nothing() -> None:
    slis = [float("nan")] * 4 + [0.9999] * 8
    rec = recommend_target(slis, CANDIDATES)
    assert rec.met[0.99] == 8
    assert rec.target is None


def test_a_short_history_is_not_scaled_down() -> None:
    rec = recommend_target([0.9999] * 8, CANDIDATES)
    assert rec.periods == 8
    assert rec.target is None
    assert recommend_target([0.9999] * 3, CANDIDATES, achieved_in=3, of_last=4).target == 0.9995


@pytest.mark.parametrize(
    ("candidates", "achieved_in", "of_last", "message"),
    [
        ([1.0], 9, 12, "candidates"),
        ([0.0], 9, 12, "candidates"),
        ([0.99], 13, 12, "achieved_in"),
        ([0.99], 0, 12, "achieved_in"),
    ],
)
def test_recommendation_rejects_bad_parameters(
    candidates: list[float], achieved_in: int, of_last: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        recommend_target([0.99] * 12, candidates, achieved_in, of_last)


@given(
    st.lists(st.floats(0.9, 1.0) | st.just(float("nan")), max_size=20),
    st.lists(st.floats(0.9, 0.99999), min_size=1, max_size=6, unique=True),
    st.integers(1, 12),
)
def test_the_recommendation_is_the_highest_candidate_met_often_enough(
    slis: list[float], candidates: list[float], achieved_in: int
) -> None:
    rec = recommend_target(slis, candidates, achieved_in, 12)
    recent = slis[-12:]
    met = {c: sum(1 for s in recent if s >= c) for c in candidates}
    assert rec.met == met
    qualifying = [c for c in candidates if met[c] >= achieved_in]
    assert rec.target == (max(qualifying) if qualifying else None)
    # Met counts never grow with the target.
    ordered = [met[c] for c in sorted(candidates)]
    assert ordered == sorted(ordered, reverse=True)
