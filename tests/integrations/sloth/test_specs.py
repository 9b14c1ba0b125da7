"""Sloth spec import: Sloth's validate fixtures (good accepted, bad rejected naming the problem),
duplicates across documents and files, the model each spec kind maps to, AlertWindows files."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from accord.integrations.prometheus.rules import (
    GOOGLE_30D,
    AlertSpec,
    EventsSli,
    PrometheusSlo,
    RawSli,
)
from accord.integrations.sloth.specs import (
    KUBERNETES_SPEC,
    OPENSLO_SPEC,
    PROMETHEUS_SPEC,
    SlothDocument,
    SpecError,
    parse_alert_windows,
    parse_sloth,
    to_prometheus_slos,
)

FIXTURES = Path(__file__).parents[3].parent / "shared" / "fixtures" / "sloth"


def fixture(relative: str) -> Path:
    path = FIXTURES / relative
    if not path.exists():
        pytest.skip(f"Sloth fixture not found: {path}")
    return path


def parse_file(relative: str, **kwargs: object) -> list[SlothDocument]:
    path = fixture(relative)
    return parse_sloth(path.read_text(), source=path.name, **kwargs)  # type: ignore[arg-type]


GOOD = ["good-aa", "good-ab", "good-ba", "good-k8s", "good-multi", "good-multi-k8s", "good-openslo"]

# Each bad file: (document number or None, field, words of the problem). The objective of 101
# in bad-a*/bad-ba is the "# BAD!" line; the others mark their bad line the same way.
BAD = {
    "bad-aa": (1, "slos[1].objective", "must be > 0 and <= 100"),
    "bad-ab": (1, "slos[1].objective", "must be > 0 and <= 100"),
    "bad-ba": (1, "slos[1].objective", "must be > 0 and <= 100"),
    "bad-k8s": (1, "spec.service", "is required"),
    "bad-multi": (2, "slos[1].sli", "one SLI type is required"),
    "bad-multi-k8s": (1, "spec.slos[0].alerting.name", "alert name is required"),
}


def test_the_fixture_lists_are_complete() -> None:
    good = {p.stem for p in fixture("validate/good").glob("*.yaml")}
    bad = {p.stem for p in fixture("validate/bad").glob("*.yaml")}
    assert good == set(GOOD)
    assert bad == {*BAD, "bad-openslo"}


@pytest.mark.parametrize("name", GOOD)
def test_good_specs_are_accepted(name: str) -> None:
    documents = parse_file(f"validate/good/{name}.yaml")
    assert documents
    assert all(d.slos for d in documents)
    assert len(to_prometheus_slos(documents)) == sum(len(d.slos) for d in documents)


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_specs_are_rejected_naming_the_problem(name: str) -> None:
    number, field, problem = BAD[name]
    with pytest.raises(SpecError) as caught:
        parse_file(f"validate/bad/{name}.yaml")
    error = caught.value
    assert error.source == f"{name}.yaml"
    assert error.index == number - 1
    assert error.field == field
    assert problem in error.problem
    assert str(error).startswith(f"{name}.yaml (document {number}), line ")
    assert f": {field}: " in str(error)


def test_bad_openslo_is_rejected_against_a_30_day_catalogue() -> None:
    """bad-openslo's "BAD!" line is a 28-day time window. Sloth rejects an SLO period it has
    no alert windows for; when this fixture was written it shipped only the 30-day set (it
    ships 28 days too now, and so does Accord by default: accepted then)."""
    with pytest.raises(SpecError) as caught:
        parse_file("validate/bad/bad-openslo.yaml", windows=GOOGLE_30D)
    assert caught.value.field == "spec.timeWindows[0].count"
    assert "no alert windows for an SLO period of 28 days" in caught.value.problem
    assert "known for: 30d" in caught.value.problem
    (document,) = parse_file("validate/bad/bad-openslo.yaml")
    assert document.slos[0].period == timedelta(days=28)


def test_duplicates_within_one_file_are_rejected() -> None:
    with pytest.raises(SpecError) as caught:
        parse_file("validate_with_duplicates/bad-prom-multi-duplicates.yaml")
    error = caught.value
    assert error.document == "bad-prom-multi-duplicates.yaml (document 2)"
    assert error.field == "slos[0].name"
    assert "SLO 'slo1' of service 'svc01' (id svc01-slo1) is a duplicate" in error.problem
    assert "already defined in bad-prom-multi-duplicates.yaml (document 1)" in error.problem


@pytest.mark.parametrize(
    ("folder", "field"),
    [("prom", "slos[0].name"), ("k8s", "spec.slos[0].name"), ("openslo", "spec.objectives[0]")],
)
def test_duplicates_across_files_are_rejected(folder: str, field: str) -> None:
    original = parse_file(f"validate_with_duplicates/{folder}/bad-{folder}-1-original.yaml")
    duplicate = parse_file(f"validate_with_duplicates/{folder}/bad-{folder}-1-duplicate.yaml")
    assert to_prometheus_slos(original)
    assert to_prometheus_slos(duplicate)
    with pytest.raises(SpecError) as caught:
        to_prometheus_slos([*original, *duplicate])
    error = caught.value
    assert error.source == f"bad-{folder}-1-duplicate.yaml"
    assert error.field == field
    assert "is a duplicate" in error.problem
    assert f"already defined in bad-{folder}-1-original.yaml (document 1)" in error.problem


def test_an_unknown_version_is_rejected() -> None:
    with pytest.raises(SpecError) as caught:
        parse_file("in-invalid-version.yaml")
    assert caught.value.field == "version"
    assert "unsupported spec version 'prometheus/v999'" in caught.value.problem
    assert caught.value.line == 1


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("in-sli-plugin.yaml", "slos[0].sli.plugin"),
        ("in-slo-plugin.yaml", "slo_plugins"),
        ("in-slo-plugin-k8s.yaml", "spec.sloPlugins"),
    ],
)
def test_go_plugins_are_refused_plainly(name: str, field: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_file(name)
    assert caught.value.field == field
    assert "Accord can't run them" in caught.value.problem


# ---------------------------------------------------------------- what each spec maps to


def test_prometheus_spec_maps_to_the_model() -> None:
    (document,) = parse_file("in-base.yaml")
    assert (document.source, document.index, document.spec) == ("in-base.yaml", 0, PROMETHEUS_SPEC)
    assert document.kubernetes is None
    assert document.ignored == ()
    first, second = document.slos
    assert first == PrometheusSlo(
        service="svc01",
        name="slo1",
        objective_percent=Decimal("99.9"),
        description="This is SLO 01.",
        labels={"global01k1": "global01v1", "global02k1": "global02v1"},
        sli=EventsSli(
            'sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}'
            "[{{.window}}]))",
            'sum(rate(http_request_duration_seconds_count{job="myservice"}[{{.window}}]))',
        ),
        alerting=first.alerting,
    )
    assert first.alerting.name == "myServiceAlert"
    assert first.alerting.labels == {"alert01k1": "alert01v1"}
    assert first.alerting.annotations == {"alert02k1": "alert02k2"}
    assert first.alerting.page == AlertSpec(labels={"alert03k1": "alert03v1"})
    assert first.alerting.ticket == AlertSpec(labels={"alert04k1": "alert04v1"})
    assert second.objective_percent == Decimal(95)
    assert isinstance(second.sli, RawSli)
    assert second.sli.error_ratio_query.endswith("[{{.window}}]))\n")
    assert second.alerting.page.disable
    assert second.alerting.ticket.disable
    assert first.period is None  # the render period applies


def test_kubernetes_spec_carries_the_prometheus_rule_metadata() -> None:
    first, second = parse_file("in-multifile-k8s.yaml")
    assert first.spec == KUBERNETES_SPEC
    assert first.kubernetes is not None
    assert second.kubernetes is not None
    assert (first.kubernetes.name, first.kubernetes.namespace) == ("svc", "test-ns")
    assert (second.kubernetes.name, second.kubernetes.namespace) == ("svc-2", "test-ns-2")
    assert second.document == "in-multifile-k8s.yaml (document 2)"
    assert [s.id for s in to_prometheus_slos([first, second])] == [
        "svc01-slo1",
        "svc01-slo02",
        "svc02-slo1",
        "svc02-slo02",
    ]


def test_openslo_objectives_become_raw_error_ratios() -> None:
    (document,) = parse_file("in-openslo.yaml")
    assert document.spec == OPENSLO_SPEC
    (slo,) = document.slos
    assert (slo.service, slo.name, slo.id) == ("svc01", "slo1-0", "svc01-slo1-0")
    assert slo.objective_percent == Decimal("99.9")  # target 0.999, as a percent
    assert slo.period == timedelta(days=30)
    assert slo.description == "this is SLO1."
    assert slo.alerting.page.disable
    assert slo.alerting.ticket.disable
    assert isinstance(slo.sli, RawSli)
    assert slo.sli.error_ratio_query.startswith("\n  1 - (\n    (\n      sum(rate(")


def test_unknown_fields_are_ignored_as_sloth_does_but_listed() -> None:
    """Sloth's own good fixture spells page_alert as pageAlert in a prometheus/v1 spec: Sloth
    ignores it (so the page alert stays enabled, without those labels). Accord does the same
    and lists the fields so a caller can warn."""
    (document,) = parse_file("validate/good/good-aa.yaml")
    assert document.ignored == ("slos[0].alerting.pageAlert", "slos[0].alerting.ticketAlert")
    assert document.slos[0].alerting.page == AlertSpec()


# ---------------------------------------------------------------- synthetic specs

SPEC = """\
version: prometheus/v1
service: checkout
labels:
  team: payments
slos:
  - name: availability
    objective: {objective}
    labels: {labels}
    sli:
      events:
        error_query: {error_query}
        total_query: sum(rate(requests_total[{{{{.window}}}}]))
    alerting:
      name: {alert_name}
      page_alert:
        disable: {disable}
      ticket_alert:
        disable: true
"""


def spec(**changes: str) -> str:
    values = {
        "objective": "99.9",
        "labels": "{}",
        "error_query": "sum(rate(errors_total[{{.window}}]))",
        "alert_name": "CheckoutAvailability",
        "disable": "false",
    }
    values.update(changes)
    return SPEC.format(**values)


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"objective": '"99.9"'}, "slos[0].objective", "must be a number"),
        ({"objective": "0"}, "slos[0].objective", "must be > 0 and <= 100"),
        ({"labels": "{bad-key: x}"}, "slos[0].labels.bad-key", "not a valid label name"),
        ({"labels": "{__name__: x}"}, "slos[0].labels.__name__", "is not allowed"),
        ({"labels": '{tier: ""}'}, "slos[0].labels.tier", "value is required"),
        (
            {"error_query": "sum(rate(errors_total[5m]))"},
            "slos[0].sli.events.error_query",
            "must use the {{ .window }} template variable",
        ),
        (
            {"error_query": "sum(rate(x[{{.window}}])) * {{.factor}}"},
            "slos[0].sli.events.error_query",
            "only template action",
        ),
        (
            {"error_query": "sum(rate(requests_total[{{.window}}]))"},
            "slos[0].sli.events",
            "can't be the same query",
        ),
        ({"alert_name": '""'}, "slos[0].alerting.name", "alert name is required"),
        ({"disable": "maybe"}, "slos[0].alerting.page_alert.disable", "must be true or false"),
    ],
)
def test_spec_rules(changes: dict[str, str], field: str, problem: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_sloth(spec(**changes), source="slos.yaml")
    assert (caught.value.field, caught.value.document) == (field, "slos.yaml (document 1)")
    assert problem in caught.value.problem
    assert f"slos.yaml (document 1), line {caught.value.line}: {field}: " in str(caught.value)


def test_a_valid_synthetic_spec_and_go_yaml_booleans() -> None:
    (document,) = parse_sloth(spec(disable="off", labels="{tier: 2}"), source="slos.yaml")
    (slo,) = document.slos
    assert slo.labels == {"team": "payments", "tier": "2"}  # go-yaml reads 2 into a string
    assert slo.alerting.page.disable is False


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        ("version: prometheus/v1\nservice: a\nslos: [\n", "", "not valid YAML"),
        ("- a\n- b\n", "", "must be a mapping"),
        ("version: prometheus/v1\nservice: svc\n", "slos", "at least one SLO is required"),
        ("version: prometheus/v1\nservice: -svc\nslos: []\n", "service", "not a valid name"),
        ("apiVersion: openslo/v1\nkind: SLO\n", "apiVersion", "unsupported spec 'openslo/v1'"),
        ("kind: X\napiVersion: sloth.slok.dev/v1\n", "apiVersion", "unsupported spec"),
        ("a: 1\n", "", "unknown spec"),
        (
            "apiVersion: sloth.slok.dev/v1\nkind: AlertWindows\n",
            "kind",
            "read it with parse_alert_windows",
        ),
        ("version: prometheus/v1\nservice: a\nservice: b\n", "service", "is defined twice"),
        ("", "", "no spec documents"),
    ],
)
def test_document_level_errors(text: str, field: str, problem: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_sloth(text, source="x.yaml")
    assert caught.value.field == field
    assert problem in caught.value.problem
    assert isinstance(caught.value, ValueError)


def test_events_and_raw_together_are_rejected() -> None:
    text = spec().replace(
        "      events:", "      raw:\n        error_ratio_query: x[{{.window}}]\n      events:"
    )
    with pytest.raises(SpecError, match=r"slos\[0\]\.sli: only one SLI type is allowed"):
        parse_sloth(text, source="slos.yaml")


# ---------------------------------------------------------------- AlertWindows


def test_custom_alert_windows() -> None:
    windows = parse_alert_windows(fixture("windows/7d.yaml").read_text(), source="7d.yaml")
    assert windows.period == timedelta(days=7)
    assert windows.page_slow.error_budget_percent == 12.5
    assert windows.ticket_slow.long == timedelta(hours=72)
    assert [windows.burn_factor(w) for w in (windows.page_quick, windows.ticket_slow)] == [
        13.44,
        0.98,
    ]


WINDOWS = """\
apiVersion: sloth.slok.dev/v1
kind: AlertWindows
spec:
  sloPeriod: {period}
  page:
    quick: {{errorBudgetPercent: 2, shortWindow: 5m, longWindow: 1h}}
    slow: {{errorBudgetPercent: 5, shortWindow: 30m, longWindow: 6h}}
  ticket:
    quick: {{errorBudgetPercent: {budget}, shortWindow: 2h, longWindow: 1d}}
    slow: {{errorBudgetPercent: 10, shortWindow: 6h, longWindow: {long}}}
"""


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"period": "30 days"}, "spec.sloPeriod", "not a valid duration"),
        ({"period": "0"}, "spec.sloPeriod", "must be positive"),
        ({"budget": "0"}, "spec.ticket.quick.errorBudgetPercent", "must be > 0"),
        ({"budget": "ten"}, "spec.ticket.quick.errorBudgetPercent", "must be a number"),
        ({"long": '""'}, "spec.ticket.slow.longWindow", "is required"),
    ],
)
def test_alert_window_errors(changes: dict[str, str], field: str, problem: str) -> None:
    values = {"period": "30d", "budget": "10", "long": "3d", **changes}
    with pytest.raises(SpecError) as caught:
        parse_alert_windows(WINDOWS.format(**values), source="w.yaml")
    assert (caught.value.field, caught.value.source) == (field, "w.yaml")
    assert problem in caught.value.problem


def test_alert_windows_with_the_wrong_kind_are_rejected() -> None:
    with pytest.raises(
        SpecError, match=r"expected apiVersion sloth\.slok\.dev/v1 kind AlertWindows"
    ):
        parse_alert_windows("apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\n")
    assert parse_alert_windows(WINDOWS.format(period="30d", budget="10", long="3d")) == GOOGLE_30D
