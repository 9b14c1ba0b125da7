"""Synthetic 5-minute SLI telemetry for the demo: what a real service's requests look like.

`generate_series` is pure numpy and deterministic for a seed. For one objective it produces
``days`` of buckets ending at ``end``:

- **traffic** follows the local time of day (a smooth curve from a night trough to an afternoon
  peak) and the day of the week (weekends quieter), with Poisson noise per bucket;
- **errors** are a baseline ratio drawn per request (binomial), plus
- a few **incidents**: short bursts (10-60 min) where a large share of requests fail;
- an optional **slow burn**: the error ratio creeping up over the last days, the kind of decay
  only a long-window burn-rate alert catches;
- a **maintenance window** of 2 hours at night with no data at all (or zero traffic): its interval
  is returned so the caller can declare it as an approved exclusion.

The result's columns go straight to `telemetry.service.store_buckets`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from accord.telemetry import rules
from accord.telemetry.rules import BucketColumns

Interval = tuple[datetime, datetime]
"""[start, end), UTC."""


@dataclass(frozen=True)
class SlowBurn:
    """The error ratio rises linearly from the baseline to ``multiplier`` x baseline over the
    last ``days`` of the series."""

    days: float = 10.0
    multiplier: float = 6.0


@dataclass(frozen=True)
class TrafficProfile:
    """How one objective's service behaves. Defaults: a busy consumer-facing API."""

    peak_per_second: float = 40.0
    """Requests per second at the daily peak of a weekday."""
    trough_share: float = 0.12
    """Traffic at the quietest hour as a share of the peak."""
    peak_hour: float = 14.0
    """Local hour of the daily peak (the trough is 12 hours away)."""
    weekend_share: float = 0.55
    """Saturday and Sunday traffic as a share of a weekday's."""
    time_zone: str = "UTC"
    """IANA zone whose local time drives the daily and weekly rhythm."""
    error_ratio: float = 0.0004
    """Baseline share of failed requests."""
    incidents: int = 3
    incident_minutes: tuple[int, int] = (10, 60)
    incident_error_ratio: tuple[float, float] = (0.05, 0.45)
    slow_burn: SlowBurn | None = None
    maintenance: bool = True
    maintenance_hours: int = 2
    maintenance_local_hour: int = 2
    """The window starts at this local hour on a Sunday in the middle of the series."""
    maintenance_zero_traffic: bool = False
    """True: the buckets are stored with zero traffic; False: they are missing (no data)."""


@dataclass(frozen=True, eq=False)
class SyntheticSeries:
    columns: BucketColumns
    incidents: tuple[Interval, ...]
    """Incident bursts, in time order."""
    maintenance: Interval | None
    slow_burn: Interval | None


def generate_series(
    objective_id: int,
    *,
    end: datetime,
    days: int = 90,
    seed: int = 0,
    profile: TrafficProfile | None = None,
) -> SyntheticSeries:
    """``days`` of 5-minute buckets for ``objective_id`` ending at ``end`` (rounded down to a
    bucket start). Same arguments, same series."""
    profile = profile or TrafficProfile()
    if days <= 0:
        raise ValueError("days must be positive")
    rng = np.random.default_rng(seed)
    grain = rules.BUCKET_SECONDS
    last = rules.epoch_of(rules.bucket_start_of(end))
    n = days * rules.BUCKETS_PER_DAY
    starts = last - n * grain + np.arange(n, dtype=np.int64) * grain

    local = starts + _utc_offsets(starts, ZoneInfo(profile.time_zone))
    local_hour = (local % rules.DAY_SECONDS) / rules.HOUR_SECONDS
    weekday = ((local // rules.DAY_SECONDS) + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)

    # Traffic: a cosine from trough to peak over the local day, quieter weekends, and a little
    # day-to-day wander so no two days are identical.
    daily = 0.5 + 0.5 * np.cos(2 * np.pi * (local_hour - profile.peak_hour) / 24)
    shape = profile.trough_share + (1 - profile.trough_share) * daily
    shape = shape * np.where(weekday >= 5, profile.weekend_share, 1.0)
    wander = np.repeat(rng.lognormal(0.0, 0.08, days + 1), rules.BUCKETS_PER_DAY)[:n]
    expected = profile.peak_per_second * grain * shape * wander
    total = rng.poisson(expected).astype(np.float64)

    ratio = np.full(n, profile.error_ratio)
    slow_burn: Interval | None = None
    if profile.slow_burn is not None:
        burn_buckets = min(n, int(profile.slow_burn.days * rules.BUCKETS_PER_DAY))
        ramp = np.linspace(1.0, profile.slow_burn.multiplier, burn_buckets)
        ratio[n - burn_buckets :] *= ramp
        slow_burn = (rules.instant_of(int(starts[n - burn_buckets])), rules.instant_of(last))

    maintenance = _maintenance(profile, starts, local, weekday) if profile.maintenance else None
    incidents = _incidents(profile, rng, starts, maintenance)
    for lo, hi in incidents:
        low, high = profile.incident_error_ratio
        ratio[lo:hi] = rng.uniform(low, high)

    bad = rng.binomial(total.astype(np.int64), np.clip(ratio, 0.0, 1.0)).astype(np.float64)
    good = total - bad
    keep = np.ones(n, dtype=bool)
    if maintenance is not None:
        lo, hi = maintenance
        if profile.maintenance_zero_traffic:
            good[lo:hi] = total[lo:hi] = 0.0
        else:
            keep[lo:hi] = False

    columns = BucketColumns(
        objective_id=np.full(int(keep.sum()), objective_id, dtype=np.int64),
        start_epoch=starts[keep],
        good=good[keep],
        total=total[keep],
    )
    return SyntheticSeries(
        columns=columns,
        incidents=tuple(_interval(starts, lo, hi) for lo, hi in incidents),
        maintenance=None if maintenance is None else _interval(starts, *maintenance),
        slow_burn=slow_burn,
    )


def _utc_offsets(starts: rules.Int64Array, zone: ZoneInfo) -> rules.Int64Array:
    """UTC offset (seconds) of every bucket start in ``zone``: looked up once per hour (offsets
    change on hour boundaries in every zone we know) and spread over the hour's buckets."""
    hours = starts - starts % rules.HOUR_SECONDS
    unique, inverse = np.unique(hours, return_inverse=True)
    offsets = np.array(
        [_offset_seconds(rules.instant_of(int(h)).astimezone(zone).utcoffset()) for h in unique],
        dtype=np.int64,
    )
    return offsets[inverse]


def _offset_seconds(offset: timedelta | None) -> int:
    return int((offset or timedelta()).total_seconds())


def _maintenance(
    profile: TrafficProfile,
    starts: rules.Int64Array,
    local: rules.Int64Array,
    weekday: rules.Int64Array,
) -> tuple[int, int] | None:
    """Bucket index range of the maintenance window: the Sunday nearest the middle of the
    series, from ``maintenance_local_hour`` local time."""
    at_hour = (weekday == 6) & (local % rules.DAY_SECONDS == profile.maintenance_local_hour * 3600)
    candidates = np.flatnonzero(at_hour)
    length = profile.maintenance_hours * rules.BUCKETS_PER_HOUR
    candidates = candidates[candidates + length <= len(starts)]
    if len(candidates) == 0:
        return None
    first = int(candidates[np.argmin(np.abs(candidates - len(starts) // 2))])
    return first, first + length


def _incidents(
    profile: TrafficProfile,
    rng: np.random.Generator,
    starts: rules.Int64Array,
    maintenance: tuple[int, int] | None,
) -> list[tuple[int, int]]:
    """Bucket index ranges of the incidents: spread over the series (one per equal slice, at a
    random place in it), never overlapping the maintenance window or each other."""
    n = len(starts)
    found: list[tuple[int, int]] = []
    if profile.incidents <= 0:
        return found
    slice_ = n // profile.incidents
    low, high = profile.incident_minutes
    for k in range(profile.incidents):
        length = max(1, int(rng.integers(low, high + 1)) * 60 // rules.BUCKET_SECONDS)
        if slice_ <= length:
            break
        lo = k * slice_ + int(rng.integers(0, slice_ - length))
        hi = lo + length
        if maintenance is not None and lo < maintenance[1] and maintenance[0] < hi:
            shift = maintenance[1] - lo
            lo, hi = lo + shift, hi + shift
            if hi > n:
                continue
        found.append((lo, hi))
    return found


def _interval(starts: rules.Int64Array, lo: int, hi: int) -> Interval:
    return (
        rules.instant_of(int(starts[lo])),
        rules.instant_of(int(starts[hi - 1]) + rules.BUCKET_SECONDS),
    )
