"""The objectives service on both databases: tier defaults and the tier minimum (with an
approver's exception), contractual objectives joining a draft version's terms and frozen with
it, unit isolation, soft deletion, lists and pages, and the audit trail every write leaves."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.audit.models import AuditEvent
from accord.catalogue import service as catalogue_service
from accord.catalogue.schemas import TierUpdate
from accord.identity.enums import PrincipalKind, Role
from accord.identity.models import BusinessUnit
from accord.identity.rules import Actor
from accord.kit.errors import AccordError, Conflict, Forbidden, InvalidInput, NotFound
from accord.objectives import service as objectives_service
from accord.objectives.enums import MonitoringMode, SourceKind, WindowKind
from accord.objectives.models import ErrorBudgetPolicy, Objective
from accord.objectives.schemas import (
    CalendarWindow,
    ObjectiveCreate,
    ObjectiveFilter,
    ObjectiveRead,
    ObjectiveUpdate,
    RollingWindow,
)
from tests.agreements.helpers import (
    AUTHOR,
    T0,
    approve,
    at,
    build_world,
    create,
    head_seq,
    make_active,
    new_version,
    refused,
    submit,
)
from tests.factories.identity import SYSTEM, make_principal

pytestmark = pytest.mark.db

PROMETHEUS_QUERIES = {
    "error_query": 'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
    "total_query": "sum(rate(http_requests_total[{{.window}}]))",
}


@dataclass(frozen=True)
class People:
    """``eddie`` editor of retail; ``paula`` editor and approver of retail; ``alice`` approver of
    retail only; ``vera`` viewer of retail; ``wendy`` editor of wholesale."""

    eddie: Actor
    paula: Actor
    alice: Actor
    vera: Actor
    wendy: Actor


@pytest.fixture
def people(session: Session) -> People:
    """The agreements tests' world (retail: payments-api tier 2, ledger tier 1, cards tier 3,
    reports tier 4; wholesale: billing tier 2) and the people above, committed."""
    build_world(session)
    people = People(
        eddie=make_principal(session, "eddie", (Role.EDITOR, "retail")),
        paula=make_principal(session, "paula", (Role.EDITOR, "retail"), (Role.APPROVER, "retail")),
        alice=make_principal(session, "alice", (Role.APPROVER, "retail")),
        vera=make_principal(session, "vera", (Role.VIEWER, "retail")),
        wendy=make_principal(session, "wendy", (Role.EDITOR, "wholesale")),
    )
    session.commit()
    return people


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "service": "payments-api",
        "name": "availability",
        "sli_kind": "availability",
        "target": "0.999",
    }
    data.update(overrides)
    return data


def define(
    session: Session, actor: Actor, *, now: datetime = T0, **overrides: Any
) -> ObjectiveRead:
    return objectives_service.create_objective(
        session, actor=actor, data=ObjectiveCreate.model_validate(body(**overrides)), now=now
    )


def update(
    session: Session, actor: Actor, key: str, *, now: datetime = T0, **changes: Any
) -> ObjectiveRead:
    return objectives_service.update_objective(
        session, actor=actor, key=key, data=ObjectiveUpdate.model_validate(changes), now=now
    )


def get(session: Session, actor: Actor, key: str) -> ObjectiveRead:
    return objectives_service.get_objective(session, actor=actor, key=key)


def listed(session: Session, actor: Actor, **filters: Any) -> list[str]:
    rows, _ = objectives_service.list_objectives(
        session,
        actor=actor,
        filters=ObjectiveFilter.model_validate(filters),
        after=None,
        limit=100,
    )
    return [r.key for r in rows]


def row(session: Session, key: str) -> Objective:
    """The row whatever its deletion state (the service hides deleted ones)."""
    found = session.get(Objective, int(key.removeprefix("SLO-")))
    assert found is not None, f"{key} has no row at all"
    session.refresh(found)
    return found


def objective_rows(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Objective)) or 0)


def objective_events(session: Session, key: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "objective", AuditEvent.entity_key == key)
            .order_by(AuditEvent.seq)
        )
    )


def field_of(error: AccordError) -> list[str | None]:
    return [p.field for p in error.problems]


# ------------------------------------------------------------------------------ tier defaults


@pytest.mark.parametrize(
    ("service", "minimum", "mode", "interval"),
    [
        ("ledger", "0.9995", MonitoringMode.ACTIVE, 60),
        ("payments-api", "0.999", MonitoringMode.ACTIVE, 300),
        ("cards", "0.995", MonitoringMode.PASSIVE, 900),
        ("reports", "0.99", MonitoringMode.PASSIVE, 3600),
    ],
)
def test_the_tier_supplies_mode_and_interval(
    session: Session,
    people: People,
    service: str,
    minimum: str,
    mode: MonitoringMode,
    interval: int,
) -> None:
    # A target exactly at the tier's minimum needs no exception.
    read = define(session, people.eddie, service=service, target=minimum)
    assert read.key.startswith("SLO-")
    assert read.service == service
    assert read.business_unit == "retail"
    assert read.target == Decimal(minimum)
    assert read.monitoring_mode is mode
    assert read.evaluation_interval_seconds == interval
    assert read.tier_exception is None
    assert read.display_name == "availability"
    assert read.window == RollingWindow(days=30)
    stored = row(session, read.key)
    assert (stored.monitoring_mode, stored.evaluation_interval_seconds) == (mode, interval)
    assert stored.target == Decimal(minimum)
    assert stored.created_by == "eddie"


def test_the_tier_follows_its_current_settings(session: Session, people: People) -> None:
    catalogue_service.replace_tier(
        session,
        actor=SYSTEM,
        level=3,
        data=TierUpdate(
            name="Tier 3 - watched",
            min_target=Decimal("0.995"),
            evaluation_interval_seconds=120,
            active_monitoring_required=True,
            required_sign_offs=["provider_owner"],
        ),
        now=T0,
    )
    read = define(session, people.eddie, service="cards", target="0.996")
    assert read.monitoring_mode is MonitoringMode.ACTIVE
    assert read.evaluation_interval_seconds == 120


def test_explicit_mode_and_interval_win(session: Session, people: People) -> None:
    read = define(
        session,
        people.eddie,
        service="reports",
        monitoring_mode="active",
        evaluation_interval_seconds=600,
    )
    assert read.monitoring_mode is MonitoringMode.ACTIVE
    assert read.evaluation_interval_seconds == 600


def test_every_field_is_kept(session: Session, people: People) -> None:
    read = define(
        session,
        people.eddie,
        name="checkout-latency",
        display_name="Checkout latency",
        description="p95 under 250 ms",
        sli_kind="latency",
        latency_threshold_ms="250",
        target="0.9991",
        budgeting_method="timeslices",
        timeslice_seconds=600,
        timeslice_threshold="0.95",
        missing_data="good",
        window={"kind": "calendar", "unit": "month", "time_zone": "Europe/Berlin"},
        source="prometheus",
        queries=PROMETHEUS_QUERIES,
        labels={"team": "payments"},
        alerting={"name": "CheckoutLatency", "page_alert": {"labels": {"severity": "page"}}},
        provider_owner="eddie",
        customer_owner="vera",
    )
    again = get(session, people.vera, read.key)
    assert again == read
    assert read.latency_threshold_ms == Decimal("250")
    assert read.timeslice_seconds == 600
    assert read.timeslice_threshold == Decimal("0.95")
    assert read.missing_data.value == "good"
    assert read.window == CalendarWindow.model_validate(
        {"unit": "month", "time_zone": "Europe/Berlin"}
    )
    assert read.queries == PROMETHEUS_QUERIES
    assert read.labels == {"team": "payments"}
    assert read.alerting.name == "CheckoutLatency"
    assert read.alerting.page_alert.labels == {"severity": "page"}
    assert (read.provider_owner, read.customer_owner) == ("eddie", "vera")
    stored = row(session, read.key)
    assert stored.window_kind is WindowKind.CALENDAR
    assert stored.window_days is None
    assert stored.time_zone == "Europe/Berlin"


# ----------------------------------------------------------------------- tier minimum, exception


def test_a_target_below_the_tier_minimum_is_refused(session: Session, people: People) -> None:
    rows = objective_rows(session)
    with refused(session, "below-tier-minimum") as info:
        define(session, people.eddie, target="0.9989")
    assert field_of(info.value) == ["target"]
    assert objective_rows(session) == rows


def test_an_approver_may_set_a_target_below_the_minimum(session: Session, people: People) -> None:
    read = define(
        session,
        people.paula,
        target="0.995",
        tier_exception={"reason": "legacy stack, rebuilt in Q3"},
    )
    assert read.target == Decimal("0.995")
    assert read.tier_exception is not None
    assert read.tier_exception.reason == "legacy stack, rebuilt in Q3"
    assert read.tier_exception.approved_by == "paula"
    assert read.tier_exception.approved_at == T0
    stored = row(session, read.key)
    assert stored.below_tier_minimum_approved_by == "paula"
    assert stored.below_tier_minimum_approved_at == T0


def test_an_exception_is_recorded_only_when_it_is_needed(session: Session, people: People) -> None:
    read = define(session, people.paula, target="0.9995", tier_exception={"reason": "just in case"})
    assert read.tier_exception is None
    assert row(session, read.key).below_tier_minimum_reason is None


def test_an_editor_cannot_grant_an_exception(session: Session, people: People) -> None:
    with refused(session, "tier-exception-unapproved") as info:
        define(session, people.eddie, target="0.995", tier_exception={"reason": "please"})
    assert field_of(info.value) == ["tier_exception"]


def test_an_approver_of_another_unit_cannot_grant_an_exception(
    session: Session, people: People
) -> None:
    both = make_principal(session, "olaf", (Role.EDITOR, "retail"), (Role.APPROVER, "wholesale"))
    with refused(session, "tier-exception-unapproved"):
        define(session, both, target="0.995", tier_exception={"reason": "please"})


def test_lowering_the_target_needs_an_exception_again(session: Session, people: People) -> None:
    key = define(session, people.paula, target="0.998", tier_exception={"reason": "legacy"}).key
    # The exception covered 0.998, not a lower target.
    with refused(session, "below-tier-minimum"):
        update(session, people.paula, key, target="0.997")
    with refused(session, "tier-exception-unapproved"):
        update(session, people.eddie, key, target="0.997", tier_exception={"reason": "worse"})
    read = update(session, people.paula, key, target="0.997", tier_exception={"reason": "worse"})
    assert read.tier_exception is not None
    assert read.tier_exception.reason == "worse"


def test_an_exception_survives_other_edits_and_ends_with_a_compliant_target(
    session: Session, people: People
) -> None:
    key = define(session, people.paula, target="0.998", tier_exception={"reason": "legacy"}).key
    read = update(session, people.eddie, key, labels={"team": "payments"}, now=at(1))
    assert read.tier_exception is not None
    assert read.tier_exception.approved_by == "paula"
    assert read.tier_exception.approved_at == T0
    read = update(session, people.eddie, key, target="0.9995", now=at(2))
    assert read.tier_exception is None
    stored = row(session, key)
    assert stored.below_tier_minimum_reason is None
    assert stored.below_tier_minimum_approved_by is None
    assert stored.below_tier_minimum_approved_at is None


def test_an_editor_cannot_rewrite_an_approved_exception(session: Session, people: People) -> None:
    key = define(session, people.paula, target="0.998", tier_exception={"reason": "legacy"}).key
    with refused(session, "tier-exception-unapproved"):
        update(session, people.eddie, key, tier_exception={"reason": "eddie says so"})
    exception = get(session, people.eddie, key).tier_exception
    assert exception is not None
    assert (exception.reason, exception.approved_by) == ("legacy", "paula")


def test_objectives_stay_editable_after_their_tier_minimum_rises(
    session: Session, people: People
) -> None:
    agreement = create(session, services=("payments-api",)).key
    key = define(session, people.eddie, agreement=agreement, version=1).key
    approve(session, agreement, now=at(1))
    catalogue_service.replace_tier(
        session,
        actor=SYSTEM,
        level=2,
        data=TierUpdate(
            name="Tier 2 - stricter",
            min_target=Decimal("0.9995"),
            evaluation_interval_seconds=300,
            active_monitoring_required=True,
            required_sign_offs=["provider_owner", "customer_owner"],
        ),
        now=at(2),
    )
    # The approved terms keep 0.999; owners and labels of the objective can still change.
    read = update(session, people.eddie, key, labels={"team": "payments"}, provider_owner="eddie")
    assert read.target == Decimal("0.999")
    assert read.labels == {"team": "payments"}
    # A new target has to meet the new minimum.
    internal = define(session, people.eddie, name="internal", target="0.9995").key
    with refused(session, "below-tier-minimum"):
        update(session, people.eddie, internal, target="0.9991")


# ------------------------------------------------------------------------------ authorisation


def test_only_editors_of_the_unit_define_objectives(session: Session, people: People) -> None:
    with refused(session, error=Forbidden):
        define(session, people.vera)
    with refused(session, error=Forbidden):
        define(session, people.alice)  # approving is not writing
    with refused(session, error=NotFound) as info:
        define(session, people.wendy)  # the service is another unit's: it does not exist
    assert "payments-api" in info.value.detail
    assert define(session, people.wendy, service="billing").business_unit == "wholesale"


def test_other_units_objectives_do_not_exist(session: Session, people: People) -> None:
    key = define(session, people.eddie).key
    missing = "SLO-9999"
    for call in (
        lambda k: get(session, people.wendy, k),
        lambda k: update(session, people.wendy, k, description="mine now"),
        lambda k: objectives_service.delete_objective(session, actor=people.wendy, key=k, now=T0),
    ):
        with refused(session, error=NotFound) as outside:
            call(key)
        with refused(session, error=NotFound) as absent:
            call(missing)
        assert outside.value.detail.replace(key, "X") == absent.value.detail.replace(missing, "X")
    assert listed(session, people.wendy) == []
    assert listed(session, people.vera) == [key]
    with refused(session, error=Forbidden):
        update(session, people.vera, key, description="viewers only read")


@pytest.mark.parametrize("text", ["SLO-0", "slo-0001", "SLA-0001", "SLO-99999999999999999999"])
def test_a_malformed_or_huge_key_is_simply_not_found(
    session: Session, people: People, text: str
) -> None:
    with pytest.raises(NotFound):
        get(session, people.eddie, text)


# ------------------------------------------------------------------------------------- names


def test_names_are_unique_per_service(session: Session, people: People) -> None:
    first = define(session, people.eddie).key
    with refused(session, error=Conflict) as info:
        define(session, people.eddie, target="0.9995")
    assert info.value.status == 409
    assert "availability" in info.value.detail
    define(session, people.eddie, service="cards")  # another service may use the name
    objectives_service.delete_objective(session, actor=people.eddie, key=first, now=at(1))
    again = define(session, people.eddie, now=at(2))  # a deleted objective frees its name
    assert again.key != first


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"provider_owner": "nobody"}, "provider_owner"),
        ({"customer_owner": "prom"}, "customer_owner"),  # a machine source owns nothing
        ({"policy": "no-such-policy"}, "policy"),
    ],
)
def test_references_must_exist(
    session: Session, people: People, overrides: dict[str, Any], field: str
) -> None:
    make_principal(session, "prom", (Role.INGEST, "retail"), kind=PrincipalKind.SOURCE)
    with refused(session, error=InvalidInput) as info:
        define(session, people.eddie, **overrides)
    assert field_of(info.value) == [field]


# ----------------------------------------------------------------------- contractual objectives


def test_a_contractual_objective_joins_a_draft_version(session: Session, people: People) -> None:
    agreement = create(session, services=("payments-api", "cards")).key
    read = define(session, people.eddie, agreement=agreement, version=1)
    assert (read.agreement, read.version) == (agreement, 1)
    stored = row(session, read.key)
    assert stored.agreement_id is not None
    assert stored.version_id is not None
    cards = define(session, people.eddie, service="cards", agreement=agreement, version=1)
    assert listed(session, people.vera, agreement=agreement) == [read.key, cards.key]


def stage(session: Session, agreement: str, status: str) -> None:
    if status == "in_review":
        submit(session, agreement, now=at(1))
    elif status == "approved":
        approve(session, agreement, now=at(1))
    else:
        make_active(session, agreement, now=at(1))


@pytest.mark.parametrize("status", ["in_review", "approved", "active"])
def test_only_a_draft_version_gains_objectives(
    session: Session, people: People, status: str
) -> None:
    agreement = create(session).key
    stage(session, agreement, status)
    with refused(session, "terms-frozen") as info:
        define(session, people.eddie, agreement=agreement, version=1, now=at(3))
    assert field_of(info.value) == ["version"]
    assert status in info.value.detail
    if status == "in_review":
        return
    # A new draft of the same agreement is open to them.
    new_version(session, agreement, now=at(4))
    assert define(session, people.eddie, agreement=agreement, version=2, now=at(5)).version == 2


def test_the_version_must_cover_the_service(session: Session, people: People) -> None:
    agreement = create(session, services=("payments-api",)).key
    with refused(session, "service-not-covered") as info:
        define(session, people.eddie, service="cards", agreement=agreement, version=1)
    assert field_of(info.value) == ["service"]


def test_the_agreement_and_version_must_exist_for_the_caller(
    session: Session, people: People
) -> None:
    agreement = create(session).key
    with refused(session, error=NotFound):
        define(session, people.eddie, agreement=agreement, version=2)
    with refused(session, error=NotFound):
        define(session, people.eddie, agreement="SLA-9999", version=1)
    theirs = create(session, unit="wholesale", customer="initech", services=("billing",)).key
    with refused(session, error=NotFound):
        define(session, people.eddie, agreement=theirs, version=1)


def test_terms_freeze_with_the_version(session: Session, people: People) -> None:
    agreement = create(session).key
    key = define(session, people.eddie, agreement=agreement, version=1).key
    # While the version is a draft its objective's terms may still move.
    assert update(session, people.eddie, key, target="0.9993").target == Decimal("0.9993")
    approve(session, agreement, now=at(1))
    session.add(
        ErrorBudgetPolicy(
            name="standard",
            title="Standard policy",
            business_unit_id=row(session, key).business_unit_id,
            created_by=AUTHOR.name,
            created_at=T0,
            updated_at=T0,
        )
    )  # no policy service yet: the row stands in for one
    session.flush()
    with refused(session, "terms-frozen") as info:
        update(session, people.eddie, key, target="0.9995", now=at(2))
    assert field_of(info.value) == ["target"]
    with refused(session, "terms-frozen") as info:
        update(session, people.eddie, key, window={"kind": "rolling", "days": 7}, now=at(2))
    assert field_of(info.value) == ["window"]
    read = update(
        session,
        people.eddie,
        key,
        labels={"team": "payments"},
        provider_owner="eddie",
        customer_owner="paula",
        policy="standard",
        description="contractual availability",
        alerting={"name": "PaymentsAvailability"},
        now=at(2),
    )
    assert read.labels == {"team": "payments"}
    assert (read.provider_owner, read.customer_owner) == ("eddie", "paula")
    assert read.policy == "standard"
    assert read.alerting.name == "PaymentsAvailability"
    assert read.target == Decimal("0.9993")
    assert read.updated_at == at(2)
    read = update(session, people.eddie, key, policy=None, provider_owner=None, now=at(3))
    assert (read.policy, read.provider_owner) == (None, None)


def test_frozen_terms_cannot_be_deleted(session: Session, people: People) -> None:
    agreement = create(session).key
    draft_only = create(session, title="Still a draft").key
    frozen = define(session, people.eddie, agreement=agreement, version=1).key
    loose = define(session, people.eddie, name="latency", agreement=draft_only, version=1).key
    make_active(session, agreement, now=at(1))
    with refused(session, "terms-frozen"):
        objectives_service.delete_objective(session, actor=people.eddie, key=frozen, now=at(3))
    assert row(session, frozen).deleted_at is None
    objectives_service.delete_objective(session, actor=people.eddie, key=loose, now=at(3))
    assert row(session, loose).deleted_at == at(3)


# ------------------------------------------------------------------------------------ updates


def test_an_update_changes_only_what_it_names(session: Session, people: People) -> None:
    created = define(session, people.eddie, labels={"team": "payments"}, description="first")
    read = update(
        session,
        people.eddie,
        created.key,
        window={"kind": "calendar", "unit": "week", "time_zone": "America/New_York"},
        evaluation_interval_seconds=120,
        now=at(1),
    )
    assert read.window == CalendarWindow.model_validate(
        {"unit": "week", "time_zone": "America/New_York"}
    )
    assert read.evaluation_interval_seconds == 120
    assert read.labels == {"team": "payments"}
    assert read.description == "first"
    assert read.created_at == T0
    assert read.updated_at == at(1)
    read = update(session, people.eddie, created.key, window={"kind": "rolling", "days": 28})
    assert read.window == RollingWindow(days=28)
    stored = row(session, created.key)
    assert (stored.calendar_unit, stored.time_zone, stored.window_days) == (None, "UTC", 28)


@pytest.mark.parametrize(
    "field", ["display_name", "description", "monitoring_mode", "evaluation_interval_seconds"]
)
def test_required_fields_cannot_be_cleared(session: Session, people: People, field: str) -> None:
    key = define(session, people.eddie).key
    with refused(session, error=InvalidInput) as info:
        update(session, people.eddie, key, **{field: None})
    assert field_of(info.value) == [field]


def test_queries_stay_consistent_with_the_source(session: Session, people: People) -> None:
    key = define(session, people.eddie, source="prometheus", queries=PROMETHEUS_QUERIES).key
    for queries in ({"error_query": "e"}, None, {}):
        with refused(session, error=InvalidInput) as info:
            update(session, people.eddie, key, queries=queries)
        assert field_of(info.value) == ["queries"]
    read = update(session, people.eddie, key, queries={"error_ratio_query": "r"})
    assert read.queries == {"error_ratio_query": "r"}
    pushed = define(session, people.eddie, name="pushed").key
    with refused(session, error=InvalidInput):
        update(session, people.eddie, pushed, queries={"error_query": "e"})


# ------------------------------------------------------------------------------------ deletion


def test_a_deleted_objective_is_gone_but_its_row_stays(session: Session, people: People) -> None:
    key = define(session, people.eddie).key
    objectives_service.delete_objective(session, actor=people.eddie, key=key, now=at(1))
    with pytest.raises(NotFound):
        get(session, people.eddie, key)
    with pytest.raises(NotFound):
        update(session, people.eddie, key, description="back")
    with pytest.raises(NotFound):
        objectives_service.delete_objective(session, actor=people.eddie, key=key, now=at(2))
    assert listed(session, people.eddie) == []
    assert objectives_service.definitions(session) == []
    stored = row(session, key)
    assert stored.deleted_at == at(1)
    assert stored.name == "availability"


def test_viewers_cannot_delete(session: Session, people: People) -> None:
    key = define(session, people.eddie).key
    with refused(session, error=Forbidden):
        objectives_service.delete_objective(session, actor=people.vera, key=key, now=at(1))
    assert row(session, key).deleted_at is None


# -------------------------------------------------------------------------------------- lists


def test_list_filters(session: Session, people: People) -> None:
    agreement = create(session, services=("payments-api", "cards")).key
    a = define(session, people.eddie, agreement=agreement, version=1).key  # active (tier 2)
    b = define(session, people.eddie, service="cards", source="datadog").key  # passive
    c = define(
        session,
        people.eddie,
        name="latency",
        source="prometheus",
        queries=PROMETHEUS_QUERIES,
        monitoring_mode="passive",
    ).key
    d = define(session, people.wendy, service="billing").key
    assert listed(session, people.eddie) == [a, b, c]
    assert listed(session, people.eddie, service="payments-api") == [a, c]
    assert listed(session, people.eddie, service="cards") == [b]
    assert listed(session, people.eddie, agreement=agreement) == [a]
    assert listed(session, people.eddie, monitoring_mode="passive") == [b, c]
    assert listed(session, people.eddie, monitoring_mode="active") == [a]
    assert listed(session, people.eddie, source="prometheus") == [c]
    assert listed(session, people.eddie, source="push") == [a]
    assert listed(session, people.eddie, service="payments-api", source="push") == [a]
    assert listed(session, people.wendy) == [d]
    with pytest.raises(NotFound):
        listed(session, people.eddie, service="billing")  # another unit's service
    with pytest.raises(NotFound):
        listed(session, people.eddie, agreement="SLA-9999")
    assert listed(session, AUTHOR) == [a, b, c, d]  # a reader of every unit


def test_pages_follow_the_cursor(session: Session, people: People) -> None:
    keys = [define(session, people.eddie, name=f"slo-{i}").key for i in range(7)]
    seen: list[str] = []
    after: int | None = None
    pages = 0
    while True:
        rows, after = objectives_service.list_objectives(
            session, actor=people.vera, filters=ObjectiveFilter(), after=after, limit=3
        )
        pages += 1
        seen += [r.key for r in rows]
        if after is None:
            break
    assert seen == keys
    assert pages == 3
    rows, last = objectives_service.list_objectives(
        session, actor=people.vera, filters=ObjectiveFilter(), after=None, limit=7
    )
    assert len(rows) == 7
    assert last is None  # exactly one page: no cursor to an empty one


def test_lists_need_the_read_permission(session: Session, people: People) -> None:
    nobody = make_principal(session, "nobody")
    with pytest.raises(Forbidden):
        listed(session, nobody)


def test_definitions_for_the_evaluator(session: Session, people: People) -> None:
    a = define(session, people.eddie, target="0.9995")
    b = define(
        session, people.wendy, service="billing", window={"kind": "calendar", "unit": "month"}
    )
    everything = objectives_service.definitions(session)
    assert [d.key for d in everything] == [a.key, b.key]
    assert everything[0].target == Decimal("0.9995")
    assert everything[1].window == CalendarWindow.model_validate({"unit": "month"})
    retail = session.scalars(select(BusinessUnit.id).where(BusinessUnit.code == "retail")).one()
    assert [d.key for d in objectives_service.definitions(session, units=frozenset({retail}))] == [
        a.key
    ]
    ids = [everything[1].id]
    assert [d.key for d in objectives_service.definitions(session, ids=ids)] == [b.key]


# -------------------------------------------------------------------------------------- audit


def test_every_change_is_audited(session: Session, people: People) -> None:
    seq = head_seq(session)
    created = define(session, people.paula, target="0.998", tier_exception={"reason": "legacy"})
    updated = update(session, people.eddie, created.key, description="now documented", now=at(1))
    objectives_service.delete_objective(session, actor=people.eddie, key=created.key, now=at(2))
    events = objective_events(session, created.key)
    assert [e.action for e in events] == [
        "objective.created",
        "objective.updated",
        "objective.deleted",
    ]
    assert all(e.seq > seq for e in events)
    assert [e.actor_name for e in events] == ["paula", "eddie", "eddie"]
    assert [e.occurred_at for e in events] == [T0, at(1), at(2)]
    assert len({e.business_unit_id for e in events}) == 1
    assert events[0].business_unit_id == row(session, created.key).business_unit_id
    payloads = [json.loads(e.payload) for e in events]
    assert payloads[0]["before"] is None
    assert payloads[0]["after"] == created.model_dump(mode="json")
    assert payloads[0]["after"]["tier_exception"]["approved_by"] == "paula"
    assert payloads[1]["before"] == created.model_dump(mode="json")
    assert payloads[1]["after"] == updated.model_dump(mode="json")
    assert payloads[1]["before"]["description"] == ""
    assert payloads[1]["after"]["description"] == "now documented"
    assert payloads[2]["before"] == updated.model_dump(mode="json")
    assert payloads[2]["after"] is None


def test_reads_and_refusals_write_no_audit(session: Session, people: People) -> None:
    key = define(session, people.eddie).key
    session.commit()
    seq = head_seq(session)
    get(session, people.vera, key)
    listed(session, people.vera)
    assert head_seq(session) == seq
    with refused(session, "below-tier-minimum"):
        update(session, people.eddie, key, target="0.99")


def test_time_of_each_write_is_the_callers_now(session: Session, people: People) -> None:
    later = T0 + timedelta(days=3)
    key = define(session, people.eddie, now=later).key
    stored = row(session, key)
    assert stored.created_at == later
    assert stored.updated_at == later
    assert get(session, people.eddie, key).source is SourceKind.PUSH
