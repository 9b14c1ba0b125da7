"""Multi-window multi-burn-rate alerts (accord.engine.alerting)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from accord.engine.alerting import (
    BurnWindow,
    Severity,
    evaluate,
    mwmb_state,
    window_buckets,
    workbook_windows,
)
from accord.engine.slo import BucketCounts, CumulativeCounts, budget_consumed, window_counts

DAY = 86_400
GRAIN = 300
PERIOD_30D = 30 * DAY


# ================================================================================== factors


def test_workbook_factors_for_thirty_days() -> None:
    # 2 % of 720 h in 1 h = 14.4; 5 % of 720 h in 6 h = 6; 10 % of 30 d in 1 d = 3; in 3 d = 1.
    factors = [w.factor(PERIOD_30D) for w in workbook_windows()]
    assert factors == pytest.approx([14.4, 6.0, 3.0, 1.0])


def test_workbook_factors_for_twenty_eight_days() -> None:
    # 2 % of 672 h in 1 h = 13.44; 5 % of 672 h in 6 h = 5.6; 10 % of 28 in 1 = 2.8; in 3 = 0.933.
    factors = [w.factor(28 * DAY) for w in workbook_windows()]
    assert factors == pytest.approx([13.44, 5.6, 2.8, 28 / 30])


def test_workbook_windows_and_severities() -> None:
    windows = workbook_windows()
    assert [(w.severity, w.long_seconds, w.short_seconds) for w in windows] == [
        (Severity.PAGE, 3_600, 300),
        (Severity.PAGE, 21_600, 1_800),
        (Severity.TICKET, 86_400, 7_200),
        (Severity.TICKET, 259_200, 21_600),
    ]
    assert [w.budget_share for w in windows] == [0.02, 0.05, 0.10, 0.10]


def test_sloth_custom_windows_for_seven_days() -> None:
    # /work/shared/fixtures/sloth/windows/7d.yaml (AlertWindows, sloPeriod 7d): page 8 % 1h/5m,
    # 12.5 % 6h/30m; ticket 20 % 24h/2h, 42 % 72h/6h. Sloth's generated rules
    # (out-base-custom-windows-7d.yaml.tpl) use 13.44, 3.5, 1.4 and 0.98:
    # 0.08 * 168 h / 1 h, 0.125 * 168 / 6, 0.20 * 7 d / 1 d, 0.42 * 7 / 3.
    windows = [
        BurnWindow(Severity.PAGE, 3_600, 300, 0.08),
        BurnWindow(Severity.PAGE, 21_600, 1_800, 0.125),
        BurnWindow(Severity.TICKET, 86_400, 7_200, 0.20),
        BurnWindow(Severity.TICKET, 259_200, 21_600, 0.42),
    ]
    assert [w.factor(7 * DAY) for w in windows] == pytest.approx([13.44, 3.5, 1.4, 0.98])


@given(
    st.floats(0.001, 1.0),
    st.sampled_from([3_600, 21_600, 86_400]),
    st.integers(1, 90),
    st.integers(1, 10),
)
def test_factors_scale_with_the_period(share: float, long: int, days: int, k: int) -> None:
    window = BurnWindow(Severity.PAGE, long, 300, share)
    assert window.factor(k * days * DAY) == pytest.approx(k * window.factor(days * DAY))
    # At the factor, the long window burns exactly its share of the period's budget.
    assert window.factor(days * DAY) * long / (days * DAY) == pytest.approx(share)


@pytest.mark.parametrize(
    ("long", "short", "share"),
    [(300, 300, 0.1), (300, 3_600, 0.1), (3_600, 0, 0.1), (3_600, 300, 0.0), (3_600, 300, 1.5)],
)
def test_inconsistent_windows_are_rejected(long: int, short: int, share: float) -> None:
    with pytest.raises(ValueError, match=r"short_seconds|budget_share"):
        BurnWindow(Severity.PAGE, long, short, share)


def test_severity_may_be_given_as_text() -> None:
    assert BurnWindow("ticket", 3_600, 300, 0.1).severity is Severity.TICKET  # type: ignore[arg-type]


def test_a_window_must_be_whole_buckets() -> None:
    assert window_buckets(3_600, 300) == 12
    with pytest.raises(ValueError, match="whole number"):
        window_buckets(3_600, 420)
    good = np.zeros((1, 10))
    with pytest.raises(ValueError, match="whole number"):
        mwmb_state(BucketCounts(good, good), 10, 0.999, PERIOD_30D, grain=420)


# ================================================================================== states


def incident_scenario() -> tuple[np.ndarray, np.ndarray]:
    """Four objectives, 4 days of 5-minute buckets (1,152), 1,000 events per bucket."""
    m = 4 * 288
    total = np.full((4, m), 1_000.0)
    bad = np.zeros((4, m))
    bad[0, -12:] = 20  # 0: 2 % errors during the last hour
    bad[1, -24:-12] = 20  # 1: the same hour, but it ended an hour ago
    total[2] = 0  # 2: no traffic at all
    bad[3, -288:] = 4  # 3: 0.4 % errors all day
    return total - bad, total


def test_a_fast_burn_in_the_last_hour_pages() -> None:
    good, total = incident_scenario()
    state = mwmb_state(CumulativeCounts(good, total), good.shape[1], 0.999, PERIOD_30D)
    # Objective 0. 1 h: 240 bad / 12,000 = 2 %, burn 0.02 / 0.001 = 20 > 14.4; 5 m: 20 too.
    # 6 h: 240 / 72,000 -> burn 3.33 < 6; 1 d: 240 / 288,000 -> 0.83 < 3; 3 d: 0.28 < 1.
    assert state.burn[3_600][0] == pytest.approx(20)
    assert state.burn[300][0] == pytest.approx(20)
    assert state.burn[21_600][0] == pytest.approx(10 / 3)
    assert state.burn[86_400][0] == pytest.approx(5 / 6)
    assert state.burn[259_200][0] == pytest.approx(5 / 18)
    assert state.firing[:, 0].tolist() == [True, False, False, False]
    assert (bool(state.page[0]), bool(state.ticket[0])) == (True, False)


def test_a_burn_that_stopped_no_longer_pages() -> None:
    good, total = incident_scenario()
    state = mwmb_state(CumulativeCounts(good, total), good.shape[1], 0.999, PERIOD_30D)
    # Objective 1: the long windows still see the hour of errors, the short ones do not.
    assert state.burn[300][1] == 0
    assert state.burn[1_800][1] == 0
    assert state.burn[7_200][1] == pytest.approx(10)  # 240 / 24,000 = 1 %
    assert not state.firing[:, 1].any()
    assert not state.page[1]
    assert not state.ticket[1]


def test_no_traffic_burns_nothing_and_alerts_nothing() -> None:
    good, total = incident_scenario()
    state = mwmb_state(CumulativeCounts(good, total), good.shape[1], 0.999, PERIOD_30D)
    assert all(rate[2] == 0 for rate in state.burn.values())
    assert not state.page[2]
    assert not state.ticket[2]


def test_a_slow_steady_burn_opens_a_ticket() -> None:
    good, total = incident_scenario()
    state = mwmb_state(CumulativeCounts(good, total), good.shape[1], 0.999, PERIOD_30D)
    # Objective 3: 0.4 % errors for a day: burn 4 over 2 h, 6 h and 1 d (> 3, < 6 and
    # < 14.4); over 3 d 1,152 bad / 864,000 -> 4/3 > 1 -> both ticket pairs fire.
    assert state.burn[86_400][3] == pytest.approx(4)
    assert state.burn[259_200][3] == pytest.approx(4 / 3)
    assert state.firing[:, 3].tolist() == [False, False, True, True]
    assert (bool(state.page[3]), bool(state.ticket[3])) == (False, True)
    assert state.severity(Severity.TICKET) is state.ticket


def test_a_burn_rate_exactly_at_the_factor_does_not_fire() -> None:
    # Budget 0.5, share 0.5 of a 2 h period in 1 h: factor 0.5 * 7,200 / 3,600 = 1.
    # Error ratio 0.5 burns at exactly 1 (all binary fractions: no rounding anywhere).
    window = BurnWindow(Severity.PAGE, 3_600, 300, 0.5)
    good = np.array([[5.0] * 12, [5.0] * 11 + [4.0]])
    total = np.full((2, 12), 10.0)
    state = mwmb_state(CumulativeCounts(good, total), 12, 0.5, 7_200, [window])
    assert state.factors.tolist() == [1.0]
    assert state.long_burn[0, 0] == 1.0
    assert not state.page[0]
    # One more bad event in the last bucket: above the factor over both windows.
    assert state.long_burn[0, 1] > 1.0
    assert state.short_burn[0, 1] > 1.0
    assert state.page[1]


def test_every_pair_reports_its_long_and_short_burn_rates() -> None:
    good, total = incident_scenario()
    state = mwmb_state(BucketCounts(good, total), good.shape[1], 0.999, 28 * DAY)
    windows = workbook_windows()
    assert state.windows == windows
    assert state.long_burn.shape == state.short_burn.shape == state.firing.shape == (4, 4)
    assert state.factors == pytest.approx([13.44, 5.6, 2.8, 28 / 30])
    for i, w in enumerate(windows):
        assert np.array_equal(state.long_burn[i], state.burn[w.long_seconds])
        assert np.array_equal(state.short_burn[i], state.burn[w.short_seconds])


def test_windows_ending_early_in_the_series_are_clipped() -> None:
    good = np.array([[9.0, 9.0, 8.0]])
    total = np.full((1, 3), 10.0)
    state = mwmb_state(CumulativeCounts(good, total), 3, 0.9, PERIOD_30D)
    # 3 buckets only: every window longer than 15 minutes sees 4 bad of 30 -> burn 4/3.
    assert state.burn[259_200][0] == pytest.approx(4 / 3)
    assert state.burn[300][0] == pytest.approx(2)


# =========================================================================== reference model


def naive_state(
    good: np.ndarray,
    total: np.ndarray,
    ends: list[int],
    targets: list[float],
    period: int,
    windows: tuple[BurnWindow, ...],
    grain: int,
) -> tuple[list[list[bool]], list[bool], list[bool]]:
    """Plain Python: for every objective and pair, sum the buckets and compare."""

    def burn(j: int, seconds: int) -> float:
        k = seconds // grain
        lo, hi = max(ends[j] - k, 0), max(min(ends[j], good.shape[1]), 0)
        g = sum(float(good[j][i]) for i in range(lo, hi))
        t = sum(float(total[j][i]) for i in range(lo, hi))
        return ((t - g) / t) / (1 - targets[j]) if t > 0 else 0.0

    firing = [
        [
            burn(j, w.long_seconds) > w.factor(period)
            and burn(j, w.short_seconds) > w.factor(period)
            for j in range(good.shape[0])
        ]
        for w in windows
    ]
    page = [
        any(f[j] for f, w in zip(firing, windows, strict=True) if w.severity == "page")
        for j in range(good.shape[0])
    ]
    ticket = [
        any(f[j] for f, w in zip(firing, windows, strict=True) if w.severity == "ticket")
        for j in range(good.shape[0])
    ]
    return firing, page, ticket


@st.composite
def alert_inputs(draw: st.DrawFn) -> tuple:
    """Small objectives at a 1-minute grain with windows of a few minutes, bursts included."""
    n = draw(st.integers(1, 4))
    m = draw(st.integers(1, 60))
    total = draw(hnp.arrays(np.int64, (n, m), elements=st.sampled_from([0, 1, 10, 100, 1000])))
    bad_share = draw(
        hnp.arrays(np.float64, (n, m), elements=st.sampled_from([0.0, 0.001, 0.01, 0.1, 0.5, 1.0]))
    )
    good = total - np.floor(total * bad_share)
    ends = draw(st.lists(st.integers(-2, m + 2), min_size=n, max_size=n))
    targets = draw(st.lists(st.sampled_from([0.9, 0.99, 0.995, 0.999]), min_size=n, max_size=n))
    pairs = draw(
        st.lists(
            st.tuples(
                st.sampled_from(list(Severity)),
                st.integers(2, 30),
                st.integers(1, 10),
                st.sampled_from([0.01, 0.02, 0.05, 0.1, 0.5]),
            ).filter(lambda p: p[2] < p[1]),
            min_size=1,
            max_size=4,
        )
    )
    windows = tuple(BurnWindow(s, long * 60, short * 60, share) for s, long, short, share in pairs)
    period = draw(st.sampled_from([60 * 60, 6 * 60 * 60, DAY]))
    return good.astype(float), total.astype(float), ends, targets, period, windows


@given(alert_inputs(), st.booleans(), st.booleans())
def test_mwmb_state_matches_a_naive_reference(
    inputs: tuple, per_objective: bool, cumulative: bool
) -> None:
    good, total, ends, targets, period, windows = inputs
    if not per_objective:
        ends = [ends[0]] * len(ends)
        end: int | np.ndarray = ends[0]
    else:
        end = np.array(ends)
    source = CumulativeCounts(good, total) if cumulative else BucketCounts(good, total)
    state = mwmb_state(source, end, np.array(targets), period, windows, grain=60)
    firing, page, ticket = naive_state(good, total, ends, targets, period, windows, 60)
    assert state.firing.tolist() == firing
    assert state.page.tolist() == page
    assert state.ticket.tolist() == ticket


# =============================================================================== evaluate


def test_evaluate_combines_budget_forecast_and_alerts() -> None:
    good, total = incident_scenario()
    # A 3-day period so that the scenario's 4 days hold it: objective 0 has 240 bad of
    # 864,000 over 3 days: consumed 240 / 864 = 0.2778, remaining 0.7222. Its last hour burns
    # at 20: the remaining budget lasts 0.7222 * 259,200 s / 20 = 9,360 s.
    result = evaluate(CumulativeCounts(good, total), good.shape[1], 0.999, 3 * DAY)
    assert result.period.total[0] == 864_000
    assert result.consumed[0] == pytest.approx(240 / 864)
    assert result.remaining[0] == pytest.approx(1 - 240 / 864)
    assert result.current_burn[0] == pytest.approx(20)
    assert result.seconds_to_exhaustion[0] == pytest.approx((1 - 240 / 864) * 259_200 / 20)
    # Objective 2 has no data: no SLI, nothing consumed, nothing burning, no forecast.
    assert math.isnan(result.sli[2])
    assert result.consumed[2] == 0
    assert result.seconds_to_exhaustion[2] == math.inf
    # The factors follow the 3-day period: page at 0.02 * 72 h / 1 h = 1.44 and 0.6, so
    # objective 3's steady burn of 4 pages here, where against 30 days it only opened a ticket.
    assert result.alerts.factors[:2] == pytest.approx([1.44, 0.6])
    assert result.alerts.page.tolist() == [True, False, False, True]


def test_evaluate_from_buckets_or_running_totals_agrees() -> None:
    good, total = incident_scenario()
    a = evaluate(BucketCounts(good, total), 1_000, 0.99, PERIOD_30D, exhaustion_window_seconds=900)
    b = evaluate(
        CumulativeCounts(good, total), 1_000, 0.99, PERIOD_30D, exhaustion_window_seconds=900
    )
    assert np.array_equal(a.period.good, b.period.good)
    assert np.array_equal(a.current_burn, b.current_burn)
    assert np.array_equal(a.alerts.firing, b.alerts.firing)
    expected = window_counts(good, total, 1_000 - 3, 1_000)  # 900 s = 3 buckets
    assert a.current_burn == pytest.approx(expected.error_ratio / 0.01)


def test_evaluate_over_a_calendar_period_starts_where_told() -> None:
    good, total = incident_scenario()
    end = good.shape[1]
    result = evaluate(BucketCounts(good, total), end, 0.999, PERIOD_30D, period_start=end - 288)
    expected = window_counts(good, total, end - 288, end)
    assert np.array_equal(result.period.total, expected.total)
    assert np.array_equal(result.consumed, budget_consumed(expected, 0.999))
