"""The compliance API over HTTP on both databases: status at an instant, recorded history and
current status, policy events and the release gate, scoped to the caller's units."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from accord.compliance import service as compliance_service
from accord.identity.enums import Role
from accord.identity.rules import system_actor
from accord.objectives.rules import objective_key
from tests.compliance.test_service import NOW, STOP, _policy, store_day
from tests.factories.identity import make_principal
from tests.factories.objectives import make_objective
from tests.identity.helpers import bearer, problem

pytestmark = pytest.mark.db

API = "/api/v1"
SYSTEM = system_actor("scheduler")


@pytest.fixture
def world(session: Session) -> dict[str, object]:
    """checkout (retail) with a paging objective under a freezing policy; ledger (wholesale)."""
    checkout = make_objective(session, service="checkout", unit="retail")
    ledger = make_objective(session, service="ledger", unit="wholesale")
    _policy(session)
    from accord.objectives import service as objectives_service
    from accord.objectives.schemas import ObjectiveUpdate

    objectives_service.update_objective(
        session,
        actor=SYSTEM,
        key=objective_key(checkout.id),
        data=ObjectiveUpdate(policy="standard"),
        now=NOW - timedelta(days=40),
    )
    store_day(session, checkout.id)
    store_day(session, ledger.id, bad_last_hour=0)
    compliance_service.evaluate_objectives(session, actor=SYSTEM, at=NOW)
    make_principal(session, "vera", (Role.VIEWER, "retail"))
    session.commit()
    return {
        "checkout": objective_key(checkout.id),
        "ledger": objective_key(ledger.id),
        "vera": bearer(session, "vera"),
    }


def test_status_at_an_instant(client: TestClient, world: dict[str, object]) -> None:
    key, headers = world["checkout"], world["vera"]
    response = client.get(
        f"{API}/objectives/{key}/status", params={"at": NOW.isoformat()}, headers=headers
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["objective"] == key
    assert data["service"] == "checkout"
    assert data["evaluated_at"] == STOP.isoformat().replace("+00:00", "Z")
    assert data["page_alert"] is True
    assert data["budget_consumed"] == pytest.approx(120 / 28.8)
    assert data["target"] == "0.999"
    # An hour earlier nothing had gone wrong.
    earlier = client.get(
        f"{API}/objectives/{key}/status",
        params={"at": (NOW - timedelta(hours=1)).isoformat()},
        headers=headers,
    ).json()
    assert earlier["budget_consumed"] == 0
    assert earlier["page_alert"] is False


def test_naive_instant_is_refused(client: TestClient, world: dict[str, object]) -> None:
    response = client.get(
        f"{API}/objectives/{world['checkout']}/status",
        params={"at": "2026-11-26T12:00:00"},
        headers=world["vera"],
    )
    problem(response, 422, field="at")


def test_other_units_objectives_are_not_found(client: TestClient, world: dict[str, object]) -> None:
    for path in ("status", "history", "policy-events", "baseline"):
        response = client.get(f"{API}/objectives/{world['ledger']}/{path}", headers=world["vera"])
        assert response.status_code == 404, path
    gate = client.get(f"{API}/services/ledger/release-gate", headers=world["vera"])
    assert gate.status_code == 404


def test_current_status_lists_only_visible_objectives(
    client: TestClient, world: dict[str, object]
) -> None:
    response = client.get(f"{API}/status", headers=world["vera"])
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["objective"] for i in items] == [world["checkout"]]
    assert items[0]["at_risk"] is True


@pytest.mark.parametrize(("limit", "status"), [(10_000, 200), (10_001, 422), (0, 422)])
def test_a_page_of_current_status_may_hold_the_whole_fleet(
    client: TestClient, world: dict[str, object], limit: int, status: int
) -> None:
    response = client.get(f"{API}/status", params={"limit": limit}, headers=world["vera"])
    assert response.status_code == status
    if status == 422:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "limit" in response.text


def test_history_and_policy_events(client: TestClient, world: dict[str, object]) -> None:
    history = client.get(f"{API}/objectives/{world['checkout']}/history", headers=world["vera"])
    assert history.status_code == 200
    assert len(history.json()["items"]) == 1
    events = client.get(
        f"{API}/objectives/{world['checkout']}/policy-events",
        params={"state": "open"},
        headers=world["vera"],
    )
    assert events.status_code == 200
    triggers = sorted(e["trigger"] for e in events.json()["items"])
    assert triggers == ["budget_consumed", "budget_consumed", "page_alert"]


def test_release_gate_is_frozen_with_reasons(client: TestClient, world: dict[str, object]) -> None:
    response = client.get(f"{API}/services/checkout/release-gate", headers=world["vera"])
    assert response.status_code == 200
    gate = response.json()
    assert gate["frozen"] is True
    assert gate["reasons"][0]["objective"] == world["checkout"]
    assert gate["reasons"][0]["policy"] == "standard"
    assert gate["reasons"][0]["trigger"] == "budget_consumed"


def test_baseline_reports_periods_and_candidates(
    client: TestClient, world: dict[str, object]
) -> None:
    response = client.get(
        f"{API}/objectives/{world['checkout']}/baseline",
        params={"periods": 3, "achieved_in": 2},
        headers=world["vera"],
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert len(data["periods"]) == 3
    assert data["current_target"] == "0.999"
    # No complete month holds data yet: nothing achieved, nothing recommended.
    assert data["recommended_target"] is None
    assert all(c["met_in"] == 0 for c in data["candidates"])
