"""Reconciliation of an objective's primary and secondary telemetry, bucket by bucket.

Two sources measure the same SLI; each bucket gets exactly one class:

- ``NEITHER``: no source sent the bucket.
- ``PRIMARY_ONLY``: only the primary sent it (nothing to compare).
- ``SECONDARY_ONLY``: only the secondary sent it: the secondary fills the primary's gap.
- ``AGREE``: both sent it with exactly the same good and total.
- ``WITHIN``: both sent it, they differ, and the difference is within the tolerance.
- ``DISAGREE``: both sent it and they differ beyond the tolerance: flagged for a person.

**Relative difference.** Good and total are compared separately, each relative to the larger of
the two values, and the bucket's difference is the larger of the two::

    d(a, b) = |a - b| / max(|a|, |b|)        (d(0, 0) = 0: zero against zero agrees)
    difference = max(d(good_p, good_s), d(total_p, total_s))        in [0, 1]

and a bucket is within tolerance ``tol`` when ``difference <= tol``. Why counts and not the
error ratio: two systems scraping the same counters at slightly different instants (or with a
lost sample) differ by a small share of the *traffic*, on good and total alike, and that is the
noise a relative tolerance is meant to absorb. A relative test on the error ratio would flag
almost every healthy bucket (0 errors against 1 is a 100 % difference, and the ratio is
undefined without traffic). The price: a difference in bad events that is small against the
traffic passes (1,000 vs 2,000 errors in 1,000,000 requests is 0.1 % of good), which is what a
tolerance on counts means; a caller wanting a stricter test uses a smaller tolerance. Dividing
by the larger value makes the test symmetric (the sources trade places without changing the
answer) and bounded (a value against zero is 1, the largest difference). Tolerance 0 means
exact equality: ``|a - b| / m`` is 0 only when ``a == b``.

**Resolution rule** (`resolve`): prefer the primary wherever it has data; fill from the
secondary where only the secondary has; flag ``DISAGREE`` buckets. Pure: no storage, no clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
ClassArray = NDArray[np.int8]


class BucketClass(IntEnum):
    NEITHER = 0
    PRIMARY_ONLY = 1
    SECONDARY_ONLY = 2
    AGREE = 3
    WITHIN = 4
    DISAGREE = 5


@dataclass(frozen=True, eq=False)
class Side:
    """One source's buckets as parallel arrays of one shape (any shape, e.g. (buckets,) or
    (objectives, buckets)). Counts where ``has_data`` is False are ignored."""

    good: ArrayLike
    total: ArrayLike
    has_data: ArrayLike


@dataclass(frozen=True, eq=False)
class Comparison:
    classes: ClassArray
    """A `BucketClass` per bucket."""
    difference: FloatArray
    """The relative difference (module doc) where both sources have data; 0 elsewhere."""

    def counts(self) -> dict[BucketClass, int]:
        """Buckets per class (every class present, zeros included)."""
        found = np.bincount(self.classes.ravel(), minlength=len(BucketClass))
        return {c: int(found[c]) for c in BucketClass}


@dataclass(frozen=True, eq=False)
class Resolved:
    """The value to keep per bucket under the resolution rule."""

    good: FloatArray
    total: FloatArray
    has_data: BoolArray
    from_secondary: BoolArray
    """The kept value is the secondary's (it filled a gap of the primary)."""
    flagged: BoolArray
    """The sources disagree beyond the tolerance: the primary is kept until someone decides."""


def check_tolerance(tolerance: float) -> float:
    """A relative tolerance: a finite number in [0, 1) (1 or more would accept everything)."""
    value = float(tolerance)
    if not math.isfinite(value) or not 0.0 <= value < 1.0:
        raise ValueError(f"tolerance must be at least 0 and below 1, got {tolerance!r}")
    return value


def relative_difference(a: ArrayLike, b: ArrayLike) -> FloatArray:
    """``|a - b| / max(|a|, |b|)`` elementwise, 0 where both are 0 (module doc)."""
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    scale = np.maximum(np.abs(x), np.abs(y))
    out = np.zeros(np.broadcast_shapes(x.shape, y.shape), dtype=np.float64)
    np.divide(np.abs(x - y), scale, out=out, where=scale > 0)
    return out


def compare(primary: Side, secondary: Side, tolerance: float) -> Comparison:
    """Classify every bucket (module doc). Counts must be finite and non-negative where their
    source has data; all six arrays must share one shape."""
    tol = check_tolerance(tolerance)
    pg, pt, ph = _side("primary", primary)
    sg, st, sh = _side("secondary", secondary)
    if pg.shape != sg.shape:
        raise ValueError(f"primary and secondary differ in shape: {pg.shape}, {sg.shape}")
    both = ph & sh
    difference = np.where(
        both, np.maximum(relative_difference(pg, sg), relative_difference(pt, st)), 0.0
    )
    classes = np.full(pg.shape, BucketClass.NEITHER, dtype=np.int8)
    classes[ph & ~sh] = BucketClass.PRIMARY_ONLY
    classes[~ph & sh] = BucketClass.SECONDARY_ONLY
    classes[both & (difference == 0.0)] = BucketClass.AGREE
    classes[both & (difference > 0.0) & (difference <= tol)] = BucketClass.WITHIN
    classes[both & (difference > tol)] = BucketClass.DISAGREE
    return Comparison(classes=classes, difference=difference)


def resolve(primary: Side, secondary: Side, tolerance: float) -> Resolved:
    """The resolution rule: the primary's value where it has data, else the secondary's;
    ``flagged`` where both have data and disagree beyond ``tolerance``."""
    comparison = compare(primary, secondary, tolerance)
    pg, pt, ph = _side("primary", primary)
    sg, st, sh = _side("secondary", secondary)
    fill = ~ph & sh
    return Resolved(
        good=np.where(ph, pg, np.where(fill, sg, 0.0)),
        total=np.where(ph, pt, np.where(fill, st, 0.0)),
        has_data=ph | sh,
        from_secondary=fill,
        flagged=comparison.classes == BucketClass.DISAGREE,
    )


def _side(name: str, side: Side) -> tuple[FloatArray, FloatArray, BoolArray]:
    good = np.asarray(side.good, dtype=np.float64)
    total = np.asarray(side.total, dtype=np.float64)
    has_data = np.asarray(side.has_data, dtype=np.bool_)
    if good.shape != total.shape or has_data.shape != total.shape:
        raise ValueError(
            f"{name}: good, total and has_data differ in shape: "
            f"{good.shape}, {total.shape}, {has_data.shape}"
        )
    counted = np.concatenate((good[has_data], total[has_data]))
    if not np.all(np.isfinite(counted)) or np.any(counted < 0):
        raise ValueError(f"{name}: counts must be finite and non-negative")
    # Counts without data are ignored: zero them so they cannot leak into a difference.
    return np.where(has_data, good, 0.0), np.where(has_data, total, 0.0), has_data
