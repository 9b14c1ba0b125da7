from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from accord.identity.enums import Role
from tests.factories.catalogue import make_customer, make_service
from tests.factories.identity import make_principal, make_token, make_unit


def test_lifecycle_over_http(client: TestClient, session: Session) -> None:
    make_unit(session, "retail")
    make_customer(session, "acme", "retail")
    make_service(session, "payments-api", "retail", tier=2)
    make_principal(session, "eddie", (Role.EDITOR, "retail"))
    make_principal(session, "alice", (Role.APPROVER, "retail"))
    make_principal(session, "bob", (Role.APPROVER, "retail"))
    session.commit()
    editor = {"Authorization": f"Bearer {make_token(session, 'eddie')}"}
    alice = {"Authorization": f"Bearer {make_token(session, 'alice')}"}
    bob = {"Authorization": f"Bearer {make_token(session, 'bob')}"}
    session.commit()

    r = client.post(
        "/api/v1/agreements",
        headers=editor,
        json={
            "kind": "sla",
            "title": "Payments for ACME",
            "business_unit": "retail",
            "customer": "acme",
            "terms": {
                "services": ["payments-api"],
                "term_start": "2026-01-01",
                "fee_amount": "1200.00",
                "fee_currency": "EUR",
                "fee_period": "monthly",
            },
            "reason": "new customer",
        },
    )
    assert r.status_code == 201, r.text
    key = r.json()["key"]
    assert key == "SLA-0001"
    r = client.get(f"/api/v1/agreements/{key}/versions/1", headers=editor)
    etag = r.headers["ETag"]
    r = client.patch(
        f"/api/v1/agreements/{key}/versions/1",
        headers={**editor, "If-Match": etag},
        json={"summary": "Payments API availability", "reason": "wording"},
    )
    assert r.status_code == 200, r.text
    r = client.post(
        f"/api/v1/agreements/{key}/versions/1/submit", headers=editor, json={"reason": "ready"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["missing_sign_offs"] == ["provider_owner", "customer_owner"]
    r = client.post(
        f"/api/v1/agreements/{key}/versions/1/approve",
        headers=alice,
        json={"reason": "looks right"},
    )
    assert r.status_code == 409, r.text
    assert r.json()["rule"] == "sign-offs-missing"
    assert (
        client.post(
            f"/api/v1/agreements/{key}/versions/1/sign-offs",
            headers=alice,
            json={"role": "provider_owner"},
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"/api/v1/agreements/{key}/versions/1/sign-offs",
            headers=bob,
            json={"role": "customer_owner"},
        ).status_code
        == 201
    )
    r = client.post(
        f"/api/v1/agreements/{key}/versions/1/approve",
        headers=alice,
        json={"reason": "looks right"},
    )
    assert r.status_code == 200, r.text
    r = client.post(
        f"/api/v1/agreements/{key}/versions/1/activate", headers=alice, json={"reason": "go live"}
    )
    assert r.status_code == 200, r.text
    r = client.get("/api/v1/agreements?status=active", headers=editor)
    assert [a["key"] for a in r.json()["items"]] == [key]
    r = client.get("/api/v1/audit/verify", headers=alice)
    assert r.status_code == 403
