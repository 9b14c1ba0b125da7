"""Fixtures and helpers of the telemetry tests: objectives to load into, and naive sums straight
from ``sli_bucket`` to check the rollups and window reads against."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.telemetry import rules
from accord.telemetry.models import SliBucket, SliDaily, SliHourly
from accord.telemetry.rules import BucketColumns
from tests.factories.objectives import make_objective

T0 = datetime(2026, 3, 1, tzinfo=UTC)
"""An instant on a UTC midnight; tests place their buckets around it."""
E0 = rules.epoch_of(T0)

Sums = tuple[float, float, int, float]
"""good, total, buckets with data, ratio_sum."""


@pytest.fixture
def objectives(session: Session) -> list[int]:
    """Three objectives: two on ``checkout`` (in ``retail``), one on ``ledger`` (``wholesale``)."""
    ids = [
        make_objective(session, service="checkout", unit="retail").id,
        make_objective(session, service="checkout", unit="retail").id,
        make_objective(session, service="ledger", unit="wholesale").id,
    ]
    session.flush()
    return ids


def columns(rows: Sequence[tuple[int, int, float, float]]) -> BucketColumns:
    """(objective, epoch, good, total) tuples as columns."""
    if not rows:
        empty = np.empty(0)
        return BucketColumns(empty.astype(np.int64), empty.astype(np.int64), empty, empty)
    oid, start, good, total = zip(*rows, strict=True)
    return BucketColumns(
        np.array(oid, dtype=np.int64),
        np.array(start, dtype=np.int64),
        np.array(good, dtype=np.float64),
        np.array(total, dtype=np.float64),
    )


def stored_buckets(session: Session) -> dict[tuple[int, int], tuple[float, float]]:
    rows = session.execute(
        select(SliBucket.objective_id, SliBucket.bucket_start, SliBucket.good, SliBucket.total)
    )
    return {(o, rules.epoch_of(s)): (g, t) for o, s, g, t in rows}


def naive_sums(
    buckets: dict[tuple[int, int], tuple[float, float]], grain: int
) -> dict[tuple[int, int], Sums]:
    """Rollups as they must be: per (objective, UTC period) the plain sums of the buckets."""
    sums: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0.0, 0.0, 0, 0.0])
    for (objective, start), (good, total) in sorted(buckets.items()):
        entry = sums[(objective, start - start % grain)]
        entry[0] += good
        entry[1] += total
        if total > 0:
            entry[2] += 1
            entry[3] += good / total
    return {k: (v[0], v[1], int(v[2]), v[3]) for k, v in sums.items()}


def stored_rollups(session: Session, grain: int) -> dict[tuple[int, int], Sums]:
    h, d = SliHourly, SliDaily
    stmt = (
        select(h.objective_id, h.hour_start, h.good, h.total, h.buckets, h.ratio_sum)
        if grain == rules.HOUR_SECONDS
        else select(d.objective_id, d.day_start, d.good, d.total, d.buckets, d.ratio_sum)
    )
    rows = session.execute(stmt)
    return {(o, rules.epoch_of(s)): (g, t, b, r) for o, s, g, t, b, r in rows}


def assert_rollups_match(session: Session) -> None:
    """Hourly and daily rows equal the naive sums of the stored buckets: counts exactly (whole
    numbers), ratio sums to float rounding (summed in another order)."""
    buckets = stored_buckets(session)
    for grain in (rules.HOUR_SECONDS, rules.DAY_SECONDS):
        expected = naive_sums(buckets, grain)
        actual = stored_rollups(session, grain)
        assert actual.keys() == expected.keys()
        for key, (good, total, count, ratio_sum) in expected.items():
            got = actual[key]
            assert got[:3] == (good, total, count), key
            assert got[3] == pytest.approx(ratio_sum, rel=1e-12, abs=1e-12), key


def naive_window(
    buckets: dict[tuple[int, int], tuple[float, float]], objective: int, lo: int, hi: int
) -> Sums:
    good = total = ratio_sum = 0.0
    count = 0
    for (o, start), (g, t) in buckets.items():
        if o == objective and lo <= start < hi:
            good += g
            total += t
            if t > 0:
                count += 1
                ratio_sum += g / t
    return good, total, count, ratio_sum
