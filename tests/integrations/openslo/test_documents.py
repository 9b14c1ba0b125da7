"""OpenSLO v1: reading, validating, writing, and converting to and from objective drafts."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from accord.integrations.openslo.documents import (
    SLI,
    SLO,
    AlertPolicy,
    CalendarWindow,
    DataSource,
    MetricQuery,
    ObjectiveDraft,
    OpenSloError,
    RatioSli,
    RollingWindow,
    Service,
    ThresholdSli,
    dump_openslo,
    from_drafts,
    load_yaml,
    parse_openslo,
    to_drafts,
)

FIXTURES = Path(__file__).parents[3].parent / "shared" / "fixtures" / "openslo-v1"
FIXTURE_KINDS = {
    "alert_conditions.yaml": "AlertCondition",
    "alert_notification_targets.yaml": "AlertNotificationTarget",
    "alert_policies.yaml": "AlertPolicy",
    "data_sources.yaml": "DataSource",
    "services.yaml": "Service",
    "slis.yaml": "SLI",
    "slos.yaml": "SLO",
}


def fixture_text(name: str) -> str:
    path = FIXTURES / name
    if not path.exists():
        pytest.skip(f"the OpenSLO fixtures are not at {FIXTURES}")
    return path.read_text()


def all_fixture_documents() -> list[Any]:
    return [
        document
        for name in FIXTURE_KINDS
        for document in parse_openslo(fixture_text(name), source=name)
    ]


# ------------------------------------------------------------------------------- the fixtures


@pytest.mark.parametrize("name", sorted(FIXTURE_KINDS))
def test_every_fixture_parses_and_round_trips(name: str) -> None:
    text = fixture_text(name)
    documents = parse_openslo(text, source=name)

    assert len(documents) == len(yaml.safe_load(text))
    assert {d.kind for d in documents} == {FIXTURE_KINDS[name]}
    dumped = dump_openslo(documents)
    assert parse_openslo(dumped, source="dumped.yaml") == documents
    # Structurally the same data: no field lost, none added, every value unchanged.
    assert load_yaml(dumped, source="dumped.yaml") == load_yaml(text, source=name)
    assert dump_openslo(parse_openslo(dumped, source="dumped.yaml")) == dumped


def test_documents_remember_file_position_and_line() -> None:
    documents = parse_openslo(fixture_text("slis.yaml"), source="slis.yaml")

    origin = documents[1].origin
    assert origin is not None
    assert (origin.source, origin.index, origin.kind, origin.name, origin.line) == (
        "slis.yaml",
        1,
        "SLI",
        "end-user-response",
        28,
    )


def test_fixture_values_are_read_exactly() -> None:
    (slo,) = parse_openslo(fixture_text("slos.yaml"), source="slos.yaml")
    assert isinstance(slo, SLO)

    assert slo.spec.objectives[0].target == Decimal("0.995")  # a Decimal, not a binary float
    calendar = slo.spec.time_window[0].calendar
    assert calendar is not None
    assert calendar.start_time == "2022-01-01 12:00:00"  # a zone-less string, not a timestamp
    multi_line = parse_openslo(fixture_text("slis.yaml"), source="slis.yaml")[2]
    assert isinstance(multi_line, SLI)
    assert multi_line.spec.ratio_metric is not None
    raw = multi_line.spec.ratio_metric.raw
    assert raw is not None
    assert raw.metric_source.spec["query"].startswith("1 - (\n  sum(")


# ----------------------------------------------------------------------------- file layouts

SERVICE_A = "apiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: a\n"
SERVICE_B = "apiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: b\n"


def names(documents: list[Any]) -> list[str]:
    return [d.metadata.name for d in documents]


def test_a_single_document() -> None:
    (service,) = parse_openslo(SERVICE_A, source="one.yaml")
    assert isinstance(service, Service)
    assert service.metadata.name == "a"


def test_a_multi_document_stream() -> None:
    text = f"---\n{SERVICE_A}---\n{SERVICE_B}---\n"  # the empty last document is no document

    documents = parse_openslo(text, source="stream.yaml")

    assert names(documents) == ["a", "b"]
    assert [(d.origin.index, d.origin.line) for d in documents if d.origin] == [(0, 2), (1, 7)]


def test_a_list_of_documents_and_lists_in_a_stream() -> None:
    listed = yaml.safe_dump([yaml.safe_load(SERVICE_A), yaml.safe_load(SERVICE_B)])
    text = f"{listed}---\n{SERVICE_A.replace('name: a', 'name: c')}"

    assert names(parse_openslo(listed, source="list.yaml")) == ["a", "b"]
    assert names(parse_openslo(text, source="mixed.yaml")) == ["a", "b", "c"]


def test_an_empty_file_has_no_documents() -> None:
    assert parse_openslo("# nothing here\n", source="empty.yaml") == []


def test_the_dump_is_a_stream_that_reads_back() -> None:
    documents = parse_openslo(f"{SERVICE_A}---\n{SERVICE_B}", source="two.yaml")

    dumped = dump_openslo(documents)

    assert dumped.count("---") == 2
    assert parse_openslo(dumped, source="dumped.yaml") == documents


# ----------------------------------------------------------------------- YAML and its values


def test_invalid_yaml_names_the_file_and_the_line() -> None:
    text = "apiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: a\n   bad: indent\n"

    with pytest.raises(OpenSloError) as caught:
        parse_openslo(text, source="broken.yaml")

    assert caught.value.document.source == "broken.yaml"
    assert caught.value.document.line == 5
    assert "broken.yaml (line 5)" in str(caught.value)
    assert "invalid YAML" in str(caught.value)


def test_a_duplicate_key_is_an_error_not_a_silent_overwrite() -> None:
    text = "apiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: a\n  name: b\n"

    with pytest.raises(OpenSloError, match=r"dup\.yaml \(line 5\).*duplicate key 'name'"):
        parse_openslo(text, source="dup.yaml")


def test_a_document_that_is_not_a_mapping() -> None:
    text = "- apiVersion: openslo/v1\n  kind: Service\n  metadata: {name: a}\n- just text\n"

    with pytest.raises(OpenSloError, match=r"list\.yaml\[1\] \(line 4\): a document must be"):
        parse_openslo(text, source="list.yaml")


def test_strings_that_look_like_other_scalars_stay_strings() -> None:
    values = ["0o17", "1e3", "1:30", "yes", "2022-01-01", "0.5", "null", "~", "multi\nline\n"]
    document = {
        "apiVersion": "openslo/v1",
        "kind": "DataSource",
        "metadata": {"name": "odd"},
        "spec": {"type": "Custom", "connectionDetails": values},
    }
    # JSON is YAML in which every string is quoted: the input holds strings, whatever they say.
    (source,) = parse_openslo(json.dumps(document), source="odd.yaml")

    again = parse_openslo(dump_openslo([source]), source="dumped.yaml")

    assert isinstance(again[0], DataSource)
    assert again[0].spec.connection_details == values


def test_numbers_keep_their_digits_and_their_kind() -> None:
    text = (
        "apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: numbers}\nspec:\n"
        "  type: Custom\n  connectionDetails:\n    n: 99\n    x: 0.1000\n    y: 1.5e-7\n    z: 12\n"
    )
    (source,) = parse_openslo(text, source="numbers.yaml")
    assert isinstance(source, DataSource)

    assert source.spec.connection_details == {
        "n": 99,
        "x": Decimal("0.1000"),
        "y": Decimal("1.5e-7"),
        "z": 12,
    }
    dumped = dump_openslo([source])
    assert "x: 0.1000\n" in dumped
    assert "n: 99\n" in dumped
    assert load_yaml(dumped, source="dumped.yaml") == load_yaml(text, source="numbers.yaml")


# ------------------------------------------------------------------------------- validation


def valid_slo() -> dict[str, Any]:
    return {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": {
            "name": "checkout-availability",
            "displayName": "Checkout availability",
            "labels": {"team": ["payments"], "tier": "1"},
            "annotations": {"example.com/dashboard": "https://dash"},
        },
        "spec": {
            "description": "Checkout requests served without error",
            "service": "checkout",
            "indicator": {
                "metadata": {"name": "checkout-errors"},
                "spec": {
                    "ratioMetric": {
                        "counter": True,
                        "bad": {"metricSource": {"type": "Prometheus", "spec": {"query": "b"}}},
                        "total": {"metricSource": {"type": "Prometheus", "spec": {"query": "t"}}},
                    }
                },
            },
            "timeWindow": [{"duration": "28d", "isRolling": True}],
            "budgetingMethod": "Occurrences",
            "objectives": [{"target": 0.999}],
        },
    }


def threshold_sli() -> dict[str, Any]:
    return {"thresholdMetric": {"metricSource": {"type": "Prometheus", "spec": {"query": "p99"}}}}


def calendar_window() -> list[dict[str, Any]]:
    return [
        {
            "duration": "1M",
            "isRolling": False,
            "calendar": {"startTime": "2024-01-01 00:00:00", "timeZone": "Europe/Berlin"},
        }
    ]


def alert_policy() -> dict[str, Any]:
    return {
        "apiVersion": "openslo/v1",
        "kind": "AlertPolicy",
        "metadata": {"name": "page"},
        "spec": {
            "alertWhenBreaching": True,
            "conditions": [{"conditionRef": "fast-burn"}],
            "notificationTargets": [{"targetRef": "on-call"}],
        },
    }


def alert_condition() -> dict[str, Any]:
    return {
        "apiVersion": "openslo/v1",
        "kind": "AlertCondition",
        "metadata": {"name": "fast-burn"},
        "spec": {
            "severity": "page",
            "condition": {
                "kind": "burnrate",
                "op": "gt",
                "threshold": 14.4,
                "lookbackWindow": "1h",
            },
        },
    }


DELETE = object()


def changed(document: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``document`` with each ``path__to__0__field`` set (or deleted with DELETE)."""
    result = copy.deepcopy(document)
    for path, value in changes.items():
        *parents, last = [int(p) if p.isdigit() else p for p in path.split("__")]
        node: Any = result
        for part in parents:
            node = node[part]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
    return result


SLO_ = valid_slo()
OBJ = "spec__objectives__0__"
RATIO = "spec__indicator__spec__ratioMetric__"
WINDOW = "spec__timeWindow__0__"
TIMESLICES = {"spec__budgetingMethod": "Timeslices", f"{OBJ}timeSliceTarget": 0.95}

# (document, the field the error must name, a word the message must hold), one per rule.
INVALID: dict[str, tuple[dict[str, Any], str, str]] = {
    "apiVersion other than v1": (
        changed(SLO_, apiVersion="openslo/v1alpha"),
        "apiVersion",
        "only openslo/v1",
    ),
    "kind unknown": (changed(SLO_, kind="Budget"), "kind", "not an OpenSLO v1 kind"),
    "metadata missing": (changed(SLO_, metadata=DELETE), "metadata", "required"),
    "name not a DNS label": (
        changed(SLO_, metadata__name="Checkout_SLO"),
        "metadata.name",
        "DNS-1123",
    ),
    "name too long": (changed(SLO_, metadata__name="a" * 64), "metadata.name", "DNS-1123"),
    "displayName too long": (
        changed(SLO_, metadata__displayName="x" * 64),
        "metadata.displayName",
        "63",
    ),
    "label key": (
        changed(SLO_, metadata__labels={"-team": "a"}),
        "metadata.labels",
        "label key '-team'",
    ),
    "label value": (
        changed(SLO_, metadata__labels={"team": 3}),
        "metadata.labels.team",
        "string or a list",
    ),
    "annotation key": (
        changed(SLO_, metadata__annotations={"Example.com/x": "y"}),
        "metadata.annotations",
        "annotation key",
    ),
    "description too long": (
        changed(SLO_, spec__description="x" * 1051),
        "spec.description",
        "1050",
    ),
    "service missing": (changed(SLO_, spec__service=DELETE), "spec.service", "required"),
    "budgetingMethod unknown": (
        changed(SLO_, spec__budgetingMethod="Requests"),
        "spec.budgetingMethod",
        "RatioTimeslices",
    ),
    "timeWindow missing": (changed(SLO_, spec__timeWindow=DELETE), "spec.timeWindow", "required"),
    "two timeWindows": (
        changed(SLO_, spec__timeWindow=[{"duration": "1d", "isRolling": True}] * 2),
        "spec.timeWindow",
        "at most 1",
    ),
    "duration without unit": (
        changed(SLO_, **{f"{WINDOW}duration": "28"}),
        "spec.timeWindow[0].duration",
        "duration shorthand",
    ),
    "duration of zero": (
        changed(SLO_, **{f"{WINDOW}duration": "0d"}),
        "spec.timeWindow[0].duration",
        "positive",
    ),
    "duration in seconds": (
        changed(SLO_, **{f"{WINDOW}duration": "30s"}),
        "spec.timeWindow[0].duration",
        "m, h, d, w, M, Q, Y",
    ),
    "rolling with a calendar": (
        changed(SLO_, **{f"{WINDOW}calendar": calendar_window()[0]["calendar"]}),
        "spec.timeWindow[0].calendar",
        "isRolling is true",
    ),
    "calendar missing": (
        changed(SLO_, **{f"{WINDOW}isRolling": False}),
        "spec.timeWindow[0].calendar",
        "required",
    ),
    "isRolling not a boolean": (
        changed(SLO_, **{f"{WINDOW}isRolling": "true"}),
        "spec.timeWindow[0].isRolling",
        "boolean",
    ),
    "calendar without timeZone": (
        changed(
            SLO_, spec__timeWindow=calendar_window(), **{f"{WINDOW}calendar__timeZone": DELETE}
        ),
        "spec.timeWindow[0].calendar.timeZone",
        "required",
    ),
    "timeZone not IANA": (
        changed(
            SLO_,
            spec__timeWindow=calendar_window(),
            **{f"{WINDOW}calendar__timeZone": "Mars/Olympus"},
        ),
        "spec.timeWindow[0].calendar.timeZone",
        "IANA",
    ),
    "startTime with a zone": (
        changed(
            SLO_,
            spec__timeWindow=calendar_window(),
            **{f"{WINDOW}calendar__startTime": "2024-01-01T00:00:00Z"},
        ),
        "spec.timeWindow[0].calendar.startTime",
        "YYYY-MM-DD HH:MM:SS",
    ),
    "startTime not a date": (
        changed(
            SLO_,
            spec__timeWindow=calendar_window(),
            **{f"{WINDOW}calendar__startTime": "2024-02-30 00:00:00"},
        ),
        "spec.timeWindow[0].calendar.startTime",
        "YYYY-MM-DD",
    ),
    "objectives missing": (changed(SLO_, spec__objectives=[]), "spec.objectives", "at least 1"),
    "target of 1": (
        changed(SLO_, **{f"{OBJ}target": 1}),
        "spec.objectives[0].target",
        "less than 1",
    ),
    "target below 0": (
        changed(SLO_, **{f"{OBJ}target": -0.1}),
        "spec.objectives[0].target",
        "greater than or equal to 0",
    ),
    "target as a string": (
        changed(SLO_, **{f"{OBJ}target": "0.99"}),
        "spec.objectives[0].target",
        "number",
    ),
    "targetPercent of 100": (
        changed(SLO_, **{f"{OBJ}target": DELETE, f"{OBJ}targetPercent": 100}),
        "spec.objectives[0].targetPercent",
        "less than 100",
    ),
    "target and targetPercent": (
        changed(SLO_, **{f"{OBJ}targetPercent": 99.9}),
        "spec.objectives[0].targetPercent",
        "cannot be used with target",
    ),
    "no target": (
        changed(SLO_, **{f"{OBJ}target": DELETE}),
        "spec.objectives[0].target",
        "target or targetPercent is required",
    ),
    "op unknown": (changed(SLO_, **{f"{OBJ}op": "eq"}), "spec.objectives[0].op", "'lt'"),
    "value with a ratio SLI": (
        changed(SLO_, **{f"{OBJ}value": 200}),
        "spec.objectives[0].value",
        "thresholdMetric",
    ),
    "threshold SLI without op": (
        changed(SLO_, spec__indicator__spec=threshold_sli(), **{f"{OBJ}value": 1}),
        "spec.objectives[0].op",
        "required with a thresholdMetric",
    ),
    "threshold SLI without value": (
        changed(SLO_, spec__indicator__spec=threshold_sli(), **{f"{OBJ}op": "lt"}),
        "spec.objectives[0].value",
        "required with a thresholdMetric",
    ),
    "threshold SLI, two objectives": (
        changed(
            SLO_,
            spec__indicator__spec=threshold_sli(),
            spec__objectives=[{"target": 0.9, "op": "lt", "value": 1}] * 2,
        ),
        "spec.objectives",
        "only one objective",
    ),
    "Timeslices without timeSliceTarget": (
        changed(SLO_, spec__budgetingMethod="Timeslices", **{f"{OBJ}timeSliceWindow": "5m"}),
        "spec.objectives[0].timeSliceTarget",
        "required with Timeslices",
    ),
    "Timeslices without timeSliceWindow": (
        changed(SLO_, **TIMESLICES),
        "spec.objectives[0].timeSliceWindow",
        "required with Timeslices",
    ),
    "RatioTimeslices without timeSliceWindow": (
        changed(SLO_, spec__budgetingMethod="RatioTimeslices"),
        "spec.objectives[0].timeSliceWindow",
        "required with RatioTimeslices",
    ),
    "timeSliceTarget of 0": (
        changed(SLO_, **{**TIMESLICES, f"{OBJ}timeSliceWindow": "1m", f"{OBJ}timeSliceTarget": 0}),
        "spec.objectives[0].timeSliceTarget",
        "greater than 0",
    ),
    "timeSliceWindow not a duration": (
        changed(SLO_, **TIMESLICES, **{f"{OBJ}timeSliceWindow": "1 minute"}),
        "spec.objectives[0].timeSliceWindow",
        "duration shorthand",
    ),
    "timeSliceWindow of 0 minutes": (
        changed(SLO_, **TIMESLICES, **{f"{OBJ}timeSliceWindow": 0}),
        "spec.objectives[0].timeSliceWindow",
        "positive number of minutes",
    ),
    "indicator and indicatorRef": (
        changed(SLO_, spec__indicatorRef="checkout-errors"),
        "spec.indicatorRef",
        "cannot be used with indicator",
    ),
    "no indicator": (
        changed(SLO_, spec__indicator=DELETE),
        "spec.indicator",
        "indicator or indicatorRef is required",
    ),
    "indicatorRef not a DNS label": (
        changed(SLO_, spec__indicator=DELETE, spec__indicatorRef="Errors!"),
        "spec.indicatorRef",
        "DNS-1123",
    ),
    "composite with an SLO indicator": (
        changed(SLO_, **{f"{OBJ}indicatorRef": "other"}),
        "spec.indicator",
        "composite",
    ),
    "compositeWeight of 0": (
        changed(
            SLO_, spec__indicator=DELETE, **{f"{OBJ}indicatorRef": "a", f"{OBJ}compositeWeight": 0}
        ),
        "spec.objectives[0].compositeWeight",
        "greater than 0",
    ),
    "SLI with both metrics": (
        changed(SLO_, spec__indicator__spec__thresholdMetric=threshold_sli()["thresholdMetric"]),
        "spec.indicator.spec.ratioMetric",
        "cannot be used with thresholdMetric",
    ),
    "SLI without metric": (
        changed(SLO_, spec__indicator__spec={"description": "x"}),
        "spec.indicator.spec.ratioMetric",
        "thresholdMetric or ratioMetric is required",
    ),
    "good and bad": (
        changed(SLO_, **{f"{RATIO}good": {"metricSource": {"type": "P", "spec": {"q": 1}}}}),
        "spec.indicator.spec.ratioMetric.bad",
        "cannot be used with good",
    ),
    "total without good or bad": (
        changed(SLO_, **{f"{RATIO}bad": DELETE}),
        "spec.indicator.spec.ratioMetric.good",
        "good or bad is required",
    ),
    "neither total nor raw": (
        changed(SLO_, **{f"{RATIO}total": DELETE}),
        "spec.indicator.spec.ratioMetric.total",
        "or raw",
    ),
    "raw with total": (
        changed(SLO_, **{f"{RATIO}raw": {"metricSource": {"type": "P", "spec": {"q": 1}}}}),
        "spec.indicator.spec.ratioMetric.raw",
        "cannot be used with total",
    ),
    "raw without rawType": (
        changed(
            SLO_,
            **{
                f"{RATIO}raw": {"metricSource": {"type": "P", "spec": {"q": 1}}},
                f"{RATIO}total": DELETE,
                f"{RATIO}bad": DELETE,
            },
        ),
        "spec.indicator.spec.ratioMetric.rawType",
        "required with raw",
    ),
    "rawType unknown": (
        changed(SLO_, **{f"{RATIO}rawType": "errors"}),
        "spec.indicator.spec.ratioMetric.rawType",
        "'success'",
    ),
    "rawType with total": (
        changed(SLO_, **{f"{RATIO}rawType": "failure"}),
        "spec.indicator.spec.ratioMetric.rawType",
        "only used with raw",
    ),
    "metricSource without spec": (
        changed(SLO_, **{f"{RATIO}bad__metricSource__spec": DELETE}),
        "spec.indicator.spec.ratioMetric.bad.metricSource.spec",
        "required",
    ),
    "metricSource with an empty spec": (
        changed(SLO_, **{f"{RATIO}bad__metricSource__spec": {}}),
        "spec.indicator.spec.ratioMetric.bad.metricSource.spec",
        "at least 1",
    ),
    "metricSource without type or ref": (
        changed(SLO_, **{f"{RATIO}bad__metricSource__type": DELETE}),
        "spec.indicator.spec.ratioMetric.bad.metricSource.type",
        "type or metricSourceRef",
    ),
    "alert policy both ref and inline": (
        changed(SLO_, spec__alertPolicies=[{"alertPolicyRef": "page", "kind": "AlertPolicy"}]),
        "spec.alertPolicies[0].kind",
        "cannot be used with alertPolicyRef",
    ),
    "alert policy inline without spec": (
        changed(SLO_, spec__alertPolicies=[{"kind": "AlertPolicy", "metadata": {"name": "p"}}]),
        "spec.alertPolicies[0].spec",
        "required in an inline AlertPolicy",
    ),
    "unknown field": (
        changed(SLO_, **{f"{OBJ}targt": 0.9}),
        "spec.objectives[0].targt",
        "unknown field 'targt'",
    ),
    "snake_case field": (
        changed(SLO_, spec__budgeting_method="Occurrences"),
        "spec.budgeting_method",
        "unknown field",
    ),
    "policy with two conditions": (
        changed(alert_policy(), spec__conditions=[{"conditionRef": "a"}, {"conditionRef": "b"}]),
        "spec.conditions",
        "at most 1",
    ),
    "policy without notificationTargets": (
        changed(alert_policy(), spec__notificationTargets=DELETE),
        "spec.notificationTargets",
        "required",
    ),
    "policy condition neither ref nor inline": (
        changed(alert_policy(), spec__conditions=[{}]),
        "spec.conditions[0].conditionRef",
        "or an inline AlertCondition",
    ),
    "policy inline condition of another kind": (
        changed(
            alert_policy(),
            spec__conditions=[{"kind": "SLO", "metadata": {"name": "x"}, "spec": {}}],
        ),
        "spec.conditions[0].kind",
        "'AlertCondition'",
    ),
    "condition without severity": (
        changed(alert_condition(), spec__severity=DELETE),
        "spec.severity",
        "required",
    ),
    "condition kind unknown": (
        changed(alert_condition(), spec__condition__kind="errors"),
        "spec.condition.kind",
        "'burnrate'",
    ),
    "condition without lookbackWindow": (
        changed(alert_condition(), spec__condition__lookbackWindow=DELETE),
        "spec.condition.lookbackWindow",
        "required",
    ),
    "condition threshold as text": (
        changed(alert_condition(), spec__condition__threshold="2"),
        "spec.condition.threshold",
        "number",
    ),
    "data source without connectionDetails": (
        {
            "apiVersion": "openslo/v1",
            "kind": "DataSource",
            "metadata": {"name": "d"},
            "spec": {"type": "Prometheus"},
        },
        "spec.connectionDetails",
        "required",
    ),
    "notification target without target": (
        {
            "apiVersion": "openslo/v1",
            "kind": "AlertNotificationTarget",
            "metadata": {"name": "n"},
            "spec": {"description": "x"},
        },
        "spec.target",
        "required",
    ),
    "SLI without spec": (
        {"apiVersion": "openslo/v1", "kind": "SLI", "metadata": {"name": "s"}},
        "spec",
        "required",
    ),
}


def test_the_base_documents_of_the_invalid_cases_are_valid() -> None:
    text = yaml.safe_dump_all([valid_slo(), alert_policy(), alert_condition()])
    assert len(parse_openslo(text, source="valid.yaml")) == 3


@pytest.mark.parametrize(("document", "field", "words"), INVALID.values(), ids=list(INVALID))
def test_each_rule_rejects_naming_the_field(
    document: dict[str, Any], field: str, words: str
) -> None:
    text = yaml.safe_dump_all([valid_slo(), document])

    with pytest.raises(OpenSloError) as caught:
        parse_openslo(text, source="invalid.yaml")

    error = caught.value
    assert error.field == field
    assert error.document.source == "invalid.yaml"
    assert error.document.index == 1
    assert error.document.kind == document.get("kind")
    assert f"invalid.yaml[1] {document['kind']}" in str(error)
    assert f": {field}: " in str(error)
    assert words in str(error)


def test_an_error_counts_the_other_problems() -> None:
    document = changed(valid_slo(), spec__service=DELETE, spec__budgetingMethod="Requests")

    with pytest.raises(OpenSloError, match=r"and 1 more problems"):
        parse_openslo(yaml.safe_dump(document), source="two-problems.yaml")


# --------------------------------------------------------------------------------- to drafts

# OpenSLO fields an ObjectiveDraft carries (docs/integrations/openslo.md, "Mapping"); everything
# else read must be reported unsupported.
MAPPED = [
    "apiVersion",
    "kind",
    "metadata.name",
    "metadata.displayName",
    "metadata.labels",
    "spec.description",
    "spec.service",
    "spec.indicator.spec.ratioMetric",
    "spec.indicator.spec.thresholdMetric",
    "spec.indicatorRef",
    "spec.budgetingMethod",
    "spec.timeWindow",
    "spec.objectives[0].target",
    "spec.objectives[0].targetPercent",
    "spec.objectives[0].timeSliceTarget",
    "spec.objectives[0].timeSliceWindow",
    "spec.alertPolicies",
]


def leaves(data: Any, path: str = "") -> list[str]:
    """Paths of every value read, but empty ones (``{}``, ``[]``, null), which carry nothing."""
    if data is None or data == {} or data == []:
        return []
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in leaves(v, f"{path}.{k}" if path else k)]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in leaves(v, f"{path}[{i}]")]
    return [path]


def covered(path: str, prefixes: list[str]) -> bool:
    return any(
        not prefix or path == prefix or path.startswith((f"{prefix}.", f"{prefix}["))
        for prefix in prefixes
    )


WEB_REQUESTS = 'http_requests{k8s_cluster="prod",component="web"}'


def test_the_fixture_slo_becomes_a_draft() -> None:
    drafts, _ = to_drafts(all_fixture_documents())

    assert drafts == [
        ObjectiveDraft(
            service="web",
            name="web-availability",
            display_name="SLO for web availability",
            description="X% of search requests are successful",
            labels={"env": ["prod"], "team": ["team-a", "team-b"]},
            sli=RatioSli(
                good=MetricQuery(
                    {"query": f'sum({WEB_REQUESTS[:-1]},code=~"2xx|4xx"}})'}, "Prometheus"
                ),
                total=MetricQuery({"query": f"sum({WEB_REQUESTS})"}, "Prometheus"),
                counter=True,
            ),
            target=Decimal("0.995"),
            budgeting_method="timeslices",
            timeslice_target=Decimal("0.95"),
            timeslice_seconds=60,
            window=CalendarWindow("week", "America/New_York", datetime(2022, 1, 1, 12)),  # noqa: DTZ001
        )
    ]
    assert drafts[0].origin is not None
    assert str(drafts[0].origin) == "slos.yaml[0] SLO 'web-availability' (line 1)"


def test_every_fixture_slo_survives_export_and_import_for_what_accord_expresses() -> None:
    documents = all_fixture_documents()
    drafts, _ = to_drafts(documents)

    exported = from_drafts(drafts)
    again, unsupported = to_drafts(parse_openslo(dump_openslo(exported), source="export.yaml"))

    assert len(drafts) == len([d for d in documents if isinstance(d, SLO)])
    assert again == drafts
    # What the export writes and Accord does not keep: the inline SLI's name (the SLO's).
    assert [(u.field, u.document.name) for u in unsupported] == [
        ("spec.indicator.metadata", "web-availability")
    ]
    for draft, slo in zip(drafts, (d for d in documents if isinstance(d, SLO)), strict=True):
        original = load_yaml(dump_openslo([slo]), source="slo")[0]
        written = load_yaml(
            dump_openslo([e for e in exported if e.metadata.name == draft.name]), source="e"
        )[0]
        for path in (
            "metadata.name",
            "metadata.displayName",
            "metadata.labels",
            "spec.description",
            "spec.service",
            "spec.indicator.spec",
            "spec.budgetingMethod",
            "spec.timeWindow",
        ):
            assert pick(written, path) == pick(original, path), path
        for key in ("target", "timeSliceTarget", "timeSliceWindow"):
            assert written["spec"]["objectives"][0][key] == original["spec"]["objectives"][0][key]


def pick(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def test_nothing_read_from_the_fixtures_is_dropped_silently() -> None:
    documents = all_fixture_documents()
    drafts, unsupported = to_drafts(documents)
    drafted = {d.origin for d in drafts}

    for document in documents:
        reported = [u.field for u in unsupported if u.document == document.origin]
        mapped = MAPPED if document.origin in drafted else []
        data = load_yaml(dump_openslo([document]), source="doc")[0]
        missing = [p for p in leaves(data) if not covered(p, reported + mapped)]
        assert missing == [], document.origin


def test_the_fixtures_report_what_accord_cannot_hold_by_name() -> None:
    _, unsupported = to_drafts(all_fixture_documents())
    whole = {(u.document.kind, u.document.name) for u in unsupported if u.field == ""}

    assert {("DataSource", "prometheus"), ("DataSource", "datadog")} <= whole
    assert ("AlertNotificationTarget", "devs-email-notification") in whole
    assert ("AlertCondition", "cpu-usage-breach") in whole
    assert ("SLI", "wifi-client-satisfaction") in whole
    op = [u for u in unsupported if u.field == "spec.objectives[0].op"]
    assert [u.document.name for u in op] == ["web-availability"]
    assert "compares nothing" in op[0].reason


CATALOGUE = """
apiVersion: openslo/v1
kind: Service
metadata:
  name: checkout
  displayName: Checkout
spec:
  description: Takes the money
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: checkout-errors
  labels: {team: payments}
spec:
  description: Failed checkouts
  ratioMetric:
    counter: true
    bad:
      metricSource: {metricSourceRef: prom-eu, spec: {query: 'sum(rate(errors[5m]))'}}
    total:
      metricSource:
        {metricSourceRef: prom-eu, type: Prometheus, spec: {query: 'sum(rate(all[5m]))'}}
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: checkout-latency
spec:
  thresholdMetric:
    metricSource: {type: Datadog, spec: {query: 'p99:checkout.latency'}}
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: checkout-ratio
spec:
  ratioMetric:
    rawType: failure
    raw:
      metricSource: {type: Prometheus, spec: {query: 'job:errors:ratio'}}
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: page
spec:
  conditions: [{conditionRef: fast-burn}]
  notificationTargets: [{targetRef: on-call}]
"""


def slo_yaml(name: str, indicator: str, objective: str, window: str = "28d") -> str:
    return f"""---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: {name}
  labels: {{tier: '1'}}
spec:
  service: checkout
  indicatorRef: {indicator}
  budgetingMethod: Occurrences
  timeWindow: [{{duration: {window}, isRolling: true}}]
  objectives: [{objective}]
"""


SECOND_CHECKOUT_ERRORS = """---
apiVersion: openslo/v1
kind: SLI
metadata: {name: checkout-errors}
spec:
  thresholdMetric: {metricSource: {type: Prometheus, spec: {query: errors}}}
"""


def convert(*slos: str) -> tuple[list[ObjectiveDraft], list[Any]]:
    return to_drafts(parse_openslo(CATALOGUE + "".join(slos), source="catalogue.yaml"))


def test_referenced_sli_service_and_policy_are_resolved() -> None:
    slo = slo_yaml("checkout-ok", "checkout-errors", "{targetPercent: 99.95}", "4w")
    (draft,), unsupported = convert(slo + "  alertPolicies: [{alertPolicyRef: page}]\n")

    assert draft.service == "checkout"
    assert draft.labels == {"tier": ["1"]}  # a single string is a list of one
    assert draft.target == Decimal("0.9995")  # exactly, as targetPercent / 100
    assert draft.window == RollingWindow(28)
    assert draft.budgeting_method == "occurrences"
    assert (draft.timeslice_seconds, draft.timeslice_target) == (None, None)
    assert draft.alert_policies == ("page",)
    assert draft.sli == RatioSli(
        bad=MetricQuery({"query": "sum(rate(errors[5m]))"}, source_ref="prom-eu"),
        total=MetricQuery({"query": "sum(rate(all[5m]))"}, "Prometheus", "prom-eu"),
        counter=True,
    )
    reported = {(u.document.name, u.field) for u in unsupported}
    assert {
        ("checkout", "metadata.displayName"),
        ("checkout", "spec"),
        ("checkout-errors", "metadata.labels"),
        ("checkout-errors", "spec.description"),
        ("page", "spec"),
        ("checkout-latency", ""),
    } <= reported
    assert ("checkout-errors", "") not in reported


def test_threshold_raw_and_ratio_timeslices_drafts_round_trip() -> None:
    threshold = slo_yaml("checkout-fast", "checkout-latency", "{target: 0.99, op: lt, value: 0.25}")
    raw = slo_yaml("checkout-raw", "checkout-ratio", "{target: 0.9, timeSliceWindow: 5}")
    raw = raw.replace("Occurrences", "RatioTimeslices")

    drafts, _ = convert(threshold, raw)

    fast, ratio = drafts
    assert fast.sli == ThresholdSli(
        MetricQuery({"query": "p99:checkout.latency"}, "Datadog"), "lt", Decimal("0.25")
    )
    assert ratio.sli == RatioSli(
        raw=MetricQuery({"query": "job:errors:ratio"}, "Prometheus"), raw_type="failure"
    )
    assert (ratio.budgeting_method, ratio.timeslice_seconds) == ("ratio_timeslices", 300)
    assert to_drafts(from_drafts(drafts))[0] == drafts


def test_a_calendar_month_in_a_zone() -> None:
    document = changed(valid_slo(), spec__timeWindow=calendar_window())

    (draft,), _ = to_drafts(parse_openslo(yaml.safe_dump(document), source="month.yaml"))

    assert draft.window == CalendarWindow("month", "Europe/Berlin", datetime(2024, 1, 1))  # noqa: DTZ001
    assert to_drafts(from_drafts([draft]))[0] == [draft]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({f"{OBJ}indicatorRef": "x", "spec__indicator": DELETE}, "spec.objectives", "composite"),
        (
            {"spec__objectives": [{"target": 0.99}, {"target": 0.9}]},
            "spec.objectives",
            "2 objectives",
        ),
        ({f"{WINDOW}duration": "1M"}, "spec.timeWindow[0].duration", "rolling month"),
        ({f"{WINDOW}duration": "12h"}, "spec.timeWindow[0].duration", "whole number of days"),
        (
            {"spec__timeWindow": [{**calendar_window()[0], "duration": "2M"}]},
            "spec.timeWindow[0].duration",
            "one week (1w), month (1M) or quarter (1Q)",
        ),
        ({f"{OBJ}target": 0}, "spec.objectives[0].target", "above 0"),
        (
            {**TIMESLICES, f"{OBJ}timeSliceWindow": "1Q"},
            "spec.objectives[0].timeSliceWindow",
            "no fixed length",
        ),
    ],
    ids=[
        "composite",
        "two objectives",
        "rolling month",
        "half a day",
        "two months",
        "zero",
        "quarter slices",
    ],
)
def test_slos_accord_cannot_hold_are_reported_not_imported(
    change: dict[str, Any], field: str, words: str
) -> None:
    document = changed(valid_slo(), **change)

    drafts, unsupported = to_drafts(parse_openslo(yaml.safe_dump(document), source="no.yaml"))

    assert drafts == []
    assert [(u.field, u.document.name) for u in unsupported] == [(field, "checkout-availability")]
    assert words in unsupported[0].reason
    assert "the SLO is not imported" in unsupported[0].reason


def test_an_sli_only_rejected_slos_use_says_so() -> None:
    slo = slo_yaml("checkout-ok", "checkout-errors", "{target: 0.9}", "1M")

    _, unsupported = convert(slo)

    (sli,) = [u for u in unsupported if u.document.name == "checkout-errors"]
    assert (sli.field, sli.reason) == ("", "only SLOs that are not imported refer to it")


@pytest.mark.parametrize(
    ("slo", "field", "words"),
    [
        (slo_yaml("a", "missing", "{target: 0.9}"), "spec.indicatorRef", "no SLI named 'missing'"),
        (
            slo_yaml("a", "checkout-latency", "{target: 0.9}"),
            "spec.objectives[0].op",
            "required with a thresholdMetric",
        ),
        (
            slo_yaml("a", "checkout-errors", "{target: 0.9, value: 3}"),
            "spec.objectives[0].value",
            "only used with a thresholdMetric",
        ),
        (
            slo_yaml("a", "checkout-errors", "{target: 0.9}") + SECOND_CHECKOUT_ERRORS,
            "spec.indicatorRef",
            "2 SLIs named 'checkout-errors'",
        ),
    ],
    ids=["unknown SLI", "threshold without op", "ratio with value", "two SLIs of that name"],
)
def test_references_are_checked_when_resolved(slo: str, field: str, words: str) -> None:
    with pytest.raises(OpenSloError) as caught:
        convert(slo)

    assert caught.value.field == field
    assert caught.value.document.name == "a"
    assert words in str(caught.value)


# ------------------------------------------------------------------------------- from drafts


def draft(**changes: Any) -> ObjectiveDraft:
    values: dict[str, Any] = {
        "service": "checkout",
        "name": "checkout-ok",
        "sli": RatioSli(
            good=MetricQuery({"query": "g"}, "Prometheus"),
            total=MetricQuery({"query": "t"}, "Prometheus"),
        ),
        "target": Decimal("0.999"),
        "budgeting_method": "timeslices",
        "timeslice_target": Decimal("0.9"),
        "timeslice_seconds": 300,
        "window": RollingWindow(30),
    }
    return ObjectiveDraft(**(values | changes))


def test_export_writes_one_service_then_standalone_slos() -> None:
    drafts = [draft(), draft(name="checkout-2", alert_policies=("page",)), draft(service="search")]

    documents = from_drafts(drafts)

    assert [(d.kind, d.metadata.name) for d in documents] == [
        ("Service", "checkout"),
        ("Service", "search"),
        ("SLO", "checkout-ok"),
        ("SLO", "checkout-2"),
        ("SLO", "checkout-ok"),
    ]
    slo = documents[3]
    assert isinstance(slo, SLO)
    assert slo.spec.indicator is not None
    assert slo.spec.indicator.metadata.name == "checkout-2"
    assert slo.spec.objectives[0].time_slice_window == "5m"
    assert slo.spec.alert_policies is not None
    assert slo.spec.alert_policies[0].alert_policy_ref == "page"
    assert to_drafts(documents)[0] == drafts


def test_export_refuses_what_openslo_cannot_hold() -> None:
    with pytest.raises(OpenSloError, match=r"<drafts>\[0\].*timeslice_seconds.*minutes"):
        from_drafts([draft(timeslice_seconds=90)])
    with pytest.raises(OpenSloError) as caught:
        from_drafts([draft(service="Checkout Service")])
    assert caught.value.field == "metadata.name"
    assert caught.value.document.kind == "Service"


@pytest.mark.parametrize(
    "changes",
    [
        {"target": Decimal(1)},
        {"target": Decimal(0)},
        {"budgeting_method": "occurrences"},
        {"timeslice_target": None},
        {"budgeting_method": "ratio_timeslices"},
    ],
    ids=[
        "target 1",
        "target 0",
        "slices with occurrences",
        "no slice target",
        "slice target with ratio slices",
    ],
)
def test_a_draft_keeps_accords_invariants(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"target|timeslice"):
        draft(**changes)


@pytest.mark.parametrize(
    "parts",
    [
        {"total": MetricQuery({"q": "t"})},
        {
            "total": MetricQuery({"q": "t"}),
            "good": MetricQuery({"q": "g"}),
            "bad": MetricQuery({"q": "b"}),
        },
        {"raw": MetricQuery({"q": "r"})},
        {"raw": MetricQuery({"q": "r"}), "raw_type": "success", "total": MetricQuery({"q": "t"})},
    ],
    ids=["no numerator", "two numerators", "raw without type", "raw with total"],
)
def test_a_ratio_sli_has_one_shape(parts: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="good/total, bad/total, or raw"):
        RatioSli(**parts)


def test_documents_from_other_files_are_equal_when_their_content_is() -> None:
    (a,) = parse_openslo(SERVICE_A, source="one.yaml")
    (b,) = parse_openslo("\n\n" + SERVICE_A, source="two.yaml")

    assert a == b
    assert a.origin != b.origin
    assert isinstance(a, Service)
    assert not isinstance(a, AlertPolicy)
