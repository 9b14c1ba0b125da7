"""Pure rules of pulling: which span of buckets a pull asks for, and how long to wait after a
failure."""

from __future__ import annotations

from dataclasses import dataclass

from accord.telemetry.rules import BUCKET_SECONDS


@dataclass(frozen=True)
class PullPolicy:
    settle_seconds: int = 60
    """A bucket is pulled once it has been closed this long (scrapes and rule evaluation lag)."""
    backfill_seconds: int = 86_400
    """How far back a new mapping starts."""
    max_span_seconds: int = 86_400
    """The most one pull asks for: a long outage is caught up a day per pull, in order."""
    retry_base_seconds: int = 30
    retry_max_seconds: int = 900


def pull_span(complete_until: int | None, now: float, policy: PullPolicy) -> tuple[int, int] | None:
    """[start, end) in epoch seconds, bucket-aligned, of the next pull; None when nothing new
    is closed and settled yet.

    end = the last settled bucket boundary, floor((now - settle) / grain) * grain;
    start = ``complete_until``, or end - backfill for a new mapping; the span is cut to
    ``max_span_seconds`` from its start so a backlog is fetched oldest first.
    """
    end = int(now - policy.settle_seconds) // BUCKET_SECONDS * BUCKET_SECONDS
    start = end - policy.backfill_seconds if complete_until is None else complete_until
    start = start // BUCKET_SECONDS * BUCKET_SECONDS
    end = min(end, start + policy.max_span_seconds)
    return (start, end) if start < end else None


def retry_delay(attempts: int, policy: PullPolicy, *, asked: int | None = None) -> int:
    """Seconds to wait after the ``attempts``-th consecutive failure: base * 2^(attempts-1),
    capped at the maximum, and never less than what the source asked for (Retry-After)."""
    exponential: int = policy.retry_base_seconds * 2 ** max(0, min(attempts - 1, 30))
    delay = min(exponential, policy.retry_max_seconds)
    return max(delay, asked or 0)
