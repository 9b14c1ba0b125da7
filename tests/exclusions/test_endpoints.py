"""Exclusion windows over HTTP: declare, list, read, approve and reject; bad input is a 422
naming the field and writes nothing; other units' windows are 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.exclusions.models import ExclusionWindow
from accord.kit.time import utc_now
from tests.exclusions.conftest import Org
from tests.identity.helpers import audit_actions, audit_count, bearer, count, last_seq, problem

pytestmark = pytest.mark.db

API = "/api/v1"


def instant(hours: float) -> str:
    """An instant ``hours`` from now, on a whole minute, as ISO 8601 with an offset."""
    at = utc_now().replace(second=0, microsecond=0) + timedelta(hours=hours)
    return at.isoformat()


def body(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "maintenance",
        "starts_at": instant(1),
        "ends_at": instant(3),
        "reason": "database upgrade",
    } | overrides


def test_declare_read_list_and_approve(client: TestClient, org: Org) -> None:
    eddie, alice, vera = (bearer(org.session, n) for n in ("eddie", "alice", "vera"))
    seq = last_seq(org.session)
    r = client.post(
        f"{API}/services/pay/exclusions", headers=eddie, json=body(objective=org.pay_slo)
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert r.headers["Location"] == f"{API}/exclusions/{created['id']}"
    assert created["status"] == "proposed"
    assert (created["service"], created["objective"], created["created_by"]) == (
        "pay",
        org.pay_slo,
        "eddie",
    )
    assert created["starts_at"].endswith("Z")
    assert client.get(f"{API}/exclusions/{created['id']}", headers=vera).json() == created

    r = client.post(
        f"{API}/exclusions/{created['id']}/approve", headers=alice, json={"reason": "agreed"}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["decided_by"]) == ("approved", "alice")
    listed = client.get(f"{API}/services/pay/exclusions?status=approved", headers=vera).json()
    assert [w["id"] for w in listed["items"]] == [created["id"]]
    assert listed["next_cursor"] is None
    assert client.get(f"{API}/services/pay/exclusions?kind=peak", headers=vera).json() == {
        "items": [],
        "next_cursor": None,
    }
    assert audit_actions(org.session, since=seq) == ["exclusion.declared", "exclusion.approved"]


def test_four_eyes_and_final_decisions_are_409(client: TestClient, org: Org) -> None:
    anna, alice = bearer(org.session, "anna"), bearer(org.session, "alice")
    created = client.post(f"{API}/services/pay/exclusions", headers=anna, json=body()).json()
    url = f"{API}/exclusions/{created['id']}"
    problem(
        client.post(f"{url}/approve", headers=anna, json={"reason": "mine"}), 409, rule="four-eyes"
    )
    r = client.post(f"{url}/reject", headers=alice, json={"reason": "not this week"})
    assert r.json()["status"] == "rejected"
    problem(
        client.post(f"{url}/approve", headers=alice, json={"reason": "changed my mind"}),
        409,
        rule="approve-from-rejected",
    )


def test_rule_violations_name_rule_and_field(client: TestClient, org: Org) -> None:
    eddie = bearer(org.session, "eddie")
    before = (count(org.session, ExclusionWindow), audit_count(org.session))
    for payload, rule in (
        (body(starts_at=instant(-5), ends_at=instant(-4)), "maintenance-in-past"),
        (body(ends_at=instant(1 + 24 * 32)), "exclusion-too-long"),
        (body(ends_at=instant(1.05)), "exclusion-too-short"),
    ):
        r = client.post(f"{API}/services/pay/exclusions", headers=eddie, json=payload)
        problem(r, 422, rule=rule, field="ends_at")
    assert (count(org.session, ExclusionWindow), audit_count(org.session)) == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_at": "2031-01-01T00:00:00Z", "starts_at": "2031-01-01T01:00:00Z"}, "ends_at"),
        ({"starts_at": "2031-01-01T00:00:00"}, "starts_at"),
        ({"kind": "holiday"}, "kind"),
        ({"kind": "peak", "counts_as_good": True}, "counts_as_good"),
        ({"reason": None}, "reason"),
        ({"reason": "ok\u0085"}, "reason"),
        ({"objective": "SLO-9999"}, "objective"),
        ({"status": "approved"}, "status"),
        ({"created_by": "someone"}, "created_by"),
    ],
)
def test_bad_windows_are_422_naming_the_field_and_write_nothing(
    client: TestClient, org: Org, overrides: dict[str, Any], field: str
) -> None:
    eddie = bearer(org.session, "eddie")
    before = (count(org.session, ExclusionWindow), audit_count(org.session))
    r = client.post(f"{API}/services/pay/exclusions", headers=eddie, json=body(**overrides))
    problem(r, 422, field=field)
    assert (count(org.session, ExclusionWindow), audit_count(org.session)) == before


def test_decisions_need_a_reason(client: TestClient, org: Org) -> None:
    eddie, alice = bearer(org.session, "eddie"), bearer(org.session, "alice")
    created = client.post(f"{API}/services/pay/exclusions", headers=eddie, json=body()).json()
    for verb in ("approve", "reject"):
        r = client.post(f"{API}/exclusions/{created['id']}/{verb}", headers=alice, json={})
        problem(r, 422, field="reason")
    assert client.get(f"{API}/exclusions/{created['id']}", headers=alice).json()["status"] == (
        "proposed"
    )


def test_other_units_windows_are_404_like_missing_ones(client: TestClient, org: Org) -> None:
    eddie, alice, wendy = (bearer(org.session, n) for n in ("eddie", "alice", "wendy"))
    theirs = client.post(f"{API}/services/ledger/exclusions", headers=wendy, json=body()).json()
    for method, path, payload in (
        ("GET", f"/exclusions/{theirs['id']}", None),
        ("POST", f"/exclusions/{theirs['id']}/approve", {"reason": "sneaky"}),
        ("POST", f"/exclusions/{theirs['id']}/reject", {"reason": "sneaky"}),
        ("GET", "/services/ledger/exclusions", None),
        ("POST", "/services/ledger/exclusions", body()),
        ("GET", "/exclusions/999999", None),
        ("GET", f"/exclusions/{2**63}", None),
    ):
        who = alice if "approve" in path or "reject" in path else eddie
        r = client.request(method, f"{API}{path}", headers=who, json=payload)
        assert r.status_code in (404, 422), (path, r.text)
        if path != f"/exclusions/{2**63}":
            problem(r, 404)
    assert client.get(f"{API}/exclusions/{theirs['id']}", headers=wendy).json()["status"] == (
        "proposed"
    )


def test_roles_without_the_permission_get_403(client: TestClient, org: Org) -> None:
    vera, eddie = bearer(org.session, "vera"), bearer(org.session, "eddie")
    problem(client.post(f"{API}/services/pay/exclusions", headers=vera, json=body()), 403)
    created = client.post(f"{API}/services/pay/exclusions", headers=eddie, json=body()).json()
    for verb in ("approve", "reject"):
        problem(
            client.post(
                f"{API}/exclusions/{created['id']}/{verb}", headers=eddie, json={"reason": "mine"}
            ),
            403,
        )


def test_pages_follow_the_cursor(client: TestClient, org: Org) -> None:
    eddie = bearer(org.session, "eddie")
    ids = [
        client.post(
            f"{API}/services/pay/exclusions", headers=eddie, json=body(kind="exception")
        ).json()["id"]
        for _ in range(3)
    ]
    first = client.get(f"{API}/services/pay/exclusions?limit=2", headers=eddie).json()
    assert [w["id"] for w in first["items"]] == ids[:2]
    rest = client.get(
        f"{API}/services/pay/exclusions?limit=2&cursor={first['next_cursor']}", headers=eddie
    ).json()
    assert ([w["id"] for w in rest["items"]], rest["next_cursor"]) == (ids[2:], None)
