"""`accord import openslo` and `accord export openslo` end to end on a fresh database of each
backend: the go-sdk's example documents, references across files, what Accord reports and what
it refuses (nothing written), and export round trips for what both models express."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from accord.db.session import Database
from accord.integrations.openslo.documents import (
    CalendarWindow,
    MetricQuery,
    ObjectiveDraft,
    RatioSli,
    RollingWindow,
    parse_openslo,
    to_drafts,
)
from accord.integrations.openslo.service import CALENDAR_ANCHOR
from tests.integrations.helpers import (
    audit_actions,
    created_keys,
    objective_count,
    ok,
    run_main,
)
from tests.integrations.openslo.test_documents import FIXTURE_KINDS, fixture_text
from tests.integrations.prometheus.test_rules import fixtures as sloth_fixtures

pytestmark = [pytest.mark.db, pytest.mark.slow]


def fixture_files(tmp_path: Path) -> list[Path]:
    """The go-sdk's example files, copied into ``tmp_path``."""
    paths = []
    for name in FIXTURE_KINDS:
        path = tmp_path / name
        path.write_text(fixture_text(name))
        paths.append(path)
    return paths


def drafts_of(*paths: Path) -> list[ObjectiveDraft]:
    documents = [d for p in paths for d in parse_openslo(p.read_text(), source=p.name)]
    return to_drafts(documents)[0]


def refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str | Path
) -> str:
    assert run_main(monkeypatch, *args) == 2
    return capsys.readouterr().err


def test_the_examples_as_published_are_refused_with_every_reason(
    interop_database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The one example SLO counts weeks from a Saturday noon in 1-minute slices: Accord's
    calendar weeks start on Monday and its slices are whole 5-minute buckets."""
    err = refused(monkeypatch, capsys, "import", "openslo", *fixture_files(tmp_path))
    where = f"{tmp_path}/slos.yaml[0] SLO 'web-availability' (line 1)"
    assert "error: nothing imported (2 problems):" in err
    assert f"{where}: spec.timeWindow[0].calendar.startTime: a week from Saturday 2022-01-01" in err
    assert (
        f"{where}: spec.objectives[0].timeSliceWindow: must be a positive multiple of the 300 s"
        in err
    )
    assert objective_count(interop_database) == 0
    assert audit_actions(interop_database) == []


def test_the_example_slo_on_accords_calendar_round_trips(
    interop_database: Database, tmp_path: Path
) -> None:
    files = fixture_files(tmp_path)
    slos = tmp_path / "slos.yaml"
    slos.write_text(
        slos.read_text()
        .replace("startTime: 2022-01-01 12:00:00", "startTime: 2022-01-03 00:00:00")  # a Monday
        .replace("timeSliceWindow: 1m", "timeSliceWindow: 5m")
    )
    result = ok("import", "openslo", *files)

    (key,) = created_keys(result.stdout)
    assert "web/web-availability: 99.5% over calendar week (America/New_York), timeslices" in (
        result.stdout
    )
    assert audit_actions(interop_database) == ["objective.created"]
    slo = f"{tmp_path}/slos.yaml[0] SLO 'web-availability' (line 1)"
    notes = [line for line in result.stderr.splitlines() if line.startswith("not imported ")]
    for expected in (
        f"{slo}: metadata.labels.team: an objective's label holds one value",
        f"{slo}: spec.indicator.spec.ratioMetric.counter: Accord keeps the queries as written",
        f"{slo}: spec.objectives[0].op: op compares a thresholdMetric's values",
        f"{slo}: spec.objectives[0].displayName: Accord keeps one display name",
        f"{tmp_path}/data_sources.yaml[0] DataSource 'prometheus' (line 1): Accord has no "
        "data-source registry",
        f"{tmp_path}/alert_conditions.yaml[0] AlertCondition 'cpu-usage-breach' (line 1)",
        f"{tmp_path}/slis.yaml[3] SLI 'annotator-throughput' (line 82): no imported SLO uses",
    ):
        assert any(line.startswith(f"not imported {expected}") for line in notes), expected
    assert len(notes) == 20

    exported = tmp_path / "export.yaml"
    ok("export", "openslo", "--objective", key, "-o", exported)
    (original,) = drafts_of(*files)
    (again,) = drafts_of(exported)
    assert isinstance(original.sli, RatioSli)
    assert isinstance(original.window, CalendarWindow)
    # What Accord does not keep (reported above), and the anchor of its calendar weeks.
    assert again == dataclasses.replace(
        original,
        labels={"env": ["prod"]},
        sli=dataclasses.replace(original.sli, counter=None),
        window=dataclasses.replace(original.window, start=CALENDAR_ANCHOR),
    )


CHECKOUT = """
apiVersion: openslo/v1
kind: Service
metadata: {name: checkout, displayName: Checkout}
---
apiVersion: openslo/v1
kind: DataSource
metadata: {name: prom-eu}
spec: {type: Prometheus, connectionDetails: {url: 'http://prom-eu:9090'}}
---
apiVersion: openslo/v1
kind: SLI
metadata: {name: checkout-errors}
spec:
  ratioMetric:
    bad:
      metricSource: {metricSourceRef: prom-eu, spec: {query: 'sum(rate(errors[{{.window}}]))'}}
    total:
      metricSource: {type: Prometheus, spec: {query: 'sum(rate(all[{{.window}}]))'}}
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: page}
spec:
  conditions: [{conditionRef: fast-burn}]
  notificationTargets: [{targetRef: on-call}]
"""
CHECKOUT_SLOS = """
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-ok, displayName: Checkouts succeed, labels: {tier: '1'}}
spec:
  description: Checkouts that do not fail
  service: checkout
  indicatorRef: checkout-errors
  budgetingMethod: Occurrences
  timeWindow: [{duration: 4w, isRolling: true}]
  objectives: [{targetPercent: 99.95}]
  alertPolicies: [{alertPolicyRef: page}]
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-ratio}
spec:
  service: checkout
  indicator:
    metadata: {name: checkout-ratio}
    spec:
      ratioMetric:
        rawType: failure
        raw: {metricSource: {type: Datadog, spec: {query: 'errors.ratio'}}}
  budgetingMethod: RatioTimeslices
  timeWindow:
  - duration: 1M
    isRolling: false
    calendar: {startTime: '2025-04-01 00:00:00', timeZone: Europe/Berlin}
  objectives: [{target: 0.99, timeSliceWindow: 10m}]
"""


def test_references_across_files_and_what_export_gives_back(
    interop_database: Database, tmp_path: Path
) -> None:
    catalogue, slos = tmp_path / "catalogue.yaml", tmp_path / "slos.yaml"
    catalogue.write_text(CHECKOUT)
    slos.write_text(CHECKOUT_SLOS)
    result = ok("import", "openslo", slos, catalogue)

    ok_key, ratio_key = created_keys(result.stdout)
    assert "checkout/checkout-ok: 99.95% over 28d rolling, occurrences" in result.stdout
    assert "checkout/checkout-ratio: 99% over calendar month (Europe/Berlin), " in result.stdout
    assert "ratio_timeslices of 600 s" in result.stdout
    slo = f"{slos}[0] SLO 'checkout-ok' (line 2)"
    for expected in (
        f"{slo}: spec.alertPolicies: OpenSLO alert policies are not imported",
        f"{slo}: spec.indicatorRef (checkout-errors).ratioMetric.bad.metricSource."
        "metricSourceRef: DataSources are not imported",
        f"{catalogue}[1] DataSource 'prom-eu' (line 6): Accord has no data-source registry",
        f"{catalogue}[0] Service 'checkout' (line 2): metadata.displayName:",
        f"{catalogue}[3] AlertPolicy 'page' (line 21): spec: OpenSLO alert policies are not",
    ):
        assert f"not imported {expected}" in result.stderr, expected

    exported = ok("export", "openslo").stdout
    original = drafts_of(slos, catalogue)
    again = to_drafts(parse_openslo(exported, source="export"))[0]
    prometheus = "Prometheus"
    assert again == [
        dataclasses.replace(
            original[0],
            # the DataSource's type written in, its name not kept; no alert policies
            sli=RatioSli(
                bad=MetricQuery({"query": "sum(rate(errors[{{.window}}]))"}, prometheus),
                total=MetricQuery({"query": "sum(rate(all[{{.window}}]))"}, prometheus),
            ),
            alert_policies=(),
        ),
        dataclasses.replace(
            original[1], window=CalendarWindow("month", "Europe/Berlin", CALENDAR_ANCHOR)
        ),
    ]
    assert original[0].target == Decimal("0.9995")
    assert original[0].window == RollingWindow(28)
    assert exported.startswith("---\napiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: ")
    assert ok("export", "openslo", "--objective", ratio_key).stdout.count("kind: SLO") == 1
    assert ok_key != ratio_key


THRESHOLD = """
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-fast}
spec:
  service: checkout
  indicator:
    metadata: {name: latency}
    spec: {thresholdMetric: {metricSource: {type: Prometheus, spec: {query: p99}}}}
  budgetingMethod: Occurrences
  timeWindow: [{duration: 7d, isRolling: true}]
  objectives: [{target: 0.99, op: lt, value: 0.25}]
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-apdex}
spec:
  service: nowhere
  indicator:
    metadata: {name: apdex}
    spec:
      ratioMetric:
        total: {metricSource: {type: AppDynamics, spec: {applicationName: shop}}}
        good: {metricSource: {type: AppDynamics, spec: {applicationName: shop}}}
  budgetingMethod: Occurrences
  timeWindow: [{duration: 1M, isRolling: true}]
  objectives: [{target: 0.99}, {target: 0.9}]
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-successes}
spec:
  service: checkout
  indicator:
    metadata: {name: successes}
    spec:
      ratioMetric: {rawType: success, raw: {metricSource: {type: Prometheus, spec: {query: s}}}}
  budgetingMethod: Occurrences
  timeWindow: [{duration: 30d, isRolling: true}]
  objectives: [{target: 0.99}]
"""


def test_slos_accord_cannot_hold_are_named_and_nothing_is_written(
    interop_database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(CHECKOUT + "---" + CHECKOUT_SLOS)
    bad = tmp_path / "bad.yaml"
    bad.write_text(THRESHOLD)
    err = refused(monkeypatch, capsys, "import", "openslo", good, bad)

    assert "error: nothing imported (3 problems):" in err
    for expected in (
        f"{bad}[0] SLO 'checkout-fast' (line 2): spec.indicator.spec.thresholdMetric: a threshold "
        "on each value (lt 0.25) is not an Accord SLI",
        f"{bad}[1] SLO 'checkout-apdex' (line 14): spec.objectives: 2 objectives",
        f"{bad}[2] SLO 'checkout-successes' (line 29): spec.indicator.spec.ratioMetric.rawType: "
        "a ratio of successes",
    ):
        assert expected in err, expected
    assert objective_count(interop_database) == 0

    apdex = THRESHOLD.split("---")[1]
    bad.write_text(apdex.replace("{target: 0.99}, ", "").replace("duration: 1M", "duration: 30d"))
    err = refused(monkeypatch, capsys, "import", "openslo", bad)
    assert "error: nothing imported (3 problems):" in err
    assert "ratioMetric.good.metricSource.type: 'AppDynamics' is not a source Accord reads" in err
    assert "spec.service: no catalogue service 'nowhere'" in err
    assert objective_count(interop_database) == 0


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: [x\n", " (line 4): invalid YAML"),
        (
            CHECKOUT_SLOS.split("---")[0].replace("targetPercent", "targetPercnt"),
            "[0] SLO 'checkout-ok' (line 2): spec.objectives[0].targetPercnt: unknown field",
        ),
        (CHECKOUT, ": no SLO to import"),
        (
            CHECKOUT_SLOS.split("---")[0],
            "[0] SLO 'checkout-ok' (line 2): spec.indicatorRef: no SLI named 'checkout-errors'",
        ),
    ],
    ids=["invalid YAML", "unknown field", "no SLO", "unresolved reference"],
)
def test_unreadable_files_are_named_and_nothing_is_written(
    interop_database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    text: str,
    named: str,
) -> None:
    path = tmp_path / "openslo.yaml"
    path.write_text(text)
    err = refused(monkeypatch, capsys, "import", "openslo", path)
    assert f"{path}{named}" in err
    assert objective_count(interop_database) == 0


def test_export_names_what_openslo_cannot_hold(
    interop_database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ok("import", "sloth", sloth_fixtures() / "in-base.yaml")
    pushed = tmp_path / "pushed.yaml"
    pushed.write_text(
        "service: checkout\nname: Pushed_Availability\nsli_kind: availability\ntarget: 0.99\n"
    )
    (key,) = [
        line.split()[1]
        for line in ok("objectives", "create", "--file", pushed).stdout.splitlines()
        if line.startswith("created")
    ]

    result = ok("export", "openslo")  # Sloth's SLOs only: the pushed one is left out, and said so
    assert f"left out 1 objectives with pushed telemetry (OpenSLO needs a query): {key}" in (
        result.stderr
    )
    drafts = to_drafts(parse_openslo(result.stdout, source="export"))[0]
    assert [(d.service, d.name) for d in drafts] == [("svc01", "slo1"), ("svc01", "slo02")]
    events, raw = drafts[0].sli, drafts[1].sli
    assert isinstance(events, RatioSli)
    assert isinstance(raw, RatioSli)
    assert events.bad is not None
    assert events.bad.source_type == "Prometheus"
    assert 'code=~"(5..|429)"' in events.bad.spec["query"]
    assert (raw.raw_type, raw.good, raw.total) == ("failure", None, None)
    assert (drafts[0].budgeting_method, drafts[0].timeslice_seconds) == ("ratio_timeslices", 300)

    err = refused(monkeypatch, capsys, "export", "openslo", "--objective", key)
    assert f"{key}: its telemetry source is push, not datadog or prometheus" in err

    # A name OpenSLO can't hold (metadata.name is a DNS label).
    named = tmp_path / "named.yaml"
    named.write_text(
        pushed.read_text().replace("Pushed_Availability", "Checkout_Ratio")
        + "source: prometheus\nqueries: {error_ratio_query: e}\n"
    )
    (other,) = [
        line.split()[1]
        for line in ok("objectives", "create", "--file", named).stdout.splitlines()
        if line.startswith("created")
    ]
    err = refused(monkeypatch, capsys, "export", "openslo")
    assert f"{other}: metadata.name: must be a DNS-1123 label" in err
