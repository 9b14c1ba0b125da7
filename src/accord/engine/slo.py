"""Occurrence SLIs and error budgets over SLI buckets, vectorised across objectives.

Telemetry arrives as buckets: per objective and per fixed grain (``DEFAULT_GRAIN`` = 300 s) a
count of good and of total events. The engine holds them as float64 arrays of shape
``(n_objectives, n_buckets)``; bucket ``i`` covers ``[origin + i·grain, origin + (i+1)·grain)``.
A bucket that never arrived is False in a boolean ``has_data`` mask and 0 in both arrays.

Windows are half-open ranges of bucket indices ``[start, stop)``. Everything here is pure: no
clock, no I/O; the caller says which bucket is "now".

Counts are float64 because the sums are fed straight into ratios. Integer counts are added
exactly while every sum (and every running total of ``CumulativeCounts``) stays below
2**53 ≈ 9.0e15 events: 3.4 billion events per second for 30 days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from accord.kit.time import require_aware

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]
Index = int | IntArray
"""A bucket index: one for every objective, or one per objective (shape ``(n,)``)."""

DEFAULT_GRAIN = 300
"""Seconds per bucket unless an objective says otherwise."""

EXACT_LIMIT = 2.0**53
"""Integer counts are exact in float64 below this."""


class MissingData(StrEnum):
    """How a timeslice without any bucket received counts.

    For occurrences the policy does not apply: a missing bucket carries no events, so it adds
    nothing to good or total and consumes no budget (coverage says how much is missing).
    """

    IGNORE = "ignore"
    GOOD = "good"
    BAD = "bad"


# ====================================================================================== counts


@dataclass(frozen=True)
class WindowCounts:
    """Summed good and total events per objective over one window (1-D arrays of equal shape).

    Invariant, checked on construction: finite, ``0 <= good <= total``. ``good > total`` is
    invalid input, never an SLI above 1. A window whose buckets were valid always passes: sums
    of ``good <= total`` bucket by bucket keep ``good <= total`` (rounding is monotonic).
    """

    good: FloatArray
    total: FloatArray

    def __post_init__(self) -> None:
        good = np.ascontiguousarray(self.good, dtype=np.float64)
        total = np.ascontiguousarray(self.total, dtype=np.float64)
        if good.ndim != 1 or good.shape != total.shape:
            raise ValueError(
                f"good and total must be 1-D of the same shape, got {good.shape} and {total.shape}"
            )
        if not (np.isfinite(good).all() and np.isfinite(total).all()):
            raise ValueError("counts must be finite")
        if (good < 0).any():
            raise ValueError("good must not be negative")
        if (good > total).any():
            raise ValueError("good > total is invalid input")
        object.__setattr__(self, "good", good)
        object.__setattr__(self, "total", total)

    @classmethod
    def empty(cls, n: int) -> WindowCounts:
        """No events for ``n`` objectives."""
        return cls(np.zeros(n), np.zeros(n))

    def __len__(self) -> int:
        return int(self.good.shape[0])

    def __add__(self, other: WindowCounts) -> WindowCounts:
        """The counts of two disjoint windows together (occurrences are additive)."""
        return WindowCounts(self.good + other.good, self.total + other.total)

    @property
    def bad(self) -> FloatArray:
        """``total - good``."""
        return self.total - self.good

    @property
    def has_data(self) -> BoolArray:
        """``total > 0``: the window saw events. Without events there is no SLI."""
        return self.total > 0

    @property
    def error_ratio(self) -> FloatArray:
        """``(total - good) / total``; 0 where there is no data (never NaN)."""
        out = np.zeros_like(self.total)
        np.divide(self.bad, self.total, out=out, where=self.total > 0)
        return out


class WindowSource(Protocol):
    """Anything that sums buckets ``[start, stop)`` per objective (``CumulativeCounts``,
    ``BucketCounts``)."""

    @property
    def n_objectives(self) -> int: ...

    def window(self, start: Index, stop: Index) -> WindowCounts: ...


def as_buckets(name: str, a: ArrayLike) -> FloatArray:
    """``a`` as a float64 array of shape ``(objectives, buckets)`` (no copy when it is one)."""
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (objectives, buckets), got shape {arr.shape}")
    return arr


def _bounds(index: Index, n: int, limit: int) -> int | IntArray:
    """A window bound clipped to ``[0, limit]``: an int, or an int array of shape ``(n,)``."""
    if isinstance(index, int | np.integer):
        return min(max(int(index), 0), limit)
    arr = np.asarray(index)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"bucket indices must be integers, got {arr.dtype}")
    if arr.shape != (n,):
        raise ValueError(f"per-objective indices must have shape ({n},), got {arr.shape}")
    return np.clip(arr.astype(np.int64), 0, limit)


def window_counts(good: ArrayLike, total: ArrayLike, start: Index, stop: Index) -> WindowCounts:
    """Sums of buckets ``[start, stop)`` per objective: ``Σ good[:, start:stop]``, same for total.

    Bounds are clipped to ``[0, n_buckets]`` (an empty window has no data). With int bounds the
    sum runs over a view of the columns, never a copy of float64 arrays. Per-objective bounds
    (int arrays of shape ``(n,)``) mask the columns from the earliest start to the latest stop:
    objectives whose telemetry lags a few buckets cost a few columns more, not a pass over all.
    """
    g = as_buckets("good", good)
    t = as_buckets("total", total)
    if g.shape != t.shape:
        raise ValueError(f"good and total differ in shape: {g.shape} and {t.shape}")
    n, m = g.shape
    lo, hi = _bounds(start, n, m), _bounds(stop, n, m)
    if isinstance(lo, int) and isinstance(hi, int):
        if hi <= lo:
            return WindowCounts.empty(n)
        return WindowCounts(g[:, lo:hi].sum(axis=1), t[:, lo:hi].sum(axis=1))
    lo_arr = np.broadcast_to(lo, (n,))
    hi_arr = np.maximum(np.broadcast_to(hi, (n,)), lo_arr)
    first, last = int(lo_arr.min()), int(hi_arr.max())
    if last <= first:
        return WindowCounts.empty(n)
    columns = np.arange(first, last)
    inside = (columns >= lo_arr[:, None]) & (columns < hi_arr[:, None])
    return WindowCounts(
        np.where(inside, g[:, first:last], 0.0).sum(axis=1),
        np.where(inside, t[:, first:last], 0.0).sum(axis=1),
    )


@dataclass(frozen=True)
class BucketCounts:
    """A ``WindowSource`` that sums the bucket arrays directly (no precomputation).

    One pass over the window's columns per call: the right choice for a single evaluation of a
    few windows; ``CumulativeCounts`` is the right one for many windows or incremental updates.
    """

    good: FloatArray
    total: FloatArray

    def __post_init__(self) -> None:
        good, total = as_buckets("good", self.good), as_buckets("total", self.total)
        if good.shape != total.shape:
            raise ValueError(f"good and total differ in shape: {good.shape} and {total.shape}")
        object.__setattr__(self, "good", good)
        object.__setattr__(self, "total", total)

    @property
    def n_objectives(self) -> int:
        return int(self.good.shape[0])

    @property
    def n_buckets(self) -> int:
        return int(self.good.shape[1])

    def window(self, start: Index, stop: Index) -> WindowCounts:
        return window_counts(self.good, self.total, start, stop)


class CumulativeCounts:
    """Running totals of good and total per objective, for O(n) windows of any length.

    ``G[:, j] = Σ good[:, :j]`` (shape ``(n, buckets + 1)``, ``G[:, 0] = 0``), likewise ``T``.
    A window is then ``G[:, stop] - G[:, start]``: one subtraction across all objectives,
    whatever its length, and ``start``/``stop`` may differ per objective.

    Exactness: with integer counts every running total is exact while it stays below 2**53
    (``EXACT_LIMIT``), so window sums equal direct sums bit for bit. ``drop_before`` rebases
    the totals to keep them small on a long-lived instance. With fractional counts a difference
    of two running totals carries rounding of the order of 1e-16 * the running total; windows
    are clamped to ``0 <= good <= total`` so that rounding can never make an invalid window.

    Indices are absolute bucket indices: ``first`` is the index of the oldest bucket held (0
    until ``drop_before``), ``stop`` the index the next appended bucket gets. Bounds outside
    ``[first, stop]`` are clipped, as if there were no events there.

    ``append`` adds one bucket column in O(n): the arrays keep ``spare`` free columns and grow
    by an eighth when full (amortised O(n) per column).
    """

    __slots__ = ("_buckets", "_first", "_good", "_total")
    _buckets: int
    _first: int
    _good: FloatArray
    _total: FloatArray

    def __init__(
        self, good: ArrayLike, total: ArrayLike, *, spare: int = 288, validate: bool = True
    ) -> None:
        g, t = as_buckets("good", good), as_buckets("total", total)
        if g.shape != t.shape:
            raise ValueError(f"good and total differ in shape: {g.shape} and {t.shape}")
        if validate:
            validate_buckets(g, t)
        m = g.shape[1]
        self._first = 0
        self._buckets = m
        self._good = _prefix_buffer(g, m + max(spare, 0))
        self._total = _prefix_buffer(t, m + max(spare, 0))

    @property
    def n_objectives(self) -> int:
        return int(self._good.shape[0])

    @property
    def n_buckets(self) -> int:
        """Buckets held."""
        return self._buckets

    @property
    def first(self) -> int:
        """Absolute index of the oldest bucket held."""
        return self._first

    @property
    def stop(self) -> int:
        """Absolute index one past the newest bucket held (the index ``append`` gives next)."""
        return self._first + self._buckets

    @property
    def good(self) -> FloatArray:
        """The running totals of good, shape ``(n, n_buckets + 1)`` (a read-only view)."""
        view = self._good[:, : self._buckets + 1]
        view.flags.writeable = False
        return view

    @property
    def total(self) -> FloatArray:
        """The running totals of total, shape ``(n, n_buckets + 1)`` (a read-only view)."""
        view = self._total[:, : self._buckets + 1]
        view.flags.writeable = False
        return view

    def window(self, start: Index, stop: Index) -> WindowCounts:
        """Counts over buckets ``[start, stop)``: ``G[stop] - G[start]``, ``T[stop] - T[start]``."""
        n, m = self.n_objectives, self._buckets
        lo = _bounds(_shift(start, self._first), n, m)
        hi = _bounds(_shift(stop, self._first), n, m)
        if isinstance(lo, int) and isinstance(hi, int):
            hi = max(hi, lo)
            good = self._good[:, hi] - self._good[:, lo]
            total = self._total[:, hi] - self._total[:, lo]
        else:
            rows = np.arange(n)
            lo_arr = np.broadcast_to(lo, (n,))
            hi_arr = np.maximum(np.broadcast_to(hi, (n,)), lo_arr)
            good = self._good[rows, hi_arr] - self._good[rows, lo_arr]
            total = self._total[rows, hi_arr] - self._total[rows, lo_arr]
        # No-ops for integer counts; absorb rounding of fractional ones (see the class doc).
        np.maximum(total, 0.0, out=total)
        np.clip(good, 0.0, total, out=good)
        return WindowCounts(good, total)

    def append(self, good: ArrayLike, total: ArrayLike) -> None:
        """Add one bucket (1-D, one value per objective) after the newest one, in O(n)."""
        g = np.asarray(good, dtype=np.float64)
        t = np.asarray(total, dtype=np.float64)
        if g.shape != (self.n_objectives,) or t.shape != g.shape:
            raise ValueError(f"a bucket column has shape ({self.n_objectives},)")
        self.extend(g[:, None], t[:, None])

    def extend(self, good: ArrayLike, total: ArrayLike) -> None:
        """Add buckets (2-D, ``(n, k)``) after the newest one, in O(n·k) amortised."""
        g, t = as_buckets("good", good), as_buckets("total", total)
        if g.shape != t.shape or g.shape[0] != self.n_objectives:
            raise ValueError(f"new buckets must be ({self.n_objectives}, k), got {g.shape}")
        validate_buckets(g, t)
        k = g.shape[1]
        m = self._buckets
        if m + k + 1 > self._good.shape[1]:
            self._resize(m + k + max(k, m // 8, 16))
        for buffer, cols in ((self._good, g), (self._total, t)):
            np.cumsum(cols, axis=1, out=buffer[:, m + 1 : m + k + 1])
            buffer[:, m + 1 : m + k + 1] += buffer[:, m : m + 1]
        self._buckets = m + k

    def drop_before(self, index: int) -> None:
        """Forget the buckets before absolute ``index`` and rebase the running totals to 0 there.

        Windows that reach before ``index`` afterwards see only the buckets held. O(n·m): meant
        for housekeeping (e.g. once a day), not per bucket.
        """
        k = min(max(index - self._first, 0), self._buckets)
        if k == 0:
            return
        m = self._buckets - k
        spare = self._good.shape[1] - 1 - self._buckets
        for name in ("_good", "_total"):
            old = getattr(self, name)
            new = np.empty((old.shape[0], m + 1 + spare))
            np.subtract(old[:, k : k + m + 1], old[:, k : k + 1], out=new[:, : m + 1])
            setattr(self, name, new)
        self._first += k
        self._buckets = m

    def _resize(self, capacity: int) -> None:
        m = self._buckets
        for name in ("_good", "_total"):
            old = getattr(self, name)
            new = np.empty((old.shape[0], capacity + 1))
            new[:, : m + 1] = old[:, : m + 1]
            setattr(self, name, new)


def _shift(index: Index, by: int) -> Index:
    if by == 0:
        return index
    if isinstance(index, int | np.integer):
        return int(index) - by
    return np.asarray(index) - by


def _prefix_buffer(a: FloatArray, capacity: int) -> FloatArray:
    buffer = np.empty((a.shape[0], capacity + 1))
    buffer[:, 0] = 0.0
    np.cumsum(a, axis=1, out=buffer[:, 1 : a.shape[1] + 1])
    return buffer


def validate_buckets(good: ArrayLike, total: ArrayLike, has_data: ArrayLike | None = None) -> None:
    """Raise ValueError unless the buckets are valid input.

    Valid: 2-D, equal shapes, finite, ``0 <= good <= total``, and 0 where ``has_data`` is
    False. Window sums cannot see a bucket with ``good > total`` offset by another one, so
    this is the check to run where buckets enter (ingestion, ``CumulativeCounts``).
    """
    g, t = as_buckets("good", good), as_buckets("total", total)
    if g.shape != t.shape:
        raise ValueError(f"good and total differ in shape: {g.shape} and {t.shape}")
    if g.size:
        # Reductions instead of element-wise masks where they suffice (this runs over every
        # bucket): min/max propagate NaN, and once good >= 0 and total < inf hold, good <= total
        # bounds both.
        low, high = g.min(), t.max()
        if np.isnan(low) or np.isnan(high) or np.isinf(high):
            raise ValueError("bucket counts must be finite")
        if low < 0:
            raise ValueError("bucket counts must not be negative")
        if (g > t).any():
            raise ValueError("good > total is invalid input")
    if has_data is not None:
        mask = np.asarray(has_data, dtype=np.bool_)
        if mask.shape != t.shape:
            raise ValueError(f"has_data must have shape {t.shape}, got {mask.shape}")
        if (t[~mask] != 0).any():
            raise ValueError("buckets without data must be 0")


def data_coverage(has_data: ArrayLike, start: int = 0, stop: int | None = None) -> FloatArray:
    """Share of buckets ``[start, stop)`` that arrived, per objective: ``Σ has_data / width``.

    1.0 for an empty range (nothing was expected). Compute it before ``apply_exclusions``,
    which marks excluded buckets as accounted for.
    """
    mask = np.asarray(has_data, dtype=np.bool_)
    if mask.ndim != 2:
        raise ValueError(f"has_data must be 2-D (objectives, buckets), got shape {mask.shape}")
    m = mask.shape[1]
    lo = min(max(start, 0), m)
    hi = m if stop is None else min(max(stop, lo), m)
    if hi == lo:
        return np.ones(mask.shape[0])
    received = np.count_nonzero(mask[:, lo:hi], axis=1)
    return np.asarray(received, dtype=np.float64) / float(hi - lo)


# ========================================================================== SLI and budget


def _targets(target: ArrayLike, n: int) -> FloatArray:
    t = np.asarray(target, dtype=np.float64)
    if t.ndim > 1 or (t.ndim == 1 and t.shape != (n,)):
        raise ValueError(f"target must be a scalar or have shape ({n},), got {t.shape}")
    if not ((t > 0) & (t < 1)).all():
        raise ValueError("targets must lie strictly between 0 and 1")
    return np.broadcast_to(t, (n,))


def sli(counts: WindowCounts) -> FloatArray:
    """``good / total`` per objective, in [0, 1]; NaN where there is no data.

    No data is explicit: a window without events has no SLI (check ``counts.has_data``), and
    it consumes no budget (``budget_consumed`` is 0 there). NaN is returned so that a caller
    who forgets the check cannot mistake it for a perfect or a failed window.
    """
    out = np.full_like(counts.total, np.nan)
    np.divide(counts.good, counts.total, out=out, where=counts.total > 0)
    return out


def budget_consumed(counts: WindowCounts, target: ArrayLike) -> FloatArray:
    """Share of the window's error budget used: ``(total - good) / ((1 - target) · total)``.

    0 where there is no data. Above 1 when the budget is overspent. Equal to the burn rate
    over the same window: consuming the budget at rate 1 uses all of it by the window's end.
    """
    return counts.error_ratio / (1.0 - _targets(target, len(counts)))


def budget_remaining(counts: WindowCounts, target: ArrayLike) -> FloatArray:
    """``1 - budget_consumed``: 1 with no data, negative once the budget is overspent."""
    return 1.0 - budget_consumed(counts, target)


def burn_rate(counts: WindowCounts, target: ArrayLike) -> FloatArray:
    """``error_ratio / (1 - target)``: how many times faster than sustainable the budget burns.

    At burn rate 1 the budget lasts exactly one period; 0 where there is no data.
    """
    return counts.error_ratio / (1.0 - _targets(target, len(counts)))


def seconds_to_exhaustion(
    remaining: ArrayLike, burn: ArrayLike, period_seconds: float
) -> FloatArray:
    """Seconds until the remaining budget is gone at burn rate ``burn``: ``r · period / b``.

    A whole period's budget burns in ``period / b`` seconds, so a remaining share ``r`` lasts
    ``r · period / b``. 0 where ``r <= 0`` (already spent, whatever the burn), ``inf`` where
    ``b <= 0`` and budget remains.
    """
    r = np.asarray(remaining, dtype=np.float64)
    b = np.asarray(burn, dtype=np.float64)
    r, b = np.broadcast_arrays(r, b)
    out = np.full(r.shape, np.inf)
    np.divide(r * float(period_seconds), b, out=out, where=b > 0)
    out[r <= 0] = 0.0
    return out


# ================================================================================= exclusions


def _grain_us(grain: int | timedelta) -> int:
    us = grain // timedelta(microseconds=1) if isinstance(grain, timedelta) else grain * 1_000_000
    if us <= 0:
        raise ValueError("grain must be positive")
    return int(us)


def exclusion_mask(
    n_buckets: int,
    origin: datetime,
    grain: int | timedelta,
    intervals: Sequence[tuple[datetime, datetime]],
) -> BoolArray:
    """Buckets wholly inside the union of the half-open ``intervals`` ``[start, end)``.

    Bucket ``i`` is excluded when ``[origin + i·grain, origin + (i+1)·grain)`` lies within the
    intervals. The rule is "fully covered", not "any overlap": an approved exclusion is a
    concession in the agreement and must never remove events from outside it by rounding out
    to whole buckets. Maintenance windows are declared on bucket boundaries in practice, where
    both rules agree; a window shorter than a bucket excludes nothing. Overlapping or
    adjacent intervals are merged first, so two that together cover a bucket exclude it.

    Vectorised: intervals become index ranges ``[ceil(start), floor(end))`` marked through a
    difference array; ``grain`` is seconds or a timedelta; times must be timezone-aware.
    """
    origin = require_aware(origin, what="origin")
    mask = np.zeros(n_buckets, dtype=np.bool_)
    if not intervals or n_buckets <= 0:
        return mask
    step = _grain_us(grain)
    one_us = timedelta(microseconds=1)
    for start, end in intervals:
        if require_aware(end, what="interval end") < require_aware(start, what="interval start"):
            raise ValueError(f"interval ends before it starts: {start} to {end}")
    starts = np.array([(s - origin) // one_us for s, _ in intervals], dtype=np.int64)
    ends = np.array([(e - origin) // one_us for _, e in intervals], dtype=np.int64)
    # Merge: sorted by start, an interval opens a new group when it starts after every
    # earlier one has ended.
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    reach = np.maximum.accumulate(ends)
    opens = np.ones(len(starts), dtype=np.bool_)
    opens[1:] = starts[1:] > reach[:-1]
    group_start = starts[opens]
    group_end = np.maximum.reduceat(ends, np.flatnonzero(opens))
    first = np.clip(-((-group_start) // step), 0, n_buckets)  # ceil: first bucket fully inside
    stop = np.clip(group_end // step, 0, n_buckets)  # floor: one past the last fully inside
    keep = stop > first
    diff = np.bincount(first[keep], minlength=n_buckets + 1) - np.bincount(
        stop[keep], minlength=n_buckets + 1
    )
    np.cumsum(diff[:n_buckets], out=diff[:n_buckets])
    mask[:] = diff[:n_buckets] > 0
    return mask


def apply_exclusions(
    good: ArrayLike,
    total: ArrayLike,
    has_data: ArrayLike,
    mask: ArrayLike,
    count_as_good: bool,
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """New ``(good, total, has_data)`` with the excluded buckets taken out or counted as good.

    ``mask`` is ``(n_buckets,)`` (every objective) or ``(n, n_buckets)``. Excluded buckets get
    ``good = total = 0`` (removed from both), or ``good = total`` when ``count_as_good``.
    Either way they are marked as received in ``has_data``: an excluded bucket is accounted
    for, so a missing-data policy never turns it into a bad timeslice. (A slice that is
    excluded and had no events therefore drops out of a timeslice SLI even when exclusions
    count as good: there were no events to count.) The inputs are not modified.
    """
    g, t = as_buckets("good", good), as_buckets("total", total)
    received = np.asarray(has_data, dtype=np.bool_)
    excluded = np.broadcast_to(np.asarray(mask, dtype=np.bool_), t.shape)
    if received.shape != t.shape:
        raise ValueError(f"has_data must have shape {t.shape}, got {received.shape}")
    if count_as_good:
        return np.where(excluded, t, g), t.copy(), received | excluded
    return np.where(excluded, 0.0, g), np.where(excluded, 0.0, t), received | excluded
