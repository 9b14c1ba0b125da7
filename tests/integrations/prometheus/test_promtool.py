"""The rendered rules in a real Prometheus rule engine (promtool).

(a) Every golden rendering, and a few more SLOs, pass ``promtool check rules``.
(b) ``promtool test rules`` runs the exported rules over synthetic counters (a steady low error
    rate for three days, then a one-hour outage and the recovery) and must see the page and
    ticket alerts fire exactly when Accord's own multi-window multi-burn-rate evaluation
    (`accord.engine.alerting.mwmb_state`) says so, at several instants.

Exactness: the counters are sampled on the 5-minute bucket boundaries (so they grow linearly
within each bucket), and every instant is on a boundary at least three days (the longest alert
window) after the first sample, so every window Prometheus' ``rate()`` reads starts and ends on
a sample: no extrapolation, and ``rate(x[w]) * w`` is exactly the increase the engine's buckets
hold. The rules are evaluated every 5 minutes, on the same boundaries, recordings before
alerts. The scenario keeps every burn rate well away from its threshold, so float rounding
can't flip a comparison.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from accord.engine.alerting import BurnWindow, Severity, mwmb_state
from accord.engine.slo import CumulativeCounts
from accord.integrations.prometheus.rules import (
    GOOGLE_30D,
    Alerting,
    AlertSpec,
    AlertWindows,
    EventsSli,
    KubernetesMeta,
    PrometheusSlo,
    RawSli,
    format_duration,
    render_rules,
)
from tests.integrations.prometheus.test_rules import GOLDEN, render_case

PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(PROMTOOL is None, reason="promtool is not installed")


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def rule_file(text: str) -> str:
    """A plain rule file: a PrometheusRule object's ``spec`` is one (promtool reads only those)."""
    loaded = yaml.safe_load(text)
    if loaded.get("kind") == "PrometheusRule":
        return yaml.safe_dump({"groups": loaded["spec"]["groups"]}, sort_keys=False)
    return text


def check_rules(texts: Sequence[str], tmp_path: Path) -> None:
    paths = []
    for i, text in enumerate(texts):
        path = tmp_path / f"rules-{i}.yaml"
        path.write_text(rule_file(text))
        paths.append(path.name)
    result = promtool("check", "rules", *paths, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(texts)


@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_golden_renderings_pass_promtool_check(case: str, tmp_path: Path) -> None:
    check_rules(render_case(case), tmp_path)


def test_more_slos_pass_promtool_check(tmp_path: Path) -> None:
    """Exponent-form budgets (99.999 %), raw SLIs, 28-day periods, extra labels, Kubernetes."""

    def alerting(name: str) -> Alerting:
        # Distinct names: promtool's lint flags alert rules with equal names and labels.
        return Alerting(name=name, page=AlertSpec(labels={"severity": "critical"}))

    slos = [
        checkout_slo(),
        checkout_slo(name="tight", objective_percent=Decimal("99.999"), alerting=alerting("Tight")),
        checkout_slo(
            name="raw", sli=RawSli("job:error_ratio:rate{{.window}}"), alerting=alerting("Raw")
        ),
        checkout_slo(name="four-weeks", period=timedelta(days=28), alerting=alerting("Weeks")),
    ]
    texts = [
        render_rules(slos),
        render_rules(slos, extra_labels={"env": "prod"}, kubernetes=KubernetesMeta("slos")),
    ]
    check_rules(texts, tmp_path)


# ---------------------------------------------------------------- (b) alerts vs the engine

MINUTE = 60
BUCKET_MINUTES = 5
REQUESTS_PER_MINUTE = 6000
BASELINE_ERRORS = 3  # 0.05 % of requests: half the 99.9 % budget (burn 0.5)
OUTAGE_ERRORS = 300  # 5 %: burn 50
OUTAGE_START = 3 * 24 * 60 + 2 * 60  # minutes: after the 3-day window has filled
OUTAGE_MINUTES = 60
END = OUTAGE_START + OUTAGE_MINUTES + 7 * 60 + 10  # a multiple of BUCKET_MINUTES

# Instants (minutes from the first sample), all on bucket boundaries: before, early in and
# during the outage, then 15 min, 90 min and 7 h after it.
INSTANTS = [
    OUTAGE_START - 5,
    OUTAGE_START + 10,
    OUTAGE_START + 20,
    OUTAGE_START + OUTAGE_MINUTES,
    OUTAGE_START + OUTAGE_MINUTES + 15,
    OUTAGE_START + OUTAGE_MINUTES + 90,
    OUTAGE_START + OUTAGE_MINUTES + 7 * 60,
]

ALERT = "CheckoutAvailability"


def checkout_slo(**changes: Any) -> PrometheusSlo:
    base: dict[str, Any] = {
        "service": "checkout",
        "name": "availability",
        "objective_percent": Decimal("99.9"),
        "sli": EventsSli(
            'sum(rate(app_errors_total{job="checkout"}[{{.window}}]))',
            'sum(rate(app_requests_total{job="checkout"}[{{.window}}]))',
        ),
        "labels": {"team": "payments"},
        "alerting": Alerting(
            name=ALERT,
            labels={"category": "availability"},
            page=AlertSpec(labels={"severity": "critical"}),
            ticket=AlertSpec(labels={"severity": "warning"}),
        ),
    }
    base.update(changes)
    return PrometheusSlo(**base)


def counters() -> tuple[list[int], list[int]]:
    """Errors and requests counters, one sample per bucket boundary from 0 to END (integers,
    so exact)."""
    errors, requests = [0], [0]
    for minute in range(0, END, BUCKET_MINUTES):
        outage = OUTAGE_START <= minute < OUTAGE_START + OUTAGE_MINUTES
        per_minute = OUTAGE_ERRORS if outage else BASELINE_ERRORS
        errors.append(errors[-1] + per_minute * BUCKET_MINUTES)
        requests.append(requests[-1] + REQUESTS_PER_MINUTE * BUCKET_MINUTES)
    return errors, requests


def expanding(values: Sequence[int]) -> str:
    """promtool's series notation: runs of a constant step as ``start+stepxN`` (N + 1 samples)."""
    parts = []
    i = 0
    while i < len(values):
        j = i
        if i + 1 < len(values):
            step = values[i + 1] - values[i]
            while j + 1 < len(values) and values[j + 1] - values[j] == step:
                j += 1
            parts.append(f"{values[i]}+{step}x{j - i}")
        else:
            parts.append(str(values[i]))
        i = j + 1
    return " ".join(parts)


def engine_windows(windows: AlertWindows) -> tuple[BurnWindow, ...]:
    """The exported alert windows as the engine's window pairs."""
    pairs = (
        (Severity.PAGE, windows.page_quick),
        (Severity.PAGE, windows.page_slow),
        (Severity.TICKET, windows.ticket_quick),
        (Severity.TICKET, windows.ticket_slow),
    )
    return tuple(
        BurnWindow(
            severity,
            int(w.long.total_seconds()),
            int(w.short.total_seconds()),
            w.error_budget_percent / 100,
        )
        for severity, w in pairs
    )


def engine_states(errors: Sequence[int], requests: Sequence[int]) -> dict[int, tuple[bool, bool]]:
    """(page, ticket) per instant from Accord's engine, over 5-minute buckets cut from the very
    counter samples promtool reads."""
    total = np.diff(requests).astype(np.float64)
    bad = np.diff(errors).astype(np.float64)
    cumulative = CumulativeCounts((total - bad)[None, :], total[None, :])
    states = {}
    for minute in INSTANTS:
        state = mwmb_state(
            cumulative,
            end=minute // BUCKET_MINUTES,  # buckets before the instant: (t - w, t]
            target=0.999,
            period_seconds=30 * 24 * 3600,
            windows=engine_windows(GOOGLE_30D),
            grain=BUCKET_MINUTES * MINUTE,
        )
        states[minute] = (bool(state.page[0]), bool(state.ticket[0]))
    return states


def expected_alerts(page: bool, ticket: bool) -> list[dict[str, Any]]:
    alerts = []
    for severity, firing, routing in (("page", page, "critical"), ("ticket", ticket, "warning")):
        if firing:
            alerts.append(
                {
                    "exp_labels": {
                        "sloth_id": "checkout-availability",
                        "sloth_service": "checkout",
                        "sloth_slo": "availability",
                        "team": "payments",
                        "category": "availability",
                        "severity": routing,
                        "sloth_severity": severity,
                    },
                    "exp_annotations": {
                        "title": f"({severity}) checkout availability SLO error budget burn "
                        "rate is too fast.",
                        "summary": "checkout availability SLO error budget burn rate is over "
                        "expected.",
                    },
                }
            )
    return alerts


def unit_test(states: dict[int, tuple[bool, bool]], errors: list[int], requests: list[int]) -> str:
    return yaml.safe_dump(
        {
            "rule_files": ["rules.yaml"],
            "evaluation_interval": f"{BUCKET_MINUTES}m",
            # The alerts read recording rules of other groups: without an order promtool runs
            # the groups in Go map order, and an alert group that runs first sees the previous
            # step's recordings (Prometheus itself gives no order either; see the docs).
            "group_eval_order": [
                f"sloth-slo-{part}-checkout-availability"
                for part in ("sli-recordings", "meta-recordings", "alerts")
            ],
            "tests": [
                {
                    "interval": f"{BUCKET_MINUTES}m",
                    "input_series": [
                        {"series": 'app_errors_total{job="checkout"}', "values": expanding(errors)},
                        {
                            "series": 'app_requests_total{job="checkout"}',
                            "values": expanding(requests),
                        },
                    ],
                    "alert_rule_test": [
                        {
                            "eval_time": format_duration(timedelta(minutes=minute)),
                            "alertname": ALERT,
                            "exp_alerts": expected_alerts(*states[minute]),
                        }
                        for minute in INSTANTS
                    ],
                }
            ],
        },
        sort_keys=False,
    )


def expand(notation: str) -> list[int]:
    values = []
    for part in notation.split():
        start, _, rest = part.partition("+")
        step, _, count = rest.partition("x")
        values += [int(start) + int(step or 0) * i for i in range(int(count or 0) + 1)]
    return values


@pytest.mark.parametrize(
    "values", [[0, 3, 6, 9, 309, 609, 612], [5], [1, 1, 1], [0, 2], [0, 1, 3, 6, 10]]
)
def test_expanding_notation_round_trips(values: list[int]) -> None:
    assert expand(expanding(values)) == values


def test_expanding_notation_compresses_runs() -> None:
    assert expanding([0, 3, 6, 9, 309, 609, 612]) == "0+3x3 309+300x1 612"


def test_promtool_alerts_match_the_engine(tmp_path: Path) -> None:
    errors, requests = counters()
    states = engine_states(errors, requests)
    # The scenario exercises every combination, so the comparison can't pass vacuously.
    assert set(states.values()) == {(False, False), (True, False), (True, True), (False, True)}
    assert states[INSTANTS[0]] == (False, False)

    (tmp_path / "rules.yaml").write_text(render_rules([checkout_slo()]))
    (tmp_path / "test.yaml").write_text(unit_test(states, errors, requests))
    result = promtool("test", "rules", "test.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout

    # And promtool does notice a wrong expectation: flip the page state at the peak.
    peak = OUTAGE_START + OUTAGE_MINUTES
    wrong = dict(states)
    wrong[peak] = (not states[peak][0], states[peak][1])
    (tmp_path / "wrong.yaml").write_text(unit_test(wrong, errors, requests))
    result = promtool("test", "rules", "wrong.yaml", cwd=tmp_path)
    assert result.returncode != 0
    assert f"time: {format_duration(timedelta(minutes=peak))}" in result.stdout + result.stderr
