"""Exclusion windows on both databases: declaring (scoped by unit, objective of the service,
length and timing), four-eyes approval and rejection, the audit trail, and the queries the
evaluator and baselines use."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from accord.audit.models import AuditEvent
from accord.catalogue import service as catalogue_service
from accord.exclusions import service as exclusions_service
from accord.exclusions.enums import ExclusionKind, ExclusionStatus
from accord.exclusions.models import ExclusionWindow
from accord.exclusions.schemas import ExclusionCreate, ExclusionDecision, ExclusionFilter
from accord.identity.rules import Actor
from accord.kit.errors import Forbidden, InvalidInput, InvalidTransition, NotFound, RuleViolation
from accord.objectives.rules import objective_id
from tests.exclusions.conftest import Org
from tests.factories.identity import SYSTEM
from tests.identity.helpers import count, last_seq

pytestmark = pytest.mark.db

NOW = datetime(2031, 3, 10, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DECISION = ExclusionDecision(reason="checked with the customer")


def window(
    kind: ExclusionKind = ExclusionKind.MAINTENANCE,
    start: datetime = NOW + HOUR,
    length: timedelta = 2 * HOUR,
    **extra: Any,
) -> ExclusionCreate:
    return ExclusionCreate(
        kind=kind, starts_at=start, ends_at=start + length, reason="database upgrade", **extra
    )


def declare(
    org: Org,
    who: Actor,
    data: ExclusionCreate | None = None,
    *,
    service: str = "pay",
    now: datetime = NOW,
) -> int:
    read = exclusions_service.declare_exclusion(
        org.session, actor=who, service=service, data=data or window(), now=now
    )
    return read.id


def approve(org: Org, who: Actor, exclusion_id: int, *, now: datetime = NOW) -> ExclusionStatus:
    return exclusions_service.approve_exclusion(
        org.session, actor=who, exclusion_id=exclusion_id, data=DECISION, now=now
    ).status


def service_id(org: Org, slug: str) -> int:
    return catalogue_service.visible_service(org.session, actor=SYSTEM, slug=slug).id


# ------------------------------------------------------------------------------------ declaring


def test_declared_windows_are_proposed_and_audited(org: Org) -> None:
    seq = last_seq(org.session)
    read = exclusions_service.declare_exclusion(
        org.session,
        actor=org.eddie,
        service="pay",
        data=window(objective=org.pay_slo, counts_as_good=True),
        now=NOW,
    )
    assert read.status is ExclusionStatus.PROPOSED
    assert (read.service, read.objective, read.business_unit) == ("pay", org.pay_slo, "retail")
    assert (read.starts_at, read.ends_at) == (NOW + HOUR, NOW + 3 * HOUR)
    assert read.counts_as_good is True
    assert (read.created_by, read.decided_by, read.decided_at) == ("eddie", None, None)
    row = org.session.get(ExclusionWindow, read.id)
    assert row is not None
    assert row.objective_id == objective_id(org.pay_slo)
    event = org.session.scalars(select(AuditEvent).where(AuditEvent.seq > seq)).one()
    assert (event.action, event.entity_type, event.entity_key) == (
        "exclusion.declared",
        "exclusion_window",
        str(read.id),
    )
    payload = json.loads(event.payload)
    assert payload["reason"] == "database upgrade"
    assert payload["after"]["status"] == "proposed"


def test_instants_are_stored_in_utc_whatever_offset_they_came_with(org: Org) -> None:
    data = ExclusionCreate.model_validate(
        {
            "kind": "exception",
            "starts_at": "2031-03-10T15:00:00+02:00",
            "ends_at": "2031-03-10T16:00:00+02:00",
            "reason": "customer outage",
        }
    )
    read = exclusions_service.declare_exclusion(
        org.session, actor=org.eddie, service="pay", data=data, now=NOW
    )
    assert read.starts_at == datetime(2031, 3, 10, 13, 0, tzinfo=UTC)
    assert read.starts_at.utcoffset() == timedelta(0)
    org.session.expire_all()
    assert exclusions_service.get_exclusion(
        org.session, actor=org.vera, exclusion_id=read.id
    ).ends_at == datetime(2031, 3, 10, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"ends_at": "2031-03-10T12:00:00Z"}, "ends_at"),  # equal to the start
        ({"ends_at": "2031-03-10T11:00:00Z"}, "ends_at"),
        ({"starts_at": "2031-03-10T12:00:00"}, "starts_at"),  # naive
        ({"kind": "peak", "counts_as_good": True}, "counts_as_good"),
        ({"kind": "outage"}, "kind"),
        ({"reason": ""}, "reason"),
        ({"reason": "x\x00y"}, "reason"),
        ({"objective": "pay-availability"}, "objective"),
        ({"service": "pay"}, "service"),
    ],
)
def test_schema_refuses_bad_windows_naming_the_field(payload: dict[str, Any], field: str) -> None:
    base = {
        "kind": "maintenance",
        "starts_at": "2031-03-10T12:00:00Z",
        "ends_at": "2031-03-10T13:00:00Z",
        "reason": "database upgrade",
    }
    with pytest.raises(ValidationError) as raised:
        ExclusionCreate.model_validate(base | payload)
    assert [e["loc"][0] for e in raised.value.errors()] == [field]


def test_length_and_timing_rules(org: Org) -> None:
    def refused(data: ExclusionCreate) -> RuleViolation:
        with pytest.raises(RuleViolation) as raised:
            declare(org, org.eddie, data)
        return raised.value

    short = refused(window(length=timedelta(minutes=4)))
    assert (short.rule, short.problems[0].field) == ("exclusion-too-short", "ends_at")
    assert refused(window(length=timedelta(days=32))).rule == "exclusion-too-long"
    assert refused(window(ExclusionKind.PEAK, length=timedelta(days=93))).rule == (
        "exclusion-too-long"
    )
    past = refused(window(start=NOW - 3 * HOUR))
    assert (past.rule, past.problems[0].field) == ("maintenance-in-past", "ends_at")
    before = count(org.session, ExclusionWindow)
    # A maintenance already under way, a past exception, a long peak and the limits are fine.
    declare(org, org.eddie, window(start=NOW - HOUR))
    declare(org, org.eddie, window(ExclusionKind.EXCEPTION, start=NOW - timedelta(days=40)))
    declare(org, org.eddie, window(ExclusionKind.PEAK, length=timedelta(days=92)))
    declare(org, org.eddie, window(length=timedelta(days=31)))
    declare(org, org.eddie, window(length=timedelta(minutes=5)))
    assert count(org.session, ExclusionWindow) == before + 5


def test_the_objective_must_be_one_of_the_service(org: Org) -> None:
    for key, message in (
        (org.cards_slo, f"{org.cards_slo} is not an objective of pay"),
        (org.ledger_slo, f"no objective {org.ledger_slo}"),  # another unit: as if missing
        ("SLO-9999", "no objective SLO-9999"),
    ):
        with pytest.raises(InvalidInput) as raised:
            declare(org, org.eddie, window(objective=key))
        assert raised.value.problems[0].field == "objective"
        assert raised.value.problems[0].message == message


def test_declaring_is_scoped_to_the_services_unit(org: Org) -> None:
    seq = last_seq(org.session)
    with pytest.raises(NotFound):
        declare(org, org.eddie, service="ledger")
    with pytest.raises(NotFound):
        declare(org, org.eddie, service="nothing")
    with pytest.raises(Forbidden):  # vera sees pay but may not write
        declare(org, org.vera)
    with pytest.raises(Forbidden):  # approving is not declaring
        declare(org, org.alice)
    assert count(org.session, ExclusionWindow) == 0
    assert last_seq(org.session) == seq


# ------------------------------------------------------------------------------------ deciding


def test_four_eyes_approval(org: Org) -> None:
    own = declare(org, org.anna)
    with pytest.raises(InvalidTransition) as raised:
        approve(org, org.anna, own)
    assert raised.value.rule == "four-eyes"
    assert approve(org, org.alice, own) is ExclusionStatus.APPROVED
    read = exclusions_service.get_exclusion(org.session, actor=org.vera, exclusion_id=own)
    assert (read.decided_by, read.decided_at) == ("alice", NOW)


def test_approving_needs_the_approve_permission_in_the_unit(org: Org) -> None:
    mine = declare(org, org.eddie)
    theirs = declare(org, org.wendy, service="ledger")
    for who in (org.eddie, org.vera):  # an editor and a viewer of the unit
        with pytest.raises(Forbidden):
            approve(org, who, mine)
    with pytest.raises(NotFound):  # an approver of another unit does not even see it
        approve(org, org.walt, mine)
    with pytest.raises(NotFound):
        approve(org, org.alice, theirs)
    with pytest.raises(NotFound):
        approve(org, org.alice, 987654)
    assert approve(org, org.walt, theirs) is ExclusionStatus.APPROVED


def test_a_decision_is_final_and_audited_with_its_reason(org: Org) -> None:
    approved = declare(org, org.eddie)
    rejected = declare(org, org.eddie)
    seq = last_seq(org.session)
    approve(org, org.alice, approved)
    read = exclusions_service.reject_exclusion(
        org.session,
        actor=org.alice,
        exclusion_id=rejected,
        data=ExclusionDecision(reason="overlaps the quarter close"),
        now=NOW,
    )
    assert read.status is ExclusionStatus.REJECTED
    for exclusion_id, operation, status in (
        (approved, "approve", "approved"),
        (approved, "reject", "approved"),
        (rejected, "approve", "rejected"),
        (rejected, "reject", "rejected"),
    ):
        decide = getattr(exclusions_service, f"{operation}_exclusion")
        with pytest.raises(InvalidTransition) as raised:
            decide(org.session, actor=org.anna, exclusion_id=exclusion_id, data=DECISION, now=NOW)
        assert raised.value.rule == f"{operation}-from-{status}"
    events = org.session.scalars(
        select(AuditEvent).where(AuditEvent.seq > seq).order_by(AuditEvent.seq)
    ).all()
    assert [e.action for e in events] == ["exclusion.approved", "exclusion.rejected"]
    assert [e.actor_name for e in events] == ["alice", "alice"]
    payloads = [json.loads(e.payload) for e in events]
    assert payloads[1]["reason"] == "overlaps the quarter close"
    assert (payloads[1]["before"]["status"], payloads[1]["after"]["status"]) == (
        "proposed",
        "rejected",
    )


def test_the_declarer_may_withdraw_by_rejecting(org: Org) -> None:
    own = declare(org, org.anna)
    read = exclusions_service.reject_exclusion(
        org.session, actor=org.anna, exclusion_id=own, data=DECISION, now=NOW
    )
    assert (read.status, read.decided_by) == (ExclusionStatus.REJECTED, "anna")


def test_maintenance_that_ended_unapproved_cannot_be_approved(org: Org) -> None:
    maintenance = declare(org, org.eddie)
    exception = declare(org, org.eddie, window(ExclusionKind.EXCEPTION))
    later = NOW + 4 * HOUR
    with pytest.raises(InvalidTransition) as raised:
        approve(org, org.alice, maintenance, now=later)
    assert raised.value.rule == "maintenance-ended"
    assert approve(org, org.alice, maintenance, now=NOW + 2 * HOUR) is ExclusionStatus.APPROVED
    assert approve(org, org.alice, exception, now=later) is ExclusionStatus.APPROVED


# --------------------------------------------------------------------------------------- reading


def test_lists_are_scoped_and_filtered(org: Org) -> None:
    first = declare(org, org.eddie)
    peak = declare(org, org.eddie, window(ExclusionKind.PEAK, start=NOW + timedelta(days=10)))
    cards = declare(org, org.eddie, service="cards")
    ledger = declare(org, org.wendy, service="ledger")
    approve(org, org.alice, first)

    def ids(who: Actor, service: str | None = None, **filters: Any) -> list[int]:
        rows, _ = exclusions_service.list_exclusions(
            org.session,
            actor=who,
            service=service,
            filters=ExclusionFilter(**filters),
            after=None,
            limit=50,
        )
        return [r.id for r in rows]

    assert ids(org.vera) == [first, peak, cards]
    assert ids(org.wendy) == [ledger]
    assert ids(SYSTEM) == [first, peak, cards, ledger]
    assert ids(org.vera, "pay") == [first, peak]
    assert ids(org.vera, "pay", status=ExclusionStatus.APPROVED) == [first]
    assert ids(org.vera, "pay", kind=ExclusionKind.PEAK) == [peak]
    assert ids(org.vera, "pay", ends_after=NOW + timedelta(days=1)) == [peak]
    assert ids(org.vera, "pay", starts_before=NOW + timedelta(days=1)) == [first]
    with pytest.raises(NotFound):
        ids(org.vera, "ledger")
    with pytest.raises(NotFound):
        exclusions_service.get_exclusion(org.session, actor=org.vera, exclusion_id=ledger)
    rows, last = exclusions_service.list_exclusions(
        org.session, actor=org.vera, service=None, filters=ExclusionFilter(), after=None, limit=2
    )
    assert [r.id for r in rows] == [first, peak]
    assert last == peak
    rows, last = exclusions_service.list_exclusions(
        org.session, actor=org.vera, service=None, filters=ExclusionFilter(), after=peak, limit=2
    )
    assert ([r.id for r in rows], last) == ([cards], None)


# --------------------------------------------------------------------------- for the evaluator


def test_approved_windows_and_peaks_overlapping_a_range(org: Org) -> None:
    pay, ledger = service_id(org, "pay"), service_id(org, "ledger")

    def declared(who: Actor, kind: ExclusionKind, start: datetime, *, service: str = "pay") -> int:
        exclusion_id = declare(
            org, who, window(kind, start=start, objective=None), service=service, now=start
        )
        return exclusion_id

    t = NOW
    inside = declared(org.eddie, ExclusionKind.MAINTENANCE, t + HOUR)
    touching_end = declared(org.eddie, ExclusionKind.EXCEPTION, t + 10 * HOUR)  # starts at end
    straddling = declared(org.eddie, ExclusionKind.EXCEPTION, t - HOUR)
    before = declared(org.eddie, ExclusionKind.EXCEPTION, t - 2 * HOUR)  # ends at start
    proposed = declared(org.eddie, ExclusionKind.MAINTENANCE, t + 2 * HOUR)
    peak = declared(org.eddie, ExclusionKind.PEAK, t + 3 * HOUR)
    other = declared(org.wendy, ExclusionKind.MAINTENANCE, t + HOUR, service="ledger")
    for exclusion_id in (inside, touching_end, straddling, before, peak):
        approve(org, org.alice, exclusion_id, now=t)
    approve(org, org.walt, other, now=t)
    del proposed

    spans = exclusions_service.approved_windows(org.session, [pay, ledger], t, t + 10 * HOUR)
    assert [s.id for s in spans] == [straddling, inside, other]
    first = spans[0]
    assert (first.service_id, first.objective_id, first.kind) == (
        pay,
        None,
        ExclusionKind.EXCEPTION,
    )
    assert (first.starts_at, first.ends_at) == (t - HOUR, t + HOUR)  # not clipped
    assert first.counts_as_good is False
    assert [s.id for s in exclusions_service.approved_windows(org.session, [ledger], t, t)] == []
    assert exclusions_service.approved_windows(org.session, [], t, t + HOUR) == []
    peaks = exclusions_service.peak_windows(org.session, [pay], t, t + 10 * HOUR)
    assert [(p.id, p.kind) for p in peaks] == [(peak, ExclusionKind.PEAK)]
