"""The read-only portal: sign-in redirects, every page for an admin, filters and pagination,
business-unit isolation, the customer-facing view, and HTML escaping.

Runs on SQLite and PostgreSQL (the `client` and `session` fixtures are parametrised by backend).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from accord.agreements import service as agreements_service
from accord.agreements.approvals import service as approvals_service
from accord.agreements.enums import AgreementKind
from accord.agreements.schemas import (
    AgreementCreate,
    AgreementRead,
    TermFields,
    Terms,
    TransitionRequest,
    VersionCreate,
)
from accord.catalogue import service as catalogue_service
from accord.catalogue.schemas import ContactCreate, DependencyCreate
from accord.identity.enums import Role
from accord.kit.time import utc_now
from tests.factories.agreements import activate, approve, make_agreement
from tests.factories.catalogue import make_customer, make_service
from tests.factories.identity import SYSTEM, make_principal, make_token, make_unit

INTERNAL_NOTE = "INTERNAL-NOTE-7731 do not show customers"
PROCUREMENT_REF = "PO-SECRET-4410"
ACME_SUMMARY = "Payments API availability for ACME"
ALL = {"acme_active", "globex_approved", "wholesale_draft", "acme_in_review"}


@dataclass(frozen=True)
class World:
    acme_active: str
    """SLA for acme (retail), approved and active, term ending in 30 days, with internal notes."""
    globex_approved: str
    """SLA for globex (retail), approved but not active."""
    wholesale_draft: str
    """SLA for initech in the wholesale unit, still a draft."""
    acme_in_review: str
    """A second SLA for acme, submitted for review (not approved: invisible externally)."""


def _sla(
    session: Session,
    *,
    title: str,
    unit: str,
    customer: str,
    services: list[str],
    term_end: date | None = None,
    **terms: object,
) -> AgreementRead:
    return agreements_service.create_agreement(
        session,
        actor=SYSTEM,
        data=AgreementCreate(
            kind=AgreementKind.SLA,
            title=title,
            business_unit=unit,
            customer=customer,
            terms=Terms(
                services=services,
                term_start=date(2026, 1, 1),
                term_end=term_end,
                **terms,
            ),
            reason="test setup",
        ),
        now=utc_now(),
    )


@pytest.fixture
def world(session: Session) -> World:
    now = utc_now()
    make_unit(session, "retail")
    make_unit(session, "wholesale")
    make_customer(session, "acme", "retail")
    make_customer(session, "globex", "retail")
    make_customer(session, "initech", "wholesale")
    make_service(session, "payments-api", "retail", tier=2)
    make_service(session, "ledger", "retail", tier=2)
    make_service(session, "bulk-api", "wholesale", tier=3)
    catalogue_service.add_dependency(
        session,
        actor=SYSTEM,
        slug="payments-api",
        data=DependencyCreate(depends_on="ledger", description="balances"),
        now=now,
    )
    make_principal(session, "root", (Role.ADMIN, None))
    make_principal(session, "vera", (Role.VIEWER, "retail"))
    make_principal(session, "audrey", (Role.AUDITOR, "retail"))
    make_principal(session, "ext", (Role.EXTERNAL, "retail"))
    catalogue_service.add_customer_contact(
        session, actor=SYSTEM, code="acme", data=ContactCreate(principal="ext"), now=now
    )

    acme = _sla(
        session,
        title="Payments for ACME",
        unit="retail",
        customer="acme",
        services=["payments-api"],
        term_end=now.date() + timedelta(days=30),
        summary=ACME_SUMMARY,
        internal_notes=INTERNAL_NOTE,
        procurement_reference=PROCUREMENT_REF,
    )
    approve(session, acme.key)
    activate(session, acme.key)
    globex = _sla(
        session, title="Payments for Globex", unit="retail", customer="globex", services=["ledger"]
    )
    approve(session, globex.key)
    wholesale = _sla(
        session,
        title="Bulk for Initech",
        unit="wholesale",
        customer="initech",
        services=["bulk-api"],
    )
    review = _sla(
        session, title="Ledger for ACME", unit="retail", customer="acme", services=["ledger"]
    )
    approvals_service.submit_version(
        session,
        actor=SYSTEM,
        key=review.key,
        number=1,
        data=TransitionRequest(reason="ready for review"),
        now=now,
    )
    session.commit()
    return World(acme.key, globex.key, wholesale.key, review.key)


def sign_in(client: TestClient, session: Session, name: str) -> str:
    """Sign in through the login form; the client keeps the session cookie. Returns where the
    form redirected to."""
    token = make_token(session, name)
    session.commit()
    response = client.post("/login", data={"token": token, "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert "accord_session" in client.cookies
    return response.headers["location"]


def keys_in(page: str) -> set[str]:
    return set(re.findall(r'href="/agreements/((?:SLA|OLA|UC)-\d{4,})"', page))


def next_link(page: str) -> str | None:
    match = re.search(r'<a rel="next" href="([^"]+)"', page)
    return html.unescape(match.group(1)) if match else None


# ----------------------------------------------------------------------------- authentication


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/agreements",
        "/agreements/SLA-0001",
        "/external",
        "/external/SLA-0001",
        "/services",
        "/services/payments-api",
        "/customers",
        "/customers/acme",
        "/audit",
    ],
)
def test_anonymous_visitors_are_sent_to_login(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?{urlencode({'next': path})}"


def test_an_invalid_session_cookie_is_sent_to_login(client: TestClient, world: World) -> None:
    client.cookies.set("accord_session", "acc_usr_not-a-real-token")
    response = client.get("/agreements", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fagreements"


# ---------------------------------------------------------------------------------- admin view


def test_dashboard_counts_review_queue_and_ending_terms(
    client: TestClient, session: Session, world: World
) -> None:
    sign_in(client, session, "root")
    page = client.get("/").text
    assert "Agreements at a glance" in page
    # 4 agreements, all SLAs: 1 active, 1 approved, 1 draft, 1 in review.
    assert re.search(r'<div class="n">4</div><div class="l"><a href="/agreements">', page)
    matrix = page.split('<table class="matrix">')[1].split("</table>")[0]
    cells = re.findall(r'<span class="badge (\w+)">.*?</span></td>(.*?)</tr>', matrix, re.S)
    rows = {
        status: [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row)]
        for status, row in cells
    }
    assert rows["active"] == [1, 0, 0, 1]
    assert rows["approved"] == [1, 0, 0, 1]
    assert rows["in_review"] == [1, 0, 0, 1]
    assert rows["draft"] == [1, 0, 0, 1]
    assert rows["expired"] == [0, 0, 0, 0]
    review, ending = page.split("Waiting in review")[1].split("Terms ending within 90 days")
    assert keys_in(review) == {world.acme_in_review}
    assert keys_in(ending) == {world.acme_active}
    assert '<td class="num">30</td>' in ending


def test_agreement_detail_shows_parties_terms_sign_offs_and_audit(
    client: TestClient, session: Session, world: World
) -> None:
    sign_in(client, session, "root")
    response = client.get(f"/agreements/{world.acme_active}")
    assert response.status_code == 200
    page = response.text
    assert "Payments for ACME" in page
    assert '<a href="/customers/acme">acme</a>' in page
    assert "Terms of version 1" in page
    assert ACME_SUMMARY in page
    assert INTERNAL_NOTE in page  # the internal view shows internal fields
    assert PROCUREMENT_REF in page
    assert '<a href="/services/payments-api">payments-api</a>' in page
    assert "signer-0" in page  # who signed off
    assert "signer-1" in page
    assert "None missing." in page
    assert 'id="history"' in page
    for action in ("agreement.created", "agreement.version_approved"):
        assert f"<code>{action}</code>" in page, action

    in_review = client.get(f"/agreements/{world.acme_in_review}").text
    assert "Missing: provider owner, customer owner." in in_review


def test_version_query_shows_another_version(
    client: TestClient, session: Session, world: World
) -> None:
    agreements_service.create_version(
        session,
        actor=SYSTEM,
        key=world.acme_active,
        data=VersionCreate(terms=TermFields(summary="Renegotiated wording"), reason="renewal"),
        now=utc_now(),
    )
    sign_in(client, session, "root")
    default = client.get(f"/agreements/{world.acme_active}").text
    assert "Terms of version 1" in default  # the active version, not the newer draft
    assert ACME_SUMMARY in default
    assert f'href="/agreements/{world.acme_active}?version=2"' in default
    second = client.get(f"/agreements/{world.acme_active}?version=2").text
    terms = second.split("Terms of version 2")[1].split("Sign-offs")[0]
    assert "Renegotiated wording" in terms
    assert ACME_SUMMARY not in terms  # (the audit trail below still quotes the old wording)
    assert client.get(f"/agreements/{world.acme_active}?version=9").status_code == 404


def test_catalogue_pages_render_for_an_admin(
    client: TestClient, session: Session, world: World
) -> None:
    sign_in(client, session, "root")
    services = client.get("/services")
    assert services.status_code == 200
    for slug in ("payments-api", "ledger", "bulk-api"):
        assert f'href="/services/{slug}"' in services.text

    customers = client.get("/customers").text
    listed = set(re.findall(r'href="/customers/([a-z]+)"', customers))
    assert {"acme", "globex", "initech"} <= listed
    acme = client.get("/customers/acme")
    assert acme.status_code == 200
    assert "ext" in acme.text.split("Portal contacts")[1].split("</dd>")[0]
    assert keys_in(acme.text) == {world.acme_active, world.acme_in_review}


def test_service_detail_shows_dependencies_and_covering_agreements(
    client: TestClient, session: Session, world: World
) -> None:
    sign_in(client, session, "root")
    payments = client.get("/services/payments-api")
    assert payments.status_code == 200
    depends_on = payments.text.split("Depends on")[1].split("Needed by")[0]
    assert '<a href="/services/ledger">ledger</a>' in depends_on
    assert "balances" in depends_on
    assert keys_in(payments.text.split("Agreements covering it")[1]) == {world.acme_active}
    ledger = client.get("/services/ledger").text
    needed_by = ledger.split("Needed by")[1].split("Agreements covering it")[0]
    assert '<a href="/services/payments-api">payments-api</a>' in needed_by
    assert keys_in(ledger.split("Agreements covering it")[1]) == {
        world.globex_approved,
        world.acme_in_review,
    }


def test_audit_page_lists_events_and_verifies_the_chain(
    client: TestClient, session: Session, world: World
) -> None:
    sign_in(client, session, "root")
    audit = client.get("/audit")
    assert audit.status_code == 200
    assert "<code>customer.contact_added</code>" in audit.text
    assert "Verify the chain" in audit.text
    assert "The chain is intact" not in audit.text  # only computed on request
    verified = client.get("/audit?verify=1").text
    assert re.search(r"The chain is intact:</strong> \d+ events verified", verified)


# ---------------------------------------------------------------------- filters and pagination


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ALL),
        ("?kind=&status=&service=&customer=", ALL),  # blank form fields filter nothing
        ("?customer=globex", {"globex_approved"}),
        ("?customer=acme", {"acme_active", "acme_in_review"}),
        ("?business_unit=wholesale", {"wholesale_draft"}),
        ("?status=in_review", {"acme_in_review"}),
        ("?status=approved&kind=sla", {"globex_approved"}),
        ("?service=ledger", {"globex_approved", "acme_in_review"}),
        ("?kind=ola", set()),
    ],
)
def test_filters_narrow_the_agreement_list(
    client: TestClient, session: Session, world: World, query: str, expected: set[str]
) -> None:
    sign_in(client, session, "root")
    response = client.get(f"/agreements{query}")
    assert response.status_code == 200
    assert keys_in(response.text) == {getattr(world, name) for name in expected}


def test_filter_form_keeps_the_chosen_values(
    client: TestClient, session: Session, world: World
) -> None:
    sign_in(client, session, "root")
    page = client.get("/agreements?status=in_review&customer=acme").text
    assert '<option value="in_review" selected>' in page
    assert 'name="customer" value="acme"' in page


def test_invalid_filters_are_an_error_page(
    client: TestClient, session: Session, world: World
) -> None:
    sign_in(client, session, "root")
    response = client.get("/agreements?kind=bogus")
    assert response.status_code == 422
    assert "text/html" in response.headers["content-type"]
    assert "kind" in response.text
    assert client.get("/agreements?cursor=garbage").status_code == 422


def test_lists_paginate_with_a_next_link(
    client: TestClient, session: Session, world: World
) -> None:
    sign_in(client, session, "root")
    first = client.get("/agreements?limit=3&kind=sla").text
    assert len(keys_in(first)) == 3
    link = next_link(first)
    assert link is not None
    assert "kind=sla" in link
    second = client.get(link).text
    assert next_link(second) is None
    assert keys_in(first) | keys_in(second) == {
        world.acme_active,
        world.globex_approved,
        world.wholesale_draft,
        world.acme_in_review,
    }
    assert not keys_in(first) & keys_in(second)

    services = client.get("/services?limit=2").text
    link = next_link(services)
    assert link is not None
    rest = client.get(link).text
    slugs = set(re.findall(r'href="/services/([a-z-]+)"', services + rest))
    assert slugs == {"payments-api", "ledger", "bulk-api"}

    audit = client.get("/audit?limit=2&entity_type=agreement").text
    link = next_link(audit)
    assert link is not None
    assert "entity_type=agreement" in link
    seqs_first = [int(s) for s in re.findall(r'<td class="num">(\d+)</td>', audit)]
    seqs_next = [int(s) for s in re.findall(r'<td class="num">(\d+)</td>', client.get(link).text)]
    assert len(seqs_first) == 2
    assert seqs_first == sorted(seqs_first, reverse=True)
    assert max(seqs_next) < min(seqs_first)  # newest first, the next page continues older


def test_catalogue_and_audit_filters(client: TestClient, session: Session, world: World) -> None:
    sign_in(client, session, "root")
    wholesale = client.get("/services?business_unit=wholesale&tier=&lifecycle=active").text
    assert set(re.findall(r'href="/services/([a-z-]+)"', wholesale)) == {"bulk-api"}
    tier_two = client.get("/services?tier=2").text
    assert set(re.findall(r'href="/services/([a-z-]+)"', tier_two)) == {"payments-api", "ledger"}
    customers = client.get("/customers?business_unit=wholesale").text
    assert set(re.findall(r'href="/customers/([a-z]+)"', customers)) == {"initech"}

    events = client.get(f"/audit?entity_type=agreement&entity_key={world.globex_approved}").text
    assert keys_in(events) == {world.globex_approved}
    by_action = client.get("/audit?action=customer.contact_added").text
    assert re.findall(r"<code>([a-z_.]+)</code>", by_action) == ["customer.contact_added"]


# ------------------------------------------------------------------------ business-unit scoping


def test_a_viewer_sees_only_its_unit(client: TestClient, session: Session, world: World) -> None:
    sign_in(client, session, "vera")
    listed = client.get("/agreements").text
    assert world.wholesale_draft not in keys_in(listed)
    assert world.acme_active in keys_in(listed)

    other = client.get(f"/agreements/{world.wholesale_draft}")
    assert other.status_code == 404
    assert "text/html" in other.headers["content-type"]
    assert "Bulk for Initech" not in other.text
    assert client.get("/services/bulk-api").status_code == 404
    assert client.get("/customers/initech").status_code == 404

    own = client.get(f"/agreements/{world.acme_active}")
    assert own.status_code == 200
    assert 'id="history"' not in own.text  # a viewer lacks audit:read: no events
    assert 'href="/audit"' not in own.text
    assert client.get("/audit").status_code == 403

    dashboard = client.get("/").text
    assert re.search(r'<div class="n">3</div><div class="l"><a href="/agreements">', dashboard)


def test_a_unit_auditor_reads_its_events_but_cannot_verify_the_whole_chain(
    client: TestClient, session: Session, world: World
) -> None:
    sign_in(client, session, "audrey")
    page = client.get("/audit").text
    assert world.acme_active in keys_in(page)
    assert world.wholesale_draft not in keys_in(page)
    assert "Verify the chain" not in page
    assert client.get("/audit?verify=1").status_code == 403
    detail = client.get(f"/agreements/{world.acme_active}").text
    assert "<code>agreement.created</code>" in detail


# ---------------------------------------------------------------------------- external viewers


def test_an_external_contact_sees_only_customer_facing_fields(
    client: TestClient, session: Session, world: World
) -> None:
    assert sign_in(client, session, "ext") == "/external"
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303
    assert home.headers["location"] == "/external"

    listed = client.get("/external")
    assert listed.status_code == 200
    assert set(re.findall(r'href="/external/([A-Z]+-\d+)"', listed.text)) == {world.acme_active}

    detail = client.get(f"/external/{world.acme_active}")
    assert detail.status_code == 200
    assert "Payments for ACME" in detail.text
    assert ACME_SUMMARY in detail.text
    for internal in (INTERNAL_NOTE, PROCUREMENT_REF, "INTERNAL-NOTE", "signer-0", "reviewer-a"):
        assert internal not in detail.text, internal

    assert client.get(f"/external/{world.globex_approved}").status_code == 404  # other customer
    assert client.get(f"/external/{world.acme_in_review}").status_code == 404  # not approved
    assert client.get(f"/external/{world.acme_active}?version=2").status_code == 404
    assert client.get("/agreements").status_code == 403
    assert client.get(f"/agreements/{world.acme_active}").status_code == 404
    assert client.get("/services").status_code == 403
    assert client.get("/audit").status_code == 403


def test_internal_staff_have_no_external_view(
    client: TestClient, session: Session, world: World
) -> None:
    sign_in(client, session, "root")
    assert client.get(f"/external/{world.acme_active}").status_code == 403


# ------------------------------------------------------------------------------------- escaping


def test_user_text_is_escaped(client: TestClient, session: Session, world: World) -> None:
    title = '<script>alert("x")</script>'
    agreement = make_agreement(
        session, unit="retail", services=["ledger"], customer="acme", title=title
    )
    session.commit()
    sign_in(client, session, "root")
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
    for path in (f"/agreements/{agreement.key}", "/agreements", "/customers/acme", "/audit"):
        page = client.get(path).text
        assert "<script>" not in page, path
        assert "&lt;script&gt;" in page, path
    assert escaped in client.get(f"/agreements/{agreement.key}").text


def test_pages_send_a_strict_content_security_policy(
    client: TestClient, session: Session, world: World
) -> None:
    sign_in(client, session, "root")
    response = client.get("/agreements")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "<script" not in response.text
    assert " style=" not in response.text
