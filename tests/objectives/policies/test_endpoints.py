"""Error budget policies over HTTP: create, read, list, replace thresholds, delete; bad input is a
422 naming the field (or the rule) and writes nothing; other units' policies are 404."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.objectives.models import ErrorBudgetPolicy, PolicyThreshold
from tests.identity.helpers import (
    audit_actions,
    audit_count,
    bearer,
    count,
    field_message,
    last_seq,
    problem,
)
from tests.objectives.policies.conftest import Org

pytestmark = pytest.mark.db

API = "/api/v1"
FREEZE = {"kind": "freeze_releases"}


def ladder() -> list[dict[str, Any]]:
    return [
        {
            "trigger": "budget_consumed",
            "consumed_at_least": "0.5",
            "actions": [{"kind": "notify", "channel": "email", "recipients": ["sre@bank.example"]}],
        },
        {
            "trigger": "budget_consumed",
            "consumed_at_least": "1.0",
            "actions": [
                FREEZE,
                {
                    "kind": "escalate",
                    "role": "service_owner",
                    "deadline_hours": 48,
                    "documentation_required": ["incident report", "RCA"],
                },
            ],
        },
        {"trigger": "page_alert", "actions": [{"kind": "notify", "channel": "record"}]},
    ]


def body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "standard",
        "title": "Standard policy",
        "business_unit": "retail",
        "thresholds": ladder(),
    } | overrides


def unchanged(org: Org) -> tuple[int, int, int]:
    return (
        count(org.session, ErrorBudgetPolicy),
        count(org.session, PolicyThreshold),
        audit_count(org.session),
    )


def test_round_trip(client: TestClient, org: Org) -> None:
    eddie, vera = bearer(org.session, "eddie"), bearer(org.session, "vera")
    seq = last_seq(org.session)
    r = client.post(f"{API}/policies", headers=eddie, json=body())
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"{API}/policies/standard"
    created = r.json()
    assert [t["position"] for t in created["thresholds"]] == [1, 2, 3]
    assert created["thresholds"][0]["consumed_at_least"] == "0.5"
    assert created["thresholds"][1]["consumed_at_least"] == "1.0"
    assert created["thresholds"][2]["consumed_at_least"] is None
    assert created["thresholds"][1]["actions"] == [
        {"kind": "freeze_releases", "exempt": []},
        {
            "kind": "escalate",
            "role": "service_owner",
            "deadline_hours": 48,
            "documentation_required": ["incident report", "RCA"],
        },
    ]
    assert client.get(f"{API}/policies/standard", headers=vera).json() == created
    listed = client.get(f"{API}/policies", headers=vera).json()
    assert [p["name"] for p in listed["items"]] == ["standard"]

    r = client.put(
        f"{API}/policies/standard/thresholds",
        headers=eddie,
        json={"thresholds": [{"trigger": "at_risk", "actions": [{"kind": "require_review"}]}]},
    )
    assert r.status_code == 200, r.text
    assert [(t["position"], t["trigger"]) for t in r.json()["thresholds"]] == [(1, "at_risk")]
    assert r.json()["thresholds"][0]["id"] not in {t["id"] for t in created["thresholds"]}

    assert client.delete(f"{API}/policies/standard", headers=eddie).status_code == 204
    problem(client.get(f"{API}/policies/standard", headers=vera), 404)
    assert audit_actions(org.session, since=seq) == [
        "policy.created",
        "policy.thresholds_replaced",
        "policy.deleted",
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "Standard Policy"}, "name"),
        ({"title": ""}, "title"),
        ({"business_unit": "nowhere"}, "business_unit"),
        ({"thresholds": []}, "thresholds"),
        ({"created_by": "me"}, "created_by"),
        ({"thresholds": [{"trigger": "budget_consumed", "actions": [FREEZE]}]}, None),
        ({"thresholds": [{"trigger": "page_alert", "actions": []}]}, "thresholds.0.actions"),
        (
            {"thresholds": [{"trigger": "page_alert", "actions": [{"kind": "notify"}]}]},
            "thresholds.0.actions.0.notify.channel",
        ),
        (
            {
                "thresholds": [
                    {
                        "trigger": "page_alert",
                        "actions": [{"kind": "notify", "channel": "webhook", "recipients": []}],
                    }
                ]
            },
            "thresholds.0.actions.0.notify.recipients",
        ),
        (
            {
                "thresholds": [
                    {
                        "trigger": "ticket_alert",
                        "actions": [{"kind": "escalate", "role": "boss", "deadline_hours": 4}],
                    }
                ]
            },
            "thresholds.0.actions.0.escalate.role",
        ),
    ],
)
def test_bad_policies_are_422_naming_the_field_and_write_nothing(
    client: TestClient, org: Org, change: dict[str, Any], field: str | None
) -> None:
    eddie = bearer(org.session, "eddie")
    before = unchanged(org)
    r = client.post(f"{API}/policies", headers=eddie, json=body(**change))
    problem(r, 422, field=field or "thresholds.0.consumed_at_least")
    assert unchanged(org) == before


def test_rule_violations_name_the_rule_and_the_rung(client: TestClient, org: Org) -> None:
    eddie = bearer(org.session, "eddie")
    before = unchanged(org)
    steps = ladder()
    steps[1]["consumed_at_least"] = "0.5"
    r = client.post(f"{API}/policies", headers=eddie, json=body(thresholds=steps))
    answer = problem(
        r, 422, rule="thresholds-not-increasing", field="thresholds.1.consumed_at_least"
    )
    assert "0.5" in field_message(answer, "thresholds.1.consumed_at_least")
    twice = [ladder()[2], ladder()[2]]
    problem(
        client.post(f"{API}/policies", headers=eddie, json=body(thresholds=twice)),
        422,
        rule="duplicate-trigger",
        field="thresholds.1.trigger",
    )
    assert unchanged(org) == before
    assert client.post(f"{API}/policies", headers=eddie, json=body()).status_code == 201
    before = unchanged(org)
    problem(
        client.put(
            f"{API}/policies/standard/thresholds", headers=eddie, json={"thresholds": twice}
        ),
        422,
        rule="duplicate-trigger",
    )
    problem(
        client.put(f"{API}/policies/standard/thresholds", headers=eddie, json=twice),
        422,
        field="body",
    )
    assert unchanged(org) == before


def test_a_policy_in_use_answers_409(client: TestClient, org: Org) -> None:
    eddie = bearer(org.session, "eddie")
    assert client.post(f"{API}/policies", headers=eddie, json=body()).status_code == 201
    r = client.patch(f"{API}/objectives/{org.slo}", headers=eddie, json={"policy": "standard"})
    assert r.status_code == 200, r.text
    before = unchanged(org)
    problem(client.delete(f"{API}/policies/standard", headers=eddie), 409, rule="policy-in-use")
    assert unchanged(org) == before
    assert client.get(f"{API}/policies/standard", headers=eddie).status_code == 200


def test_names_are_unique_and_a_duplicate_is_409(client: TestClient, org: Org) -> None:
    eddie, wendy = bearer(org.session, "eddie"), bearer(org.session, "wendy")
    assert client.post(f"{API}/policies", headers=eddie, json=body()).status_code == 201
    problem(
        client.post(f"{API}/policies", headers=wendy, json=body(business_unit="wholesale")), 409
    )


def test_other_units_policies_are_404_and_viewers_get_403(client: TestClient, org: Org) -> None:
    eddie, vera, wendy = (bearer(org.session, n) for n in ("eddie", "vera", "wendy"))
    assert client.post(f"{API}/policies", headers=eddie, json=body()).status_code == 201
    before = unchanged(org)
    thresholds = {"thresholds": ladder()}
    problem(client.get(f"{API}/policies/standard", headers=wendy), 404)
    problem(client.put(f"{API}/policies/standard/thresholds", headers=wendy, json=thresholds), 404)
    problem(client.delete(f"{API}/policies/standard", headers=wendy), 404)
    assert client.get(f"{API}/policies", headers=wendy).json()["items"] == []
    problem(client.post(f"{API}/policies", headers=wendy, json=body(name="mine")), 403)
    problem(client.post(f"{API}/policies", headers=vera, json=body(name="mine")), 403)
    problem(client.put(f"{API}/policies/standard/thresholds", headers=vera, json=thresholds), 403)
    problem(client.delete(f"{API}/policies/standard", headers=vera), 403)
    assert unchanged(org) == before
