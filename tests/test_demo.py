"""The demo portfolio (`accord demo`): loaded through the real services on SQLite and PostgreSQL,
then read back through the services to check it is as rich and as consistent as promised."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from accord.agreements import service as agreements_service
from accord.agreements.enums import AgreementKind, Structure, VersionStatus
from accord.agreements.schemas import (
    AgreementFilter,
    AgreementRead,
    VersionRead,
)
from accord.agreements.support import service as support_service
from accord.audit import service as audit_service
from accord.audit.schemas import AuditEventRead
from accord.catalogue import service as catalogue_service
from accord.catalogue.enums import Lifecycle
from accord.catalogue.schemas import ServiceFilter, ServiceRead
from accord.cli import app
from accord.config import DatabaseSettings
from accord.db.session import Database, create_database_engine
from accord.demo import portfolio
from accord.identity import service as identity_service
from accord.identity.enums import PrincipalKind, Role
from accord.identity.rules import Grant, Permission, system_actor
from accord.kit.errors import NotFound, Unauthenticated
from accord.kit.time import utc_now
from tests.conftest import FreshDatabases

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
READER = system_actor("test-reader")
TOKEN = re.compile(r"acc_usr_[0-9A-Za-z]{49}")


@pytest.fixture(scope="module")
def demo(backend: str, fresh_databases: FreshDatabases) -> Iterator[Database]:
    """A database of its own holding the demo, loaded (and committed) once per backend."""
    engine = create_database_engine(fresh_databases.url(backend), DatabaseSettings())
    database = Database(engine, DatabaseSettings())
    with database.unit_of_work() as session:
        portfolio.load(session, now=NOW)
    yield database
    database.dispose()


@pytest.fixture
def demo_session(demo: Database) -> Iterator[Session]:
    """A session on the demo database whose changes are thrown away."""
    session = demo.new_session(write=True)
    yield session
    session.rollback()
    session.close()


def _agreements(session: Session) -> list[AgreementRead]:
    items, after = [], None
    while True:
        page, after = agreements_service.list_agreements(
            session, actor=READER, filters=AgreementFilter(), after=after, limit=100
        )
        items += page
        if after is None:
            break
    return [agreements_service.get_agreement(session, actor=READER, key=i.key) for i in items]


def _versions(session: Session, agreements: list[AgreementRead]) -> list[VersionRead]:
    return [
        agreements_service.get_version(session, actor=READER, key=a.key, number=v.number)
        for a in agreements
        for v in a.versions
    ]


def _services(session: Session) -> list[ServiceRead]:
    items, after = [], None
    while True:
        page, after = catalogue_service.list_services(
            session, actor=READER, filters=ServiceFilter(), after=after, limit=100
        )
        items += page
        if after is None:
            return items


def _events(session: Session) -> list[AuditEventRead]:
    """The whole audit trail, oldest first."""
    events: list[AuditEventRead] = []
    before: int | None = None
    while True:
        page = audit_service.list_events(session, units=None, before_seq=before, limit=500)
        if not page:
            return list(reversed(events))
        events += page
        before = page[-1].seq


# ------------------------------------------------------------------------------- the content


def test_catalogue_and_people(demo_session: Session) -> None:
    session = demo_session
    units = identity_service.list_business_units(session, actor=READER)
    assert len(units) >= 3
    regions = {r.code: r for r in catalogue_service.list_regions(session, actor=READER)}
    assert len(regions) == 2
    assert regions["eu-west"].data_residency
    assert regions["eu-west"].jurisdiction == "IE"
    assert not regions["us-east"].data_residency

    services = _services(session)
    assert len(services) >= 30
    assert {s.business_unit for s in services} == {u.code for u in units}
    assert {s.tier for s in services} == {1, 2, 3, 4}
    assert all(s.owner and s.cmdb_ci_id for s in services)
    assert len({s.cmdb_ci_id for s in services}) == len(services)
    lifecycles = Counter(s.lifecycle for s in services)
    assert lifecycles[Lifecycle.SUNSET] >= 1
    assert lifecycles[Lifecycle.DECOMMISSIONED] >= 1

    # Customer-facing services depend on the platform services (a DAG: add_dependency refuses
    # cycles, so every edge that exists went through that check).
    needs = catalogue_service.get_dependencies(session, actor=READER, slug="mobile-banking")
    assert {"identity-platform", "payments-core", "core-ledger", "api-gateway"} <= {
        d.depends_on for d in needs.depends_on
    }
    core = catalogue_service.get_dependencies(session, actor=READER, slug="core-ledger")
    assert len(core.dependents) >= 5

    customers, _ = catalogue_service.list_customers(
        session, actor=READER, business_unit=None, after=None, limit=100
    )
    vendors, _ = catalogue_service.list_vendors(session, actor=READER, after=None, limit=100)
    assert len(customers) >= 8
    assert len(vendors) >= 4

    principals, _ = identity_service.list_principals(session, actor=READER, after=None, limit=200)
    assert {g.role for p in principals for g in p.grants} == set(Role)
    admin = next(p for p in principals if p.name == "admin")
    assert any(g.role is Role.ADMIN and g.business_unit is None for g in admin.grants)
    for unit in units:
        approvers = {
            p.name
            for p in principals
            for g in p.grants
            if g.role is Role.APPROVER and g.business_unit == unit.code
        }
        editors = {
            p.name
            for p in principals
            for g in p.grants
            if g.role is Role.EDITOR and g.business_unit == unit.code
        }
        assert len(approvers) >= 2, unit.code
        assert editors, unit.code
    source = next(p for p in principals if p.kind is PrincipalKind.SOURCE)
    assert [g.role for g in source.grants] == [Role.INGEST]
    external = next(p for p in principals if any(g.role is Role.EXTERNAL for g in p.grants))
    assert any(external.name in c.contacts for c in customers)


def test_agreements_cover_every_kind_structure_and_status(demo_session: Session) -> None:
    session = demo_session
    agreements = _agreements(session)
    assert len(agreements) >= 40
    assert set(Counter(a.kind for a in agreements)) == set(AgreementKind)
    statuses = Counter(v.status for a in agreements for v in a.versions)
    assert set(statuses) == set(VersionStatus), statuses

    masters = [a for a in agreements if a.structure is Structure.MASTER]
    schedules = Counter(a.master for a in agreements if a.structure is Structure.SCHEDULE)
    assert any(schedules[m.key] >= 2 for m in masters)
    assert any(a.structure is Structure.MONOLITHIC for a in agreements)

    # Renegotiated: a superseded version followed by the active one of the same agreement.
    renegotiated = [
        a
        for a in agreements
        if [v.status for v in a.versions] == [VersionStatus.SUPERSEDED, VersionStatus.ACTIVE]
    ]
    assert renegotiated

    versions = _versions(session, agreements)
    in_review = [v for v in versions if v.status is VersionStatus.IN_REVIEW]
    assert any(v.sign_offs and v.missing_sign_offs for v in in_review)
    for version in versions:
        terms = version.terms
        assert terms.summary
        assert terms.scope_inclusions
        assert terms.scope_exclusions
        assert terms.supported_hours in {"24x7", "business-hours-eu"}
        if terms.fee_amount is not None:
            assert terms.fee_currency in {"EUR", "USD"}
        if version.status not in (VersionStatus.DRAFT, VersionStatus.IN_REVIEW):
            # Four eyes and the tiers' sign-offs held for everything approved.
            assert version.approved_by
            assert version.approved_by != version.created_by
            assert not version.missing_sign_offs
            assert version.terms_hash
            signers = [s.signed_by for s in version.sign_offs]
            assert len(signers) == len(set(signers))
        if version.effective_from is not None:
            assert version.approved_at is not None
            assert version.effective_from >= version.approved_at  # never backdated
        if version.status is VersionStatus.ACTIVE:  # the nightly expiry job is up to date
            assert terms.term_end is None or terms.term_end >= NOW.date()
    tags = {t for v in versions for t in v.terms.regulatory_tags}
    assert {"GDPR", "PCI-DSS", "SOX", "DORA"} <= tags
    assert {v.terms.jurisdiction for v in versions} >= {"IE", "US-NY"}
    assert any(v.terms.legal_reference for v in versions)
    assert any(v.terms.procurement_reference for v in versions)


def test_support_links_underpin_slas_and_olas(demo_session: Session) -> None:
    session = demo_session
    supported_kinds: set[tuple[AgreementKind, AgreementKind]] = set()
    for agreement in _agreements(session):
        support = support_service.get_support(session, actor=READER, key=agreement.key)
        supported_kinds |= {(agreement.kind, link.supporting_kind) for link in support.supported_by}
    assert (AgreementKind.SLA, AgreementKind.UC) in supported_kinds
    assert (AgreementKind.OLA, AgreementKind.UC) in supported_kinds
    assert (AgreementKind.SLA, AgreementKind.OLA) in supported_kinds  # another unit's OLA


def test_external_contact_sees_only_its_customers_approved_slas(demo_session: Session) -> None:
    session = demo_session
    principals, _ = identity_service.list_principals(session, actor=READER, after=None, limit=200)
    external = next(p for p in principals if any(g.role is Role.EXTERNAL for g in p.grants))
    principal = identity_service.find_principal(session, external.name)
    assert principal is not None
    actor = identity_service.actor_for(session, principal)
    visible, _ = agreements_service.list_external(session, actor=actor, after=None, limit=100)
    assert visible
    assert {a.customer for a in visible} == {"brightpay"}
    assert all(
        v.status not in (VersionStatus.DRAFT, VersionStatus.IN_REVIEW)
        for a in visible
        for v in a.versions
    )


def test_audit_trail_verifies_and_reads_as_a_history(demo_session: Session) -> None:
    session = demo_session
    verification = audit_service.verify(session)
    assert verification.ok, verification
    events = _events(session)
    assert len(events) == verification.events
    times = [e.occurred_at for e in events]
    assert times == sorted(times)
    assert times[-1] < NOW
    assert times[0] <= NOW - timedelta(days=540)  # about two years of history
    actions = Counter(e.action for e in events)
    for action in (
        "agreement.version_returned",
        "agreement.version_superseded",
        "agreement.version_expired",
        "agreement.sunset",
        "agreement.support_unlinked",
        "service.dependency_removed",
        "customer.contact_added",
    ):
        assert actions[action], action
    # People act as themselves; only the bootstrap and the expiry job are system actors.
    system = {e.actor for e in events if e.actor in ("accord-demo", "accord-worker")}
    assert system == {"accord-demo", "accord-worker"}
    assert sum(1 for e in events if e.actor == "accord-demo") <= 2


def test_fresh_admin_token_authenticates_as_admin(demo_session: Session) -> None:
    token = portfolio.fresh_admin_token(demo_session, now=NOW)
    actor = identity_service.authenticate(demo_session, token=token, now=NOW + timedelta(hours=1))
    assert actor.name == "admin"
    assert Grant(Role.ADMIN, None) in actor.grants
    assert actor.can(Permission.IDENTITY_ADMIN, None)
    assert portfolio.fresh_admin_token(demo_session, now=NOW) != token


def test_is_populated_refuses_a_second_load(demo_session: Session) -> None:
    assert portfolio.is_populated(demo_session)


# --------------------------------------------------------------------- an empty database


def test_load_into_an_empty_database(session: Session, demo: Database) -> None:
    assert not portfolio.is_populated(session)
    with pytest.raises(NotFound, match="accord demo"):
        portfolio.fresh_admin_token(session, now=NOW)
    started = time.perf_counter()
    summary = portfolio.load(session, now=NOW)
    elapsed = time.perf_counter() - started
    assert portfolio.is_populated(session)
    assert "agreements" in summary
    assert "SLA" in summary
    assert "superseded" in summary
    assert elapsed < 60, f"loading the demo took {elapsed:.1f} s"

    # Deterministic: the same history as the demo database loaded at the same instant.
    def history(s: Session) -> list[tuple[datetime, str, str, str, str]]:
        return [(e.occurred_at, e.actor, e.action, e.entity_type, e.entity_key) for e in _events(s)]

    other = demo.new_session(write=False)
    try:
        expected = history(other)
    finally:
        other.close()
    assert history(session) == expected


# --------------------------------------------------------------------------------------- CLI


def test_cli_demo_loads_refuses_a_second_time_and_resets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    runner = CliRunner()

    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    assert "admin token" in first.stdout
    first_token = TOKEN.search(first.stdout)
    assert first_token is not None

    again = runner.invoke(app, ["demo"])
    assert again.exit_code != 0
    message = " ".join(again.stderr.split())
    assert "already holds data" in message
    assert "--reset" in message

    reset = runner.invoke(app, ["demo", "--reset"])
    assert reset.exit_code == 0, reset.output
    second_token = TOKEN.search(reset.stdout)
    assert second_token is not None

    database = Database(create_database_engine(url, DatabaseSettings()), DatabaseSettings())
    try:
        with database.unit_of_work(write=False) as session:
            actor = identity_service.authenticate(
                session, token=second_token.group(), now=utc_now()
            )
            assert actor.name == "admin"
            assert Grant(Role.ADMIN, None) in actor.grants
            with pytest.raises(Unauthenticated):  # the reset wiped the first load
                identity_service.authenticate(session, token=first_token.group(), now=utc_now())
            assert len(_agreements(session)) >= 40
    finally:
        database.dispose()
