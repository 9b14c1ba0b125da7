"""Bucket storage on both backends: idempotent upserts, rollups maintained on write, all-or-nothing
validation, and the window reads agreeing with plain sums over the stored buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from accord.kit.errors import InvalidInput
from accord.objectives.models import Objective
from accord.telemetry import rules
from accord.telemetry import service as telemetry_service
from accord.telemetry.rules import BucketColumns
from accord.telemetry.schemas import BucketRow
from tests.telemetry.conftest import (
    E0,
    T0,
    assert_rollups_match,
    columns,
    naive_window,
    stored_buckets,
    stored_rollups,
)

pytestmark = pytest.mark.db

B = rules.BUCKET_SECONDS
H = rules.HOUR_SECONDS
D = rules.DAY_SECONDS

# Hypothesis examples share the test's session: each runs in a savepoint rolled back after it.
DB_EXAMPLES = settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])


class rolled_back:
    """Run a block in a savepoint of the session and undo it afterwards."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __enter__(self) -> Session:
        self.nested = self.session.begin_nested()
        return self.session

    def __exit__(self, *exc: object) -> None:
        self.nested.rollback()


# ------------------------------------------------------------------------------------ writes


def test_buckets_are_stored_with_hourly_and_daily_rollups(
    session: Session, objectives: list[int]
) -> None:
    a, b, _ = objectives
    result = telemetry_service.store_buckets(
        session,
        columns(
            [
                (a, E0, 90, 100),
                (a, E0 + B, 100, 100),
                (a, E0 + H, 0, 0),  # zero traffic: stored, but no bucket "with data"
                (a, E0 + D + 2 * B, 5, 10),
                (b, E0 - B, 1, 4),  # the day before
            ]
        ),
    )
    assert (result.buckets, result.objectives, result.hours, result.days) == (5, 2, 4, 3)
    assert result.first_bucket == T0 - timedelta(seconds=B)
    assert result.last_bucket == T0 + timedelta(seconds=D + 2 * B)
    assert stored_buckets(session)[(a, E0 + H)] == (0, 0)
    hourly = stored_rollups(session, H)
    assert hourly[(a, E0)][:3] == (190, 200, 2)
    assert hourly[(a, E0)][3] == pytest.approx(1.9)
    assert hourly[(a, E0 + H)] == (0, 0, 0, 0)
    assert hourly[(b, E0 - H)] == (1, 4, 1, 0.25)
    daily = stored_rollups(session, D)
    assert daily[(a, E0)][:3] == (190, 200, 2)
    assert daily[(a, E0)][3] == pytest.approx(1.9)
    assert daily[(a, E0 + D)] == (5, 10, 1, 0.5)
    assert daily[(b, E0 - D)] == (1, 4, 1, 0.25)
    assert_rollups_match(session)


def test_a_resent_load_changes_nothing(session: Session, objectives: list[int]) -> None:
    a, b, c = objectives
    load = columns([(o, E0 + i * B, i, 2 * i) for o in (a, b, c) for i in range(30)])
    telemetry_service.store_buckets(session, load)
    before = (stored_buckets(session), stored_rollups(session, H), stored_rollups(session, D))
    again = telemetry_service.store_buckets(session, load)
    assert again.buckets == 90
    after = (stored_buckets(session), stored_rollups(session, H), stored_rollups(session, D))
    assert after == before
    assert stored_rollups(session, D)[(a, E0)][:2] == (435, 870)  # sum(range(30)) once, not twice


def test_a_resent_bucket_replaces_the_stored_one(session: Session, objectives: list[int]) -> None:
    a, b, _ = objectives
    telemetry_service.store_buckets(
        session, columns([(a, E0 + i * B, 10, 10) for i in range(24)] + [(b, E0, 1, 1)])
    )
    # A correction: two buckets of the first hour and one of the second get new counts.
    telemetry_service.store_buckets(
        session, columns([(a, E0, 0, 10), (a, E0 + B, 3, 5), (a, E0 + H + B, 7, 20)])
    )
    stored = stored_buckets(session)
    assert stored[(a, E0)] == (0, 10)
    assert stored[(a, E0 + B)] == (3, 5)
    assert stored[(a, E0 + H + B)] == (7, 20)
    assert len(stored) == 25
    assert stored_rollups(session, H)[(a, E0)][:3] == (10 * 10 + 3, 10 * 10 + 15, 12)
    assert stored_rollups(session, D)[(a, E0)][:3] == (10 * 21 + 10, 10 * 21 + 35, 24)
    assert_rollups_match(session)


def test_a_key_sent_twice_in_one_load_keeps_the_last(
    session: Session, objectives: list[int]
) -> None:
    a = objectives[0]
    result = telemetry_service.store_buckets(
        session, columns([(a, E0, 1, 1), (a, E0 + B, 2, 2), (a, E0, 5, 9)])
    )
    assert result.buckets == 2
    assert stored_buckets(session) == {(a, E0): (5, 9), (a, E0 + B): (2, 2)}
    assert_rollups_match(session)


def test_rows_and_columns_store_the_same(session: Session, objectives: list[int]) -> None:
    a, b, _ = objectives
    rows = [
        BucketRow(a, T0, 9, 10),
        (b, T0.astimezone(rules.EPOCH.tzinfo) + timedelta(minutes=5), 3.0, 4.5),
        (a, datetime(2026, 3, 1, 1, 0, tzinfo=UTC), np.float64(1), np.int64(2)),
    ]
    telemetry_service.store_buckets(session, rows)
    from_rows = stored_buckets(session)
    assert from_rows == {(a, E0): (9, 10), (b, E0 + B): (3, 4.5), (a, E0 + H): (1, 2)}


def test_an_empty_load_writes_nothing(session: Session, objectives: list[int]) -> None:
    result = telemetry_service.store_buckets(session, columns([]))
    assert result.buckets == 0
    assert result.first_bucket is None
    assert stored_buckets(session) == {}


def _deleted(session: Session, objective_id: int) -> int:
    session.execute(update(Objective).where(Objective.id == objective_id).values(deleted_at=T0))
    return objective_id


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        (lambda o: (o, E0, -1, 10), "rows[1].good", "must not be negative"),
        (lambda o: (o, E0, 11, 10), "rows[1].total", "must not be less than good"),
        (lambda o: (o, E0, float("nan"), 10), "rows[1].good", "finite"),
        (lambda o: (o, E0, 1, float("inf")), "rows[1].total", "finite"),
        (lambda o: (o, E0 + 60, 1, 1), "rows[1].bucket_start", "aligned"),
        (lambda o: (o, -B, 1, 1), "rows[1].bucket_start", "between 1970 and 9999"),
        (lambda o: (0, E0, 1, 1), "rows[1].objective_id", "positive"),
        (lambda o: (o + 1000, E0, 1, 1), "rows[1].objective_id", "no objective"),
    ],
)
def test_an_invalid_bucket_fails_the_whole_load(
    session: Session, objectives: list[int], bad: Any, field: str, message: str
) -> None:
    a, b, _ = objectives
    load = columns([(a, E0 + B, 1, 1), bad(b), (a, E0 + 2 * B, 1, 1)])
    with pytest.raises(InvalidInput) as raised:
        telemetry_service.store_buckets(session, load)
    assert raised.value.problems[0].field == field
    assert message in raised.value.problems[0].message
    assert stored_buckets(session) == {}
    assert stored_rollups(session, H) == {}


def test_a_deleted_objective_takes_no_buckets(session: Session, objectives: list[int]) -> None:
    gone = _deleted(session, objectives[2])
    with pytest.raises(InvalidInput, match=r"rows\[0\].objective_id: no objective"):
        telemetry_service.store_buckets(session, columns([(gone, E0, 1, 1)]))
    assert stored_buckets(session) == {}


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ((1, datetime(2026, 3, 1), 1, 1), "rows[0].bucket_start"),  # noqa: DTZ001 (the point)
        ((1, T0 + timedelta(microseconds=1), 1, 1), "rows[0].bucket_start"),
        ((1, "2026-03-01T00:00:00Z", 1, 1), "rows[0].bucket_start"),
        (("1", T0, 1, 1), "rows[0].objective_id"),
        ((1, T0, "1", 1), "rows[0].good"),
        ((1, T0, 1), "rows[0]"),
    ],
)
def test_malformed_rows_are_named(
    session: Session, objectives: list[int], row: tuple[Any, ...], field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        telemetry_service.store_buckets(session, [row])
    assert raised.value.problems[0].field == field
    assert stored_buckets(session) == {}


def test_at_most_twenty_faults_are_listed(session: Session, objectives: list[int]) -> None:
    a = objectives[0]
    load = columns([(a, E0 + i * B, 2, 1) for i in range(100)])
    with pytest.raises(InvalidInput) as raised:
        telemetry_service.store_buckets(session, load)
    assert [p.field for p in raised.value.problems] == [f"rows[{i}].total" for i in range(20)]


bucket_loads = st.lists(
    st.lists(
        st.tuples(
            st.integers(0, 2),  # which objective
            st.integers(-300, 600),  # bucket index around T0 (a day is 288)
            st.integers(0, 50),  # good
            st.integers(0, 50),  # bad
        ),
        min_size=1,
        max_size=40,
    ),
    min_size=1,
    max_size=4,
)


@DB_EXAMPLES
@given(loads=bucket_loads)
def test_rollups_equal_the_sums_of_their_buckets_after_any_loads(
    session: Session, objectives: list[int], loads: list[list[tuple[int, int, int, int]]]
) -> None:
    with rolled_back(session):
        for load in loads:
            telemetry_service.store_buckets(
                session,
                columns([(objectives[o], E0 + i * B, g, g + bad) for o, i, g, bad in load]),
            )
        assert_rollups_match(session)


def test_whole_hours_and_partial_ones_roll_up_alike(
    session: Session, objectives: list[int]
) -> None:
    """A load covering whole hours sums them from what it staged, one covering part of an hour
    from the stored buckets, and a fill-only load always from the stored ones: all three
    leave the rollups equal to the buckets' sums."""
    hour = rules.BUCKETS_PER_HOUR
    first = [(objectives[0], E0 + i * B, 3, 4) for i in range(-2, 2 * hour + 2)]
    telemetry_service.store_buckets(session, columns(first))
    assert_rollups_match(session)
    # Whole hours again with other values, and one bucket of a third hour.
    second = [(objectives[0], E0 + i * B, 1, 5) for i in range(hour, 2 * hour)]
    telemetry_service.store_buckets(session, columns([*second, (objectives[0], E0 - B, 0, 2)]))
    assert_rollups_match(session)
    # A fill-only load of a whole hour keeps the stored buckets, and the rollups follow them.
    fill = [(objectives[0], E0 + i * B, 2, 2) for i in range(hour)]
    telemetry_service.store_buckets(session, columns(fill), fill_only=True)
    assert_rollups_match(session)
    assert stored_buckets(session)[(objectives[0], E0)] == (3.0, 4.0)


def test_day_rollups_are_utc_days_whatever_the_session_time_zone(
    session: Session, objectives: list[int]
) -> None:
    """Across a DST change of the session's zone (New York, 8 March 2026), a UTC day still
    holds 288 buckets and starts at UTC midnight."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL TimeZone = 'America/New_York'"))
    a = objectives[0]
    start = rules.epoch_of(datetime(2026, 3, 7, tzinfo=UTC))
    telemetry_service.store_buckets(
        session, columns([(a, start + i * B, 1, 1) for i in range(3 * rules.BUCKETS_PER_DAY)])
    )
    daily = stored_rollups(session, D)
    assert sorted(daily) == [(a, start + n * D) for n in range(3)]
    assert {v[:3] for v in daily.values()} == {(288, 288, 288)}
    hourly = stored_rollups(session, H)
    assert len(hourly) == 72
    assert {v[:3] for v in hourly.values()} == {(12, 12, 12)}
    assert_rollups_match(session)


# ------------------------------------------------------------------------------------- reads


def _dense_history(session: Session, objectives: list[int], days: int = 3) -> dict[Any, Any]:
    """``days`` full days of buckets for the first two objectives, from a day before T0, with
    varied counts and a few zero-traffic buckets; the third objective has none."""
    rng = np.random.default_rng(7)
    n = days * rules.BUCKETS_PER_DAY
    rows = []
    for o in objectives[:2]:
        total = rng.integers(0, 40, n)
        good = np.minimum(total, rng.integers(0, 41, n))
        rows += [(o, E0 - D + i * B, int(good[i]), int(total[i])) for i in range(n)]
    telemetry_service.store_buckets(session, columns(rows))
    return stored_buckets(session)


def test_window_counts_read_the_coarsest_rows_and_agree_with_the_buckets(
    session: Session, objectives: list[int]
) -> None:
    buckets = _dense_history(session, objectives)
    spans = [
        (E0 - D, E0 + 2 * D),  # everything: days only
        (E0 - D + 7 * B, E0 + D + 5 * H + 3 * B),  # ragged both ends: buckets, hours and days
        (E0 + 13 * B, E0 + 13 * B),  # empty
        (E0 + 3 * B, E0 + 9 * B),  # inside one hour
        (E0 + H, E0 + 3 * H),  # whole hours
        (E0 - 5 * D, E0 + 9 * D),  # wider than the data
    ]
    for lo, hi in spans:
        counts = telemetry_service.window_counts(
            session, objectives, rules.instant_of(lo), rules.instant_of(hi)
        )
        assert list(counts.objective_ids) == objectives
        for o in objectives:
            good, total, n, ratio_sum = naive_window(buckets, o, lo, hi)
            got = counts.of(o)
            assert (got.good, got.total, got.buckets) == (good, total, n), (lo - E0, hi - E0)
            assert got.ratio_sum == pytest.approx(ratio_sum, rel=1e-12, abs=1e-12)
    assert counts.of(objectives[2]) == (0, 0, 0, 0)
    assert counts.as_dict()[objectives[0]] == counts.of(objectives[0])


@DB_EXAMPLES
@given(
    data=st.lists(
        st.tuples(st.integers(0, 1), st.integers(0, 3 * 288 - 1), st.integers(0, 9)),
        min_size=1,
        max_size=150,
    ),
    edges=st.lists(st.integers(-D, 4 * D), min_size=2, max_size=2).map(sorted),
)
def test_window_counts_equal_naive_sums_for_any_span(
    session: Session, objectives: list[int], data: list[tuple[int, int, int]], edges: list[int]
) -> None:
    """Random buckets over three days and a random span (seconds, not aligned): the window's
    sums equal the sums of the buckets whose start lies in it."""
    with rolled_back(session):
        telemetry_service.store_buckets(
            session, columns([(objectives[o], E0 + i * B, g, 9) for o, i, g in data])
        )
        buckets = stored_buckets(session)
        lo, hi = E0 + edges[0], E0 + edges[1]
        counts = telemetry_service.window_counts(
            session, objectives, rules.instant_of(lo), rules.instant_of(hi)
        )
        for o in objectives:
            good, total, n, ratio_sum = naive_window(buckets, o, lo, hi)
            got = counts.of(o)
            assert (got.good, got.total, got.buckets) == (good, total, n)
            assert got.ratio_sum == pytest.approx(ratio_sum, rel=1e-12, abs=1e-12)


def test_window_counts_round_unaligned_edges_up_to_the_next_bucket(
    session: Session, objectives: list[int]
) -> None:
    a = objectives[0]
    telemetry_service.store_buckets(session, columns([(a, E0, 1, 1), (a, E0 + B, 2, 2)]))
    at = T0 + timedelta(microseconds=1)
    counts = telemetry_service.window_counts(session, [a], at, at + timedelta(seconds=B))
    assert counts.of(a) == (2, 2, 1, 1.0)  # the bucket at E0 started before the window
    with pytest.raises(InvalidInput, match="end"):
        telemetry_service.window_counts(session, [a], T0, T0 - timedelta(seconds=1))


def test_recent_buckets_are_a_dense_matrix(session: Session, objectives: list[int]) -> None:
    a, b, c = objectives
    telemetry_service.store_buckets(
        session,
        columns([(a, E0, 1, 2), (a, E0 + 2 * B, 0, 0), (b, E0 + 3 * B, 4, 4), (c, E0 - B, 9, 9)]),
    )
    matrix = telemetry_service.recent_buckets(
        session, [b, a, c, b], T0, T0 + timedelta(seconds=4 * B)
    )
    assert matrix.shape == (3, 4)
    assert list(matrix.objective_ids) == [b, a, c]
    assert list(matrix.starts) == [E0, E0 + B, E0 + 2 * B, E0 + 3 * B]
    assert matrix.good.tolist() == [[0, 0, 0, 4], [1, 0, 0, 0], [0, 0, 0, 0]]
    assert matrix.total.tolist() == [[0, 0, 0, 4], [2, 0, 0, 0], [0, 0, 0, 0]]
    assert matrix.has_data.tolist() == [
        [False, False, False, True],
        [True, False, True, False],  # the stored zero-traffic bucket has data
        [False, False, False, False],
    ]


def test_recent_buckets_match_the_stored_buckets(session: Session, objectives: list[int]) -> None:
    buckets = _dense_history(session, objectives, days=2)
    lo, hi = E0 - 6 * H, E0 + 6 * H + 3 * B
    matrix = telemetry_service.recent_buckets(
        session, objectives, rules.instant_of(lo), rules.instant_of(hi)
    )
    assert matrix.shape == (3, (hi - lo) // B)
    for i, o in enumerate(objectives):
        for j, start in enumerate(matrix.starts.tolist()):
            stored = buckets.get((o, start))
            assert matrix.has_data[i, j] == (stored is not None)
            assert (matrix.good[i, j], matrix.total[i, j]) == (stored or (0, 0))


def test_a_matrix_too_large_is_refused(session: Session, objectives: list[int]) -> None:
    with pytest.raises(ValueError, match="cells"):
        telemetry_service.recent_buckets(session, range(1, 10_001), T0, T0 + timedelta(days=30))


def test_buckets_at_a_few_instants(session: Session, objectives: list[int]) -> None:
    a, b, _ = objectives
    telemetry_service.store_buckets(
        session, columns([(a, E0, 1, 2), (a, E0 + D, 3, 4), (b, E0 + D, 5, 6), (b, E0 + B, 7, 7)])
    )
    matrix = telemetry_service.buckets_at(
        session, [a, b], [T0 + timedelta(days=1), T0, T0 + timedelta(days=1)]
    )
    assert list(matrix.starts) == [E0, E0 + D]
    assert matrix.good.tolist() == [[1, 3], [0, 5]]
    assert matrix.total.tolist() == [[2, 4], [0, 6]]
    assert matrix.has_data.tolist() == [[True, True], [False, True]]
    with pytest.raises(InvalidInput, match="aligned"):
        telemetry_service.buckets_at(session, [a], [T0 + timedelta(minutes=1)])


def test_missing_buckets_are_listed_as_ranges(session: Session, objectives: list[int]) -> None:
    a, b, _ = objectives
    present = [1, 2, 3, 7, 8, 11]
    telemetry_service.store_buckets(
        session, columns([(a, E0 + i * B, 0, 0) for i in present] + [(b, E0 + 5 * B, 1, 1)])
    )
    gaps = telemetry_service.missing_buckets(session, a, T0, T0 + timedelta(seconds=13 * B))
    at = [(rules.epoch_of(lo) - E0) // B for lo, _ in gaps]
    to = [(rules.epoch_of(hi) - E0) // B for _, hi in gaps]
    assert list(zip(at, to, strict=True)) == [(0, 1), (4, 7), (9, 11), (12, 13)]
    full = telemetry_service.missing_buckets(
        session, objectives[2], T0, T0 + timedelta(seconds=3 * B)
    )
    assert full == [(T0, T0 + timedelta(seconds=3 * B))]
    covered = (T0 + timedelta(seconds=B), T0 + timedelta(seconds=4 * B))
    assert telemetry_service.missing_buckets(session, a, *covered) == []


def test_reads_of_no_objectives_are_empty(session: Session, objectives: list[int]) -> None:
    assert len(telemetry_service.window_counts(session, [], T0, T0 + timedelta(days=1))) == 0
    matrix = telemetry_service.recent_buckets(session, [], T0, T0 + timedelta(hours=1))
    assert matrix.shape == (0, 12)


def test_columns_in_any_integer_and_float_types_are_accepted(
    session: Session, objectives: list[int]
) -> None:
    a = objectives[0]
    load = BucketColumns(
        np.array([a, a], dtype=np.int32),
        np.array([E0, E0 + B], dtype=np.uint64),
        np.array([1, 2], dtype=np.int16),
        np.array([2.5, 2], dtype=np.float32),
    )
    telemetry_service.store_buckets(session, load)
    assert stored_buckets(session) == {(a, E0): (1, 2.5), (a, E0 + B): (2, 2)}


def test_objectives_are_read_with_their_live_rows_only(
    session: Session, objectives: list[int]
) -> None:
    # The parent check reads through the objectives service: it must see rows flushed in this
    # very transaction (the factory flushes, so a new objective takes buckets at once).
    assert session.scalar(select(Objective.id).where(Objective.id == objectives[0])) is not None
    telemetry_service.store_buckets(session, columns([(objectives[0], E0, 1, 1)]))
    assert stored_buckets(session) == {(objectives[0], E0): (1, 1)}


def test_loads_and_reads_leave_the_sessions_settings_as_they_were(
    session: Session, objectives: list[int]
) -> None:
    """On PostgreSQL loads and large reads switch JIT off for their own statements only."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    setting = (lambda: session.execute(text("SHOW jit")).scalar_one()) if postgresql else str
    before = setting()
    telemetry_service.store_buckets(session, columns([(objectives[0], E0, 1, 1)]))
    assert setting() == before
    telemetry_service.window_counts(session, objectives, T0, T0 + timedelta(days=3))
    telemetry_service.recent_buckets(session, objectives, T0, T0 + timedelta(hours=1))
    assert setting() == before
    assert stored_buckets(session) == {(objectives[0], E0): (1, 1)}


def test_a_secondary_load_for_a_deleted_objective_is_refused(
    session: Session, objectives: list[int]
) -> None:
    gone = session.get(Objective, objectives[0])
    assert gone is not None
    gone.deleted_at = datetime(2026, 1, 1, tzinfo=UTC)
    session.flush()
    with pytest.raises(InvalidInput) as raised:
        telemetry_service.store_secondary_buckets(
            session, columns([(objectives[0], E0, 1, 1)]), source_id=1, received_at=T0
        )
    assert raised.value.problems[0].field == "rows[0].objective_id"
    assert stored_buckets(session) == {}
