"""The agreements API over HTTP on both databases: create, list and filters, pagination, ETags,
bad input as problem+json with no row written, business-unit isolation, the external view and
soft deletion."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.agreements.enums import AgreementKind
from accord.agreements.models import Agreement, AgreementKeyCounter, AgreementVersion
from accord.identity.enums import Role
from tests.agreements.helpers import (
    Callers,
    World,
    add_contact,
    approve,
    at,
    audit_count,
    audit_events,
    bearer,
    create,
    deleted_at,
    make_active,
    new_version,
)
from tests.factories.identity import make_principal

API = "/api/v1"
PROBLEM_KEYS = {"type", "title", "status", "detail"}


def sla_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
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
    }
    body.update(overrides)
    return body


def assert_problem(
    response: httpx.Response, status: int, *, field: str | None = None, rule: str | None = None
) -> dict[str, Any]:
    """An RFC 9457 problem with ``status``; ``field`` among its errors, ``rule`` as its rule."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["type"].endswith(body["code"])
    assert body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body.get("errors", [])], body
    if rule is not None:
        assert body.get("rule") == rule, body
    return body


def counts(session: Session) -> tuple[int, int, int]:
    """(agreements, versions, agreement audit events): what a refused request must leave
    untouched."""
    session.expire_all()
    return (
        session.scalar(select(func.count()).select_from(Agreement)) or 0,
        session.scalar(select(func.count()).select_from(AgreementVersion)) or 0,
        audit_count(session, entity_type="agreement"),
    )


def etag_of(client: TestClient, headers: dict[str, str], key: str, number: int = 1) -> str:
    response = client.get(f"{API}/agreements/{key}/versions/{number}", headers=headers)
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


# ================================================================================== create


def test_create_answers_201_with_location(
    client: TestClient, session: Session, callers: Callers
) -> None:
    before = audit_count(session, entity_type="agreement")
    r = client.post(f"{API}/agreements", headers=callers.editor, json=sla_body())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["key"] == "SLA-0001"
    assert body["status"] == "draft"
    assert body["created_by"] == "eddie"
    assert r.headers["Location"] == f"{API}/agreements/SLA-0001"
    again = client.get(r.headers["Location"], headers=callers.editor)
    assert again.status_code == 200
    assert again.json()["key"] == "SLA-0001"
    version = client.get(f"{API}/agreements/SLA-0001/versions/1", headers=callers.editor).json()
    assert version["terms"]["fee_amount"] == "1200.00"
    assert version["terms"]["services"] == ["payments-api"]
    assert audit_count(session, entity_type="agreement") == before + 1
    assert audit_events(session, "SLA-0001")[0].action == "agreement.created"


def test_http_lifecycle_with_supersede_and_sunset(
    client: TestClient, session: Session, callers: Callers
) -> None:
    key = client.post(f"{API}/agreements", headers=callers.editor, json=sla_body()).json()["key"]
    base = f"{API}/agreements/{key}/versions"

    def review_and_approve(number: int) -> None:
        assert (
            client.post(
                f"{base}/{number}/submit", headers=callers.editor, json={"reason": "ready"}
            ).status_code
            == 200
        )
        for who, role in (
            (callers.approver, "provider_owner"),
            (callers.approver2, "customer_owner"),
        ):
            r = client.post(f"{base}/{number}/sign-offs", headers=who, json={"role": role})
            assert r.status_code == 201, r.text
        r = client.post(
            f"{base}/{number}/approve", headers=callers.approver, json={"reason": "looks right"}
        )
        assert r.status_code == 200, r.text

    review_and_approve(1)
    approved_at = client.get(f"{base}/1", headers=callers.editor).json()["approved_at"]
    # Backdating is a 422 naming effective_from; a naive timestamp is refused outright.
    r = client.post(
        f"{base}/1/activate",
        headers=callers.approver,
        json={"reason": "go live", "effective_from": "2020-01-01T00:00:00Z"},
    )
    assert_problem(r, 422, field="effective_from", rule="no-backdating")
    r = client.post(
        f"{base}/1/activate",
        headers=callers.approver,
        json={"reason": "go live", "effective_from": "2030-01-01T00:00:00"},
    )
    assert_problem(r, 422, field="effective_from")
    r = client.post(f"{base}/1/activate", headers=callers.approver, json={"reason": "go live"})
    assert r.status_code == 200, r.text
    assert r.json()["effective_from"] >= approved_at

    r = client.post(f"{base}", headers=callers.editor, json={"reason": "renewal"})
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"{base}/2"
    assert r.headers["ETag"] == f'"{key}/v2/r{r.json()["revision"]}"'
    review_and_approve(2)
    r = client.post(f"{base}/2/activate", headers=callers.approver, json={"reason": "switch"})
    assert_problem(r, 409, rule="already-active")
    r = client.post(f"{base}/2/supersede", headers=callers.approver, json={"reason": "switch"})
    assert r.status_code == 200, r.text
    agreement = client.get(f"{API}/agreements/{key}", headers=callers.editor).json()
    assert [(v["number"], v["status"]) for v in agreement["versions"]] == [
        (1, "superseded"),
        (2, "active"),
    ]
    assert agreement["versions"][0]["ended_at"] == agreement["versions"][1]["effective_from"]
    r = client.post(f"{API}/agreements/{key}/sunset", headers=callers.editor, json={"reason": "x"})
    assert_problem(r, 403)
    r = client.post(
        f"{API}/agreements/{key}/sunset", headers=callers.approver, json={"reason": "retired"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "sunset"


def test_activating_an_expired_term_is_a_409(
    client: TestClient, session: Session, callers: Callers
) -> None:
    key = create(session, terms={"term_end": date(2026, 1, 31)}).key
    approve(session, key, now=at(1))
    session.commit()
    r = client.post(
        f"{API}/agreements/{key}/versions/1/activate",
        headers=callers.approver,
        json={"reason": "go live"},
    )
    assert_problem(r, 409, rule="term-expired")


# ================================================================================== listing


@pytest.fixture
def portfolio(session: Session, world: World, callers: Callers) -> dict[str, str]:
    """Five agreements in two units, of every kind, in various states."""
    made = {
        "acme": create(session, region="eu-west").key,
        "globex": create(
            session,
            customer="globex",
            services=["cards"],
            region="de-sov",
            terms={"jurisdiction": "DE"},
        ).key,
        "initech": create(session, unit="wholesale", customer="initech", services=["billing"]).key,
        "ola": create(session, kind=AgreementKind.OLA).key,
        "uc": create(session, kind=AgreementKind.UC).key,
    }
    make_active(session, made["acme"], now=at(1))
    approve(session, made["ola"], now=at(1))
    session.commit()
    return made


def listed(client: TestClient, headers: dict[str, str], query: str = "") -> list[str]:
    r = client.get(f"{API}/agreements?{query}", headers=headers)
    assert r.status_code == 200, r.text
    return [item["key"] for item in r.json()["items"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["acme", "globex", "initech", "ola", "uc"]),
        ("kind=sla", ["acme", "globex", "initech"]),
        ("kind=ola", ["ola"]),
        ("kind=uc", ["uc"]),
        ("status=active", ["acme"]),
        ("status=approved", ["ola"]),
        ("status=draft", ["globex", "initech", "uc"]),
        ("status=expired", []),
        ("service=payments-api", ["acme", "ola", "uc"]),
        ("service=billing", ["initech"]),
        ("customer=globex", ["globex"]),
        ("customer=nobody", []),
        ("business_unit=wholesale", ["initech"]),
        ("business_unit=retail&kind=sla", ["acme", "globex"]),
        ("region=de-sov", ["globex"]),
        ("region=eu-west", ["acme"]),
        ("vendor=cloudco", ["uc"]),
        ("kind=sla&status=draft&region=de-sov", ["globex"]),
    ],
)
def test_list_filters(
    client: TestClient,
    callers: Callers,
    portfolio: dict[str, str],
    query: str,
    expected: list[str],
) -> None:
    assert listed(client, callers.everywhere, query) == [portfolio[name] for name in expected]


def test_list_shows_only_the_callers_units(
    client: TestClient, callers: Callers, portfolio: dict[str, str]
) -> None:
    everything_in_retail = [portfolio[n] for n in ("acme", "globex", "ola", "uc")]
    assert listed(client, callers.editor) == everything_in_retail
    assert listed(client, callers.editor, "customer=initech") == []
    assert listed(client, callers.editor, "service=billing") == []
    assert listed(client, callers.editor, "business_unit=wholesale") == []
    assert listed(client, callers.outsider) == [portfolio["initech"]]


def test_list_rejects_bad_filters(
    client: TestClient, callers: Callers, portfolio: dict[str, str]
) -> None:
    assert_problem(
        client.get(f"{API}/agreements?kind=xla", headers=callers.editor), 422, field="kind"
    )
    assert_problem(
        client.get(f"{API}/agreements?status=live", headers=callers.editor), 422, field="status"
    )
    assert_problem(
        client.get(f"{API}/agreements?cursor=garbage", headers=callers.editor),
        422,
        field="cursor",
    )
    assert_problem(
        client.get(f"{API}/agreements?limit=0", headers=callers.editor), 422, field="limit"
    )


def test_cursor_pagination_walks_every_page_once(
    client: TestClient, callers: Callers, portfolio: dict[str, str]
) -> None:
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        r = client.get(f"{API}/agreements?{query}", headers=callers.everywhere)
        assert r.status_code == 200, r.text
        body = r.json()
        pages.append([item["key"] for item in body["items"]])
        cursor = body.get("next_cursor")
        if cursor is None:
            break
        assert len(pages) < 10
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [key for page in pages for key in page] == listed(client, callers.everywhere)
    # Filters hold across pages.
    first = client.get(f"{API}/agreements?kind=sla&limit=2", headers=callers.everywhere).json()
    second = client.get(
        f"{API}/agreements?kind=sla&limit=2&cursor={first['next_cursor']}",
        headers=callers.everywhere,
    ).json()
    assert [i["key"] for i in first["items"] + second["items"]] == [
        portfolio["acme"],
        portfolio["globex"],
        portfolio["initech"],
    ]
    assert second.get("next_cursor") is None


# ================================================================================== ETags


def test_patch_needs_a_current_etag_of_that_version(
    client: TestClient, session: Session, callers: Callers
) -> None:
    key = create(session).key
    other = create(session, customer="globex").key
    session.commit()
    url = f"{API}/agreements/{key}/versions/1"
    etag = etag_of(client, callers.editor, key)
    assert etag == f'"{key}/v1/r1"'
    change = {"summary": "new words", "reason": "wording"}
    before = counts(session)

    assert_problem(client.patch(url, headers=callers.editor, json=change), 428)
    wildcard = {**callers.editor, "If-Match": "*"}  # "any version" is no protection: refused
    assert_problem(client.patch(url, headers=wildcard, json=change), 428)
    stale = {**callers.editor, "If-Match": f'"{key}/v1/r0"'}
    assert_problem(client.patch(url, headers=stale, json=change), 412)
    foreign = {**callers.editor, "If-Match": etag_of(client, callers.editor, other)}
    assert_problem(client.patch(url, headers=foreign, json=change), 412)
    assert counts(session) == before

    r = client.patch(url, headers={**callers.editor, "If-Match": etag}, json=change)
    assert r.status_code == 200, r.text
    assert r.json()["terms"]["summary"] == "new words"
    assert r.headers["ETag"] == f'"{key}/v1/r{r.json()["revision"]}"'
    assert r.headers["ETag"] != etag
    # The ETag read before the change no longer matches.
    assert_problem(
        client.patch(url, headers={**callers.editor, "If-Match": etag}, json=change), 412
    )
    # A weak form of the current ETag is accepted.
    weak = {**callers.editor, "If-Match": "W/" + r.headers["ETag"]}
    assert client.patch(
        url, headers=weak, json={"summary": "x", "reason": "again"}
    ).status_code == (200)


def test_etag_of_another_version_of_the_same_agreement(
    client: TestClient, session: Session, callers: Callers
) -> None:
    key = create(session).key
    make_active(session, key, now=at(1))
    new_version(session, key, now=at(3))
    session.commit()
    v1 = etag_of(client, callers.editor, key, 1)
    r = client.patch(
        f"{API}/agreements/{key}/versions/2",
        headers={**callers.editor, "If-Match": v1},
        json={"summary": "x", "reason": "wording"},
    )
    assert_problem(r, 412)


def test_patch_of_a_non_draft_is_a_409_rule(
    client: TestClient, session: Session, callers: Callers
) -> None:
    key = create(session).key
    approve(session, key, now=at(1))
    session.commit()
    before = counts(session)
    r = client.patch(
        f"{API}/agreements/{key}/versions/1",
        headers={**callers.editor, "If-Match": etag_of(client, callers.editor, key)},
        json={"summary": "sneaky", "reason": "after the fact"},
    )
    assert_problem(r, 409, rule="edit-from-approved")
    assert counts(session) == before


# ================================================================================ bad input


BAD_CREATES: list[tuple[Callable[[dict[str, Any]], object], str, str | None]] = [
    (lambda b: b.update(colour="blue"), "colour", "unknown or read-only field"),
    (lambda b: b.update(key="SLA-0042"), "key", "unknown or read-only field"),
    (lambda b: b.update(status="active"), "status", "unknown or read-only field"),
    (
        lambda b: b["terms"].update(terms_hash="00"),
        "terms.terms_hash",
        "unknown or read-only field",
    ),
    (lambda b: b.update(title="Pay\x00ments"), "title", "control characters"),
    (lambda b: b.update(title="Pay\x07ments"), "title", "control characters"),
    (lambda b: b.update(title="Pay\tments"), "title", "control characters"),
    (
        lambda b: b["terms"].update(summary="ok\nbut\x00not"),
        "terms.summary",
        "control characters",
    ),
    (
        lambda b: b["terms"].update(scope_exclusions=["vendor\x1b[31m"]),
        "terms.scope_exclusions.0",
        "control characters",
    ),
    (lambda b: b["terms"].update(term_start="2026-02-30"), "terms.term_start", None),
    (lambda b: b["terms"].update(term_start="next monday"), "terms.term_start", None),
    (lambda b: b["terms"].update(term_end="2025-12-31"), "terms.term_end", None),
    (lambda b: b["terms"].update(fee_amount="12,50"), "terms.fee_amount", None),
    (lambda b: b["terms"].update(fee_amount="-1"), "terms.fee_amount", None),
    (lambda b: b["terms"].update(fee_currency="euro"), "terms.fee_currency", None),
    (lambda b: b["terms"].update(services="payments-api"), "terms.services", None),
    (lambda b: b["terms"].update(services=["no-such"]), "terms.services.0", None),
    (lambda b: b["terms"].update(services=["payments-api", "payments-api"]), "terms", None),
    (lambda b: b["terms"].update(regulatory_tags=["FOO"]), "terms.regulatory_tags.0", None),
    (lambda b: b.update(kind="xla"), "kind", None),
    (lambda b: b.update(business_unit="nowhere"), "business_unit", None),
    (lambda b: b.update(region="atlantis"), "region", None),
    (lambda b: b.update(customer=None), "customer", None),
    (lambda b: b.update(vendor="cloudco"), "vendor", None),
    (lambda b: b.pop("reason"), "reason", None),
    (lambda b: b.update(reason="  "), "reason", None),
    (lambda b: b.update(title=42), "title", None),
    (lambda b: b["terms"].pop("term_start"), "terms.term_start", None),
]
"""(change to a valid body, the field the 422 must name, a text its message must contain)."""


def expect_422(
    response: httpx.Response, field: str, message: str | None, before: object, after: object
) -> str | None:
    """Why the response is not the expected 422 (None when it is)."""
    try:
        problem = assert_problem(response, 422, field=field)
        if message is not None:
            assert any(message in e["message"] for e in problem["errors"]), problem
        assert after == before, f"rows or audit events written: {before} -> {after}"
    except AssertionError as exc:
        return f"{field}: {exc}"
    return None


def test_bad_create_input_is_a_422_naming_the_field_and_writes_nothing(
    client: TestClient, session: Session, callers: Callers
) -> None:
    failures = []
    for mutate, field, message in BAD_CREATES:
        body = sla_body()
        mutate(body)
        before = counts(session)
        r = client.post(f"{API}/agreements", headers=callers.editor, json=body)
        failures.append(expect_422(r, field, message, before, counts(session)))
    assert [f for f in failures if f] == []
    assert len(failures) == len(BAD_CREATES) > 20


def test_rule_violations_on_create_name_the_rule_and_write_nothing(
    client: TestClient, session: Session, callers: Callers
) -> None:
    counter = select(AgreementKeyCounter.last_number).where(
        AgreementKeyCounter.kind == AgreementKind.SLA
    )
    before, last_number = counts(session), session.scalar(counter)
    # olga sees both units, so the other unit's service is found and then refused by rule.
    r = client.post(
        f"{API}/agreements",
        headers=callers.everywhere,
        json=sla_body(terms={"services": ["payments-api", "billing"], "term_start": "2026-01-01"}),
    )
    assert_problem(r, 422, field="terms.services.1", rule="service-outside-unit")
    assert counts(session) == before
    assert session.scalar(counter) == last_number
    # eddie cannot see the other unit's service at all: for him it does not exist.
    r = client.post(
        f"{API}/agreements",
        headers=callers.editor,
        json=sla_body(terms={"services": ["billing"], "term_start": "2026-01-01"}),
    )
    body = assert_problem(r, 422, field="terms.services.0")
    assert "rule" not in body
    assert counts(session) == before


BAD_PATCHES: list[tuple[dict[str, Any], str, str | None]] = [
    ({"colour": "blue"}, "colour", "unknown or read-only field"),
    ({"status": "approved"}, "status", "unknown or read-only field"),
    ({"key": "SLA-0002"}, "key", "unknown or read-only field"),
    ({"terms_hash": "0" * 64}, "terms_hash", "unknown or read-only field"),
    ({"approved_by": "me"}, "approved_by", "unknown or read-only field"),
    ({"summary": "a\x00b"}, "summary", "control characters"),
    ({"term_end": "2026-13-01"}, "term_end", None),
    ({"fee_amount": "lots"}, "fee_amount", None),
    ({"review_cycle": "daily"}, "review_cycle", None),
    ({"requested_sign_offs": ["ceo"]}, "requested_sign_offs.0", None),
    ({"summary": None}, "summary", None),
    ({"fee_amount": "10"}, "fee_currency", None),
]


def test_bad_patch_input_is_a_422_naming_the_field_and_changes_nothing(
    client: TestClient, session: Session, callers: Callers
) -> None:
    key = create(session).key
    session.commit()
    url = f"{API}/agreements/{key}/versions/1"
    headers = {**callers.editor, "If-Match": etag_of(client, callers.editor, key)}
    failures = []
    for patch, field, message in BAD_PATCHES:
        before = counts(session)
        r = client.patch(url, headers=headers, json={**patch, "reason": "try it"})
        failures.append(expect_422(r, field, message, before, counts(session)))
    assert [f for f in failures if f] == []
    # ... and the draft is as it was: the ETag read at the start still matches.
    assert client.get(url, headers=callers.editor).headers["ETag"] == headers["If-Match"]


def test_patch_without_reason_is_a_422(
    client: TestClient, session: Session, callers: Callers
) -> None:
    key = create(session).key
    session.commit()
    r = client.patch(
        f"{API}/agreements/{key}/versions/1",
        headers={**callers.editor, "If-Match": etag_of(client, callers.editor, key)},
        json={"summary": "new words"},
    )
    assert_problem(r, 422, field="reason")


def test_malformed_json_is_a_problem(client: TestClient, callers: Callers) -> None:
    r = client.post(
        f"{API}/agreements",
        headers={**callers.editor, "Content-Type": "application/json"},
        content=b'{"kind": "sla",',
    )
    assert r.status_code in (400, 422)
    assert_problem(r, r.status_code)


def test_transition_errors_are_problems_with_rules(
    client: TestClient, session: Session, callers: Callers
) -> None:
    key = create(session).key
    session.commit()
    base = f"{API}/agreements/{key}/versions/1"
    assert_problem(
        client.post(f"{base}/approve", headers=callers.approver, json={"reason": "looks right"}),
        409,
        rule="approve-from-draft",
    )
    client.post(f"{base}/submit", headers=callers.editor, json={"reason": "ready"})
    assert_problem(
        client.post(f"{base}/approve", headers=callers.approver, json={"reason": "looks right"}),
        409,
        rule="sign-offs-missing",
    )
    assert_problem(
        client.post(f"{base}/sign-offs", headers=callers.approver, json={"role": "legal"}),
        422,
        field="role",
        rule="sign-off-not-required",
    )
    assert_problem(
        client.post(f"{base}/sign-offs", headers=callers.approver, json={"role": "boss"}),
        422,
        field="role",
    )
    assert_problem(
        client.post(f"{base}/submit", headers=callers.editor, json={}), 422, field="reason"
    )
    assert_problem(client.get(f"{API}/agreements/{key}/versions/9", headers=callers.editor), 404)
    assert_problem(client.get(f"{API}/agreements/sla-1", headers=callers.editor), 422)


# ============================================================================ isolation


def normalised(problem: dict[str, Any], key: str) -> dict[str, Any]:
    """The problem without what legitimately differs between two requests (path, id, key)."""
    rest = {k: v for k, v in problem.items() if k not in ("instance", "request_id")}
    return {k: v.replace(key, "KEY") if isinstance(v, str) else v for k, v in rest.items()}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "", None),
        ("GET", "/versions/1", None),
        ("GET", "/support", None),
        ("PATCH", "", {"title": "mine now", "reason": "take over"}),
        ("POST", "/versions", {"reason": "new draft"}),
        ("POST", "/versions/1/submit", {"reason": "ready"}),
        ("POST", "/sunset", {"reason": "retire"}),
        ("DELETE", "?reason=cleanup", None),
    ],
)
def test_another_units_agreement_answers_exactly_like_a_missing_one(
    client: TestClient,
    session: Session,
    callers: Callers,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    key = create(session).key
    session.commit()
    before = counts(session)
    hidden = client.request(
        method, f"{API}/agreements/{key}{path}", headers=callers.outsider, json=body
    )
    missing = client.request(
        method, f"{API}/agreements/SLA-0999{path}", headers=callers.outsider, json=body
    )
    hidden_problem = assert_problem(hidden, 404)
    missing_problem = assert_problem(missing, 404)
    assert normalised(hidden_problem, key) == normalised(missing_problem, "SLA-0999")
    assert set(hidden.headers) == set(missing.headers)
    assert counts(session) == before


# ============================================================================ external view

EXTERNAL_AGREEMENT_KEYS = {"key", "title", "customer", "region", "status", "versions"}
EXTERNAL_VERSION_KEYS = {"number", "status", "effective_from", "ended_at", "terms"}
EXTERNAL_TERMS_KEYS = {
    "summary",
    "services",
    "scope_inclusions",
    "scope_exclusions",
    "supported_hours",
    "customer_responsibilities",
    "ticket_terms",
    "jurisdiction",
    "review_cycle",
    "term_start",
    "term_end",
    "fee_amount",
    "fee_currency",
    "fee_period",
    "regulatory_tags",
}
SECRETS = {
    "internal_notes": "SECRET-NOTE discount approved by the CFO",
    "procurement_reference": "SECRET-PO-7781",
    "legal_reference": "SECRET-LEGAL-12",
}


@pytest.fixture
def customer_view(session: Session, callers: Callers) -> dict[str, str]:
    """acme has an active SLA with a v2 draft, an SLA that is only a draft, and an approved
    one with a draft on top; globex (not xena's customer) has an active SLA."""
    shown = create(session, title="Payments for ACME", region="eu-west", terms=SECRETS).key
    make_active(session, shown, now=at(1))
    new_version(
        session,
        shown,
        terms={"summary": "v2 under negotiation", "internal_notes": "SECRET-DRAFT"},
        now=at(3),
    )
    draft_only = create(session, title="Draft for ACME").key
    approved = create(session, title="Cards for ACME", services=["cards"]).key
    approve(session, approved, now=at(1))
    new_version(session, approved, terms={"summary": "SECRET-DRAFT"}, now=at(3))
    other_customer = create(session, customer="globex").key
    make_active(session, other_customer, now=at(1))
    internal_ola = create(session, kind=AgreementKind.OLA).key
    make_active(session, internal_ola, now=at(1))
    session.commit()
    return {
        "shown": shown,
        "draft_only": draft_only,
        "approved": approved,
        "other_customer": other_customer,
        "ola": internal_ola,
    }


def assert_external_shape(agreement: dict[str, Any]) -> None:
    assert set(agreement) == EXTERNAL_AGREEMENT_KEYS
    for version in agreement["versions"]:
        assert set(version) == EXTERNAL_VERSION_KEYS
        assert set(version["terms"]) == EXTERNAL_TERMS_KEYS
        assert version["status"] not in ("draft", "in_review")


def test_external_list_shows_only_approved_versions_of_own_customers_slas(
    client: TestClient, callers: Callers, customer_view: dict[str, str]
) -> None:
    r = client.get(f"{API}/external/agreements", headers=callers.external)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [a["key"] for a in items] == [customer_view["shown"], customer_view["approved"]]
    for agreement in items:
        assert_external_shape(agreement)
        assert agreement["customer"] == "acme"
    shown, approved = items
    assert [(v["number"], v["status"]) for v in shown["versions"]] == [(1, "active")]
    assert shown["status"] == "active"
    # The customer sees "approved", not the status of the draft being negotiated on top.
    assert [(v["number"], v["status"]) for v in approved["versions"]] == [(1, "approved")]
    assert approved["status"] == "approved"
    for secret in [*SECRETS.values(), "SECRET-DRAFT", "v2 under negotiation", "signer-"]:
        assert secret not in r.text
    for internal in (
        "internal_notes",
        "procurement_reference",
        "legal_reference",
        "required_sign_offs",
        "requested_sign_offs",
        "sign_offs",
        "approved_by",
        "created_by",
        "business_unit",
        "terms_hash",
    ):
        assert f'"{internal}"' not in r.text


def test_external_get(client: TestClient, callers: Callers, customer_view: dict[str, str]) -> None:
    r = client.get(f"{API}/external/agreements/{customer_view['shown']}", headers=callers.external)
    assert r.status_code == 200, r.text
    assert_external_shape(r.json())
    assert r.json()["region"] == "eu-west"
    for secret in [*SECRETS.values(), "SECRET-DRAFT"]:
        assert secret not in r.text
    missing = client.get(f"{API}/external/agreements/SLA-0999", headers=callers.external)
    missing_problem = assert_problem(missing, 404)
    for name in ("other_customer", "draft_only", "ola"):
        key = customer_view[name]
        hidden = client.get(f"{API}/external/agreements/{key}", headers=callers.external)
        assert normalised(assert_problem(hidden, 404), key) == normalised(
            missing_problem, "SLA-0999"
        ), name


def test_external_principal_cannot_use_the_internal_api(
    client: TestClient, callers: Callers, customer_view: dict[str, str]
) -> None:
    for url in (
        f"{API}/agreements",
        f"{API}/agreements/{customer_view['shown']}",
        f"{API}/agreements/{customer_view['shown']}/versions/1",
    ):
        r = client.get(url, headers=callers.external)
        body = assert_problem(r, 403)
        assert "SECRET" not in r.text, body
    # And internal staff do not get the customer-facing route by accident.
    assert_problem(client.get(f"{API}/external/agreements", headers=callers.editor), 403)


def test_external_needs_the_external_role_in_the_agreements_unit(
    client: TestClient, session: Session, callers: Callers, customer_view: dict[str, str]
) -> None:
    make_principal(session, "yuri", (Role.EXTERNAL, "wholesale"))
    add_contact(session, "acme", "yuri")
    session.commit()
    yuri = bearer(session, "yuri")
    session.commit()
    r = client.get(f"{API}/external/agreements", headers=yuri)
    assert r.status_code == 200
    assert r.json()["items"] == []
    assert_problem(
        client.get(f"{API}/external/agreements/{customer_view['shown']}", headers=yuri), 404
    )


# ================================================================================ deletion


def test_delete_is_soft_and_audited(client: TestClient, session: Session, callers: Callers) -> None:
    key = create(session).key
    session.commit()
    before = audit_count(session, entity_type="agreement")
    assert_problem(
        client.delete(f"{API}/agreements/{key}", headers=callers.editor), 422, field="reason"
    )
    r = client.delete(f"{API}/agreements/{key}?reason=duplicate entry", headers=callers.editor)
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert deleted_at(session, key) is not None
    assert audit_count(session, entity_type="agreement") == before + 1
    event = audit_events(session, key)[-1]
    assert event.action == "agreement.deleted"
    assert event.actor_name == "eddie"
    assert_problem(client.get(f"{API}/agreements/{key}", headers=callers.editor), 404)
    assert key not in listed(client, callers.editor)
    assert_problem(
        client.delete(f"{API}/agreements/{key}?reason=again", headers=callers.editor), 404
    )


def test_delete_refusals_are_409_rules(
    client: TestClient, session: Session, callers: Callers
) -> None:
    key = create(session).key
    make_active(session, key, now=at(1))
    session.commit()
    before = counts(session)
    r = client.delete(f"{API}/agreements/{key}?reason=cleanup", headers=callers.editor)
    assert_problem(r, 409, rule="delete-active")
    assert counts(session) == before
    assert deleted_at(session, key) is None


def test_sign_off_comment_rejects_control_characters(
    client: TestClient, session: Session, callers: Callers
) -> None:
    key = create(session).key
    session.commit()
    base = f"{API}/agreements/{key}/versions/1"
    assert client.post(
        f"{base}/submit", headers=callers.editor, json={"reason": "ready"}
    ).is_success
    before = counts(session)
    for comment in ("fine\x00print", "bell\x07"):
        r = client.post(
            f"{base}/sign-offs",
            headers=callers.approver,
            json={"role": "provider_owner", "comment": comment},
        )
        assert_problem(r, 422, field="comment")
    assert counts(session) == before
    r = client.post(
        f"{base}/sign-offs",
        headers=callers.approver,
        json={"role": "provider_owner", "comment": "checked the\nfigures"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["sign_offs"][0]["comment"] == "checked the\nfigures"


def test_out_of_range_path_numbers_are_422_not_500(
    client: TestClient, session: Session, callers: Callers
) -> None:
    key = create(session).key
    session.commit()
    huge = 10**20
    for response, field in (
        (client.get(f"{API}/agreements/{key}/versions/{huge}", headers=callers.editor), "number"),
        (client.get(f"{API}/agreements/{key}/versions/0", headers=callers.editor), "number"),
        (
            client.delete(
                f"{API}/agreements/{key}/support/{huge}?reason=cleanup", headers=callers.editor
            ),
            "link_id",
        ),
    ):
        assert_problem(response, 422, field=field)
    assert_problem(
        client.get(f"{API}/agreements/{key}/versions/{2**31 - 1}", headers=callers.editor), 404
    )
