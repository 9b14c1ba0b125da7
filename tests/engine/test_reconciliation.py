"""Reconciliation of primary and secondary buckets (accord.engine.reconciliation): known
answers at the tolerance's edges, and properties (symmetry, tolerance 0 is equality,
monotone in the tolerance, the resolution rule)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from accord.engine.reconciliation import (
    BucketClass,
    Side,
    check_tolerance,
    compare,
    relative_difference,
    resolve,
)

C = BucketClass


def side(good: list[float], total: list[float], has: list[bool] | None = None) -> Side:
    return Side(
        good=np.array(good, dtype=np.float64),
        total=np.array(total, dtype=np.float64),
        has_data=np.array(has if has is not None else [True] * len(good)),
    )


# ------------------------------------------------------------------------------ known answers


def test_each_class_on_a_known_example() -> None:
    primary = side([990, 500, 990, 7, 0, 10, 0], [1000, 500, 1000, 7, 0, 10, 0],
                   [True, True, True, True, True, False, False])  # fmt: skip
    secondary = side([990, 500, 900, 0, 0, 10, 0], [1000, 505, 1000, 0, 0, 10, 0],
                     [True, True, True, False, True, True, False])  # fmt: skip
    result = compare(primary, secondary, 0.01)
    assert result.classes.tolist() == [
        C.AGREE,  # identical
        C.WITHIN,  # total 500 vs 505: 5/505 = 0.99 %
        C.DISAGREE,  # good 990 vs 900: 90/990 = 9.1 %
        C.PRIMARY_ONLY,
        C.AGREE,  # zero traffic against zero traffic
        C.SECONDARY_ONLY,
        C.NEITHER,
    ]
    assert result.difference[1] == pytest.approx(5 / 505)
    assert result.difference[2] == pytest.approx(90 / 990)
    assert result.difference[[0, 3, 4, 5, 6]].tolist() == [0.0] * 5
    counts = result.counts()
    assert counts == {C.NEITHER: 1, C.PRIMARY_ONLY: 1, C.SECONDARY_ONLY: 1, C.AGREE: 2,
                      C.WITHIN: 1, C.DISAGREE: 1}  # fmt: skip


def test_the_tolerance_edge_is_inclusive() -> None:
    # 1,000 vs 990 on total: exactly 1 % of the larger value.
    primary, secondary = side([990], [1000]), side([990], [990])
    assert compare(primary, secondary, 0.01).classes.tolist() == [C.WITHIN]
    assert compare(primary, secondary, 0.0099).classes.tolist() == [C.DISAGREE]
    assert compare(primary, secondary, 0.0).classes.tolist() == [C.DISAGREE]


def test_good_and_total_are_judged_separately() -> None:
    # Totals agree; good differs by 2 % of the larger good: a disagreement at 1 %.
    result = compare(side([1000], [2000]), side([980], [2000]), 0.01)
    assert result.classes.tolist() == [C.DISAGREE]
    assert result.difference[0] == pytest.approx(20 / 1000)


def test_a_value_against_zero_is_the_largest_difference() -> None:
    result = compare(side([0], [10]), side([0], [0]), 0.99)
    assert result.classes.tolist() == [C.DISAGREE]
    assert result.difference.tolist() == [1.0]


def test_counts_without_data_are_ignored() -> None:
    primary = side([5.0], [np.nan], [False])
    assert compare(primary, side([1], [1]), 0.1).classes.tolist() == [C.SECONDARY_ONLY]


def test_two_dimensional_arrays_keep_their_shape() -> None:
    good = np.array([[1.0, 2.0], [3.0, 4.0]])
    result = compare(Side(good, good, good > 0), Side(good, good * 2, good > 0), 0.1)
    assert result.classes.shape == (2, 2)
    assert (result.classes == C.DISAGREE).all()


@pytest.mark.parametrize("tolerance", [-0.01, 1.0, 2.0, float("nan"), float("inf")])
def test_tolerance_out_of_range_is_refused(tolerance: float) -> None:
    with pytest.raises(ValueError, match="tolerance"):
        check_tolerance(tolerance)
    with pytest.raises(ValueError, match="tolerance"):
        compare(side([1], [1]), side([1], [1]), tolerance)


def test_invalid_counts_and_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        compare(side([-1], [1]), side([1], [1]), 0.1)
    with pytest.raises(ValueError, match="finite"):
        compare(side([1], [np.inf]), side([1], [1]), 0.1)
    with pytest.raises(ValueError, match="shape"):
        compare(side([1, 2], [1, 2]), side([1], [1]), 0.1)
    with pytest.raises(ValueError, match="shape"):
        compare(Side([1.0], [1.0, 2.0], [True]), side([1], [1]), 0.1)


def test_resolution_prefers_primary_fills_from_secondary_and_flags() -> None:
    primary = side([990, 0, 990, 0], [1000, 0, 1000, 0], [True, False, True, False])
    secondary = side([980, 95, 700, 0], [1000, 100, 1000, 0], [True, True, True, False])
    kept = resolve(primary, secondary, 0.05)
    assert kept.good.tolist() == [990, 95, 990, 0]
    assert kept.total.tolist() == [1000, 100, 1000, 0]
    assert kept.has_data.tolist() == [True, True, True, False]
    assert kept.from_secondary.tolist() == [False, True, False, False]
    assert kept.flagged.tolist() == [False, False, True, False]


# --------------------------------------------------------------------------------- properties

N = 12
counts = hnp.arrays(
    np.float64,
    N,
    elements=st.one_of(
        st.integers(0, 5).map(float),
        st.floats(0, 1e9, allow_nan=False, allow_infinity=False),
    ),
)
flags = hnp.arrays(np.bool_, N)
tolerances = st.floats(0, 1, exclude_max=True, allow_nan=False)


@st.composite
def sides(draw: st.DrawFn) -> Side:
    a, b = draw(counts), draw(counts)
    return Side(good=np.minimum(a, b), total=np.maximum(a, b), has_data=draw(flags))


SWAPPED = {C.PRIMARY_ONLY: C.SECONDARY_ONLY, C.SECONDARY_ONLY: C.PRIMARY_ONLY}


@given(sides(), sides(), tolerances)
def test_symmetric_but_for_the_only_labels(p: Side, s: Side, tol: float) -> None:
    forward, backward = compare(p, s, tol), compare(s, p, tol)
    swapped = [SWAPPED.get(C(c), C(c)) for c in backward.classes.tolist()]
    assert forward.classes.tolist() == swapped
    assert np.array_equal(forward.difference, backward.difference)


@given(sides(), sides())
def test_tolerance_zero_is_exact_equality(p: Side, s: Side) -> None:
    result = compare(p, s, 0.0)
    both = np.asarray(p.has_data) & np.asarray(s.has_data)
    equal = (np.asarray(p.good) == np.asarray(s.good)) & (
        np.asarray(p.total) == np.asarray(s.total)
    )
    assert np.array_equal(result.classes == C.AGREE, both & equal)
    assert np.array_equal(result.classes == C.DISAGREE, both & ~equal)
    assert not (result.classes == C.WITHIN).any()


@given(sides(), sides(), tolerances, tolerances)
def test_monotone_in_the_tolerance(p: Side, s: Side, t1: float, t2: float) -> None:
    low, high = sorted((t1, t2))
    strict, lenient = compare(p, s, low), compare(p, s, high)
    # Raising the tolerance only turns disagreements into agreements within it.
    changed = strict.classes != lenient.classes
    assert (strict.classes[changed] == C.DISAGREE).all()
    assert (lenient.classes[changed] == C.WITHIN).all()
    assert (lenient.classes == C.DISAGREE).sum() <= (strict.classes == C.DISAGREE).sum()


@given(counts, counts)
def test_relative_difference_is_bounded_and_zero_only_for_equal_values(
    a: np.ndarray, b: np.ndarray
) -> None:
    d = relative_difference(a, b)
    assert ((d >= 0) & (d <= 1)).all()
    assert np.array_equal(d == 0, a == b)


@given(sides(), sides(), tolerances)
def test_resolution_keeps_the_primary_wherever_it_has_data(p: Side, s: Side, tol: float) -> None:
    kept = resolve(p, s, tol)
    ph, sh = np.asarray(p.has_data), np.asarray(s.has_data)
    assert np.array_equal(kept.good[ph], np.asarray(p.good)[ph])
    assert np.array_equal(kept.total[ph], np.asarray(p.total)[ph])
    fill = ~ph & sh
    assert np.array_equal(kept.from_secondary, fill)
    assert np.array_equal(kept.good[fill], np.asarray(s.good)[fill])
    assert np.array_equal(kept.flagged, compare(p, s, tol).classes == C.DISAGREE)
