"""Timeslice SLIs: judge fixed slices of time, then count the good ones.

Buckets are grouped into consecutive slices of ``slice_buckets`` buckets from bucket 0 (a
reshape of the arrays, no copy); a trailing partial slice is still in progress and left out,
so callers align windows to slice boundaries. Every slice is in exactly one state:

- ``GOOD`` / ``BAD``: it has events (``Σ total > 0``) and its ratio ``Σ good / Σ total`` meets
  the threshold (``>=``), or not. A slice with some buckets missing is judged on the buckets
  it has.
- ``IDLE``: buckets arrived but held no events (zero traffic, or excluded by
  ``slo.apply_exclusions``). Nothing to judge; it never counts, like a window without events
  for occurrences.
- ``MISSING``: no bucket of the slice arrived. ``MissingData`` decides: ``IGNORE`` (default)
  leaves it out, ``GOOD``/``BAD`` count it as a good/bad slice.

Both functions return ``WindowCounts`` (good slices, slices counted), so ``slo.sli``,
``slo.budget_consumed`` and ``slo.burn_rate`` apply unchanged.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from accord.engine.slo import FloatArray, MissingData, WindowCounts, as_buckets


class SliceState(IntEnum):
    BAD = 0
    GOOD = 1
    IDLE = 2
    MISSING = 3


def _sliced(a: NDArray[np.generic], slice_buckets: int) -> NDArray[np.generic]:
    """``(n, m)`` → ``(n, m // s, s)``: a view over the complete slices."""
    if slice_buckets < 1:
        raise ValueError("slice_buckets must be at least 1")
    n, m = a.shape
    k = m // slice_buckets
    return a[:, : k * slice_buckets].reshape(n, k, slice_buckets)


def _slice_sums(
    good: ArrayLike, total: ArrayLike, has_data: ArrayLike, slice_buckets: int
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    g, t = as_buckets("good", good), as_buckets("total", total)
    received = np.asarray(has_data, dtype=np.bool_)
    if g.shape != t.shape or received.shape != t.shape:
        raise ValueError(
            f"good, total and has_data differ in shape: {g.shape}, {t.shape}, {received.shape}"
        )
    return (
        np.asarray(_sliced(g, slice_buckets).sum(axis=2), dtype=np.float64),
        np.asarray(_sliced(t, slice_buckets).sum(axis=2), dtype=np.float64),
        np.asarray(_sliced(received, slice_buckets).any(axis=2), dtype=np.bool_),
    )


def _thresholds(threshold: ArrayLike, n: int) -> FloatArray:
    th = np.asarray(threshold, dtype=np.float64)
    if th.ndim > 1 or (th.ndim == 1 and th.shape != (n,)):
        raise ValueError(f"threshold must be a scalar or have shape ({n},), got {th.shape}")
    if not ((th > 0) & (th <= 1)).all():
        raise ValueError("thresholds must lie in (0, 1]")
    return np.broadcast_to(th, (n,))[:, None]


def slice_states(
    good: ArrayLike,
    total: ArrayLike,
    has_data: ArrayLike,
    slice_buckets: int,
    threshold: ArrayLike,
) -> NDArray[np.int8]:
    """``SliceState`` of every complete slice, shape ``(n, n_buckets // slice_buckets)``.

    GOOD where ``Σ good / Σ total >= threshold`` (per objective or scalar, in (0, 1]), BAD
    where below, IDLE where buckets arrived without events, MISSING where none arrived.
    """
    g, t, received = _slice_sums(good, total, has_data, slice_buckets)
    ratio = np.zeros_like(t)
    np.divide(g, t, out=ratio, where=t > 0)
    states = np.where(received, SliceState.IDLE, SliceState.MISSING).astype(np.int8)
    states[t > 0] = SliceState.BAD
    states[(t > 0) & (ratio >= _thresholds(threshold, t.shape[0]))] = SliceState.GOOD
    return states


def _with_missing(
    good_slices: FloatArray, slices: FloatArray, missing_slices: FloatArray, missing: MissingData
) -> WindowCounts:
    policy = MissingData(missing)
    if policy is MissingData.GOOD:
        return WindowCounts(good_slices + missing_slices, slices + missing_slices)
    if policy is MissingData.BAD:
        return WindowCounts(good_slices, slices + missing_slices)
    return WindowCounts(good_slices, slices)


def timeslice_sli(
    good: ArrayLike,
    total: ArrayLike,
    has_data: ArrayLike,
    slice_buckets: int,
    threshold: ArrayLike,
    missing: MissingData = MissingData.IGNORE,
) -> WindowCounts:
    """Good slices and slices counted per objective; SLI = good slices / slices counted.

    Counted: slices with events, plus missing slices unless ``missing`` is IGNORE (GOOD adds
    them to both counts, BAD to the slices only). Idle slices never count. ``sli(result)`` is
    the timeslice SLI, NaN where no slice counts.
    """
    states = slice_states(good, total, has_data, slice_buckets, threshold)
    good_slices = np.count_nonzero(states == SliceState.GOOD, axis=1).astype(np.float64)
    judged = np.count_nonzero(states <= SliceState.GOOD, axis=1).astype(np.float64)
    missing_slices = np.count_nonzero(states == SliceState.MISSING, axis=1).astype(np.float64)
    return _with_missing(good_slices, judged, missing_slices, missing)


def ratio_timeslices_sli(
    good: ArrayLike,
    total: ArrayLike,
    has_data: ArrayLike,
    slice_buckets: int,
    missing: MissingData = MissingData.IGNORE,
) -> WindowCounts:
    """``(Σ slice ratios, slices counted)``; SLI = the mean of the slices' ratios.

    The ratio of a slice with events is ``Σ good / Σ total``; a missing slice counts as ratio
    1 (GOOD) or 0 (BAD), or not at all (IGNORE); idle slices never count. This is Sloth's
    period SLI, ``sum_over_time(ratio_rate5m[30d]) / count_over_time(…)``, with one 5-minute
    bucket per slice (Sloth samples the 5-minute rate at every rule evaluation, so its mean is
    over overlapping 5-minute windows; Prometheus' 0/0 = NaN also poisons its sum where we
    leave idle slices out).
    """
    g, t, received = _slice_sums(good, total, has_data, slice_buckets)
    ratio = np.zeros_like(t)
    np.divide(g, t, out=ratio, where=t > 0)
    ratio_sum = ratio.sum(axis=1)
    judged = np.count_nonzero(t > 0, axis=1).astype(np.float64)
    missing_slices = np.count_nonzero(~received & (t == 0), axis=1).astype(np.float64)
    return _with_missing(ratio_sum, judged, missing_slices, missing)
