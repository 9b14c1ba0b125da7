"""Telemetry shapes: a bucket as a row, window sums and bucket matrices (what the engine reads),
and the summary of a load. Buckets as columns (the bulk path) are `rules.BucketColumns`.

Instants inside arrays are whole seconds since the Unix epoch (UTC), ``int64``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import numpy as np
from pydantic import BaseModel

from accord.telemetry.rules import BoolArray, FloatArray, Int64Array


class BucketRow(NamedTuple):
    """One bucket as a tuple: the row-wise input of a load."""

    objective_id: int
    bucket_start: datetime
    """Timezone-aware, aligned to the grain (``rules.BUCKET_SECONDS``)."""
    good: float
    total: float


class Counts(NamedTuple):
    """Sums over a span of one objective's buckets."""

    good: float
    total: float
    buckets: int
    """Buckets with data (total > 0) in the span."""
    ratio_sum: float
    """Sum of good/total over those buckets (ratio timeslices: ratio_sum / buckets)."""


@dataclass(frozen=True, eq=False)
class WindowCounts:
    """Sums over one window for many objectives; row ``i`` belongs to ``objective_ids[i]`` (the
    order the caller asked for). Objectives without any bucket in the window have zeros."""

    objective_ids: Int64Array
    good: FloatArray
    total: FloatArray
    buckets: Int64Array
    ratio_sum: FloatArray

    def __len__(self) -> int:
        return len(self.objective_ids)

    def of(self, objective_id: int) -> Counts:
        """The sums of one objective (KeyError if it was not asked for)."""
        matches = np.flatnonzero(self.objective_ids == objective_id)
        if len(matches) == 0:
            raise KeyError(objective_id)
        i = int(matches[0])
        return Counts(
            float(self.good[i]),
            float(self.total[i]),
            int(self.buckets[i]),
            float(self.ratio_sum[i]),
        )

    def as_dict(self) -> dict[int, Counts]:
        return {
            int(o): Counts(float(g), float(t), int(b), float(r))
            for o, g, t, b, r in zip(
                self.objective_ids, self.good, self.total, self.buckets, self.ratio_sum, strict=True
            )
        }


@dataclass(frozen=True, eq=False)
class BucketMatrix:
    """Buckets of many objectives at given instants, dense: ``good[i, j]`` is the bucket of
    ``objective_ids[i]`` starting at ``starts[j]``. Where no bucket is stored, good and total are
    0 and ``has_data`` is False (a stored zero-traffic bucket has ``has_data`` True)."""

    objective_ids: Int64Array
    starts: Int64Array
    """Bucket starts, epoch seconds, ascending."""
    good: FloatArray
    total: FloatArray
    has_data: BoolArray

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.objective_ids), len(self.starts))


class LoadResult(BaseModel):
    """What a load stored."""

    buckets: int
    """Distinct buckets written (a key sent twice in one load counts once: the last one wins)."""
    objectives: int
    first_bucket: datetime | None
    last_bucket: datetime | None
    hours: int
    """Hourly rollup rows recomputed."""
    days: int
    """Daily rollup rows recomputed."""


class GapRead(BaseModel):
    start: datetime
    end: datetime
    buckets: int


class GapsRead(BaseModel):
    """Where an objective has no stored bucket in a span (a stored zero-traffic bucket is not
    a gap), and how the objective counts such buckets."""

    objective: str
    start: datetime
    end: datetime
    missing_buckets: int
    expected_buckets: int
    missing_data: str
    """The objective's rule for missing buckets (see the objectives' ``missing_data``)."""
    gaps: list[GapRead]
