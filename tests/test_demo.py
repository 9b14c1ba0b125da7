"""The demo portfolio (`accord demo`): loaded through the real services on SQLite and PostgreSQL,
then read back through the services to check it is as rich and as consistent as promised."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
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
from accord.compliance import service as compliance_service
from accord.compliance.enums import PolicyEventState
from accord.compliance.schemas import PolicyEventRead, StatusRead
from accord.config import DatabaseSettings
from accord.db.session import Database, create_database_engine
from accord.demo import portfolio
from accord.exclusions import service as exclusions_service
from accord.exclusions.enums import ExclusionKind, ExclusionStatus
from accord.exclusions.schemas import ExclusionFilter
from accord.identity import service as identity_service
from accord.identity.enums import PrincipalKind, Role
from accord.identity.rules import Grant, Permission, system_actor
from accord.kit.errors import NotFound, Unauthenticated
from accord.kit.time import utc_now
from accord.objectives import service as objectives_service
from accord.objectives.enums import BudgetingMethod, PolicyTrigger, SliKind
from accord.objectives.policies import service as policies_service
from accord.objectives.schemas import CalendarWindow, ObjectiveFilter, ObjectiveRead
from accord.telemetry.ingestion import service as ingestion_service
from accord.telemetry.models import SliBucket
from accord.telemetry.sources import service as sources_service
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


def _objectives(session: Session) -> list[ObjectiveRead]:
    items, after = [], None
    while True:
        page, after = objectives_service.list_objectives(
            session, actor=READER, filters=ObjectiveFilter(), after=after, limit=100
        )
        items += page
        if after is None:
            return items


def _statuses(session: Session) -> list[StatusRead]:
    items, after = [], None
    while True:
        page, after = compliance_service.list_current(
            session, actor=READER, service=None, after=after, limit=100
        )
        items += page
        if after is None:
            return items


def _policy_events(session: Session) -> list[PolicyEventRead]:
    items, after = [], None
    while True:
        page, after = compliance_service.list_policy_events(
            session, actor=READER, key=None, state=None, after=after, limit=100
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
        "policy.created",
        "objective.created",
        "objective.updated",
        "exclusion.declared",
        "exclusion.approved",
        "policy.crossed",
        "policy.recovered",
    ):
        assert actions[action], action
    # People act as themselves; only the bootstrap and the expiry job are system actors.
    system = {e.actor for e in events if e.actor in ("accord-demo", "accord-worker")}
    assert system == {"accord-demo", "accord-worker"}
    assert sum(1 for e in events if e.actor == "accord-demo") <= 2


# ---------------------------------------------------------------------------- the SLO story


def test_objectives_respect_tiers_and_join_draft_terms(demo_session: Session) -> None:
    session = demo_session
    objectives = _objectives(session)
    assert 12 <= len(objectives) <= 15
    units = {u.code for u in identity_service.list_business_units(session, actor=READER)}
    assert {o.business_unit for o in objectives} == units
    assert {o.sli_kind for o in objectives} >= {SliKind.AVAILABILITY, SliKind.LATENCY}
    assert {o.budgeting_method for o in objectives} == set(BudgetingMethod)
    zones = {o.window.time_zone for o in objectives if isinstance(o.window, CalendarWindow)}
    assert zones >= {"Europe/Dublin", "America/New_York"}
    rolling = [o for o in objectives if o.window.kind == "rolling"]
    assert len(rolling) > len(objectives) / 2
    assert any(o.provider_owner for o in objectives)
    assert any(o.customer_owner for o in objectives)

    # Targets respect the tiers' minimums without exceptions.
    minimum = {t.level: t.min_target for t in catalogue_service.list_tiers(session, actor=READER)}
    tier_of = {s.slug: s.tier for s in _services(session)}
    for objective in objectives:
        assert objective.target >= minimum[tier_of[objective.service]], objective.key
        assert objective.tier_exception is None

    # Most objectives are under a policy of their own unit; some stand alone.
    policies, _ = policies_service.list_policies(
        session, actor=READER, business_unit=None, after=None, limit=100
    )
    unit_of_policy = {p.name: p.business_unit for p in policies}
    under_policy = [o for o in objectives if o.policy]
    assert len(under_policy) >= len(objectives) * 2 / 3
    assert len(under_policy) < len(objectives)
    assert all(unit_of_policy[o.policy] == o.business_unit for o in under_policy if o.policy)
    assert any(
        t.trigger is PolicyTrigger.BUDGET_CONSUMED and t.consumed_at_least == 1
        for p in policies
        for t in p.thresholds
    )

    # Contractual objectives joined a draft version (created before it was submitted), whose
    # service they cover; internal ones stand alone.
    contractual = [o for o in objectives if o.agreement]
    assert 2 <= len(contractual) <= 4
    for objective in contractual:
        assert objective.version is not None
        version = agreements_service.get_version(
            session, actor=READER, key=objective.agreement, number=objective.version
        )
        assert version.created_at < objective.created_at
        assert version.submitted_at is not None
        assert objective.created_at < version.submitted_at
        assert objective.service in (version.terms.services or [])
    assert any(
        a.kind is AgreementKind.SLA
        for a in (
            agreements_service.get_agreement(session, actor=READER, key=o.agreement)
            for o in contractual
            if o.agreement
        )
    )


def test_latest_evaluation_tells_the_story(demo_session: Session) -> None:
    session = demo_session
    objectives = {o.key: o for o in _objectives(session)}
    statuses = _statuses(session)
    assert {s.objective for s in statuses} == set(objectives)
    # One evaluation at the last complete bucket before the demo's instant.
    assert {s.evaluated_at for s in statuses} == {NOW - timedelta(minutes=5)}
    assert all(s.data_coverage > 0.95 for s in statuses)

    healthy = [s for s in statuses if not s.at_risk and 0 <= s.budget_consumed < 0.5]
    assert len(healthy) >= len(statuses) / 2
    paging = [s for s in statuses if s.page_alert]
    assert paging
    slow_burn = [s for s in statuses if s.ticket_alert and not s.page_alert]
    assert slow_burn
    assert all(s.at_risk for s in paging + slow_burn)
    overspent = [s for s in statuses if s.budget_consumed > 1]
    assert len(overspent) == 1
    assert isinstance(objectives[overspent[0].objective].window, CalendarWindow)

    # The overspent objective's release gate is frozen by its policy; a healthy one is open.
    gate = compliance_service.release_gate(
        session, actor=READER, slug=overspent[0].service, now=NOW
    )
    assert gate.frozen
    assert [r.objective for r in gate.reasons] == [overspent[0].objective]
    assert all(r.trigger is PolicyTrigger.BUDGET_CONSUMED for r in gate.reasons)
    open_gate = compliance_service.release_gate(
        session, actor=READER, slug=healthy[0].service, now=NOW
    )
    assert not open_gate.frozen

    # The page is escalated to the SRE lead within the hour.
    events = _policy_events(session)
    pages = [
        e
        for e in events
        if e.state is PolicyEventState.OPEN and e.trigger is PolicyTrigger.PAGE_ALERT
    ]
    assert {e.objective for e in pages} == {s.objective for s in paging}
    for event in pages:
        assert event.escalate_to == "sre_lead"
        assert event.respond_by == event.opened_at + timedelta(hours=1)


def test_policy_events_and_status_history_are_a_history(demo_session: Session) -> None:
    session = demo_session
    events = _policy_events(session)
    recovered = [e for e in events if e.state is PolicyEventState.RECOVERED]
    assert recovered
    assert any(e.freezes_releases for e in recovered)  # a freeze that was lifted
    for event in recovered:
        assert event.closed_at is not None
        assert event.opened_at < event.closed_at < NOW
    assert {e.trigger for e in events} >= {
        PolicyTrigger.BUDGET_CONSUMED,
        PolicyTrigger.PAGE_ALERT,
        PolicyTrigger.TICKET_ALERT,
    }

    for objective in _objectives(session):
        history, after = [], None
        while True:
            page, after = compliance_service.list_history(
                session,
                actor=READER,
                key=objective.key,
                since=None,
                until=None,
                after=after,
                limit=200,
            )
            history += page
            if after is None:
                break
        times = sorted(s.evaluated_at for s in history)
        assert len(set(times)) == len(times)
        # Every morning of the last 90 days, every hour of the last day, and the latest.
        assert len(times) >= 89 + 23 + 1, objective.key
        assert times[0] <= NOW - timedelta(days=88)
        assert times[-1] == NOW - timedelta(minutes=5)
        daily = [t for t in times if t < NOW - timedelta(days=1)]
        assert all((t.hour, t.minute) == (6, 0) for t in daily)
        assert sum(t > NOW - timedelta(days=1) for t in times) >= 24


def test_maintenance_was_approved_before_it_happened(demo_session: Session) -> None:
    windows, _ = exclusions_service.list_exclusions(
        demo_session,
        actor=READER,
        service=None,
        filters=ExclusionFilter(status=ExclusionStatus.APPROVED),
        after=None,
        limit=100,
    )
    maintenance = [w for w in windows if w.kind is ExclusionKind.MAINTENANCE]
    assert len(maintenance) == 1
    window = maintenance[0]
    assert window.decided_by is not None
    assert window.decided_by != window.created_by  # four eyes
    assert window.decided_at is not None
    assert window.created_at < window.decided_at < window.starts_at < window.ends_at < NOW
    assert NOW - timedelta(days=90) < window.starts_at


def test_each_unit_has_a_collector_feeding_its_objectives_with_provenance(
    demo_session: Session,
) -> None:
    sources = sources_service.list_sources(demo_session, actor=READER)
    units = {s.business_unit for s in sources}
    assert [s.name for s in sources] == sorted(f"{u}-collector" for u in units)
    mapped = [
        m.objective
        for s in sources
        for m in sources_service.list_mappings(demo_session, actor=READER, source=s.name)
    ]
    objectives = objectives_service.list_objectives(
        demo_session, actor=READER, filters=ObjectiveFilter(), after=None, limit=100
    )[0]
    assert sorted(mapped) == sorted(o.key for o in objectives)
    unattributed = demo_session.scalar(
        select(func.count()).select_from(SliBucket).where(SliBucket.source_id.is_(None))
    )
    assert unattributed == 0
    held, _ = ingestion_service.list_quarantine(
        demo_session, actor=READER, source=None, status=None, after=None, limit=10
    )
    assert [(q.checks, q.releasable) for q in held] == [(["future"], True)]


def test_tickets_are_timed_with_pauses_breaches_and_handoffs(demo_session: Session) -> None:
    from accord.timers import service as timers_service
    from accord.timers.enums import TargetMetric, TimerStatus
    from accord.timers.schemas import ComplianceGroup, TimerFilter

    now = utc_now()
    timers, _ = timers_service.list_timers(
        demo_session, actor=READER, filters=TimerFilter(), after=None, limit=500, now=now
    )
    resolve = [t for t in timers if t.metric is TargetMetric.TIME_TO_RESOLVE and t.team is None]
    assert len(resolve) == 120  # every ticket of both streams is held to its SLA
    assert len({t.agreement for t in resolve}) == 2  # Aurora's acquiring, Coastal's digital
    statuses = Counter(t.status for t in resolve)
    assert statuses[TimerStatus.STOPPED] > 90
    assert any(t.breached for t in resolve)
    assert any(not t.breached and t.status is TimerStatus.STOPPED for t in resolve)
    handoffs = [t for t in timers if t.team is not None]
    assert {t.team for t in handoffs} == {"meridian-card-network", "platform-engineering"}
    report = timers_service.compliance(
        demo_session,
        actor=READER,
        start=now - timedelta(days=60),
        end=now,
        group_by=ComplianceGroup.PRIORITY,
        now=now,
    )
    shares = [r.within_target for r in report.rows if r.within_target is not None]
    assert shares
    assert all(0 <= s <= 1 for s in shares)
    assert any(s < 1 for s in shares)
    vendor = timers_service.alignment(demo_session, actor=READER, agreement=None, now=now)
    assert any(r.verdict == "does-not-fit" for r in vendor)


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
    summary = portfolio.load(session, now=NOW)
    assert portfolio.is_populated(session)
    assert "agreements" in summary
    assert "SLA" in summary
    assert "superseded" in summary
    assert "objectives" in summary
    assert "releases frozen" in summary

    # Deterministic: the same history as the demo database loaded at the same instant. Objective
    # and exclusion keys come from surrogate ids, and PostgreSQL sequences do not roll back with
    # earlier loads into this database: those keys are compared by their order of creation.
    def history(s: Session) -> list[tuple[datetime, str, str, str, str]]:
        events = _events(s)
        rank: dict[tuple[str, str], str] = {}
        for kind in ("objective", "exclusion_window"):
            keys = {e.entity_key for e in events if e.entity_type == kind}
            ordered = sorted(keys, key=lambda k: int(re.sub(r"\D", "", k) or 0))
            rank |= {(kind, key): f"#{n}" for n, key in enumerate(ordered, 1)}
        return [
            (
                e.occurred_at,
                e.actor,
                e.action,
                e.entity_type,
                rank.get((e.entity_type, e.entity_key), e.entity_key),
            )
            for e in events
        ]

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
