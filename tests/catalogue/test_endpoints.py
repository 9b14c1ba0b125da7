"""The catalogue over HTTP: regions, tiers, customers, vendors, services, dependencies, RBAC and
bad input (4xx problem+json naming the field, and nothing written)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from accord.audit.models import AuditEvent
from accord.catalogue.models import (
    Customer,
    CustomerContact,
    Region,
    Service,
    ServiceDependency,
    Tier,
    Vendor,
)
from accord.db.base import Base
from accord.identity.enums import Role
from tests.factories.catalogue import make_customer, make_region, make_service
from tests.factories.identity import make_principal
from tests.identity.helpers import (
    audit_actions,
    audit_count,
    bearer,
    count,
    field_message,
    last_seq,
    problem,
)

pytestmark = pytest.mark.db

API = "/api/v1"
UNKNOWN = "unknown or read-only field"


def unchanged(session: Session, *models: type[Base]) -> dict[str, int]:
    """Row counts of ``models`` and of the audit trail, to compare before and after."""
    counts = {m.__tablename__: count(session, m) for m in models}  # type: ignore[attr-defined]
    counts["audit_event"] = audit_count(session)
    return counts


# ------------------------------------------------------------------------------------- regions


def test_regions(client: TestClient, org: Session) -> None:
    root = bearer(org, "root")
    vera = bearer(org, "vera")
    seq = last_seq(org)
    r = client.post(
        f"{API}/regions",
        headers=root,
        json={"code": "eu-de", "name": "Germany", "jurisdiction": "DE", "data_residency": True},
    )
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"{API}/regions/eu-de"
    assert r.json() == {
        "code": "eu-de",
        "name": "Germany",
        "jurisdiction": "DE",
        "data_residency": True,
    }
    r = client.post(
        f"{API}/regions",
        headers=root,
        json={"code": "us-ny", "name": "NY", "jurisdiction": "US-NY"},
    )
    assert r.json()["data_residency"] is False
    r = client.patch(f"{API}/regions/us-ny", headers=root, json={"data_residency": True})
    assert r.status_code == 200, r.text
    assert r.json()["data_residency"] is True
    assert [x["code"] for x in client.get(f"{API}/regions", headers=vera).json()] == [
        "eu-de",
        "us-ny",
    ]
    assert client.get(f"{API}/regions/eu-de", headers=vera).json()["jurisdiction"] == "DE"
    problem(client.get(f"{API}/regions/nowhere", headers=vera), 404)
    assert audit_actions(org, since=seq) == ["region.created", "region.created", "region.updated"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"code": "x-y", "name": "X", "jurisdiction": "Germany"}, "jurisdiction"),
        ({"code": "x-y", "name": "X", "jurisdiction": "de"}, "jurisdiction"),
        ({"code": "x-y", "name": "X", "jurisdiction": "DE\n"}, "jurisdiction"),
        ({"code": "X Y", "name": "X", "jurisdiction": "DE"}, "code"),
        ({"code": "x-y", "name": "X\x00", "jurisdiction": "DE"}, "name"),
        (
            {"code": "x-y", "name": "X", "jurisdiction": "DE", "data_residency": "maybe"},
            "data_residency",
        ),
        ({"code": "x-y", "name": "X", "jurisdiction": "DE", "id": 1}, "id"),
    ],
)
def test_bad_regions_write_nothing(
    client: TestClient, org: Session, payload: dict[str, Any], field: str
) -> None:
    root = bearer(org, "root")
    before = unchanged(org, Region)
    problem(client.post(f"{API}/regions", headers=root, json=payload), 422, field=field)
    assert unchanged(org, Region) == before


def test_region_writes_are_org_wide(client: TestClient, org: Session) -> None:
    make_region(org, "eu-west")
    org.commit()
    eddie = bearer(org, "eddie")
    before = unchanged(org, Region)
    problem(
        client.post(
            f"{API}/regions", headers=eddie, json={"code": "x-y", "name": "X", "jurisdiction": "DE"}
        ),
        403,
    )
    problem(client.patch(f"{API}/regions/eu-west", headers=eddie, json={"name": "Mine"}), 403)
    assert unchanged(org, Region) == before
    root = bearer(org, "root")
    problem(
        client.post(
            f"{API}/regions",
            headers=root,
            json={"code": "eu-west", "name": "X", "jurisdiction": "IE"},
        ),
        409,
    )


# --------------------------------------------------------------------------------------- tiers


def test_the_four_default_tiers(client: TestClient, org: Session) -> None:
    r = client.get(f"{API}/tiers", headers=bearer(org, "vera"))
    assert r.status_code == 200, r.text
    tiers = r.json()
    assert [t["level"] for t in tiers] == [1, 2, 3, 4]
    assert [t["min_target"] for t in tiers] == ["0.9995", "0.999", "0.995", "0.99"]
    assert [t["evaluation_interval_seconds"] for t in tiers] == [60, 300, 900, 3600]
    assert [t["active_monitoring_required"] for t in tiers] == [True, True, False, False]
    assert tiers[0]["required_sign_offs"] == ["provider_owner", "customer_owner", "legal"]
    assert all(t["name"].startswith(f"Tier {t['level']}") for t in tiers)
    one = client.get(f"{API}/tiers/1", headers=bearer(org, "vera")).json()
    assert one == tiers[0]


GOOD_TIER = {
    "name": "Tier 2 - important",
    "min_target": "0.99950",
    "evaluation_interval_seconds": 120,
    "active_monitoring_required": False,
    "required_sign_offs": ["provider_owner", "finance"],
}


def test_replacing_a_tier_keeps_the_exact_digits(client: TestClient, org: Session) -> None:
    root = bearer(org, "root")
    seq = last_seq(org)
    r = client.put(f"{API}/tiers/2", headers=root, json=GOOD_TIER)
    assert r.status_code == 200, r.text
    assert r.json() == {"level": 2, **GOOD_TIER}
    again = client.get(f"{API}/tiers/2", headers=root).json()
    assert again["min_target"] == "0.99950"
    assert audit_actions(org, since=seq) == ["tier.updated"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"min_target": "1"}, "min_target"),
        ({"min_target": "0"}, "min_target"),
        ({"min_target": "1.5"}, "min_target"),
        ({"min_target": "0.123456789"}, "min_target"),
        ({"min_target": "high"}, "min_target"),
        ({"evaluation_interval_seconds": 5}, "evaluation_interval_seconds"),
        ({"evaluation_interval_seconds": 86_401}, "evaluation_interval_seconds"),
        ({"evaluation_interval_seconds": "often"}, "evaluation_interval_seconds"),
        ({"active_monitoring_required": "perhaps"}, "active_monitoring_required"),
        ({"required_sign_offs": []}, "required_sign_offs"),
        ({"required_sign_offs": ["legal", "legal"]}, "required_sign_offs"),
        ({"required_sign_offs": ["ceo"]}, "required_sign_offs.0"),
        ({"name": "a\x00b"}, "name"),
        ({"level": 3}, "level"),
    ],
)
def test_bad_tiers_are_422_and_change_nothing(
    client: TestClient, org: Session, change: dict[str, Any], field: str
) -> None:
    root = bearer(org, "root")
    before = client.get(f"{API}/tiers/2", headers=root).json()
    events = audit_count(org)
    r = client.put(f"{API}/tiers/2", headers=root, json={**GOOD_TIER, **change})
    problem(r, 422, field=field)
    assert client.get(f"{API}/tiers/2", headers=root).json() == before
    assert audit_count(org) == events


def test_a_put_needs_every_field(client: TestClient, org: Session) -> None:
    body = {k: v for k, v in GOOD_TIER.items() if k != "min_target"}
    problem(
        client.put(f"{API}/tiers/2", headers=bearer(org, "root"), json=body),
        422,
        field="min_target",
    )


@pytest.mark.parametrize("level", ["0", "5", "one"])
def test_tier_levels_are_one_to_four(client: TestClient, org: Session, level: str) -> None:
    problem(client.get(f"{API}/tiers/{level}", headers=bearer(org, "vera")), 422, field="level")


def test_tiers_are_written_only_by_org_wide_writers(client: TestClient, org: Session) -> None:
    problem(client.put(f"{API}/tiers/2", headers=bearer(org, "eddie"), json=GOOD_TIER), 403)
    problem(client.put(f"{API}/tiers/2", headers=bearer(org, "vera"), json=GOOD_TIER), 403)
    assert count(org, Tier) == 4


# ----------------------------------------------------------------------------------- customers


def test_customers_with_contacts(client: TestClient, org: Session) -> None:
    make_region(org, "eu-west")
    make_principal(org, "ext-acme", (Role.EXTERNAL, "retail"))
    org.commit()
    eddie = bearer(org, "eddie")
    seq = last_seq(org)
    r = client.post(
        f"{API}/customers",
        headers=eddie,
        json={
            "code": "acme",
            "name": "ACME Corp",
            "business_unit": "retail",
            "region": "eu-west",
            "contact_email": "sla@acme.example",
        },
    )
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"{API}/customers/acme"
    assert r.json()["contacts"] == []
    r = client.post(f"{API}/customers/acme/contacts", headers=eddie, json={"principal": "ext-acme"})
    assert r.status_code == 201, r.text
    assert r.json()["contacts"] == ["ext-acme"]
    problem(
        client.post(
            f"{API}/customers/acme/contacts", headers=eddie, json={"principal": "ext-acme"}
        ),
        409,
    )
    problem(
        client.post(f"{API}/customers/acme/contacts", headers=eddie, json={"principal": "prom"}),
        422,
        field="principal",
    )
    r = client.patch(f"{API}/customers/acme", headers=eddie, json={"name": "ACME Group"})
    assert r.json()["name"] == "ACME Group"
    assert r.json()["contacts"] == ["ext-acme"]
    r = client.delete(f"{API}/customers/acme/contacts/ext-acme", headers=eddie)
    assert r.status_code == 200, r.text
    assert r.json()["contacts"] == []
    problem(client.delete(f"{API}/customers/acme/contacts/ext-acme", headers=eddie), 404)
    assert audit_actions(org, since=seq) == [
        "customer.created",
        "customer.contact_added",
        "customer.updated",
        "customer.contact_removed",
    ]


def test_customers_are_scoped_by_unit(client: TestClient, org: Session) -> None:
    make_customer(org, "acme", "retail")
    make_customer(org, "globex", "wholesale")
    org.commit()
    eddie = bearer(org, "eddie")
    items = client.get(f"{API}/customers", headers=eddie).json()["items"]
    assert [c["code"] for c in items] == ["acme"]
    assert (
        client.get(f"{API}/customers?business_unit=wholesale", headers=eddie).json()["items"] == []
    )
    root_items = client.get(f"{API}/customers?business_unit=wholesale", headers=bearer(org, "root"))
    assert [c["code"] for c in root_items.json()["items"]] == ["globex"]
    problem(
        client.get(f"{API}/customers?business_unit=nowhere", headers=eddie),
        422,
        field="business_unit",
    )
    # Another unit's customer is exactly like one that does not exist.
    other = client.get(f"{API}/customers/globex", headers=eddie)
    missing = client.get(f"{API}/customers/nobody", headers=eddie)
    problem(other, 404)
    problem(missing, 404)
    assert other.json()["detail"].replace("globex", "X") == missing.json()["detail"].replace(
        "nobody", "X"
    )
    before = unchanged(org, Customer, CustomerContact)
    problem(client.patch(f"{API}/customers/globex", headers=eddie, json={"name": "Mine"}), 404)
    problem(
        client.post(f"{API}/customers/globex/contacts", headers=eddie, json={"principal": "vera"}),
        404,
    )
    problem(
        client.post(
            f"{API}/customers",
            headers=eddie,
            json={"code": "initech", "name": "Initech", "business_unit": "wholesale"},
        ),
        403,
    )
    assert unchanged(org, Customer, CustomerContact) == before


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"code": "acme", "name": "A", "business_unit": "retail", "tier": 1}, "tier", UNKNOWN),
        ({"code": "acme", "name": "A\x00", "business_unit": "retail"}, "name", "control"),
        ({"code": "acme", "name": "A", "business_unit": "nowhere"}, "business_unit", None),
        (
            {"code": "acme", "name": "A", "business_unit": "retail", "region": "mars"},
            "region",
            None,
        ),
        (
            {"code": "acme", "name": "A", "business_unit": "retail", "contact_email": "nope"},
            "contact_email",
            None,
        ),
        (
            {"code": "acme", "name": "A", "business_unit": "retail", "contact_email": "a\x00@b.cd"},
            "contact_email",
            None,
        ),
        ({"code": "ACME", "name": "A", "business_unit": "retail"}, "code", None),
        ({"code": "acme", "name": ["A"], "business_unit": "retail"}, "name", None),
    ],
)
def test_bad_customers_write_nothing(
    client: TestClient, org: Session, payload: dict[str, Any], field: str, message: str | None
) -> None:
    eddie = bearer(org, "eddie")
    before = unchanged(org, Customer)
    body = problem(client.post(f"{API}/customers", headers=eddie, json=payload), 422, field=field)
    if message:
        assert message in field_message(body, field)
    assert unchanged(org, Customer) == before


# ------------------------------------------------------------------------------------- vendors


def test_vendors(client: TestClient, org: Session) -> None:
    root = bearer(org, "root")
    for i in range(3):
        r = client.post(
            f"{API}/vendors", headers=root, json={"code": f"vendor-{i}", "name": f"Vendor {i}"}
        )
        assert r.status_code == 201, r.text
    page = client.get(f"{API}/vendors?limit=2", headers=bearer(org, "vera")).json()
    assert [v["code"] for v in page["items"]] == ["vendor-0", "vendor-1"]
    page = client.get(
        f"{API}/vendors", headers=root, params={"limit": 2, "cursor": page["next_cursor"]}
    ).json()
    assert [v["code"] for v in page["items"]] == ["vendor-2"]
    assert page["next_cursor"] is None
    r = client.patch(
        f"{API}/vendors/vendor-1", headers=root, json={"contact_email": "ops@vendor.example"}
    )
    assert r.json()["contact_email"] == "ops@vendor.example"
    r = client.patch(f"{API}/vendors/vendor-1", headers=root, json={"contact_email": None})
    assert r.json()["contact_email"] is None
    problem(
        client.patch(f"{API}/vendors/vendor-1", headers=root, json={"name": None}),
        422,
        field="name",
    )
    problem(
        client.post(f"{API}/vendors", headers=root, json={"code": "vendor-0", "name": "X"}), 409
    )
    problem(client.get(f"{API}/vendors/nobody", headers=root), 404)
    before = unchanged(org, Vendor)
    problem(
        client.post(
            f"{API}/vendors", headers=bearer(org, "eddie"), json={"code": "x-y", "name": "X"}
        ),
        403,
    )
    assert unchanged(org, Vendor) == {**before, "audit_event": before["audit_event"] + 1}


# ------------------------------------------------------------------------------------ services


def service_body(**overrides: Any) -> dict[str, Any]:
    return {"slug": "pay", "name": "Payments", "business_unit": "retail", "tier": 2, **overrides}


def test_service_round_trip(client: TestClient, org: Session) -> None:
    eddie = bearer(org, "eddie")
    r = client.post(
        f"{API}/services",
        headers=eddie,
        json=service_body(
            description="Card payments\nand refunds",
            owner="vera",
            criticality="critical",
            cmdb_ci_id="CI-0042",
        ),
    )
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"{API}/services/pay"
    created = r.json()
    assert {k: created[k] for k in ("business_unit", "tier", "owner", "criticality")} == {
        "business_unit": "retail",
        "tier": 2,
        "owner": "vera",
        "criticality": "critical",
    }
    assert created["lifecycle"] == "active"
    assert created["cmdb_ci_id"] == "CI-0042"
    assert created["description"] == "Card payments\nand refunds"
    assert client.get(f"{API}/services/pay", headers=bearer(org, "vera")).json() == created


def test_editor_of_one_unit_cannot_create_in_another(client: TestClient, org: Session) -> None:
    eddie = bearer(org, "eddie")
    before = unchanged(org, Service)
    # A unit the caller knows but may not write: 403.
    r = client.post(f"{API}/services", headers=eddie, json=service_body(business_unit="wholesale"))
    problem(r, 403, code="forbidden")
    # A unit that does not exist: invalid input on the field.
    r = client.post(f"{API}/services", headers=eddie, json=service_body(business_unit="nowhere"))
    problem(r, 422, field="business_unit")
    assert unchanged(org, Service) == before


def test_viewer_cannot_write(client: TestClient, org: Session) -> None:
    make_service(org, "pay", "retail")
    org.commit()
    vera = bearer(org, "vera")
    before = unchanged(org, Service, ServiceDependency)
    problem(client.post(f"{API}/services", headers=vera, json=service_body(slug="new")), 403)
    problem(client.patch(f"{API}/services/pay", headers=vera, json={"name": "Mine"}), 403)
    problem(
        client.post(f"{API}/services/pay/dependencies", headers=vera, json={"depends_on": "pay"}),
        403,
    )
    assert unchanged(org, Service, ServiceDependency) == before
    assert client.get(f"{API}/services/pay", headers=vera).json()["name"] == "Pay"


def test_an_object_of_another_unit_is_404(client: TestClient, org: Session) -> None:
    make_service(org, "ledger", "wholesale")
    org.commit()
    eddie = bearer(org, "eddie")
    before = unchanged(org, Service)
    for method, path, body in [
        ("GET", "/services/ledger", None),
        ("PATCH", "/services/ledger", {"name": "Mine"}),
        ("GET", "/services/ledger/dependencies", None),
        ("POST", "/services/ledger/dependencies", {"depends_on": "ledger"}),
    ]:
        theirs = client.request(method, f"{API}{path}", headers=eddie, json=body)
        missing = client.request(
            method, f"{API}{path.replace('ledger', 'nothing')}", headers=eddie, json=body
        )
        problem(theirs, 404)
        problem(missing, 404)
        assert theirs.json()["detail"].replace("ledger", "X") == missing.json()["detail"].replace(
            "nothing", "X"
        )
    assert unchanged(org, Service) == before
    assert client.get(f"{API}/services", headers=eddie).json()["items"] == []


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"lifecycle": "active"}, "lifecycle", UNKNOWN),
        ({"id": 7}, "id", UNKNOWN),
        ({"created_at": "2026-01-01T00:00:00Z"}, "created_at", UNKNOWN),
        ({"name": "Pay\x00ments"}, "name", "control"),
        ({"name": "Payments\n"}, "name", "control"),
        ({"description": "bad\x00"}, "description", "control"),
        ({"cmdb_ci_id": "CI\x07"}, "cmdb_ci_id", "control"),
        ({"tier": "two"}, "tier", None),
        ({"tier": 5}, "tier", None),
        ({"tier": 0}, "tier", None),
        ({"tier": None}, "tier", None),
        ({"criticality": "extreme"}, "criticality", None),
        ({"slug": "Pay Ments"}, "slug", None),
        ({"slug": "-pay"}, "slug", None),
        ({"slug": "p"}, "slug", None),
        ({"slug": "pay_ments"}, "slug", None),
        ({"owner": "nobody"}, "owner", None),
        ({"owner": "prom"}, "owner", None),
        ({"business_unit": 3}, "business_unit", None),
    ],
)
def test_bad_services_are_422_naming_the_field_and_write_nothing(
    client: TestClient,
    org: Session,
    overrides: dict[str, Any],
    field: str,
    message: str | None,
) -> None:
    eddie = bearer(org, "eddie")
    before = unchanged(org, Service)
    r = client.post(f"{API}/services", headers=eddie, json=service_body(**overrides))
    body = problem(r, 422, code="invalid-input", field=field)
    if message:
        assert message in field_message(body, field)
    assert unchanged(org, Service) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slug": "renamed"}, "slug"),
        ({"business_unit": "wholesale"}, "business_unit"),
        ({"lifecycle": "retired"}, "lifecycle"),
        ({"lifecycle": None}, "lifecycle"),
        ({"name": None}, "name"),
        ({"name": "\x00"}, "name"),
        ({"tier": "1.5"}, "tier"),
        ({"updated_at": "yesterday"}, "updated_at"),
    ],
)
def test_bad_service_updates_change_nothing(
    client: TestClient, org: Session, change: dict[str, Any], field: str
) -> None:
    make_service(org, "pay", "retail")
    org.commit()
    eddie = bearer(org, "eddie")
    before = client.get(f"{API}/services/pay", headers=eddie).json()
    events = audit_count(org)
    problem(client.patch(f"{API}/services/pay", headers=eddie, json=change), 422, field=field)
    assert client.get(f"{API}/services/pay", headers=eddie).json() == before
    assert audit_count(org) == events


def test_malformed_json_is_a_4xx_problem(client: TestClient, org: Session) -> None:
    eddie = bearer(org, "eddie")
    before = unchanged(org, Service)
    r = client.post(
        f"{API}/services",
        headers={**eddie, "Content-Type": "application/json"},
        content=b'{"slug": "pay", ',
    )
    assert 400 <= r.status_code < 500
    problem(r, r.status_code)
    r = client.post(f"{API}/services", headers=eddie, json=["not", "an", "object"])
    problem(r, 422)
    assert unchanged(org, Service) == before


def test_lifecycle_transitions_over_http(client: TestClient, org: Session) -> None:
    make_service(org, "pay", "retail")
    org.commit()
    eddie = bearer(org, "eddie")
    for lifecycle in ("sunset", "active", "sunset", "decommissioned"):
        r = client.patch(f"{API}/services/pay", headers=eddie, json={"lifecycle": lifecycle})
        assert r.status_code == 200, r.text
        assert r.json()["lifecycle"] == lifecycle
    events = audit_count(org)
    for lifecycle in ("active", "sunset"):
        r = client.patch(f"{API}/services/pay", headers=eddie, json={"lifecycle": lifecycle})
        body = problem(r, 409, code="invalid-transition", rule="service-lifecycle")
        assert "decommissioning is final" in body["detail"]
    assert audit_count(org) == events
    assert client.get(f"{API}/services/pay", headers=eddie).json()["lifecycle"] == "decommissioned"


def test_cmdb_id_is_unique_over_http(client: TestClient, org: Session) -> None:
    root = bearer(org, "root")
    r = client.post(f"{API}/services", headers=root, json=service_body(cmdb_ci_id="CI-1"))
    assert r.status_code == 201, r.text
    before = unchanged(org, Service)
    r = client.post(
        f"{API}/services",
        headers=root,
        json=service_body(slug="other", business_unit="wholesale", cmdb_ci_id="CI-1"),
    )
    problem(r, 409, code="conflict")
    assert unchanged(org, Service) == before
    client.post(f"{API}/services", headers=root, json=service_body(slug="other"))
    problem(client.patch(f"{API}/services/other", headers=root, json={"cmdb_ci_id": "CI-1"}), 409)
    problem(client.post(f"{API}/services", headers=root, json=service_body()), 409)


@pytest.fixture
def portfolio(org: Session) -> Session:
    """Seven services with varied attributes: five in retail, two in wholesale."""
    from accord.catalogue import service as catalogue_service
    from accord.catalogue.schemas import ServiceCreate, ServiceUpdate
    from accord.kit.time import utc_now
    from tests.factories.identity import SYSTEM

    specs = [
        ("r-one", "retail", 1, "critical", "vera", None),
        ("r-two", "retail", 2, "high", "eddie", "sunset"),
        ("r-three", "retail", 1, "critical", None, None),
        ("r-four", "retail", 3, "low", "vera", "decommissioned"),
        ("r-five", "retail", 4, "medium", None, None),
        ("w-one", "wholesale", 1, "critical", "vera", None),
        ("w-two", "wholesale", 2, "high", "wendy", "sunset"),
    ]
    for slug, unit, tier, criticality, owner, lifecycle in specs:
        catalogue_service.create_service(
            org,
            actor=SYSTEM,
            data=ServiceCreate.model_validate(
                {
                    "slug": slug,
                    "name": slug,
                    "business_unit": unit,
                    "tier": tier,
                    "criticality": criticality,
                    "owner": owner,
                }
            ),
            now=utc_now(),
        )
        if lifecycle:
            catalogue_service.update_service(
                org,
                actor=SYSTEM,
                slug=slug,
                data=ServiceUpdate.model_validate({"lifecycle": lifecycle}),
                now=utc_now(),
            )
    org.commit()
    return org


@pytest.mark.parametrize(
    ("who", "query", "expected"),
    [
        ("root", "", ["r-one", "r-two", "r-three", "r-four", "r-five", "w-one", "w-two"]),
        ("eddie", "", ["r-one", "r-two", "r-three", "r-four", "r-five"]),
        ("wendy", "", ["w-one", "w-two"]),
        ("root", "business_unit=wholesale", ["w-one", "w-two"]),
        ("eddie", "business_unit=wholesale", []),
        ("root", "tier=1", ["r-one", "r-three", "w-one"]),
        ("eddie", "tier=1", ["r-one", "r-three"]),
        ("root", "lifecycle=sunset", ["r-two", "w-two"]),
        ("root", "lifecycle=decommissioned", ["r-four"]),
        ("root", "criticality=critical", ["r-one", "r-three", "w-one"]),
        ("root", "owner=vera", ["r-one", "r-four", "w-one"]),
        ("eddie", "owner=vera", ["r-one", "r-four"]),
        ("root", "owner=nobody", []),
        ("root", "tier=1&criticality=critical&owner=vera&business_unit=retail", ["r-one"]),
        ("root", "lifecycle=active&tier=4", ["r-five"]),
    ],
)
def test_service_filters(
    client: TestClient, portfolio: Session, who: str, query: str, expected: list[str]
) -> None:
    r = client.get(f"{API}/services?{query}", headers=bearer(portfolio, who))
    assert r.status_code == 200, r.text
    assert [s["slug"] for s in r.json()["items"]] == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("tier=5", "tier"),
        ("tier=high", "tier"),
        ("lifecycle=retired", "lifecycle"),
        ("criticality=extreme", "criticality"),
        ("business_unit=nowhere", "business_unit"),
        ("business_unit=Not%20A%20Code", "business_unit"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("cursor=%%%", "cursor"),
        ("cursor=bm90IGEgY3Vyc29y", "cursor"),
    ],
)
def test_bad_filters_are_422(
    client: TestClient, portfolio: Session, query: str, field: str
) -> None:
    problem(
        client.get(f"{API}/services?{query}", headers=bearer(portfolio, "root")), 422, field=field
    )


def test_cursor_pagination_over_several_pages(client: TestClient, portfolio: Session) -> None:
    eddie = bearer(portfolio, "eddie")
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        r = client.get(f"{API}/services", headers=eddie, params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        seen.extend(s["slug"] for s in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["r-one", "r-two", "r-three", "r-four", "r-five"]
    assert pages == 3
    # Filters apply across pages too.
    r = client.get(f"{API}/services", headers=eddie, params={"limit": 1, "tier": 1})
    first = r.json()
    r = client.get(
        f"{API}/services",
        headers=eddie,
        params={"limit": 1, "tier": 1, "cursor": first["next_cursor"]},
    )
    assert [s["slug"] for s in first["items"] + r.json()["items"]] == ["r-one", "r-three"]
    assert r.json()["next_cursor"] is None


# -------------------------------------------------------------------------------- dependencies


def test_dependencies_over_http(client: TestClient, org: Session) -> None:
    for slug in ("web", "pay", "db"):
        make_service(org, slug, "retail")
    org.commit()
    eddie = bearer(org, "eddie")
    vera = bearer(org, "vera")
    seq = last_seq(org)
    r = client.post(f"{API}/services/web/dependencies", headers=eddie, json={"depends_on": "pay"})
    assert r.status_code == 201, r.text
    assert r.json()["depends_on"] == [
        {"service": "web", "depends_on": "pay", "kind": "hard", "description": ""}
    ]
    r = client.post(
        f"{API}/services/pay/dependencies",
        headers=eddie,
        json={"depends_on": "db", "kind": "soft", "description": "read replica"},
    )
    assert r.status_code == 201, r.text
    pay = client.get(f"{API}/services/pay/dependencies", headers=vera).json()
    assert pay["service"] == "pay"
    assert [(d["service"], d["depends_on"], d["kind"]) for d in pay["depends_on"]] == [
        ("pay", "db", "soft")
    ]
    assert [(d["service"], d["depends_on"]) for d in pay["dependents"]] == [("web", "pay")]
    db = client.get(f"{API}/services/db/dependencies", headers=eddie).json()
    assert db["depends_on"] == []
    assert [d["service"] for d in db["dependents"]] == ["pay"]
    problem(
        client.post(f"{API}/services/web/dependencies", headers=eddie, json={"depends_on": "pay"}),
        409,
    )
    r = client.delete(f"{API}/services/web/dependencies/pay", headers=eddie)
    assert r.status_code == 200, r.text
    assert r.json()["depends_on"] == []
    problem(client.delete(f"{API}/services/web/dependencies/pay", headers=eddie), 404)
    assert audit_actions(org, since=seq) == [
        "service.dependency_added",
        "service.dependency_added",
        "service.dependency_removed",
    ]


def test_a_cycle_is_422_naming_it(client: TestClient, org: Session) -> None:
    for slug in ("svc-a", "svc-b", "svc-c"):
        make_service(org, slug, "retail")
    org.commit()
    eddie = bearer(org, "eddie")
    for slug, on in (("svc-b", "svc-c"), ("svc-c", "svc-a")):
        r = client.post(
            f"{API}/services/{slug}/dependencies", headers=eddie, json={"depends_on": on}
        )
        assert r.status_code == 201, r.text
    before = unchanged(org, ServiceDependency)
    r = client.post(
        f"{API}/services/svc-a/dependencies", headers=eddie, json={"depends_on": "svc-b"}
    )
    body = problem(r, 422, code="rule-violation", rule="dependency-cycle", field="depends_on")
    assert "svc-a → svc-b → svc-c → svc-a" in body["detail"]
    assert unchanged(org, ServiceDependency) == before


def test_a_self_dependency_is_422(client: TestClient, org: Session) -> None:
    make_service(org, "pay", "retail")
    org.commit()
    r = client.post(
        f"{API}/services/pay/dependencies", headers=bearer(org, "eddie"), json={"depends_on": "pay"}
    )
    body = problem(r, 422, rule="dependency-cycle", field="depends_on")
    assert "pay → pay" in body["detail"]
    assert count(org, ServiceDependency) == 0


def test_the_cycle_names_only_what_the_caller_may_see(client: TestClient, org: Session) -> None:
    make_service(org, "front", "retail")
    make_service(org, "back", "retail")
    make_service(org, "secret-core", "wholesale")
    org.commit()
    root = bearer(org, "root")
    for slug, on in (("back", "secret-core"), ("secret-core", "front")):
        r = client.post(
            f"{API}/services/{slug}/dependencies", headers=root, json={"depends_on": on}
        )
        assert r.status_code == 201, r.text
    r = client.post(
        f"{API}/services/front/dependencies",
        headers=bearer(org, "eddie"),
        json={"depends_on": "back"},
    )
    body = problem(r, 422, rule="dependency-cycle")
    assert "secret-core" not in r.text
    assert "front → back → (a service outside your business units) → front" in body["detail"]
    # back's dependency on the hidden service is not listed for eddie either.
    deps = client.get(f"{API}/services/back/dependencies", headers=bearer(org, "eddie")).json()
    assert deps["depends_on"] == []
    assert "secret-core" not in str(deps)


def test_hidden_dependencies_cannot_be_probed(client: TestClient, org: Session) -> None:
    make_service(org, "front", "retail")
    make_service(org, "secret-core", "wholesale")
    org.commit()
    r = client.post(
        f"{API}/services/front/dependencies",
        headers=bearer(org, "root"),
        json={"depends_on": "secret-core"},
    )
    assert r.status_code == 201, r.text
    eddie = bearer(org, "eddie")
    before = unchanged(org, ServiceDependency)
    hidden = client.delete(f"{API}/services/front/dependencies/secret-core", headers=eddie)
    missing = client.delete(f"{API}/services/front/dependencies/no-such", headers=eddie)
    problem(hidden, 404)
    problem(missing, 404)
    assert hidden.json()["detail"].replace("secret-core", "X") == missing.json()["detail"].replace(
        "no-such", "X"
    )
    assert unchanged(org, ServiceDependency) == before
    # Depending on it anew answers like depending on a service that does not exist.
    invisible = client.post(
        f"{API}/services/front/dependencies", headers=eddie, json={"depends_on": "secret-core"}
    )
    unknown = client.post(
        f"{API}/services/front/dependencies", headers=eddie, json={"depends_on": "no-such"}
    )
    problem(invisible, 422, field="depends_on")
    problem(unknown, 422, field="depends_on")
    assert invisible.json()["detail"].replace("secret-core", "X") == unknown.json()[
        "detail"
    ].replace("no-such", "X")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"depends_on": "Not A Slug"}, "depends_on"),
        ({"depends_on": "db", "kind": "weak"}, "kind"),
        ({"depends_on": "db", "description": "two\nlines"}, "description"),
        ({"depends_on": "db", "weight": 3}, "weight"),
        ({}, "depends_on"),
    ],
)
def test_bad_dependencies_write_nothing(
    client: TestClient, org: Session, payload: dict[str, Any], field: str
) -> None:
    make_service(org, "pay", "retail")
    make_service(org, "db", "retail")
    org.commit()
    eddie = bearer(org, "eddie")
    before = unchanged(org, ServiceDependency)
    r = client.post(f"{API}/services/pay/dependencies", headers=eddie, json=payload)
    problem(r, 422, field=field)
    assert unchanged(org, ServiceDependency) == before


# ------------------------------------------------------------------------------ authentication


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/regions"),
        ("GET", "/tiers"),
        ("GET", "/customers"),
        ("GET", "/vendors"),
        ("GET", "/services"),
        ("POST", "/services"),
        ("GET", "/services/pay/dependencies"),
    ],
)
def test_catalogue_needs_a_token(client: TestClient, org: Session, method: str, path: str) -> None:
    problem(client.request(method, f"{API}{path}", json={}), 401)


def test_external_and_ingest_principals_cannot_read_the_catalogue(
    client: TestClient, org: Session
) -> None:
    make_service(org, "pay", "retail")
    make_principal(org, "ext", (Role.EXTERNAL, "retail"))
    org.commit()
    for who in ("ext", "prom"):
        headers = bearer(org, who)
        problem(client.get(f"{API}/services", headers=headers), 403)
        problem(client.get(f"{API}/services/pay", headers=headers), 403)
        problem(client.get(f"{API}/customers", headers=headers), 403)


def test_audit_events_are_not_written_for_reads(client: TestClient, org: Session) -> None:
    make_service(org, "pay", "retail")
    org.commit()
    vera = bearer(org, "vera")
    events = audit_count(org)
    for path in ("/services", "/services/pay", "/services/pay/dependencies", "/tiers", "/regions"):
        assert client.get(f"{API}{path}", headers=vera).status_code == 200
    assert audit_count(org) == events
    assert count(org, AuditEvent) == events
