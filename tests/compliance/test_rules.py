"""Pure rules of evaluation: windows at an instant, labels, risk, policy crossings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from accord.compliance import rules
from accord.objectives.enums import CalendarUnit, PolicyTrigger
from accord.objectives.schemas import CalendarWindow, RollingWindow


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_evaluation_stops_at_the_last_complete_bucket() -> None:
    assert rules.evaluation_stop(at("2026-11-26T12:04:59+00:00")) == at("2026-11-26T12:00:00+00:00")
    assert rules.evaluation_stop(at("2026-11-26T12:05:00+00:00")) == at("2026-11-26T12:05:00+00:00")
    # An instant given in another zone is the same instant.
    assert rules.evaluation_stop(at("2026-11-26T13:07:00+01:00")) == at("2026-11-26T12:05:00+00:00")


def test_rolling_period_is_days_back_from_the_stop() -> None:
    period = rules.period_at(RollingWindow(days=28), at("2026-11-26T12:03:00+00:00"))
    assert period.stop == at("2026-11-26T12:00:00+00:00")
    assert period.start == at("2026-10-29T12:00:00+00:00")
    assert period.end == period.stop
    assert period.seconds == 28 * 86_400


def test_calendar_month_in_a_zone_starts_at_local_midnight_and_spans_the_dst_change() -> None:
    window = CalendarWindow(unit=CalendarUnit.MONTH, time_zone="Europe/Berlin")
    period = rules.period_at(window, at("2026-10-15T08:00:00+00:00"))
    assert period.start == at("2026-09-30T22:00:00+00:00")  # 1 October 00:00 CEST
    assert period.end == at("2026-10-31T23:00:00+00:00")  # 1 November 00:00 CET
    assert period.seconds == 31 * 86_400 + 3_600  # the clocks went back: one hour longer


def test_window_labels_read_like_prometheus_durations() -> None:
    assert [rules.window_label(s) for s in rules.burn_window_lengths()] == [
        "5m", "30m", "1h", "2h", "6h", "1d", "3d",
    ]  # fmt: skip
    assert rules.window_label(90) == "90s"


def test_exhaustion_instant_is_none_when_not_burning() -> None:
    stop = at("2026-11-26T12:00:00+00:00")
    assert rules.exhaustion_instant(stop, float("inf")) is None
    assert rules.exhaustion_instant(stop, 3600.0) == stop + timedelta(hours=1)


@pytest.mark.parametrize(
    ("page", "ticket", "hours_left", "expected"),
    [
        (True, False, None, True),
        (False, True, None, True),
        (False, False, None, False),
        (False, False, 24 * 10, True),  # runs out in 10 days, inside the 30-day horizon
        (False, False, 24 * 40, False),
    ],
)
def test_at_risk(page: bool, ticket: bool, hours_left: int | None, expected: bool) -> None:
    period = rules.period_at(RollingWindow(days=30), at("2026-11-26T12:00:00+00:00"))
    exhaustion = None if hours_left is None else period.stop + timedelta(hours=hours_left)
    assert rules.at_risk(page=page, ticket=ticket, exhaustion_at=exhaustion, period=period) is (
        expected
    )


def test_calendar_risk_horizon_is_the_period_end() -> None:
    window = CalendarWindow(unit=CalendarUnit.MONTH, time_zone="UTC")
    period = rules.period_at(window, datetime(2026, 11, 26, 12, tzinfo=UTC))
    # Runs out on 2 December: after the November period ends, so not at risk.
    later = datetime(2026, 12, 2, tzinfo=UTC)
    assert not rules.at_risk(page=False, ticket=False, exhaustion_at=later, period=period)
    sooner = datetime(2026, 11, 29, tzinfo=UTC)
    assert rules.at_risk(page=False, ticket=False, exhaustion_at=sooner, period=period)


def test_a_threshold_opens_once_and_rearms_after_recovery() -> None:
    thresholds = {
        1: (PolicyTrigger.BUDGET_CONSUMED, Decimal("0.5")),
        2: (PolicyTrigger.BUDGET_CONSUMED, Decimal("1")),
        3: (PolicyTrigger.PAGE_ALERT, None),
    }

    def state(consumed: float, page: bool = False) -> rules.Crossing:
        return rules.Crossing(
            budget_consumed=consumed, page_alert=page, ticket_alert=False, at_risk=page
        )

    first = rules.threshold_changes(thresholds, state(0.6, page=True), open_ids=[])
    assert first.opened == {1, 3}
    assert first.recovered == set()
    # Still crossed: nothing new.
    again = rules.threshold_changes(thresholds, state(0.7, page=True), open_ids=[1, 3])
    assert again.opened == set()
    assert again.recovered == set()
    # The page stops; budget keeps burning past 100 %.
    worse = rules.threshold_changes(thresholds, state(1.0), open_ids=[1, 3])
    assert worse.opened == {2}
    assert worse.recovered == {3}
    # The window moves on and the budget recovers: everything re-arms.
    healed = rules.threshold_changes(thresholds, state(0.1), open_ids=[1, 2])
    assert healed.opened == set()
    assert healed.recovered == {1, 2}


def test_open_events_of_removed_thresholds_are_closed() -> None:
    change = rules.threshold_changes(
        {1: (PolicyTrigger.AT_RISK, None)},
        rules.Crossing(budget_consumed=0, page_alert=False, ticket_alert=False, at_risk=True),
        open_ids=[1, 99],
    )
    assert change.opened == set()
    assert change.recovered == {99}
