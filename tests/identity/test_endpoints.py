"""Identity over HTTP: authentication, /me, tokens, principals and grants, business units."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.audit.models import AuditEvent
from accord.identity.enums import PrincipalKind, Role, TokenKind
from accord.identity.models import ApiToken, BusinessUnit, Principal, RoleGrant
from accord.identity.rules import new_token, token_hash
from accord.kit.pagination import encode_cursor
from accord.kit.time import utc_now
from tests.factories.identity import make_principal, make_unit
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


@pytest.fixture
def org(session: Session) -> Session:
    """Two units; an org admin, a unit admin, an editor and a viewer of retail."""
    make_unit(session, "retail")
    make_unit(session, "wholesale")
    make_principal(session, "root", (Role.ADMIN, None))
    make_principal(session, "una", (Role.ADMIN, "retail"))
    make_principal(session, "eddie", (Role.EDITOR, "retail"))
    make_principal(session, "vera", (Role.VIEWER, "retail"))
    session.commit()
    return session


# ------------------------------------------------------------------------------ authentication


def test_every_refusal_is_the_same_401(client: TestClient, org: Session) -> None:
    session = org
    make_principal(session, "gone", (Role.VIEWER, None))
    session.commit()
    valid = bearer(session, "vera")
    expired = bearer(session, "vera")
    revoked = bearer(session, "vera")
    deactivated = bearer(session, "gone")
    token_of = {h["Authorization"].removeprefix("Bearer "): h for h in (expired, revoked)}
    for secret, header in token_of.items():
        stored = session.scalars(
            select(ApiToken).where(ApiToken.token_hash == token_hash(secret))
        ).one()
        if header is expired:
            stored.expires_at = utc_now() - timedelta(seconds=1)
        else:
            stored.revoked_at = utc_now()
    session.execute(update(Principal).where(Principal.name == "gone").values(is_active=False))
    session.commit()

    assert client.get(f"{API}/me", headers=valid).status_code == 200
    refusals = [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer garbage"},
        {"Authorization": f"Bearer {new_token(TokenKind.USER)}"},
        expired,
        revoked,
        deactivated,
    ]
    bodies = set()
    for headers in refusals:
        r = client.get(f"{API}/me", headers=headers)
        body = problem(r, 401, code="unauthenticated")
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        bodies.add(body["detail"])
    # Missing credentials get a hint; every presented-but-refused token the same answer.
    presented = set()
    for headers in refusals[3:]:
        presented.add(client.get(f"{API}/me", headers=headers).json()["detail"])
    assert len(presented) == 1
    assert len(bodies) <= 2


def test_the_portal_cookie_is_not_accepted_by_the_api(client: TestClient, org: Session) -> None:
    token = bearer(org, "vera")["Authorization"].removeprefix("Bearer ")
    client.cookies.set("accord_session", token)
    problem(client.get(f"{API}/me"), 401)


def test_no_token_text_in_logs_or_errors(client: TestClient, org: Session) -> None:
    token = bearer(org, "vera")["Authorization"].removeprefix("Bearer ")
    tampered = token[:-2] + ("zz" if not token.endswith("zz") else "yy")
    r = client.get(f"{API}/me", headers={"Authorization": f"Bearer {tampered}"})
    problem(r, 401)
    assert tampered[8:] not in r.text


# ------------------------------------------------------------------------------------------ /me


def test_me(client: TestClient, org: Session) -> None:
    r = client.get(f"{API}/me", headers=bearer(org, "eddie"))
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["name"] == "eddie"
    assert me["kind"] == "user"
    assert [(g["role"], g["business_unit"]) for g in me["grants"]] == [("editor", "retail")]
    assert me["permissions"]["catalogue:write"] == ["retail"]
    assert me["permissions"]["tokens:own"] == ["retail"]
    assert "identity:admin" not in me["permissions"]
    r = client.get(f"{API}/me", headers=bearer(org, "root"))
    assert r.json()["permissions"]["identity:admin"] == ["*"]


def test_me_for_an_external_and_a_source(client: TestClient, org: Session) -> None:
    make_principal(org, "ext", (Role.EXTERNAL, "retail"))
    make_principal(org, "prom", (Role.INGEST, "retail"), kind=PrincipalKind.SOURCE)
    org.commit()
    ext = client.get(f"{API}/me", headers=bearer(org, "ext")).json()
    assert set(ext["permissions"]) == {"agreements:read-external", "tokens:own"}
    prom = client.get(f"{API}/me", headers=bearer(org, "prom")).json()
    assert prom["kind"] == "source"
    assert prom["permissions"] == {"telemetry:ingest": ["retail"]}


# --------------------------------------------------------------------------------------- tokens


def test_a_created_token_is_shown_once_and_works(client: TestClient, org: Session) -> None:
    vera = bearer(org, "vera")
    seq = last_seq(org)
    r = client.post(f"{API}/tokens", headers=vera, json={"name": "laptop", "expires_in_days": 7})
    assert r.status_code == 201, r.text
    created = r.json()
    secret = created["token"]
    assert secret.startswith("acc_usr_")
    assert created["principal"] == "vera"
    assert created["hint"] == secret[:12] + "…"
    # Never again: neither in the list nor in the database nor in the audit trail.
    listed = client.get(f"{API}/tokens", headers=vera).json()
    assert created["id"] in [t["id"] for t in listed]
    assert all("token" not in t for t in listed)
    assert secret[12:] not in json.dumps(listed)
    row = org.scalars(select(ApiToken).where(ApiToken.id == created["id"])).one()
    assert row.token_hash == token_hash(secret)
    for column in ApiToken.__table__.columns:
        assert secret[12:] not in str(getattr(row, column.key))
    for payload in org.scalars(select(AuditEvent.payload)):
        assert secret[12:] not in payload
    assert audit_actions(org, since=seq) == ["token.created"]
    # The new token authenticates.
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json()["name"] == "vera"


def test_token_for_someone_else_needs_identity_admin(client: TestClient, org: Session) -> None:
    tokens = count(org, ApiToken)
    for who in ("eddie", "una"):
        r = client.post(
            f"{API}/tokens", headers=bearer(org, who), json={"name": "x", "principal": "vera"}
        )
        problem(r, 403, code="forbidden")
    assert count(org, ApiToken) == tokens + 2  # only the two bearer tokens of this test
    r = client.post(
        f"{API}/tokens", headers=bearer(org, "root"), json={"name": "x", "principal": "vera"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["principal"] == "vera"


def test_token_lifetime_is_capped(client: TestClient, org: Session, settings: object) -> None:
    vera = bearer(org, "vera")
    tokens = count(org, ApiToken)
    events = audit_count(org)
    r = client.post(f"{API}/tokens", headers=vera, json={"name": "x", "expires_in_days": 367})
    body = problem(r, 422, field="expires_in_days")
    assert "366" in field_message(body, "expires_in_days")
    for days in (0, -1, "soon", 1.5):
        r = client.post(f"{API}/tokens", headers=vera, json={"name": "x", "expires_in_days": days})
        problem(r, 422, field="expires_in_days")
    assert count(org, ApiToken) == tokens
    assert audit_count(org) == events
    r = client.post(f"{API}/tokens", headers=vera, json={"name": "x", "expires_in_days": 366})
    assert r.status_code == 201, r.text


def test_token_create_refuses_unknown_fields(client: TestClient, org: Session) -> None:
    vera = bearer(org, "vera")
    tokens = count(org, ApiToken)
    r = client.post(f"{API}/tokens", headers=vera, json={"name": "x", "token_hash": "0" * 64})
    body = problem(r, 422, field="token_hash")
    assert field_message(body, "token_hash") == "unknown or read-only field"
    r = client.post(f"{API}/tokens", headers=vera, json={"name": "bad\x00name"})
    problem(r, 422, field="name")
    assert count(org, ApiToken) == tokens


def test_revoking_tokens(client: TestClient, org: Session) -> None:
    vera = bearer(org, "vera")
    vera_token_id = client.get(f"{API}/tokens", headers=vera).json()[0]["id"]
    # Not an admin: someone else's token answers exactly like a token that does not exist.
    eddie = bearer(org, "eddie")
    una = bearer(org, "una")
    for headers in (eddie, una):
        theirs = client.delete(f"{API}/tokens/{vera_token_id}", headers=headers)
        missing = client.delete(f"{API}/tokens/999999", headers=headers)
        problem(theirs, 404, code="not-found")
        problem(missing, 404, code="not-found")
        assert theirs.json()["detail"].replace(str(vera_token_id), "N") == missing.json()[
            "detail"
        ].replace("999999", "N")
    assert client.get(f"{API}/me", headers=vera).status_code == 200
    # Revoking one's own token: it stops working at once.
    seq = last_seq(org)
    r = client.delete(f"{API}/tokens/{vera_token_id}", headers=vera)
    assert r.status_code == 200, r.text
    assert r.json()["revoked_at"] is not None
    assert audit_actions(org, since=seq) == ["token.revoked"]
    problem(client.get(f"{API}/me", headers=vera), 401)
    # An admin may revoke anyone's.
    eddie_token_id = client.get(f"{API}/tokens", headers=eddie).json()[0]["id"]
    r = client.delete(f"{API}/tokens/{eddie_token_id}", headers=bearer(org, "root"))
    assert r.status_code == 200, r.text
    problem(client.get(f"{API}/me", headers=eddie), 401)


@pytest.mark.parametrize("token_id", ["0", "-1", "9223372036854775808", "1" + "0" * 30])
def test_out_of_range_token_ids_are_404_not_500(
    client: TestClient, org: Session, token_id: str
) -> None:
    r = client.delete(f"{API}/tokens/{token_id}", headers=bearer(org, "root"))
    assert r.status_code in (404, 422), r.text
    problem(r, r.status_code)


def test_listing_others_tokens_needs_identity_admin(client: TestClient, org: Session) -> None:
    bearer(org, "vera")
    problem(client.get(f"{API}/tokens?principal=vera", headers=bearer(org, "eddie")), 403)
    r = client.get(f"{API}/tokens?principal=vera", headers=bearer(org, "root"))
    assert r.status_code == 200
    assert [t["principal"] for t in r.json()] == ["vera"]


# ----------------------------------------------------------------------------------- principals


def test_principal_and_grants_over_http(client: TestClient, org: Session) -> None:
    root = bearer(org, "root")
    eddie = bearer(org, "eddie")
    seq = last_seq(org)
    r = client.post(
        f"{API}/principals",
        headers=root,
        json={"name": "carol", "display_name": "Carol", "email": "carol@example.com"},
    )
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"{API}/principals/carol"
    r = client.post(
        f"{API}/principals/carol/grants",
        headers=root,
        json={"role": "approver", "business_unit": "retail"},
    )
    assert r.status_code == 201, r.text
    grant_id = r.json()["grants"][0]["id"]
    assert r.json()["grants"] == [{"id": grant_id, "role": "approver", "business_unit": "retail"}]
    r = client.get(f"{API}/principals/carol", headers=eddie)
    assert r.json()["grants"][0]["role"] == "approver"
    r = client.patch(f"{API}/principals/carol", headers=root, json={"display_name": "Carol C."})
    assert r.json()["display_name"] == "Carol C."
    r = client.delete(f"{API}/principals/carol/grants/{grant_id}", headers=root)
    assert r.status_code == 200, r.text
    assert r.json()["grants"] == []
    assert audit_actions(org, since=seq) == [
        "principal.created",
        "principal.role_granted",
        "principal.updated",
        "principal.role_revoked",
    ]


def test_deactivating_a_principal_locks_it_out(client: TestClient, org: Session) -> None:
    vera = bearer(org, "vera")
    r = client.patch(
        f"{API}/principals/vera", headers=bearer(org, "root"), json={"is_active": False}
    )
    assert r.status_code == 200, r.text
    assert r.json()["is_active"] is False
    problem(client.get(f"{API}/me", headers=vera), 401)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"role": "ingest", "business_unit": "retail"}, "role"),
        ({"role": "external"}, "business_unit"),
        ({"role": "viewer", "business_unit": "nowhere"}, "business_unit"),
        ({"role": "superuser"}, "role"),
        ({"role": "viewer", "business_unit": "Retail!"}, "business_unit"),
        ({"role": "viewer", "unit": "retail"}, "unit"),
    ],
)
def test_bad_grants_are_422_naming_the_field(
    client: TestClient, org: Session, payload: dict[str, str], field: str
) -> None:
    root = bearer(org, "root")
    grants = count(org, RoleGrant)
    events = audit_count(org)
    problem(
        client.post(f"{API}/principals/vera/grants", headers=root, json=payload), 422, field=field
    )
    assert count(org, RoleGrant) == grants
    assert audit_count(org) == events


def test_a_source_only_takes_ingest(client: TestClient, org: Session) -> None:
    root = bearer(org, "root")
    r = client.post(
        f"{API}/principals",
        headers=root,
        json={"name": "prom-eu", "display_name": "Prometheus EU", "kind": "source"},
    )
    assert r.status_code == 201, r.text
    problem(
        client.post(
            f"{API}/principals/prom-eu/grants",
            headers=root,
            json={"role": "viewer", "business_unit": "retail"},
        ),
        422,
        field="role",
    )
    r = client.post(
        f"{API}/principals/prom-eu/grants",
        headers=root,
        json={"role": "ingest", "business_unit": "retail"},
    )
    assert r.status_code == 201, r.text
    r = client.post(f"{API}/tokens", headers=root, json={"name": "push", "principal": "prom-eu"})
    assert r.json()["token"].startswith("acc_ing_")
    assert r.json()["kind"] == "ing"


def test_duplicate_principal_and_grant_are_409(client: TestClient, org: Session) -> None:
    root = bearer(org, "root")
    principals = count(org, Principal)
    problem(
        client.post(f"{API}/principals", headers=root, json={"name": "vera", "display_name": "V"}),
        409,
        code="conflict",
    )
    assert count(org, Principal) == principals
    problem(
        client.post(
            f"{API}/principals/vera/grants",
            headers=root,
            json={"role": "viewer", "business_unit": "retail"},
        ),
        409,
    )


def test_principal_writes_need_identity_admin(client: TestClient, org: Session) -> None:
    principals = count(org, Principal)
    events = audit_count(org)
    for who in ("eddie", "una", "vera"):
        headers = bearer(org, who)
        problem(
            client.post(
                f"{API}/principals", headers=headers, json={"name": "mallory", "display_name": "M"}
            ),
            403,
        )
        problem(
            client.post(f"{API}/principals/{who}/grants", headers=headers, json={"role": "admin"}),
            403,
        )
    assert count(org, Principal) == principals
    assert audit_count(org) == events + 3  # the three bearer tokens only
    assert audit_actions(org, since=last_seq(org) - 3) == ["token.created"] * 3


def test_principal_reads(client: TestClient, org: Session) -> None:
    vera = bearer(org, "vera")
    problem(client.get(f"{API}/principals", headers=vera), 403)
    # Without identity:read even a name that does not exist is 403: nothing is revealed.
    problem(client.get(f"{API}/principals/eddie", headers=vera), 403)
    problem(client.get(f"{API}/principals/nobody", headers=vera), 403)
    problem(client.get(f"{API}/principals/nobody", headers=bearer(org, "root")), 404)
    r = client.get(f"{API}/principals/vera", headers=bearer(org, "eddie"))
    assert r.status_code == 200, r.text
    assert r.json()["grants"] == [
        {"id": r.json()["grants"][0]["id"], "role": "viewer", "business_unit": "retail"}
    ]


def test_principals_page_through(client: TestClient, org: Session) -> None:
    root = bearer(org, "root")
    names: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        r = client.get(f"{API}/principals", headers=root, params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= 2
        names.extend(p["name"] for p in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert names == ["root", "una", "eddie", "vera"]


@pytest.mark.parametrize(
    "cursor",
    ["garbage!", encode_cursor(0)[:-1] + "*", "eyJwb3NpdGlvbiI6IDEwMDAwMDAwMDAwMDAwMDAwMDAwMDAwfQ"],
)
def test_bad_cursors_are_422_naming_cursor(client: TestClient, org: Session, cursor: str) -> None:
    r = client.get(f"{API}/principals", headers=bearer(org, "root"), params={"cursor": cursor})
    problem(r, 422, field="cursor")


# ------------------------------------------------------------------------------- business units


def test_business_unit_crud(client: TestClient, org: Session) -> None:
    root = bearer(org, "root")
    vera = bearer(org, "vera")
    seq = last_seq(org)
    r = client.post(
        f"{API}/business-units",
        headers=root,
        json={"code": "corporate", "name": "Corporate", "description": "HQ\nand staff"},
    )
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"{API}/business-units/corporate"
    assert r.json()["description"] == "HQ\nand staff"
    r = client.get(f"{API}/business-units/corporate", headers=vera)
    assert r.json()["name"] == "Corporate"
    r = client.patch(f"{API}/business-units/corporate", headers=root, json={"name": "Group"})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Group"
    r = client.get(f"{API}/business-units", headers=vera)
    assert [u["code"] for u in r.json()] == ["corporate", "retail", "wholesale"]
    assert audit_actions(org, since=seq) == [
        "business_unit.created",
        "business_unit.updated",
    ]
    problem(client.get(f"{API}/business-units/nowhere", headers=root), 404)
    problem(client.patch(f"{API}/business-units/nowhere", headers=root, json={"name": "X"}), 404)


def test_duplicate_business_unit_code_is_409(client: TestClient, org: Session) -> None:
    root = bearer(org, "root")
    units = count(org, BusinessUnit)
    events = audit_count(org)
    r = client.post(f"{API}/business-units", headers=root, json={"code": "retail", "name": "Again"})
    problem(r, 409, code="conflict")
    assert count(org, BusinessUnit) == units
    assert audit_count(org) == events


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"code": "Bad Code", "name": "X"}, "code", None),
        ({"code": "ok-code", "name": "Bad\x00name"}, "name", "control characters"),
        ({"code": "ok-code", "name": "Two\nlines"}, "name", "control characters"),
        ({"code": "ok-code", "name": 12}, "name", None),
        ({"code": "ok-code", "name": "X", "id": 5}, "id", "unknown or read-only field"),
        (
            {"code": "ok-code", "name": "X", "created_at": "2026-01-01T00:00:00Z"},
            "created_at",
            "unknown or read-only field",
        ),
        ({"code": "ok-code"}, "name", None),
        ({"code": "ok-code", "name": "X", "description": "a\x00b"}, "description", None),
    ],
)
def test_bad_business_units_are_422_and_write_nothing(
    client: TestClient,
    org: Session,
    payload: dict[str, object],
    field: str,
    message: str | None,
) -> None:
    root = bearer(org, "root")
    units = count(org, BusinessUnit)
    events = audit_count(org)
    body = problem(
        client.post(f"{API}/business-units", headers=root, json=payload), 422, field=field
    )
    if message:
        assert message in field_message(body, field)
    assert count(org, BusinessUnit) == units
    assert audit_count(org) == events


def test_business_unit_writes_need_global_identity_admin(client: TestClient, org: Session) -> None:
    units = count(org, BusinessUnit)
    for who in ("una", "eddie", "vera"):
        headers = bearer(org, who)
        problem(
            client.post(
                f"{API}/business-units", headers=headers, json={"code": "x-y", "name": "X"}
            ),
            403,
        )
        problem(
            client.patch(f"{API}/business-units/retail", headers=headers, json={"name": "Mine"}),
            403,
        )
    assert count(org, BusinessUnit) == units
    r = client.get(f"{API}/business-units/retail", headers=bearer(org, "vera"))
    assert r.json()["name"] == "Retail"


def test_null_on_update_is_422(client: TestClient, org: Session) -> None:
    r = client.patch(
        f"{API}/business-units/retail", headers=bearer(org, "root"), json={"name": None}
    )
    problem(r, 422, field="name")
