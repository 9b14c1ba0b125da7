"""Screening pushed rows: instants, units, row shapes, samples and counters into buckets, and
every check as a rejection and as a quarantine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.telemetry import rules as telemetry_rules
from accord.telemetry.ingestion import rules
from accord.telemetry.ingestion.rules import (
    Action,
    Check,
    Destination,
    IngestPolicy,
    Screening,
    SourceContext,
)
from accord.telemetry.rules import BucketColumns

B = telemetry_rules.BUCKET_SECONDS
T = telemetry_rules.epoch_of(datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
"""2026-03-01T10:00:00Z, a bucket start; rows are placed around it."""
NOW = T + 86_400
OPEN = T - 7 * 86_400

DESTINATIONS = {
    ("objective", "SLO-0001"): Destination(1, None, OPEN, False),
    ("metric", "availability"): Destination(1, None, OPEN, False),
    ("metric", "latency"): Destination(2, 250.0, OPEN, False),
    ("metric", "requests"): Destination(3, None, OPEN, False),
    ("metric", "elsewhere"): Destination(4, None, OPEN, True),
}
BERLIN = SourceContext(time_zone="Europe/Berlin", latency_unit="ms")


def screen(
    rows: Sequence[Mapping[str, Any]],
    *,
    policy: IngestPolicy | None = None,
    source: SourceContext = BERLIN,
    now: float = NOW,
) -> Screening:
    return rules.screen(
        rows,
        destinations=DESTINATIONS,
        source=source,
        policy=policy or IngestPolicy(),
        now_epoch=now,
    )


def accepted(screening: Screening) -> list[tuple[int, int, float, float]]:
    assert screening.rejected == ()
    a = screening.accepted
    return [
        (int(o), int(s), float(g), float(t))
        for o, s, g, t in zip(a.objective_id, a.start_epoch, a.good, a.total, strict=True)
    ]


def only(action: Action) -> IngestPolicy:
    return IngestPolicy(actions=dict.fromkeys(Check, action))


def bucket(start: Any = T, good: Any = 990, total: Any = 1000, **extra: Any) -> dict[str, Any]:
    return {"objective": "SLO-0001", "start": start, "good": good, "total": total, **extra}


# ------------------------------------------------------------------------------------- policy


def test_default_actions_reject_the_impossible_and_flag_the_doubtful() -> None:
    rejected = {c for c, a in rules.DEFAULT_ACTIONS.items() if a is Action.REJECT}
    flagged = {c for c, a in rules.DEFAULT_ACTIONS.items() if a is Action.FLAG}
    assert rejected == {
        Check.NEGATIVE,
        Check.GOOD_ABOVE_TOTAL,
        Check.NOT_FINITE,
        Check.UNKNOWN_OBJECTIVE,
        Check.NONEXISTENT_TIME,
    }
    assert flagged == rules.RELEASABLE
    assert flagged == {
        Check.FUTURE,
        Check.TOO_OLD,
        Check.WRONG_SOURCE,
        Check.COUNTER_RESET,
        Check.AMBIGUOUS_TIME,
    }


def test_a_policy_naming_some_checks_keeps_the_defaults_for_the_others() -> None:
    policy = IngestPolicy(actions={Check.FUTURE: Action.REJECT})
    assert policy.action(Check.FUTURE) is Action.REJECT
    assert policy.action(Check.NEGATIVE) is Action.REJECT
    assert policy.action(Check.TOO_OLD) is Action.FLAG
    with pytest.raises(ValueError, match="skew"):
        IngestPolicy(max_future_skew_seconds=-1)


# ----------------------------------------------------------------------------------- instants


@pytest.mark.parametrize(
    "start",
    [
        T,
        float(T),
        "2026-03-01T10:00:00Z",
        "2026-03-01T10:00:00+00:00",
        "2026-03-01T12:00:00+02:00",
        "2026-03-01T04:30:00-05:30",
        "2026-03-01T11:00:00",  # naive: Berlin, CET (+01:00)
    ],
)
def test_an_instant_as_iso_with_an_offset_as_epoch_or_naive_in_the_source_zone(start: Any) -> None:
    assert accepted(screen([bucket(start)])) == [(1, T, 990.0, 1000.0)]


def test_a_naive_instant_is_malformed_when_the_source_declares_no_zone() -> None:
    result = screen([bucket("2026-03-01T11:00:00")], source=SourceContext(None, "ms"))
    [problem] = result.rejected
    assert (problem.field, problem.code) == ("rows[0].start", "malformed")
    assert problem.message == (
        "2026-03-01T11:00:00 has no UTC offset and the source declares no time zone"
    )
    unknown_zone = SourceContext("Mars/Olympus_Mons", "ms")
    assert (
        "is unknown"
        in screen([bucket("2026-03-01T11:00:00")], source=unknown_zone).rejected[0].message
    )


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (T * 1000, f"{T * 1000} looks like milliseconds; send seconds since the epoch"),
        (T + 60, "is not the start of a 300 s bucket"),
        (T + 0.5, "is not the start of a 300 s bucket"),
        ("2026-03-01T10:00:00.250Z", "is not the start of a 300 s bucket"),
        (-300, "is before 1970"),
        ("1969-12-31T23:55:00Z", "is before 1970"),
        ("yesterday", "'yesterday' is not an ISO 8601 instant"),
        (True, "must be an ISO 8601 instant or seconds since the epoch"),
        (None, "must be an ISO 8601 instant or seconds since the epoch"),
    ],
)
def test_malformed_bucket_starts(start: Any, message: str) -> None:
    [problem] = screen([bucket(), bucket(start)]).rejected
    assert (problem.row, problem.field, problem.code) == (1, "rows[1].start", "malformed")
    assert message in problem.message


def test_berlin_spring_forward_the_missing_hour_is_nonexistent() -> None:
    row = bucket("2026-03-29T02:30:00")
    [problem] = screen([row], now=T + 365 * 86_400).rejected
    assert (problem.field, problem.code) == ("rows[0].start", "nonexistent-time")
    assert problem.message == (
        "2026-03-29T02:30:00 does not exist in Europe/Berlin (clocks go forward)"
    )
    flagged = screen([row], policy=only(Action.FLAG), now=T + 365 * 86_400)
    [held] = flagged.quarantined
    assert held.checks == (Check.NONEXISTENT_TIME,)
    assert held.bucket_start_epoch is None
    assert not held.releasable
    assert len(flagged.accepted) == 0


def test_berlin_fall_back_the_repeated_hour_is_ambiguous_and_read_as_its_first_occurrence() -> None:
    first_occurrence = telemetry_rules.epoch_of(datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
    row = bucket("2026-10-25T02:30:00")
    later = first_occurrence + 86_400
    [held] = screen([row], now=later).quarantined
    assert held.checks == (Check.AMBIGUOUS_TIME,)
    assert held.bucket_start_epoch == first_occurrence
    assert held.releasable
    assert held.messages == (
        "rows[0].start: 2026-10-25T02:30:00 occurs twice in Europe/Berlin (clocks go back); "
        "read as its first occurrence, 2026-10-25T00:30:00Z",
    )
    [problem] = screen([row], policy=only(Action.REJECT), now=later).rejected
    assert (problem.field, problem.code) == ("rows[0].start", "ambiguous-time")
    # The hour after the repeated one is unambiguous again.
    assert accepted(screen([bucket("2026-10-25T03:00:00")], now=later))[0][1] == (
        first_occurrence + 5_400
    )


def test_sample_instants_may_be_fractional_and_fall_in_the_bucket_that_contains_them() -> None:
    rows = [
        {"metric": "requests", "at": T + 299.999, "success": True},
        {"metric": "requests", "at": "2026-03-01T10:05:00Z", "success": False},
        {"metric": "requests", "at": "2026-03-01T10:04:59.5Z", "success": False},
    ]
    assert accepted(screen(rows)) == [(3, T, 1.0, 2.0), (3, T + B, 0.0, 1.0)]


# ------------------------------------------------------------------------------------- shapes


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({**bucket(), "colour": "red"}, "rows[0].colour", "is not a key of a bucket row"),
        ({"start": T, "good": 1, "total": 1}, "rows[0]", "exactly one of objective or metric"),
        ({**bucket(), "metric": "requests"}, "rows[0]", "exactly one of objective or metric"),
        ({"objective": "SLO-0001", "start": T, "good": 1}, "rows[0].total", "is required"),
        ({"objective": "SLO-0001"}, "rows[0]", "is neither a bucket"),
        (bucket(good=True), "rows[0].good", "must be a number, not bool"),
        (bucket(total="1000"), "rows[0].total", "must be a number, not str"),
        ({**bucket(), "objective": ""}, "rows[0].objective", "non-empty string"),
        (
            {"metric": "requests", "at": T, "good_count": 1},
            "rows[0].total_count",
            "is required in a counter row",
        ),
        (
            {"metric": "requests", "at": T, "success": "yes"},
            "rows[0].success",
            "must be true or false",
        ),
        (
            {"metric": "requests", "at": T, "success": True, "latency": 3},
            "rows[0].success",
            "is not a key of a latency sample row",
        ),
        (
            {"metric": "requests", "at": T, "latency": 3},
            "rows[0].latency",
            "metric requests is not a latency objective: send success samples",
        ),
        (
            {"metric": "latency", "at": T, "success": True},
            "rows[0].success",
            "metric latency is a latency objective: send latency samples",
        ),
    ],
)
def test_malformed_rows_name_their_field(row: dict[str, Any], field: str, message: str) -> None:
    result = screen([row])
    [problem] = result.rejected
    assert (problem.field, problem.code) == (field, "malformed")
    assert message in problem.message
    assert len(result.accepted) == 0


def test_a_row_that_is_not_a_mapping_is_malformed() -> None:
    rows: list[Any] = [bucket(), [1, 2, 3, 4]]
    [problem] = screen(rows).rejected
    assert (problem.field, problem.message) == ("rows[1]", "must be an object")


def test_bucket_rows_by_objective_or_metric() -> None:
    rows = [bucket(), {"metric": "requests", "start": T + B, "good": 5, "total": 7.5}]
    assert accepted(screen(rows)) == [(1, T, 990.0, 1000.0), (3, T + B, 5.0, 7.5)]


def test_a_bucket_sent_twice_keeps_the_last_row_as_canonical_columns_does() -> None:
    rows = [bucket(good=1), bucket(start=T + B), bucket(good=3), bucket(good=2)]
    rows.append({"metric": "availability", "start": T, "good": 7, "total": 9})  # also SLO-0001
    assert accepted(screen(rows)) == [(1, T, 7.0, 9.0), (1, T + B, 990.0, 1000.0)]


def test_a_bucket_sent_whole_and_as_samples_is_malformed() -> None:
    rows = [
        {"metric": "availability", "at": T + 10, "success": True},
        bucket(),
        {"metric": "availability", "at": T + B + 10, "success": True},
    ]
    [problem] = screen(rows).rejected
    assert (problem.field, problem.code) == ("rows[1].start", "malformed")
    assert "also receives samples or counters" in problem.message


# -------------------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("latency", "unit", "good"),
    [
        (250, "ms", 1.0),
        (250.001, "ms", 0.0),
        (0.25, "s", 1.0),
        (0.26, "s", 0.0),
        (250_000, "us", 1.0),
        (250_000, "\u00b5s", 1.0),  # MICRO SIGN
        (250_001, "\u03bcs", 0.0),  # GREEK SMALL LETTER MU
        (250_000_000, "ns", 1.0),
        (250_000_001, "ns", 0.0),
        (1, "min", 0.0),
        (0.001, "h", 0.0),
        (0.00001, "h", 1.0),
        (200, None, 1.0),  # the source's unit (ms)
    ],
)
def test_latency_is_compared_in_milliseconds(latency: float, unit: str | None, good: float) -> None:
    row = {"metric": "latency", "at": T + 1, "latency": latency}
    if unit is not None:
        row["unit"] = unit
    assert accepted(screen([row])) == [(2, T, good, 1.0)]
    assert rules.MILLISECONDS_PER_UNIT["\u00b5s"] == rules.MILLISECONDS_PER_UNIT["\u03bcs"] == 1e-3


def test_an_unknown_unit_is_rejected_whatever_the_policy() -> None:
    rows = [
        {"metric": "latency", "at": T + 1, "latency": 3},
        {"metric": "latency", "at": T + 1, "latency": 3, "unit": "fortnights"},
    ]
    [problem] = screen(rows, policy=only(Action.FLAG)).rejected
    assert (problem.field, problem.code) == ("rows[1].unit", "unknown-unit")
    assert problem.message.startswith("unknown unit 'fortnights'; one of ns, us, µs, μs, ms")
    source_in_parsecs = SourceContext("UTC", "parsec")
    [problem] = screen(rows[:1], source=source_in_parsecs).rejected
    assert (problem.field, problem.code) == ("rows[0].unit", "unknown-unit")


def test_a_latency_without_unit_from_a_source_without_one_is_malformed() -> None:
    [problem] = screen(
        [{"metric": "latency", "at": T, "latency": 3}], source=SourceContext("UTC", None)
    ).rejected
    assert (problem.field, problem.code) == ("rows[0].unit", "malformed")


# ----------------------------------------------------------------------- samples and counters


def test_samples_are_summed_per_objective_and_bucket() -> None:
    rows = [
        {"metric": "latency", "at": T + 1, "latency": 100},
        {"metric": "latency", "at": T + 2, "latency": 300},
        {"metric": "latency", "at": T + B + 3, "latency": 0.1, "unit": "s"},
        {"metric": "requests", "at": T + 4, "success": True},
        {"metric": "availability", "at": T + 5, "success": False},
        {"objective": "SLO-0001", "at": T + 6, "success": True},  # same objective, other name
        {"metric": "latency", "at": T + 7, "latency": 250},
    ]
    assert accepted(screen(rows)) == [
        (1, T, 1.0, 2.0),
        (2, T, 2.0, 3.0),
        (2, T + B, 1.0, 1.0),
        (3, T, 1.0, 1.0),
    ]


def counter(at: Any, good: Any, total: Any, metric: str = "requests") -> dict[str, Any]:
    return {"metric": metric, "at": at, "good_count": good, "total_count": total}


def test_a_counter_increase_goes_to_the_bucket_holding_the_end_of_its_interval() -> None:
    rows = [
        counter("2026-03-01T10:05:00Z", 150, 160),  # ends (10:00, 10:05]: the 10:00 bucket
        counter("2026-03-01T10:00:00Z", 100, 100),  # the baseline (rows are sorted by instant)
        counter("2026-03-01T10:05:01Z", 160, 175),  # ends (10:05:00, 10:05:01]: 10:05
        counter("2026-03-01T10:09:00Z", 165, 185),
        counter("2026-03-01T10:10:00Z", 165, 185),  # no change, still the 10:05 bucket
        counter(T, 7, 7, metric="availability"),  # another reference: its own baseline only
    ]
    assert accepted(screen(rows)) == [(3, T, 50.0, 60.0), (3, T + B, 15.0, 25.0)]


def test_a_lone_counter_sample_is_a_baseline_and_stores_nothing() -> None:
    result = screen([counter(T, 1, 2)])
    assert accepted(result) == []
    assert result.quarantined == ()


def test_a_counter_reset_counts_the_value_after_it_as_the_increase() -> None:
    rows = [counter(T, 500, 520), counter(T + 60, 510, 530), counter(T + 120, 20, 21)]
    result = screen(rows)
    assert accepted(result) == []
    [held] = result.quarantined
    assert held.checks == (Check.COUNTER_RESET,)
    assert (held.objective_id, held.bucket_start_epoch) == (3, T)
    assert (held.good, held.total) == (10 + 20, 10 + 21)
    assert held.rows == (0, 1, 2)
    assert held.payload == tuple(rows)
    assert held.releasable
    assert held.messages == (
        "rows[2].good_count: good_count fell from 510 (rows[1]) to 20: a reset, "
        "counted as a rise of 20",
    )
    [problem] = screen(rows, policy=only(Action.REJECT)).rejected
    assert (problem.field, problem.code) == ("rows[2].good_count", "counter-reset")


def test_counters_whose_good_rises_more_than_total_are_good_above_total() -> None:
    rows = [counter(T, 10, 20), counter(T + 60, 19, 21)]
    [problem] = screen(rows).rejected
    assert (problem.field, problem.code) == ("rows[1].good_count", "good-above-total")
    assert problem.message == (
        "the bucket 2026-03-01T10:00:00Z of metric requests sums to good 9 above total 1"
    )
    [held] = screen(rows, policy=only(Action.FLAG)).quarantined
    assert (held.checks, held.good, held.total) == ((Check.GOOD_ABOVE_TOTAL,), 9.0, 1.0)


def test_a_check_on_a_baseline_carries_over_to_the_interval_it_opens() -> None:
    rows = [counter(T, -5, 20), counter(T + 60, 0, 30)]
    [problem] = screen(rows).rejected
    assert (problem.field, problem.code) == ("rows[0].good_count", "negative")
    [held] = screen(rows, policy=only(Action.FLAG)).quarantined
    assert held.checks == (Check.NEGATIVE,)
    assert held.rows == (0, 1)


def test_an_old_baseline_does_not_make_its_successor_old() -> None:
    open_at_t = {("metric", "requests"): Destination(3, None, T, False)}
    rows = [counter(T - 30, 1, 1), counter(T + 30, 2, 2)]
    result = rules.screen(
        rows, destinations=open_at_t, source=BERLIN, policy=IngestPolicy(), now_epoch=NOW
    )
    assert accepted(result) == [(3, T, 1.0, 1.0)]


# ------------------------------------------------------------------------------------- checks

CASES: dict[Check, tuple[list[dict[str, Any]], str, str]] = {
    Check.NEGATIVE: ([bucket(good=-1)], "rows[0].good", "good -1 is negative"),
    Check.GOOD_ABOVE_TOTAL: (
        [bucket(good=1200, total=1000)],
        "rows[0].good",
        "good 1200 is above total 1000",
    ),
    Check.NOT_FINITE: ([bucket(total=float("inf"))], "rows[0].total", "total inf is not a finite"),
    Check.FUTURE: (
        [bucket("2026-03-02T11:00:00Z")],
        "rows[0].start",
        "2026-03-02T11:00:00Z is 3,600 s ahead of the server clock (allowed skew 300 s)",
    ),
    Check.TOO_OLD: (
        [bucket(OPEN - B)],
        "rows[0].start",
        "its bucket 2026-02-22T09:55:00Z is before the open window of SLO-0001, which starts "
        "at 2026-02-22T10:00:00Z",
    ),
    Check.UNKNOWN_OBJECTIVE: (
        [{**bucket(), "objective": "SLO-9999"}],
        "rows[0].objective",
        "SLO-9999 is not an objective this source can feed",
    ),
    Check.WRONG_SOURCE: (
        [{"metric": "elsewhere", "at": T, "success": True}],
        "rows[0].metric",
        "metric elsewhere is fed by other sources, not this one",
    ),
    Check.COUNTER_RESET: (
        [counter(T, 5, 6), counter(T + 1, 5, 5)],
        "rows[1].total_count",
        "total_count fell from 6",
    ),
    Check.AMBIGUOUS_TIME: (
        [bucket("2026-10-25T02:30:00")],
        "rows[0].start",
        "occurs twice in Europe/Berlin",
    ),
    Check.NONEXISTENT_TIME: (
        [bucket("2026-03-29T02:30:00")],
        "rows[0].start",
        "does not exist in Europe/Berlin",
    ),
}


def test_every_check_has_a_case() -> None:
    assert set(CASES) == set(Check)


def at_the_time_of(rows: list[dict[str, Any]]) -> float:
    """Dates in 2026's autumn need a later clock not to be in the future."""
    late = any(isinstance(r.get("start"), str) and r["start"] > "2026-03-03" for r in rows)
    return NOW + 300 * 86_400 if late else NOW


@pytest.mark.parametrize("check", list(Check))
def test_each_check_rejects(check: Check) -> None:
    rows, field, message = CASES[check]
    result = screen([bucket(T + B), *rows], policy=only(Action.REJECT), now=at_the_time_of(rows))
    assert [(p.field, p.code) for p in result.rejected] == [(shift(field), check.value)]
    assert message in result.rejected[0].message
    assert result.rejected_rows == 1
    assert result.reasons() == {check.value: 1}


def shift(field: str) -> str:
    """The field's row, one further down (a valid row comes first)."""
    index = int(field.split("[", 1)[1].split("]", 1)[0])
    return field.replace(f"[{index}]", f"[{index + 1}]", 1)


@pytest.mark.parametrize("check", list(Check))
def test_each_check_flags(check: Check) -> None:
    rows, field, message = CASES[check]
    result = screen([bucket(T + B), *rows], policy=only(Action.FLAG), now=at_the_time_of(rows))
    assert result.rejected == ()
    assert result.rejected_rows == 0
    [held] = result.quarantined
    assert held.checks == (check,)
    assert held.rows[-1] == int(shift(field).split("[", 1)[1].split("]", 1)[0])
    assert [m for m in held.messages if m.startswith(f"{shift(field)}: ")] != []
    assert any(message in m for m in held.messages)
    assert held.releasable == (check in rules.RELEASABLE)
    assert accepted(result) == [(1, T + B, 990.0, 1000.0)]
    assert result.reasons() == {check.value: 1}


def test_problems_are_listed_up_to_the_cap_and_counted_in_full() -> None:
    rows = [bucket(good=-1) for _ in range(30)] + [bucket(T + B, good=5, total=1)] * 5
    rows += [{**bucket(), "extra": 1}] * 3
    result = screen(rows)
    assert len(result.rejected) == telemetry_rules.MAX_PROBLEMS
    assert [p.row for p in result.rejected] == list(range(telemetry_rules.MAX_PROBLEMS))
    assert result.rejected_rows == 38
    assert result.reasons() == {"negative": 30, "good-above-total": 5, "malformed": 3}
    assert len(result.accepted) == 0


def test_reasons_count_rejections_by_row_and_quarantine_by_bucket() -> None:
    rows = [
        bucket(T + 10 * 86_400),  # future
        bucket(T + 10 * 86_400 + B),  # future
        {"metric": "elsewhere", "at": T, "success": True},
        {"metric": "elsewhere", "at": T + 1, "success": True},  # same bucket: one entry
    ]
    result = screen(rows)
    assert result.reasons() == {"future": 2, "wrong-source": 1}
    assert [q.rows for q in result.quarantined] == [(0,), (1,), (2, 3)]


def test_an_empty_batch() -> None:
    result = screen([])
    assert (result.rows, len(result.accepted), result.quarantined, result.rejected) == (
        0,
        0,
        (),
        (),
    )


def test_the_fast_path_and_the_row_by_row_path_agree() -> None:
    rows = [
        bucket("2026-03-01T10:00:00Z"),
        bucket("2026-03-01T11:05:00+01:00", 5, 6),
        bucket("2026-03-01T10:10:00", 7, 8),
        {"metric": "requests", "start": "2026-03-01T10:00:00Z", "good": 1, "total": 1},
    ]
    fast = screen(rows[:3])
    mixed = screen([*rows[:3], bucket(T + 3 * B)])  # an epoch among strings: row by row
    assert accepted(fast) == accepted(mixed)[:3]
    assert accepted(screen(rows[3:])) == [(3, T, 1.0, 1.0)]


# --------------------------------------------------------------------------------- properties

REFERENCES = [
    (("objective", "SLO-0001"), 1),
    (("metric", "availability"), 1),
    (("metric", "requests"), 3),
]
valid_rows = st.lists(
    st.tuples(
        st.sampled_from(REFERENCES),
        st.integers(-20, 20),
        st.floats(0, 1e9, allow_nan=False),
        st.floats(0, 1, allow_nan=False),
        st.sampled_from(["epoch", "float", "iso", "offset"]),
    ),
    max_size=40,
)


def instant_text(epoch: int, form: str) -> Any:
    moment = telemetry_rules.instant_of(epoch)
    if form == "epoch":
        return epoch
    if form == "float":
        return float(epoch)
    if form == "iso":
        return moment.isoformat().replace("+00:00", "Z")
    return moment.astimezone(timezone(timedelta(hours=-5, minutes=-30))).isoformat()


@settings(max_examples=200, deadline=None)
@given(valid_rows)
def test_valid_bucket_rows_are_accepted_as_their_canonical_columns(
    drawn: list[tuple[tuple[tuple[str, str], int], int, float, float, str]],
) -> None:
    rows = []
    ids, starts, goods, totals = [], [], [], []
    for (reference, objective_id), slot, total, share, form in drawn:
        start = T + slot * B
        good = total * share
        rows.append(
            {
                reference[0]: reference[1],
                "start": instant_text(start, form),
                "good": good,
                "total": total,
            }
        )
        ids.append(objective_id)
        starts.append(start)
        goods.append(good)
        totals.append(total)
    result = screen(rows)
    expected = telemetry_rules.canonical_columns(
        telemetry_rules.validated_columns(
            BucketColumns(np.array(ids), np.array(starts), np.array(goods), np.array(totals))
        )
    )
    assert result.rejected == ()
    assert result.quarantined == ()
    for name in ("objective_id", "start_epoch", "good", "total"):
        got, want = getattr(result.accepted, name), getattr(expected, name)
        assert got.dtype == want.dtype
        assert np.array_equal(got, want)
    assert result.accepted.good.sum() == pytest.approx(expected.good.sum())


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (bucket(start=float("nan")), "rows[0].start"),
        (bucket(good=float("nan")), "rows[0].good"),
        (bucket(good=10**400, total=10**401), "rows[0].good"),
        ({"metric": "latency", "at": T, "latency": float("-inf")}, "rows[0].latency"),
        (counter(float("inf"), 1, 1), "rows[0].at"),
    ],
)
def test_numbers_that_are_not_finite(row: dict[str, Any], field: str) -> None:
    problems = screen([row]).rejected
    assert (field, "not-finite") in [(p.field, p.code) for p in problems]
    [held] = screen([row], policy=only(Action.FLAG)).quarantined
    assert Check.NOT_FINITE in held.checks
    assert not held.releasable


def test_a_flagged_sample_of_an_unknown_metric_has_no_good_count() -> None:
    rows = [
        {"metric": "nowhere", "at": T + 1, "latency": 3},
        {"metric": "nowhere", "at": T + 2, "latency": 4},
    ]
    [held] = screen(rows, policy=only(Action.FLAG)).quarantined
    assert (held.reference, held.objective_id, held.bucket_start_epoch) == (
        ("metric", "nowhere"),
        None,
        T,
    )
    assert (held.good, held.total, held.rows) == (None, 2.0, (0, 1))
    assert held.messages == (
        "rows[0].metric: metric nowhere is not mapped to an objective",
        "rows[1].metric: metric nowhere is not mapped to an objective",
    )
