"""The objectives API over HTTP on both databases: 201 with Location, defaults from the tier,
problem+json for every refusal (naming the rule or the field) with nothing written, frozen terms,
soft deletion, business-unit isolation, filters and cursor pages."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.audit.models import AuditEvent
from accord.identity.enums import Role
from accord.objectives.models import Objective
from tests.agreements.helpers import approve, at, build_world, create
from tests.factories.identity import make_principal
from tests.identity.helpers import bearer, problem

pytestmark = pytest.mark.db

API = "/api/v1"
OBJECTIVES = f"{API}/objectives"
PROMETHEUS_QUERIES = {
    "error_query": 'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
    "total_query": "sum(rate(http_requests_total[{{.window}}]))",
}


class Headers:
    """Bearer headers: ``eddie`` editor of retail, ``paula`` editor and approver of retail,
    ``vera`` viewer of retail, ``wendy`` editor of wholesale."""

    def __init__(self, session: Session) -> None:
        make_principal(session, "eddie", (Role.EDITOR, "retail"))
        make_principal(session, "paula", (Role.EDITOR, "retail"), (Role.APPROVER, "retail"))
        make_principal(session, "vera", (Role.VIEWER, "retail"))
        make_principal(session, "wendy", (Role.EDITOR, "wholesale"))
        session.commit()
        self.eddie = bearer(session, "eddie")
        self.paula = bearer(session, "paula")
        self.vera = bearer(session, "vera")
        self.wendy = bearer(session, "wendy")


@pytest.fixture
def who(session: Session) -> Headers:
    """The agreements tests' world (retail: payments-api tier 2, cards tier 3; wholesale:
    billing tier 2) and callers in it, committed so the app sees them."""
    build_world(session)
    return Headers(session)


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "service": "payments-api",
        "name": "availability",
        "sli_kind": "availability",
        "target": "0.999",
    }
    data.update(overrides)
    return data


def post(client: TestClient, headers: dict[str, str], **overrides: Any) -> httpx.Response:
    return client.post(OBJECTIVES, headers=headers, json=body(**overrides))


def created(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = post(client, headers, **overrides)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def written(session: Session) -> tuple[int, int]:
    """(objective rows, objective audit events): what a refused request leaves untouched."""
    session.expire_all()
    rows = session.scalar(select(func.count()).select_from(Objective)) or 0
    events = (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity_type == "objective")
        )
        or 0
    )
    return rows, events


def keys(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["key"] for item in response.json()["items"]]


# -------------------------------------------------------------------------------------- create


def test_create_answers_201_with_location_and_tier_defaults(
    client: TestClient, session: Session, who: Headers
) -> None:
    response = post(client, who.eddie)
    assert response.status_code == 201, response.text
    data = response.json()
    assert data["key"].startswith("SLO-")
    assert response.headers["Location"] == f"{OBJECTIVES}/{data['key']}"
    assert data["service"] == "payments-api"
    assert data["business_unit"] == "retail"
    assert data["target"] == "0.999"  # exact decimal text, never a float
    assert data["monitoring_mode"] == "active"  # tier 2 requires active monitoring
    assert data["evaluation_interval_seconds"] == 300
    assert data["window"] == {"kind": "rolling", "days": 30}
    assert data["agreement"] is None
    assert data["tier_exception"] is None
    again = client.get(response.headers["Location"], headers=who.vera)
    assert again.status_code == 200
    assert again.json() == data
    assert written(session) == (1, 1)
    passive = created(client, who.eddie, service="cards", target="0.995")
    assert passive["monitoring_mode"] == "passive"
    assert passive["evaluation_interval_seconds"] == 900


def test_a_target_below_the_minimum_is_a_problem(
    client: TestClient, session: Session, who: Headers
) -> None:
    before = written(session)
    problem(post(client, who.eddie, target="0.998"), 422, rule="below-tier-minimum", field="target")
    problem(
        post(client, who.eddie, target="0.998", tier_exception={"reason": "legacy"}),
        422,
        rule="tier-exception-unapproved",
        field="tier_exception",
    )
    assert written(session) == before
    data = created(client, who.paula, target="0.998", tier_exception={"reason": "legacy"})
    assert data["target"] == "0.998"
    assert data["tier_exception"]["reason"] == "legacy"
    assert data["tier_exception"]["approved_by"] == "paula"
    assert data["tier_exception"]["approved_at"]


def test_a_duplicate_name_conflicts(client: TestClient, session: Session, who: Headers) -> None:
    created(client, who.eddie)
    before = written(session)
    body_ = problem(post(client, who.eddie, target="0.9999"), 409)
    assert "availability" in body_["detail"]
    assert written(session) == before


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"sli_kind": "latency"}, "latency_threshold_ms"),
        ({"latency_threshold_ms": "250"}, "latency_threshold_ms"),
        ({"budgeting_method": "timeslices"}, "timeslice_seconds"),
        (
            {
                "budgeting_method": "timeslices",
                "timeslice_seconds": 420,
                "timeslice_threshold": "0.9",
            },
            "timeslice_seconds",
        ),
        ({"budgeting_method": "timeslices", "timeslice_seconds": 300}, "timeslice_threshold"),
        ({"source": "prometheus"}, "queries"),
        ({"source": "prometheus", "queries": {"total_query": "t"}}, "queries"),
        ({"queries": PROMETHEUS_QUERIES}, "queries"),  # pushed telemetry has no queries
        ({"agreement": "SLA-0001"}, "version"),
    ],
)
def test_inconsistent_definitions_are_422_naming_the_field(
    client: TestClient, session: Session, who: Headers, overrides: dict[str, Any], named: str
) -> None:
    before = written(session)
    found = problem(post(client, who.eddie, **overrides), 422)
    assert [e["field"] for e in found["errors"]] == [named], found
    assert written(session) == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"window": {"kind": "calendar", "unit": "month", "time_zone": "Mars/Olympus"}}, None),
        ({"window": {"kind": "calendar", "unit": "month", "time_zone": "europe/berlin"}}, None),
        ({"window": {"kind": "weekly"}}, "window"),
        ({"target": "1"}, "target"),
        ({"name": "has spaces"}, "name"),
        ({"service": "Payments API"}, "service"),
        ({"evaluation_interval_seconds": 30}, "evaluation_interval_seconds"),
        ({"labels": {"0bad": "x"}}, None),
        ({"key": "SLO-0001"}, "key"),
        ({"description": "x" * 2_001}, "description"),
    ],
)
def test_bad_fields_are_422(
    client: TestClient,
    session: Session,
    who: Headers,
    overrides: dict[str, Any],
    field: str | None,
) -> None:
    before = written(session)
    found = problem(post(client, who.eddie, **overrides), 422, field=field)
    if "window" in overrides and overrides["window"].get("time_zone"):
        assert found["errors"][0]["field"].startswith("window")
        assert "unknown IANA time zone" in found["detail"]
    assert written(session) == before


def test_an_unknown_service_is_404_and_another_units_too(
    client: TestClient, session: Session, who: Headers
) -> None:
    missing = problem(post(client, who.eddie, service="nothing"), 404)
    theirs = problem(post(client, who.eddie, service="billing"), 404)
    assert missing["detail"].replace("nothing", "X") == theirs["detail"].replace("billing", "X")
    assert written(session) == (0, 0)


def test_writes_need_the_write_permission(
    client: TestClient, session: Session, who: Headers
) -> None:
    problem(post(client, who.vera), 403)
    problem(client.post(OBJECTIVES, json=body()), 401)
    assert written(session) == (0, 0)


# ------------------------------------------------------------------------------ contractual


def test_contractual_objectives_and_frozen_terms(
    client: TestClient, session: Session, who: Headers
) -> None:
    agreement = create(session, services=("payments-api",)).key
    session.commit()
    data = created(client, who.eddie, agreement=agreement, version=1)
    assert (data["agreement"], data["version"]) == (agreement, 1)
    location = f"{OBJECTIVES}/{data['key']}"
    problem(
        post(client, who.eddie, service="cards", target="0.995", agreement=agreement, version=1),
        422,
        rule="service-not-covered",
        field="service",
    )
    # While a draft, its terms may move.
    r = client.patch(location, headers=who.eddie, json={"target": "0.9992"})
    assert r.status_code == 200, r.text
    assert r.json()["target"] == "0.9992"

    approve(session, agreement, now=at(1))
    session.commit()
    before = written(session)
    problem(
        post(client, who.eddie, name="latency", agreement=agreement, version=1),
        422,
        rule="terms-frozen",
        field="version",
    )
    problem(
        client.patch(location, headers=who.eddie, json={"target": "0.9995"}),
        422,
        rule="terms-frozen",
        field="target",
    )
    problem(
        client.patch(location, headers=who.eddie, json={"window": {"kind": "rolling", "days": 7}}),
        422,
        rule="terms-frozen",
        field="window",
    )
    problem(client.delete(location, headers=who.eddie), 422, rule="terms-frozen")
    assert written(session) == before
    r = client.patch(
        location,
        headers=who.eddie,
        json={"labels": {"team": "payments"}, "provider_owner": "eddie", "customer_owner": "vera"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["labels"] == {"team": "payments"}
    assert (r.json()["provider_owner"], r.json()["customer_owner"]) == ("eddie", "vera")
    assert r.json()["target"] == "0.9992"
    assert keys(client.get(OBJECTIVES, headers=who.vera, params={"agreement": agreement})) == [
        data["key"]
    ]


# --------------------------------------------------------------------------- update, delete


def test_patch_validates_and_writes_nothing_when_refused(
    client: TestClient, session: Session, who: Headers
) -> None:
    key = created(client, who.eddie, source="prometheus", queries=PROMETHEUS_QUERIES)["key"]
    location = f"{OBJECTIVES}/{key}"
    before = written(session)
    problem(
        client.patch(location, headers=who.eddie, json={"queries": {"x": "y"}}),
        422,
        field="queries",
    )
    problem(
        client.patch(location, headers=who.eddie, json={"description": None}),
        422,
        field="description",
    )
    problem(
        client.patch(location, headers=who.eddie, json={"sli_kind": "ratio"}), 422, field="sli_kind"
    )
    problem(
        client.patch(location, headers=who.eddie, json={"target": "0.99"}),
        422,
        rule="below-tier-minimum",
    )
    problem(client.patch(location, headers=who.vera, json={"description": "x"}), 403)
    assert written(session) == before
    r = client.patch(
        location,
        headers=who.eddie,
        json={"window": {"kind": "calendar", "unit": "quarter", "time_zone": "Asia/Tokyo"}},
    )
    assert r.status_code == 200, r.text
    assert r.json()["window"] == {"kind": "calendar", "unit": "quarter", "time_zone": "Asia/Tokyo"}


def test_delete_is_soft(client: TestClient, session: Session, who: Headers) -> None:
    key = created(client, who.eddie)["key"]
    location = f"{OBJECTIVES}/{key}"
    r = client.delete(location, headers=who.eddie)
    assert r.status_code == 204
    assert r.content == b""
    problem(client.get(location, headers=who.eddie), 404)
    problem(client.patch(location, headers=who.eddie, json={"description": "x"}), 404)
    problem(client.delete(location, headers=who.eddie), 404)
    assert keys(client.get(OBJECTIVES, headers=who.eddie)) == []
    session.expire_all()
    stored = session.get(Objective, int(key.removeprefix("SLO-")))
    assert stored is not None
    assert stored.deleted_at is not None
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == "objective", AuditEvent.entity_key == key)
        .order_by(AuditEvent.seq)
    ).all()
    assert actions == ["objective.created", "objective.deleted"]
    created(client, who.eddie)  # the name is free again


def test_other_units_objectives_are_404(client: TestClient, session: Session, who: Headers) -> None:
    key = created(client, who.eddie)["key"]
    theirs = created(client, who.wendy, service="billing")["key"]
    location = f"{OBJECTIVES}/{key}"
    before = written(session)
    outside = problem(client.get(location, headers=who.wendy), 404)
    absent = problem(client.get(f"{OBJECTIVES}/SLO-99999999", headers=who.wendy), 404)
    assert outside["detail"].replace(key, "X") == absent["detail"].replace("SLO-99999999", "X")
    problem(client.patch(location, headers=who.wendy, json={"description": "x"}), 404)
    problem(client.delete(location, headers=who.wendy), 404)
    assert written(session) == before
    assert keys(client.get(OBJECTIVES, headers=who.wendy)) == [theirs]
    assert keys(client.get(OBJECTIVES, headers=who.vera)) == [key]


def test_a_malformed_key_is_422(client: TestClient, who: Headers) -> None:
    problem(client.get(f"{OBJECTIVES}/SLO-1", headers=who.vera), 422, field="key")
    problem(client.get(f"{OBJECTIVES}/SLA-0001", headers=who.vera), 422, field="key")


# -------------------------------------------------------------------------------------- lists


def test_list_filters(client: TestClient, session: Session, who: Headers) -> None:
    agreement = create(session, services=("payments-api", "cards")).key
    session.commit()
    a = created(client, who.eddie, agreement=agreement, version=1)["key"]
    b = created(client, who.eddie, service="cards", target="0.995", source="datadog")["key"]
    c = created(
        client,
        who.eddie,
        name="latency",
        source="prometheus",
        queries=PROMETHEUS_QUERIES,
        monitoring_mode="passive",
    )["key"]

    def listing(**params: str) -> list[str]:
        return keys(client.get(OBJECTIVES, headers=who.vera, params=params))

    assert listing() == [a, b, c]
    assert listing(service="payments-api") == [a, c]
    assert listing(agreement=agreement) == [a]
    assert listing(monitoring_mode="passive") == [b, c]
    assert listing(source="prometheus") == [c]
    assert listing(source="datadog", service="cards") == [b]
    problem(
        client.get(OBJECTIVES, headers=who.vera, params={"source": "graphite"}), 422, field="source"
    )
    problem(client.get(OBJECTIVES, headers=who.vera, params={"service": "billing"}), 404)


def test_cursor_pages(client: TestClient, session: Session, who: Headers) -> None:
    made = [created(client, who.eddie, name=f"slo-{i}")["key"] for i in range(5)]
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 2}
    pages = 0
    while True:
        r = client.get(OBJECTIVES, headers=who.vera, params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        pages += 1
        seen += [item["key"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        params = {"limit": 2, "cursor": page["next_cursor"]}
    assert seen == made
    assert pages == 3
    problem(
        client.get(OBJECTIVES, headers=who.vera, params={"cursor": "nonsense!"}),
        422,
        field="cursor",
    )
    problem(client.get(OBJECTIVES, headers=who.vera, params={"limit": 0}), 422, field="limit")


def test_reading_needs_a_principal(client: TestClient, who: Headers) -> None:
    problem(client.get(OBJECTIVES), 401)
