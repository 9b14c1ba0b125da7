"""What telemetry needs from metric backends it pulls from (Prometheus, Datadog): the
`MetricSource` Protocol, the values it exchanges, and the two ways a pull can fail.

An adapter (in `accord.integrations`) answers one question: for the 5-minute buckets whose start
lies in [start, end), how many events were good and how many in total. Buckets it has no answer
for are listed as ``missing`` ranges instead of being invented as zeros, so the objective's
missing-data rule, not the adapter, decides what a gap means.

Pure: no I/O here. `assemble_buckets` is the one place that turns per-bucket answers of the two
queries into `PulledBuckets`, so every adapter treats NaN, absent points and good-from-errors the
same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from accord.telemetry.rules import BUCKET_SECONDS, FloatArray, Int64Array

ROUNDING_TOLERANCE = 1e-9
"""Relative slack for float noise (a rate times 300, total minus errors): a good count this far
below zero or above the total is clamped into [0, total]; farther out is left as the source
answered, for the store's validation to refuse."""


@dataclass(frozen=True)
class PullQuery:
    """What one mapping asks a source for."""

    good_query: str | None
    """A count (or rate, see ``per_second``) of good events per bucket ... or"""
    error_query: str | None
    """... of bad events (good = total - bad); exactly one of the two is given."""
    total_query: str
    kind: str
    """``"prometheus"`` or ``"datadog"``: the language the queries are written in."""
    per_second: bool = False
    """The queries return per-second rates (Sloth's ``rate(...)`` convention), not counts per
    bucket: adapters multiply them by the bucket length (300 s)."""

    def counted_query(self) -> tuple[str, bool]:
        """The good or the error query, and whether it counts errors.

        Raises `QueryRejected` unless exactly one is given: such a mapping can never be pulled,
        and rejecting it at fetch time keeps a bad row from stopping other pulls.
        """
        if self.good_query is not None and self.error_query is None:
            return self.good_query, False
        if self.error_query is not None and self.good_query is None:
            return self.error_query, True
        raise QueryRejected("give exactly one of good_query and error_query")


@dataclass(frozen=True, eq=False)
class PulledBuckets:
    """A source's answer for a span: the buckets it answered for, and the gaps."""

    start_epoch: Int64Array
    """Bucket starts (multiples of 300), ascending, only buckets the source answered for."""
    good: FloatArray
    total: FloatArray
    missing: tuple[tuple[int, int], ...]
    """[from, to) epoch ranges of the asked span with no answer, ascending and coalesced."""

    def __len__(self) -> int:
        return len(self.start_epoch)


class SourceUnavailable(Exception):
    """The source could not be reached or answered 5xx/429: retry later.

    ``retry_after`` is the whole seconds the source asked us to wait, when it said so.
    """

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueryRejected(Exception):
    """The source refused the query itself (bad syntax, several series, 400/403): retrying the
    same query will not help; someone has to fix the mapping or the credentials."""


class MetricSource(Protocol):
    def fetch(self, query: PullQuery, start_epoch: int, end_epoch: int) -> PulledBuckets:
        """The buckets whose start lies in [start_epoch, end_epoch), both multiples of 300.

        Raises `SourceUnavailable` (retry later) or `QueryRejected` (do not retry as is).
        """
        ...


def check_span(start_epoch: int, end_epoch: int) -> None:
    """Refuse a span that is not whole buckets: it is a caller's bug, not a source's fault."""
    if start_epoch % BUCKET_SECONDS or end_epoch % BUCKET_SECONDS:
        raise ValueError(f"[{start_epoch}, {end_epoch}) is not aligned to {BUCKET_SECONDS} s")
    if end_epoch < start_epoch:
        raise ValueError(f"[{start_epoch}, {end_epoch}) ends before it starts")


def span_chunks(start_epoch: int, end_epoch: int, max_buckets: int) -> list[tuple[int, int]]:
    """[start, end) cut into consecutive pieces of at most ``max_buckets`` buckets."""
    step = max_buckets * BUCKET_SECONDS
    return [(lo, min(lo + step, end_epoch)) for lo in range(start_epoch, end_epoch, step)]


def assemble_buckets(
    start_epoch: int,
    end_epoch: int,
    *,
    counted: Mapping[int, float],
    total: Mapping[int, float],
    counts_errors: bool,
) -> PulledBuckets:
    """`PulledBuckets` from the two queries' answers, keyed by bucket start.

    A bucket is answered when both queries gave a finite value for it; one without the other
    is a gap, not a zero (an error query that returns nothing when there were no errors must
    say so, e.g. with PromQL's ``or vector(0)``). Keys outside [start, end) are ignored.
    """
    starts = [
        start
        for start in sorted(counted.keys() & total.keys())
        if start_epoch <= start < end_epoch
        and math.isfinite(counted[start])
        and math.isfinite(total[start])
    ]
    totals = np.array([total[s] for s in starts], dtype=np.float64)
    values = np.array([counted[s] for s in starts], dtype=np.float64)
    good = totals - values if counts_errors else values
    # Float noise only: a real inconsistency stays visible to the store's validation.
    slack = ROUNDING_TOLERANCE * np.maximum(np.abs(totals), 1.0)
    good = np.where((good < 0) & (good >= -slack), 0.0, good)
    good = np.where((good > totals) & (good <= totals + slack), totals, good)
    return PulledBuckets(
        start_epoch=np.array(starts, dtype=np.int64),
        good=good,
        total=totals,
        missing=missing_ranges(starts, start_epoch, end_epoch),
    )


def missing_ranges(
    answered: list[int], start_epoch: int, end_epoch: int
) -> tuple[tuple[int, int], ...]:
    """The [from, to) ranges of [start, end) not covered by the ascending bucket starts."""
    gaps = []
    cursor = start_epoch
    for start in answered:
        if start > cursor:
            gaps.append((cursor, start))
        cursor = start + BUCKET_SECONDS
    if cursor < end_epoch:
        gaps.append((cursor, end_epoch))
    return tuple(gaps)
