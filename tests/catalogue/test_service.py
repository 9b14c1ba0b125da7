"""Catalogue use cases against real databases: scoping by unit, the dependency DAG, audit."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit.models import AuditEvent
from accord.catalogue import service as catalogue_service
from accord.catalogue.enums import Criticality, DependencyKind, Lifecycle
from accord.catalogue.models import Service, ServiceDependency
from accord.catalogue.schemas import (
    ContactCreate,
    CustomerUpdate,
    DependencyCreate,
    RegionUpdate,
    ServiceCreate,
    ServiceFilter,
    ServiceUpdate,
    TierUpdate,
)
from accord.identity import service as identity_service
from accord.identity.models import BusinessUnit
from accord.identity.rules import Actor
from accord.kit.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    RuleViolation,
)
from accord.kit.time import utc_now
from tests.factories.catalogue import make_customer, make_region, make_service
from tests.factories.identity import SYSTEM
from tests.identity.helpers import audit_actions, count, last_seq

pytestmark = pytest.mark.db


def actor(session: Session, name: str) -> Actor:
    principal = identity_service.find_principal(session, name)
    assert principal is not None
    return identity_service.actor_for(session, principal)


def depend(session: Session, who: Actor, slug: str, on: str) -> None:
    catalogue_service.add_dependency(
        session, actor=who, slug=slug, data=DependencyCreate(depends_on=on), now=utc_now()
    )


def unit_id(session: Session, code: str) -> int:
    return session.scalars(select(BusinessUnit.id).where(BusinessUnit.code == code)).one()


# ------------------------------------------------------------------------------------ services


def test_services_are_scoped_to_the_callers_units(org: Session) -> None:
    make_service(org, "pay", "retail")
    make_service(org, "ledger", "wholesale")
    eddie = actor(org, "eddie")
    assert catalogue_service.get_service(org, actor=eddie, slug="pay").business_unit == "retail"
    with pytest.raises(NotFound) as outside:
        catalogue_service.get_service(org, actor=eddie, slug="ledger")
    with pytest.raises(NotFound) as missing:
        catalogue_service.get_service(org, actor=eddie, slug="nothing")
    assert outside.value.detail.replace("ledger", "X") == missing.value.detail.replace(
        "nothing", "X"
    )
    rows, _ = catalogue_service.list_services(
        org, actor=eddie, filters=ServiceFilter(), after=None, limit=50
    )
    assert [s.slug for s in rows] == ["pay"]
    rows, _ = catalogue_service.list_services(
        org, actor=SYSTEM, filters=ServiceFilter(), after=None, limit=50
    )
    assert [s.slug for s in rows] == ["pay", "ledger"]


def test_create_in_another_unit_is_forbidden_and_writes_nothing(org: Session) -> None:
    before = count(org, Service)
    seq = last_seq(org)
    with pytest.raises(Forbidden):
        catalogue_service.create_service(
            org,
            actor=actor(org, "eddie"),
            data=ServiceCreate(slug="sneaky", name="Sneaky", business_unit="wholesale", tier=3),
            now=utc_now(),
        )
    with pytest.raises(InvalidInput) as raised:
        catalogue_service.create_service(
            org,
            actor=actor(org, "eddie"),
            data=ServiceCreate(slug="sneaky", name="Sneaky", business_unit="nowhere", tier=3),
            now=utc_now(),
        )
    assert raised.value.problems[0].field == "business_unit"
    assert count(org, Service) == before
    assert last_seq(org) == seq


def test_updating_needs_write_in_the_services_unit(org: Session) -> None:
    make_service(org, "pay", "retail")
    make_service(org, "ledger", "wholesale")
    with pytest.raises(Forbidden):  # visible to vera, but not writable
        catalogue_service.update_service(
            org, actor=actor(org, "vera"), slug="pay", data=ServiceUpdate(name="X"), now=utc_now()
        )
    with pytest.raises(NotFound):  # cross can read wholesale, but eddie cannot even see it
        catalogue_service.update_service(
            org,
            actor=actor(org, "eddie"),
            slug="ledger",
            data=ServiceUpdate(name="X"),
            now=utc_now(),
        )
    with pytest.raises(Forbidden):
        catalogue_service.update_service(
            org,
            actor=actor(org, "cross"),
            slug="ledger",
            data=ServiceUpdate(name="X"),
            now=utc_now(),
        )


def test_service_create_and_update_are_audited_with_the_unit(org: Session) -> None:
    seq = last_seq(org)
    eddie = actor(org, "eddie")
    now = utc_now()
    created = catalogue_service.create_service(
        org,
        actor=eddie,
        data=ServiceCreate(
            slug="pay",
            name="Payments",
            business_unit="retail",
            tier=1,
            owner="vera",
            criticality=Criticality.CRITICAL,
            cmdb_ci_id="CI-1",
        ),
        now=now,
    )
    assert created.lifecycle is Lifecycle.ACTIVE
    assert created.owner == "vera"
    catalogue_service.update_service(
        org,
        actor=eddie,
        slug="pay",
        data=ServiceUpdate(tier=2, owner=None, lifecycle=Lifecycle.SUNSET),
        now=now + timedelta(seconds=1),
    )
    events = org.scalars(select(AuditEvent).where(AuditEvent.seq > seq)).all()
    assert [e.action for e in events] == ["service.created", "service.updated"]
    assert {e.business_unit_id for e in events} == {unit_id(org, "retail")}
    assert {e.actor_name for e in events} == {"eddie"}
    update = json.loads(events[1].payload)
    assert (update["before"]["tier"], update["after"]["tier"]) == (1, 2)
    assert (update["before"]["owner"], update["after"]["owner"]) == ("vera", None)
    assert update["after"]["lifecycle"] == "sunset"


def test_owner_must_be_a_user(org: Session) -> None:
    for owner in ("prom", "nobody"):
        with pytest.raises(InvalidInput) as raised:
            catalogue_service.create_service(
                org,
                actor=SYSTEM,
                data=ServiceCreate(
                    slug="pay", name="Pay", business_unit="retail", tier=1, owner=owner
                ),
                now=utc_now(),
            )
        assert raised.value.problems[0].field == "owner"
    assert count(org, Service) == 0


def test_lifecycle_decommissioned_is_final(org: Session) -> None:
    make_service(org, "pay", "retail")
    for lifecycle in (Lifecycle.SUNSET, Lifecycle.ACTIVE, Lifecycle.DECOMMISSIONED):
        catalogue_service.update_service(
            org, actor=SYSTEM, slug="pay", data=ServiceUpdate(lifecycle=lifecycle), now=utc_now()
        )
    seq = last_seq(org)
    for lifecycle in (Lifecycle.ACTIVE, Lifecycle.SUNSET):
        with pytest.raises(InvalidTransition) as raised:
            catalogue_service.update_service(
                org,
                actor=SYSTEM,
                slug="pay",
                data=ServiceUpdate(lifecycle=lifecycle),
                now=utc_now(),
            )
        assert raised.value.rule == "service-lifecycle"
    assert last_seq(org) == seq
    assert catalogue_service.get_service(org, actor=SYSTEM, slug="pay").lifecycle is (
        Lifecycle.DECOMMISSIONED
    )


def test_cmdb_ids_are_unique(org: Session) -> None:
    catalogue_service.create_service(
        org,
        actor=SYSTEM,
        data=ServiceCreate(
            slug="pay", name="Pay", business_unit="retail", tier=1, cmdb_ci_id="CI-1"
        ),
        now=utc_now(),
    )
    make_service(org, "ledger", "wholesale")
    with pytest.raises(Conflict, match="CI-1"):
        catalogue_service.create_service(
            org,
            actor=SYSTEM,
            data=ServiceCreate(
                slug="pay-2", name="Pay", business_unit="retail", tier=1, cmdb_ci_id="CI-1"
            ),
            now=utc_now(),
        )
    with pytest.raises(Conflict, match="CI-1"):
        catalogue_service.update_service(
            org, actor=SYSTEM, slug="ledger", data=ServiceUpdate(cmdb_ci_id="CI-1"), now=utc_now()
        )
    # Setting a service's own id again, or clearing it, is fine.
    catalogue_service.update_service(
        org, actor=SYSTEM, slug="pay", data=ServiceUpdate(cmdb_ci_id="CI-1"), now=utc_now()
    )
    catalogue_service.update_service(
        org, actor=SYSTEM, slug="pay", data=ServiceUpdate(cmdb_ci_id=None), now=utc_now()
    )
    catalogue_service.update_service(
        org, actor=SYSTEM, slug="ledger", data=ServiceUpdate(cmdb_ci_id="CI-1"), now=utc_now()
    )


def test_slugs_are_unique_across_units(org: Session) -> None:
    make_service(org, "pay", "retail")
    with pytest.raises(Conflict):
        make_service(org, "pay", "wholesale")


def test_null_is_refused_where_a_value_is_required(org: Session) -> None:
    make_service(org, "pay", "retail")
    for field in ("name", "tier", "criticality", "lifecycle", "description"):
        with pytest.raises(InvalidInput) as raised:
            catalogue_service.update_service(
                org,
                actor=SYSTEM,
                slug="pay",
                data=ServiceUpdate.model_validate({field: None}),
                now=utc_now(),
            )
        assert raised.value.problems[0].field == field


def test_services_page_through_and_filter(org: Session) -> None:
    for i in range(5):
        make_service(org, f"svc-{i}", "retail", tier=1 + i % 2)
    make_service(org, "other", "wholesale", tier=1)
    slugs: list[str] = []
    after = None
    while True:
        rows, after = catalogue_service.list_services(
            org, actor=SYSTEM, filters=ServiceFilter(business_unit="retail"), after=after, limit=2
        )
        slugs.extend(s.slug for s in rows)
        if after is None:
            break
    assert slugs == [f"svc-{i}" for i in range(5)]
    rows, after = catalogue_service.list_services(
        org, actor=SYSTEM, filters=ServiceFilter(tier=1), after=None, limit=50
    )
    assert [s.slug for s in rows] == ["svc-0", "svc-2", "svc-4", "other"]
    assert after is None
    with pytest.raises(InvalidInput) as raised:
        catalogue_service.list_services(
            org, actor=SYSTEM, filters=ServiceFilter(business_unit="nowhere"), after=None, limit=5
        )
    assert raised.value.problems[0].field == "business_unit"


def test_an_exact_page_has_no_next_cursor(org: Session) -> None:
    for i in range(4):
        make_service(org, f"svc-{i}", "retail")
    rows, after = catalogue_service.list_services(
        org, actor=SYSTEM, filters=ServiceFilter(), after=None, limit=4
    )
    assert len(rows) == 4
    assert after is None
    rows, after = catalogue_service.list_services(
        org, actor=SYSTEM, filters=ServiceFilter(), after=None, limit=3
    )
    assert after is not None
    rows, after = catalogue_service.list_services(
        org, actor=SYSTEM, filters=ServiceFilter(), after=after, limit=3
    )
    assert [s.slug for s in rows] == ["svc-3"]
    assert after is None


# -------------------------------------------------------------------------------- dependencies


def test_dependencies_both_directions(org: Session) -> None:
    for slug in ("web", "pay", "db"):
        make_service(org, slug, "retail")
    depend(org, SYSTEM, "web", "pay")
    catalogue_service.add_dependency(
        org,
        actor=SYSTEM,
        slug="pay",
        data=DependencyCreate(depends_on="db", kind=DependencyKind.SOFT, description="cache"),
        now=utc_now(),
    )
    pay = catalogue_service.get_dependencies(org, actor=SYSTEM, slug="pay")
    assert [(d.service, d.depends_on) for d in pay.depends_on] == [("pay", "db")]
    assert pay.depends_on[0].kind is DependencyKind.SOFT
    assert pay.depends_on[0].description == "cache"
    assert [(d.service, d.depends_on) for d in pay.dependents] == [("web", "pay")]
    assert pay.dependents[0].kind is DependencyKind.HARD
    removed = catalogue_service.remove_dependency(
        org, actor=SYSTEM, slug="web", depends_on="pay", now=utc_now()
    )
    assert removed.depends_on == []
    assert catalogue_service.get_dependencies(org, actor=SYSTEM, slug="pay").dependents == []
    with pytest.raises(NotFound):
        catalogue_service.remove_dependency(
            org, actor=SYSTEM, slug="web", depends_on="pay", now=utc_now()
        )


def test_a_cycle_is_refused_and_named(org: Session) -> None:
    for slug in ("svc-a", "svc-b", "svc-c"):
        make_service(org, slug, "retail")
    depend(org, SYSTEM, "svc-b", "svc-c")
    depend(org, SYSTEM, "svc-c", "svc-a")
    edges = count(org, ServiceDependency)
    seq = last_seq(org)
    with pytest.raises(RuleViolation) as raised:
        depend(org, SYSTEM, "svc-a", "svc-b")
    assert raised.value.rule == "dependency-cycle"
    assert "svc-a → svc-b → svc-c → svc-a" in raised.value.detail
    assert raised.value.problems[0].field == "depends_on"
    assert count(org, ServiceDependency) == edges
    assert last_seq(org) == seq


def test_a_self_dependency_is_a_cycle(org: Session) -> None:
    make_service(org, "aa", "retail")
    with pytest.raises(RuleViolation) as raised:
        depend(org, SYSTEM, "aa", "aa")
    assert raised.value.rule == "dependency-cycle"
    assert "aa → aa" in raised.value.detail
    assert count(org, ServiceDependency) == 0


def test_the_cycle_message_hides_services_of_other_units(org: Session) -> None:
    make_service(org, "front", "retail")
    make_service(org, "back", "retail")
    make_service(org, "secret-core", "wholesale")
    depend(org, SYSTEM, "back", "secret-core")
    depend(org, SYSTEM, "secret-core", "front")
    with pytest.raises(RuleViolation) as raised:
        depend(org, actor(org, "eddie"), "front", "back")
    detail = raised.value.detail
    assert "secret-core" not in detail
    assert "front → back → (a service outside your business units) → front" in detail
    # Someone who can see wholesale gets the full names.
    with pytest.raises(RuleViolation) as raised:
        depend(org, actor(org, "cross"), "front", "back")
    assert "front → back → secret-core → front" in raised.value.detail


def test_a_dependency_on_an_invisible_service_is_like_an_unknown_one(org: Session) -> None:
    make_service(org, "front", "retail")
    make_service(org, "secret-core", "wholesale")
    with pytest.raises(InvalidInput) as invisible:
        depend(org, actor(org, "eddie"), "front", "secret-core")
    with pytest.raises(InvalidInput) as unknown:
        depend(org, actor(org, "eddie"), "front", "no-such")
    assert invisible.value.problems[0].field == unknown.value.problems[0].field == "depends_on"
    assert invisible.value.detail.replace("secret-core", "X") == unknown.value.detail.replace(
        "no-such", "X"
    )
    assert count(org, ServiceDependency) == 0


def test_dependencies_on_invisible_services_are_hidden_and_not_removable(org: Session) -> None:
    make_service(org, "front", "retail")
    make_service(org, "secret-core", "wholesale")
    depend(org, SYSTEM, "front", "secret-core")
    eddie = actor(org, "eddie")
    assert catalogue_service.get_dependencies(org, actor=eddie, slug="front").depends_on == []
    with pytest.raises(NotFound) as hidden:
        catalogue_service.remove_dependency(
            org, actor=eddie, slug="front", depends_on="secret-core", now=utc_now()
        )
    with pytest.raises(NotFound) as missing:
        catalogue_service.remove_dependency(
            org, actor=eddie, slug="front", depends_on="no-such", now=utc_now()
        )
    assert hidden.value.detail.replace("secret-core", "X") == missing.value.detail.replace(
        "no-such", "X"
    )
    assert count(org, ServiceDependency) == 1


def test_duplicate_dependency_is_a_conflict(org: Session) -> None:
    make_service(org, "front", "retail")
    make_service(org, "back", "retail")
    depend(org, SYSTEM, "front", "back")
    with pytest.raises(Conflict):
        depend(org, SYSTEM, "front", "back")


def test_dependency_writes_need_write_on_the_dependent(org: Session) -> None:
    make_service(org, "front", "retail")
    make_service(org, "ledger", "wholesale")
    # cross writes retail and reads wholesale: retail may depend on wholesale ...
    depend(org, actor(org, "cross"), "front", "ledger")
    # ... but not the other way round.
    with pytest.raises(Forbidden):
        depend(org, actor(org, "cross"), "ledger", "front")
    with pytest.raises(Forbidden):
        depend(org, actor(org, "vera"), "front", "front")
    assert audit_actions(org, since=last_seq(org) - 1) == ["service.dependency_added"]


# ------------------------------------------------------------------------ regions, tiers, etc.


def test_org_wide_objects_need_write_everywhere(org: Session) -> None:
    make_region(org, "eu-west")
    eddie = actor(org, "eddie")
    with pytest.raises(Forbidden):
        catalogue_service.update_region(
            org, actor=eddie, code="eu-west", data=RegionUpdate(name="X"), now=utc_now()
        )
    with pytest.raises(Forbidden):
        catalogue_service.replace_tier(
            org,
            actor=eddie,
            level=1,
            data=TierUpdate(
                name="T",
                min_target=Decimal("0.9"),
                evaluation_interval_seconds=60,
                active_monitoring_required=True,
                required_sign_offs=["legal"],
            ),
            now=utc_now(),
        )
    assert catalogue_service.get_region(org, actor=eddie, code="eu-west").name == "EU-WEST"


def test_customers_and_contacts(org: Session) -> None:
    make_region(org, "eu-west")
    make_customer(org, "acme", "retail", region="eu-west")
    eddie = actor(org, "eddie")
    read = catalogue_service.add_customer_contact(
        org, actor=eddie, code="acme", data=ContactCreate(principal="vera"), now=utc_now()
    )
    assert read.contacts == ["vera"]
    assert read.region == "eu-west"
    with pytest.raises(Conflict):
        catalogue_service.add_customer_contact(
            org, actor=eddie, code="acme", data=ContactCreate(principal="vera"), now=utc_now()
        )
    with pytest.raises(InvalidInput):
        catalogue_service.add_customer_contact(
            org, actor=eddie, code="acme", data=ContactCreate(principal="prom"), now=utc_now()
        )
    updated = catalogue_service.update_customer(
        org, actor=eddie, code="acme", data=CustomerUpdate(region=None), now=utc_now()
    )
    assert updated.region is None
    read = catalogue_service.remove_customer_contact(
        org, actor=eddie, code="acme", principal="vera", now=utc_now()
    )
    assert read.contacts == []
    with pytest.raises(NotFound):
        catalogue_service.get_customer(org, actor=actor(org, "wendy"), code="acme")
