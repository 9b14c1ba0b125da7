"""What a service has achieved, and the target its history supports.

Inputs are per-period totals (e.g. monthly good and total events per objective, shape
``(n_objectives, n_periods)``, oldest period first). Declared peak or seasonal periods are
counted in the SLI of their own period but left out of the baseline: a baseline describes
ordinary operation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from accord.engine.slo import FloatArray, WindowCounts, as_buckets, sli


def baseline_counts(
    period_good: ArrayLike, period_total: ArrayLike, excluded_periods_mask: ArrayLike
) -> WindowCounts:
    """``Σ good`` and ``Σ total`` per objective over the periods not excluded.

    ``excluded_periods_mask`` is True for a declared peak/seasonal period, shape
    ``(n_periods,)`` (the same periods for every objective) or ``(n, n_periods)``.
    """
    good = as_buckets("period_good", period_good)
    total = as_buckets("period_total", period_total)
    if good.shape != total.shape:
        raise ValueError(f"good and total differ in shape: {good.shape} and {total.shape}")
    excluded = np.broadcast_to(np.asarray(excluded_periods_mask, dtype=np.bool_), total.shape)
    return WindowCounts(
        np.where(excluded, 0.0, good).sum(axis=1), np.where(excluded, 0.0, total).sum(axis=1)
    )


def baseline(
    period_good: ArrayLike, period_total: ArrayLike, excluded_periods_mask: ArrayLike
) -> FloatArray:
    """Achieved occurrence SLI over the history outside excluded periods:
    ``Σ good / Σ total`` over the periods kept; NaN where they hold no events.

    Events are pooled, not period SLIs averaged: a quiet month weighs what its traffic weighs.
    """
    return sli(baseline_counts(period_good, period_total, excluded_periods_mask))


@dataclass(frozen=True)
class TargetRecommendation:
    """The highest candidate met often enough, and the evidence for every candidate."""

    target: float | None
    """None when no candidate was met in ``achieved_in`` of the periods considered."""
    met: dict[float, int]
    """Candidate → periods (of the last ``periods``) whose SLI reached it."""
    periods: int
    """Periods considered (fewer than ``of_last`` when the history is shorter)."""
    achieved_in: int


def recommend_target(
    period_slis: Sequence[float] | ArrayLike,
    candidates: Sequence[float],
    achieved_in: int = 9,
    of_last: int = 12,
) -> TargetRecommendation:
    """The highest candidate target with ``SLI >= candidate`` in at least ``achieved_in`` of
    the last ``of_last`` periods of one objective (``period_slis`` oldest first).

    A period without data (NaN) counts as not meeting any target: it shows nothing achieved.
    A shorter history is not scaled down: with fewer than ``achieved_in`` periods nothing is
    recommended.
    """
    if not 0 < achieved_in <= of_last:
        raise ValueError("need 0 < achieved_in <= of_last")
    slis = np.asarray(period_slis, dtype=np.float64)
    if slis.ndim != 1:
        raise ValueError("period_slis are the SLIs of one objective (1-D)")
    targets = np.asarray(candidates, dtype=np.float64)
    if targets.ndim != 1 or not ((targets > 0) & (targets < 1)).all():
        raise ValueError("candidates are targets strictly between 0 and 1")
    recent = slis[-of_last:]
    # NaN >= x is False: a period without data meets nothing.
    met = np.count_nonzero(recent[None, :] >= targets[:, None], axis=1)
    qualifying = targets[met >= achieved_in]
    return TargetRecommendation(
        target=float(qualifying.max()) if qualifying.size else None,
        met={float(c): int(k) for c, k in zip(targets, met, strict=True)},
        periods=int(recent.size),
        achieved_in=achieved_in,
    )
