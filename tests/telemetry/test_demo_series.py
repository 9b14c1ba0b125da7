"""The demo's synthetic telemetry: shapes, determinism, valid counts, and the story it tells
(daily rhythm, quiet weekends, visible incidents, a slow burn, a maintenance gap)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy.orm import Session

from accord.demo.telemetry import SlowBurn, TrafficProfile, generate_series
from accord.telemetry import rules
from accord.telemetry import service as telemetry_service
from tests.factories.objectives import make_objective

END = datetime(2026, 6, 1, 0, 2, 30, tzinfo=UTC)  # not aligned: rounded down to 00:00


def _error_ratio(good: np.ndarray, total: np.ndarray) -> float:
    return float(1 - good.sum() / total.sum())


def test_ninety_days_of_buckets_ending_at_the_given_instant() -> None:
    series = generate_series(7, end=END, profile=TrafficProfile(maintenance=False))
    columns = series.columns
    assert len(columns) == 90 * rules.BUCKETS_PER_DAY
    assert set(columns.objective_id.tolist()) == {7}
    assert columns.start_epoch[-1] == rules.epoch_of(datetime(2026, 6, 1, tzinfo=UTC)) - 300
    assert np.all(np.diff(columns.start_epoch) == rules.BUCKET_SECONDS)
    assert np.all(columns.good >= 0)
    assert np.all(columns.good <= columns.total)
    assert np.all(columns.good == np.round(columns.good))  # whole requests
    rules.validated_columns(columns)


def test_the_same_seed_gives_the_same_series_and_another_seed_another() -> None:
    one, two = (generate_series(1, end=END, days=10, seed=5) for _ in range(2))
    other = generate_series(1, end=END, days=10, seed=6)
    for field in ("objective_id", "start_epoch", "good", "total"):
        assert np.array_equal(getattr(one.columns, field), getattr(two.columns, field))
    assert one.incidents == two.incidents
    assert one.maintenance == two.maintenance
    assert not np.array_equal(one.columns.total, other.columns.total)


def test_traffic_follows_the_local_day_and_the_week() -> None:
    profile = TrafficProfile(time_zone="America/New_York", maintenance=False, incidents=0)
    columns = generate_series(1, end=END, days=28, profile=profile).columns
    starts = columns.start_epoch
    # 14:00-15:00 in New York (EDT, UTC-4) is 18:00-19:00 UTC; 02:00 local is 06:00 UTC.
    utc_hour = (starts % rules.DAY_SECONDS) // rules.HOUR_SECONDS
    peak = columns.total[utc_hour == 18].mean()
    night = columns.total[utc_hour == 6].mean()
    assert peak > 4 * night
    weekday = ((starts - 4 * 3600) // rules.DAY_SECONDS + 3) % 7
    assert columns.total[weekday >= 5].mean() < 0.7 * columns.total[weekday < 5].mean()


def test_incidents_stand_out_from_the_baseline() -> None:
    series = generate_series(1, end=END, days=30, seed=3, profile=TrafficProfile(incidents=4))
    columns = series.columns
    assert len(series.incidents) == 4
    inside = np.zeros(len(columns), dtype=bool)
    for lo, hi in series.incidents:
        assert timedelta(minutes=10) <= hi - lo <= timedelta(minutes=60)
        inside |= (columns.start_epoch >= rules.epoch_of(lo)) & (
            columns.start_epoch < rules.epoch_of(hi)
        )
    baseline = _error_ratio(columns.good[~inside], columns.total[~inside])
    assert baseline == pytest.approx(0.0004, rel=0.1)
    for lo, hi in series.incidents:
        during = (columns.start_epoch >= rules.epoch_of(lo)) & (
            columns.start_epoch < rules.epoch_of(hi)
        )
        assert _error_ratio(columns.good[during], columns.total[during]) > 0.03


def test_a_slow_burn_raises_the_error_ratio_towards_the_end() -> None:
    profile = TrafficProfile(incidents=0, maintenance=False, slow_burn=SlowBurn(days=10))
    series = generate_series(1, end=END, days=30, profile=profile)
    columns = series.columns
    end = datetime(2026, 6, 1, tzinfo=UTC)
    assert series.slow_burn == (end - timedelta(days=10), end)
    week = 7 * rules.BUCKETS_PER_DAY
    first = _error_ratio(columns.good[:week], columns.total[:week])
    two_days = 2 * rules.BUCKETS_PER_DAY
    last = _error_ratio(columns.good[-two_days:], columns.total[-two_days:])
    assert last > 3 * first


def test_the_maintenance_window_is_a_sunday_night_gap_of_two_hours() -> None:
    series = generate_series(1, end=END, days=30, profile=TrafficProfile(time_zone="Europe/Berlin"))
    assert series.maintenance is not None
    lo, hi = series.maintenance
    assert hi - lo == timedelta(hours=2)
    local = lo.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.weekday(), local.hour) == (6, 2)
    starts = series.columns.start_epoch
    assert not np.any((starts >= rules.epoch_of(lo)) & (starts < rules.epoch_of(hi)))
    assert len(starts) == 30 * rules.BUCKETS_PER_DAY - 24
    for a, b in series.incidents:
        assert b <= lo or a >= hi


def test_a_zero_traffic_maintenance_keeps_its_buckets_empty() -> None:
    profile = TrafficProfile(maintenance_zero_traffic=True)
    series = generate_series(1, end=END, days=14, profile=profile)
    assert series.maintenance is not None
    lo, hi = (rules.epoch_of(t) for t in series.maintenance)
    columns = series.columns
    during = (columns.start_epoch >= lo) & (columns.start_epoch < hi)
    assert during.sum() == 24
    assert np.all(columns.total[during] == 0)


@pytest.mark.db
def test_a_series_loads_as_it_is(session: Session) -> None:
    objective = make_objective(session).id
    series = generate_series(objective, end=END, days=3, seed=1)
    result = telemetry_service.store_buckets(session, series.columns)
    assert result.buckets == len(series.columns)
    start = rules.instant_of(int(series.columns.start_epoch[0]))
    counts = telemetry_service.window_counts(session, [objective], start, END).of(objective)
    assert counts.total == series.columns.total.sum()
    assert counts.good == series.columns.good.sum()
