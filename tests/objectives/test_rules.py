"""Pure rules of objective definitions: keys, zones, cross-field consistency, the tier minimum,
frozen terms, and the same checks as the request schemas report them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from accord.kit.errors import FieldValueError, RuleViolation, located
from accord.objectives import rules
from accord.objectives.enums import BudgetingMethod, CalendarUnit, SliKind, SourceKind
from accord.objectives.schemas import (
    CalendarWindow,
    ObjectiveCreate,
    ObjectiveUpdate,
    RollingWindow,
)

# ------------------------------------------------------------------------------------------ keys


@pytest.mark.parametrize(("id_", "key"), [(1, "SLO-0001"), (42, "SLO-0042"), (12345, "SLO-12345")])
def test_keys_round_trip(id_: int, key: str) -> None:
    assert rules.objective_key(id_) == key
    assert rules.objective_id(key) == id_


@pytest.mark.parametrize(
    "text", ["SLO-1", "SLO-001", "SLA-0001", "slo-0001", "SLO-0001x", " SLO-0001", "SLO--001", ""]
)
def test_anything_else_is_not_a_key(text: str) -> None:
    assert rules.objective_id(text) is None


# ----------------------------------------------------------------------------------------- zones


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def test_known_zones(zone: str) -> None:
    assert rules.check_time_zone(zone) == zone


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus_Mons", "europe/berlin", "", "../../etc/passwd", "+01:00"]
)
def test_unknown_zones(zone: str) -> None:
    with pytest.raises(ValueError, match="unknown IANA time zone"):
        rules.check_time_zone(zone)


# ---------------------------------------------------------------------------- definition shape


def definition(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "sli_kind": SliKind.AVAILABILITY,
        "latency_threshold_ms": None,
        "budgeting_method": BudgetingMethod.OCCURRENCES,
        "timeslice_seconds": None,
        "timeslice_threshold": None,
        "source": SourceKind.PUSH,
        "queries": {},
    }
    values.update(overrides)
    return values


PROMETHEUS = {"source": SourceKind.PROMETHEUS}
TIMESLICES = {"budgeting_method": BudgetingMethod.TIMESLICES}

VALID = [
    {},
    {"sli_kind": SliKind.LATENCY, "latency_threshold_ms": Decimal("250")},
    {**TIMESLICES, "timeslice_seconds": 300, "timeslice_threshold": Decimal("0.95")},
    {**TIMESLICES, "timeslice_seconds": 86_400, "timeslice_threshold": Decimal("1")},
    {"budgeting_method": BudgetingMethod.RATIO_TIMESLICES, "timeslice_seconds": 3600},
    {**PROMETHEUS, "queries": {"error_query": "e", "total_query": "t"}},
    {**PROMETHEUS, "queries": {"good_query": "g", "total_query": "t"}},
    {**PROMETHEUS, "queries": {"error_ratio_query": "r"}},
    {"source": SourceKind.DATADOG, "queries": {"anything": "q"}},
]


@pytest.mark.parametrize("overrides", VALID)
def test_consistent_definitions(overrides: dict[str, Any]) -> None:
    rules.check_definition(**definition(**overrides))


INVALID = [
    ({"sli_kind": SliKind.LATENCY}, "latency_threshold_ms"),
    ({"latency_threshold_ms": Decimal("250")}, "latency_threshold_ms"),
    ({"timeslice_seconds": 300}, "timeslice_seconds"),
    ({"timeslice_threshold": Decimal("0.9")}, "timeslice_seconds"),
    ({**TIMESLICES, "timeslice_threshold": Decimal("0.9")}, "timeslice_seconds"),
    (
        {**TIMESLICES, "timeslice_seconds": 60, "timeslice_threshold": Decimal("0.9")},
        "timeslice_seconds",
    ),
    (
        {**TIMESLICES, "timeslice_seconds": 0, "timeslice_threshold": Decimal("0.9")},
        "timeslice_seconds",
    ),
    (
        {**TIMESLICES, "timeslice_seconds": -300, "timeslice_threshold": Decimal("0.9")},
        "timeslice_seconds",
    ),
    (
        {**TIMESLICES, "timeslice_seconds": 86_700, "timeslice_threshold": Decimal("0.9")},
        "timeslice_seconds",
    ),
    ({**TIMESLICES, "timeslice_seconds": 300}, "timeslice_threshold"),
    (
        {
            "budgeting_method": BudgetingMethod.RATIO_TIMESLICES,
            "timeslice_seconds": 300,
            "timeslice_threshold": Decimal("0.9"),
        },
        "timeslice_threshold",
    ),
    ({**PROMETHEUS, "queries": {}}, "queries"),
    ({**PROMETHEUS, "queries": {"error_query": "e"}}, "queries"),
    (
        {**PROMETHEUS, "queries": {"error_query": "e", "good_query": "g", "total_query": "t"}},
        "queries",
    ),
    ({**PROMETHEUS, "queries": {"error_ratio_query": "r", "total_query": "t"}}, "queries"),
    ({"queries": {"error_query": "e"}}, "queries"),
]


@pytest.mark.parametrize(("overrides", "field"), INVALID)
def test_inconsistent_definitions_name_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(FieldValueError) as raised:
        rules.check_definition(**definition(**overrides))
    assert raised.value.field == field


# ------------------------------------------------------------------------------- tier minimum


def test_a_target_at_or_above_the_minimum_needs_no_exception() -> None:
    rules.check_tier_minimum(Decimal("0.999"), Decimal("0.999"), 2, excepted=False)
    rules.check_tier_minimum(Decimal("0.9999"), Decimal("0.999"), 2, excepted=False)


def test_a_target_below_the_minimum_needs_an_exception() -> None:
    with pytest.raises(RuleViolation) as raised:
        rules.check_tier_minimum(Decimal("0.9989"), Decimal("0.999"), 2, excepted=False)
    assert raised.value.rule == "below-tier-minimum"
    assert raised.value.status == 422
    assert [p.field for p in raised.value.problems] == ["target"]
    assert "0.9989" in raised.value.detail
    assert "tier 2" in raised.value.detail
    rules.check_tier_minimum(Decimal("0.9989"), Decimal("0.999"), 2, excepted=True)


def test_the_minimum_compares_decimals_exactly() -> None:
    # 0.99949999… is below 0.9995 however close: no float rounding lets it through.
    with pytest.raises(RuleViolation):
        rules.check_tier_minimum(Decimal("0.9994999999"), Decimal("0.9995"), 1, excepted=False)


# -------------------------------------------------------------------------------- frozen terms


@pytest.mark.parametrize("field", sorted(rules.TERM_FIELDS))
def test_terms_of_a_contractual_objective_freeze_with_its_version(field: str) -> None:
    with pytest.raises(RuleViolation) as raised:
        rules.check_terms_editable({field, "labels"}, contractual=True, draft=False)
    assert raised.value.rule == "terms-frozen"
    assert [p.field for p in raised.value.problems] == [field]
    # while the version is a draft, or when the objective is internal, they stay editable
    rules.check_terms_editable({field}, contractual=True, draft=True)
    rules.check_terms_editable({field}, contractual=False, draft=False)


def test_other_fields_of_frozen_terms_stay_editable() -> None:
    rules.check_terms_editable(
        {"labels", "provider_owner", "customer_owner", "policy", "alerting", "description"},
        contractual=True,
        draft=False,
    )


def test_terms_frozen_names_every_frozen_field() -> None:
    with pytest.raises(RuleViolation) as raised:
        rules.check_terms_editable({"window", "target"}, contractual=True, draft=False)
    assert "target, window" in raised.value.detail
    assert [p.field for p in raised.value.problems] == ["target"]


# ---------------------------------------------------------------------- as the schemas see them


def create(**overrides: Any) -> ObjectiveCreate:
    data: dict[str, Any] = {
        "service": "payments-api",
        "name": "availability",
        "sli_kind": "availability",
        "target": "0.999",
    }
    data.update(overrides)
    return ObjectiveCreate.model_validate(data)


def messages(error: ValidationError) -> list[tuple[str, str]]:
    return [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in error.errors()]


def test_the_schema_applies_defaults() -> None:
    data = create()
    assert data.target == Decimal("0.999")
    assert data.budgeting_method is BudgetingMethod.OCCURRENCES
    assert data.source is SourceKind.PUSH
    assert data.window == RollingWindow(days=30)
    assert data.monitoring_mode is None  # the tier decides
    assert data.evaluation_interval_seconds is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"sli_kind": "latency"}, "latency_threshold_ms"),
        ({"budgeting_method": "timeslices"}, "timeslice_seconds"),
        ({"source": "prometheus", "queries": {"error_query": "e"}}, "queries"),
        ({"agreement": "SLA-0001"}, "version"),
    ],
)
def test_the_schema_reports_cross_field_errors_by_name(
    overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        create(**overrides)
    assert [located(e)[0] for e in raised.value.errors()] == [[field]], raised.value


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"target": "1"}, "target"),
        ({"target": "0"}, "target"),
        ({"target": "99.9"}, "target"),
        ({"target": "0.99999999999"}, "target"),  # more than 10 decimal places
        ({"name": "no spaces"}, "name"),
        ({"name": "-leading"}, "name"),
        ({"window": {"kind": "rolling", "days": 0}}, "window.rolling.days"),
        (
            {"window": {"kind": "calendar", "unit": "month", "time_zone": "Mars/Base"}},
            "window.calendar.time_zone",
        ),
        ({"window": {"kind": "calendar", "unit": "fortnight"}}, "window.calendar.unit"),
        ({"evaluation_interval_seconds": 59}, "evaluation_interval_seconds"),
        ({"labels": {"bad-label": "x"}}, "labels.bad-label.[key]"),
        ({"id": 7}, "id"),
    ],
)
def test_the_schema_locates_field_errors(overrides: dict[str, Any], loc: str) -> None:
    with pytest.raises(ValidationError) as raised:
        create(**overrides)
    assert loc in [location for location, _ in messages(raised.value)], raised.value


def test_a_calendar_window_keeps_its_zone() -> None:
    window = create(window={"kind": "calendar", "unit": "quarter", "time_zone": "Europe/Berlin"})
    assert window.window == CalendarWindow(unit=CalendarUnit.QUARTER, time_zone="Europe/Berlin")


def test_updates_forbid_unknown_and_definition_fields() -> None:
    # The SLI kind, budgeting method and source are fixed at creation.
    for field, value in (("sli_kind", "ratio"), ("budgeting_method", "timeslices"), ("x", 1)):
        with pytest.raises(ValidationError) as raised:
            ObjectiveUpdate.model_validate({field: value})
        assert [loc for loc, _ in messages(raised.value)] == [field]
