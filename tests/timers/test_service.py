"""Ticket events to timers through the service, on both databases: ingestion (order,
duplicates, refusals), pauses, change policies, reopen, handoffs, compliance and alignment."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from accord.identity.enums import PrincipalKind, Role
from accord.kit.errors import InvalidInput, NotFound, RuleViolation
from accord.timers import service as timers_service
from accord.timers.enums import TargetMetric, TimerStatus
from accord.timers.models import TicketEvent
from accord.timers.schemas import ComplianceGroup, TicketEventBatch, TimerFilter, TimerRead
from tests.factories.identity import SYSTEM, make_principal
from tests.timers.conftest import World

pytestmark = pytest.mark.db


def event(
    world: World, ticket: str, n: int, kind: str, day: int, hour: float, **fields: Any
) -> dict[str, Any]:
    return {
        "id": f"{ticket}-{n}",
        "ticket": ticket,
        "kind": kind,
        "occurred_at": world.at(day, hour).isoformat(),
        **fields,
    }


def push(world: World, events: list[dict[str, Any]]) -> None:
    timers_service.ingest_events(
        world.session,
        actor=SYSTEM,
        batch=TicketEventBatch.model_validate({"source": "desk", "events": events}),
        now=world.at(0, 0),
    )


def created(world: World, ticket: str, day: int, hour: float, priority: str) -> dict[str, Any]:
    return event(
        world,
        ticket,
        0,
        "created",
        day,
        hour,
        priority=priority,
        service="pay",
        customer="acme",
        request_type="incident",
    )


def timer(world: World, ticket: str, metric: TargetMetric, now: datetime) -> TimerRead:
    detail = timers_service.get_ticket(
        world.session, actor=SYSTEM, source="desk", key=ticket, now=now
    )
    found = [
        t for t in detail.timers if t.metric is metric and t.status is not TimerStatus.CANCELLED
    ]
    assert len(found) == 1
    return found[0]


def test_pause_over_the_weekend_counts_only_business_hours(world: World) -> None:
    """P1, 4 business hours, created Fri 18:00; awaiting the customer Fri 19:00 - Mon 09:00:
    1 h on Friday + resumes Monday 09:00, so the deadline is Monday 12:00, not 10:00."""
    push(
        world,
        [
            created(world, "T1", 4, 18, "P1"),
            event(world, "T1", 1, "state_changed", 4, 19, state="awaiting_customer"),
            event(world, "T1", 2, "state_changed", 7, 9, state="in_progress"),
        ],
    )
    ttr = timer(world, "T1", TargetMetric.TIME_TO_RESOLVE, world.at(7, 10))
    assert ttr.status is TimerStatus.RUNNING
    assert ttr.elapsed_seconds == 2 * 3600
    assert ttr.deadline == world.at(7, 12)
    assert not ttr.breached
    assert [(i.start, i.end) for i in ttr.intervals or []] == [
        (world.at(4, 18), world.at(4, 19)),
        (world.at(7, 9), world.at(7, 10)),
    ]
    # Time to own is not paused by the customer's wait: it ran out Fri 18:30.
    tto = timer(world, "T1", TargetMetric.TIME_TO_OWN, world.at(7, 10))
    assert tto.target_seconds == 1800
    assert tto.status is TimerStatus.STOPPED  # in_progress: someone owns it
    assert tto.breached
    assert tto.breach_at == world.at(4, 18.5)


def test_paused_ticket_is_not_breached_while_paused(world: World) -> None:
    push(
        world,
        [
            created(world, "T2", 0, 9, "P1"),
            event(world, "T2", 1, "state_changed", 0, 10, state="awaiting_customer"),
        ],
    )
    ttr = timer(world, "T2", TargetMetric.TIME_TO_RESOLVE, world.at(3, 12))
    assert ttr.status is TimerStatus.PAUSED
    assert ttr.elapsed_seconds == 3600
    assert not ttr.breached
    assert ttr.deadline is None


def test_met_exactly_at_the_deadline_and_breached_one_minute_later(world: World) -> None:
    push(
        world,
        [
            created(world, "T3", 0, 16, "P1"),
            event(world, "T3", 1, "resolved", 0, 20),
            created(world, "T4", 0, 16, "P1"),
            event(world, "T4", 1, "resolved", 1, 8 + 1 / 60),
        ],
    )
    met = timer(world, "T3", TargetMetric.TIME_TO_RESOLVE, world.at(2, 0))
    assert (met.breached, met.percent, met.remaining_seconds, met.overrun_seconds) == (
        False,
        100.0,
        0,
        0,
    )
    assert met.deadline == world.at(0, 20)  # the closing instant, not Tuesday 08:00
    late = timer(world, "T4", TargetMetric.TIME_TO_RESOLVE, world.at(2, 0))
    assert late.breached
    assert late.breach_at == world.at(0, 20)
    assert late.overrun_seconds == 60


def test_events_out_of_order_and_resent_give_the_same_timers(world: World) -> None:
    events = [
        created(world, "T5", 0, 9, "P2"),
        event(world, "T5", 1, "assigned", 0, 9.5, team="network"),
        event(world, "T5", 2, "state_changed", 0, 10, state="in_progress"),
        event(world, "T5", 3, "resolved", 0, 15),
    ]
    push(world, list(reversed(events)))
    push(world, events)  # every id again: ignored
    count = world.session.scalar(select(func.count()).select_from(TicketEvent))
    assert count == 4
    ttr = timer(world, "T5", TargetMetric.TIME_TO_RESOLVE, world.at(1, 0))
    assert ttr.status is TimerStatus.STOPPED
    assert ttr.elapsed_seconds == 6 * 3600
    detail = timers_service.get_ticket(
        world.session, actor=SYSTEM, source="desk", key="T5", now=world.at(1, 0)
    )
    assert detail.state == "resolved"
    assert detail.opened_at == world.at(0, 9)
    assert detail.agreement == world.sla


def test_reused_event_id_with_other_content_is_refused_and_nothing_stored(world: World) -> None:
    push(world, [created(world, "T6", 0, 9, "P1")])
    with pytest.raises(RuleViolation) as caught:
        push(
            world,
            [
                created(world, "T7", 0, 9, "P1"),
                {**created(world, "T6", 0, 9, "P2")},
            ],
        )
    assert caught.value.rule == "event-id-reused"
    assert caught.value.problems[0].field == "events.1.id"
    world.session.rollback()
    with pytest.raises(NotFound):
        timers_service.get_ticket(
            world.session, actor=SYSTEM, source="desk", key="T7", now=world.at(1, 0)
        )


def test_unknown_service_is_refused_naming_the_field(world: World) -> None:
    bad = created(world, "T8", 0, 9, "P1") | {"service": "nope"}
    with pytest.raises(InvalidInput) as caught:
        push(world, [created(world, "T9", 0, 9, "P1"), bad])
    assert caught.value.problems[0].field == "events.1.service"


def test_ingest_needs_the_ingest_role_in_the_services_unit(world: World) -> None:
    outsider = make_principal(
        world.session, "other-pusher", (Role.INGEST, "network"), kind=PrincipalKind.SOURCE
    )
    with pytest.raises(InvalidInput):
        timers_service.ingest_events(
            world.session,
            actor=outsider,
            batch=TicketEventBatch.model_validate(
                {"source": "desk", "events": [created(world, "T10", 0, 9, "P1")]}
            ),
            now=world.at(0, 0),
        )


@pytest.mark.parametrize(
    ("priority", "expected_elapsed", "expected_target", "cancelled"),
    [
        # P1 -> P2 at Mon 11:00 under P2's policy (retroactive): from the original start.
        ("P2", 3 * 3600, 8 * 3600, 0),
        # P1 -> P4 (restart): a new timer from 11:00, the old one cancelled.
        ("P4", 1 * 3600, 40 * 3600, 1),
    ],
)
def test_priority_change_policies(
    world: World, priority: str, expected_elapsed: int, expected_target: int, cancelled: int
) -> None:
    push(
        world,
        [
            created(world, "T11", 0, 9, "P1"),
            event(world, "T11", 1, "priority_changed", 0, 11, priority=priority),
        ],
    )
    detail = timers_service.get_ticket(
        world.session, actor=SYSTEM, source="desk", key="T11", now=world.at(0, 12)
    )
    ttr = [t for t in detail.timers if t.metric is TargetMetric.TIME_TO_RESOLVE]
    assert sum(t.status is TimerStatus.CANCELLED for t in ttr) == cancelled
    live = next(t for t in ttr if t.status is not TimerStatus.CANCELLED)
    assert live.elapsed_seconds == expected_elapsed
    assert live.target_seconds == expected_target
    if cancelled:
        old = next(t for t in ttr if t.status is TimerStatus.CANCELLED)
        assert old.elapsed_seconds == 2 * 3600
        assert old.stopped_at == world.at(0, 11)


def test_keep_spent_keeps_time_and_pauses_and_working_days_keep_the_time_of_day(
    world: World,
) -> None:
    """P1 -> P3 (2 working days, keep_spent): the 1 h before the change is kept, the paused hour
    is not counted; the deadline is 2 working days of business time after the start."""
    push(
        world,
        [
            created(world, "T12", 0, 9, "P1"),
            event(world, "T12", 1, "state_changed", 0, 10, state="awaiting_customer"),
            event(world, "T12", 2, "state_changed", 0, 11, state="in_progress"),
            event(world, "T12", 3, "priority_changed", 0, 12, priority="P3"),
        ],
    )
    ttr = timer(world, "T12", TargetMetric.TIME_TO_RESOLVE, world.at(0, 13))
    assert ttr.on_change.value == "keep_spent"
    assert ttr.elapsed_seconds == 3 * 3600  # 09-10, 11-13
    assert ttr.target_seconds == 2 * 12 * 3600  # Mon 09:00 -> Wed 09:00
    assert ttr.deadline == world.at(2, 10)  # plus the paused hour


def test_reopen_resumes_the_resolution_timer(world: World) -> None:
    push(
        world,
        [
            created(world, "T13", 0, 9, "P1"),
            event(world, "T13", 1, "resolved", 0, 10),
            event(world, "T13", 2, "reopened", 0, 14),
        ],
    )
    ttr = timer(world, "T13", TargetMetric.TIME_TO_RESOLVE, world.at(0, 15))
    assert ttr.status is TimerStatus.RUNNING
    assert ttr.elapsed_seconds == 2 * 3600
    assert ttr.deadline == world.at(0, 17)


def test_escalation_levels_are_offsets_from_the_deadline(world: World) -> None:
    push(world, [created(world, "T14", 0, 9, "P2")])
    ttr = timer(world, "T14", TargetMetric.TIME_TO_RESOLVE, world.at(0, 16.5))
    assert ttr.deadline == world.at(0, 17)
    levels = {e.name: (e.at, e.reached) for e in ttr.escalations}
    assert levels == {"level 1": (world.at(0, 16), True), "level 2": (world.at(0, 17), False)}
    warnings = {w.name: (w.at, w.reached) for w in ttr.warnings}
    assert warnings["50%"] == (world.at(0, 13), True)
    assert warnings["100%"] == (world.at(0, 17), False)


def test_handoff_to_a_team_bound_by_an_ola_is_timed_on_the_olas_terms(world: World) -> None:
    push(
        world,
        [
            created(world, "T15", 0, 9, "P2"),
            event(world, "T15", 1, "assigned", 0, 9, team="desk-team"),
            event(world, "T15", 2, "handoff", 0, 10, team="network"),
            event(world, "T15", 3, "handoff", 0, 13, team="desk-team"),
            event(world, "T15", 4, "handoff", 0, 14, team="network"),
        ],
    )
    detail = timers_service.get_ticket(
        world.session, actor=SYSTEM, source="desk", key="T15", now=world.at(0, 17)
    )
    assert [(h.team, h.agreement, h.elapsed_seconds, h.breached) for h in detail.handoffs] == [
        ("network", world.ola, 3 * 3600, True),
        ("network", world.ola, 3 * 3600, True),
    ]
    first, second = detail.handoffs
    assert first.status is TimerStatus.STOPPED
    assert first.stopped_at == world.at(0, 13)
    assert second.status is TimerStatus.RUNNING
    assert second.deadline == world.at(0, 16)


def test_list_filters_and_compliance_per_priority(world: World) -> None:
    push(
        world,
        [
            created(world, "A", 0, 9, "P1"),
            event(world, "A", 1, "resolved", 0, 10),
            created(world, "B", 0, 9, "P1"),
            event(world, "B", 1, "resolved", 0, 15),
            created(world, "C", 0, 9, "P2"),
        ],
    )
    now = world.at(0, 16)
    breached, _ = timers_service.list_timers(
        world.session,
        actor=SYSTEM,
        filters=TimerFilter(breached=True, metric=TargetMetric.TIME_TO_RESOLVE),
        after=None,
        limit=50,
        now=now,
    )
    assert [t.ticket for t in breached] == ["B"]
    report = timers_service.compliance(
        world.session,
        actor=SYSTEM,
        start=world.at(0, 0),
        end=world.at(1, 0),
        group_by=ComplianceGroup.PRIORITY,
        now=now,
    )
    rows = {(r.metric, r.group): r for r in report.rows}
    p1 = rows[(TargetMetric.TIME_TO_RESOLVE, "P1")]
    assert (p1.met, p1.breached, p1.open, p1.within_target) == (1, 1, 0, 0.5)
    p2 = rows[(TargetMetric.TIME_TO_RESOLVE, "P2")]
    assert (p2.met, p2.breached, p2.open) == (0, 0, 1)
    assert "desk/B" in report.breached_tickets


def test_readers_see_only_tickets_of_their_units(world: World) -> None:
    push(world, [created(world, "T16", 0, 9, "P1")])
    wendy = make_principal(world.session, "netviewer", (Role.VIEWER, "network"))
    vera = make_principal(world.session, "payviewer", (Role.VIEWER, "retail"))
    seen = timers_service.get_ticket(
        world.session, actor=vera, source="desk", key="T16", now=world.at(1, 0)
    )
    assert seen.service == "pay"
    with pytest.raises(NotFound):
        timers_service.get_ticket(
            world.session, actor=wendy, source="desk", key="T16", now=world.at(1, 0)
        )


def test_alignment_reports_a_chain_that_cannot_fit(world: World) -> None:
    """The OLA resolves in 2 business hours: inside the SLA's 4 (P1) and 8 (P2) hours on the
    same calendar, but not inside its 30-minute time to own (the OLA has no TTO target)."""
    rows = timers_service.alignment(
        world.session, actor=SYSTEM, agreement=world.sla, now=world.at(0, 0)
    )
    by_key = {(r.metric, r.priority): r for r in rows}
    p1 = by_key[(TargetMetric.TIME_TO_RESOLVE, "P1")]
    assert p1.verdict == "fits"
    assert p1.worst_chain_seconds == 2 * 3600
    assert p1.sla_seconds == 4 * 3600
    own = by_key[(TargetMetric.TIME_TO_OWN, "P1")]
    assert own.verdict == "no-target"
    assert own.chain[0].target is None


def test_alignment_of_a_longer_vendor_target_does_not_fit() -> None:
    """The pure check: a UC's 8 business hours on office hours under a 4-hour SLA on 24x7."""
    from datetime import date

    from accord.agreements.schemas import TicketTarget
    from accord.engine.calendars import BusinessCalendar, Segment, always, epoch_seconds
    from accord.timers import rules

    office = BusinessCalendar("UTC", ((Segment.of("08:00", "20:00"),),) * 5 + ((), ())).compile(
        date(2026, 1, 1), date(2026, 12, 31)
    )
    round_the_clock = always().compile(date(2026, 1, 1), date(2026, 12, 31))
    sla = TicketTarget(metric="time_to_resolve", amount=4, unit="business_hours")
    uc = TicketTarget(metric="time_to_resolve", amount=8, unit="business_hours")
    starts = rules.sample_starts(round_the_clock, epoch_seconds(datetime(2026, 3, 2, tzinfo=UTC)))
    fit = rules.chain_fit(round_the_clock, sla, [(office, uc)], starts)
    assert fit.verdict == "does-not-fit"
    assert fit.sla_seconds == 4 * 3600
    assert fit.worst_chain is not None
    assert fit.worst_chain > 8 * 3600


def test_an_agreement_naming_an_unknown_calendar_is_refused(world: World) -> None:
    from accord.agreements import service as agreements_service
    from accord.agreements.enums import AgreementKind
    from accord.agreements.schemas import AgreementCreate, Terms

    with pytest.raises(InvalidInput) as caught:
        agreements_service.create_agreement(
            world.session,
            actor=SYSTEM,
            data=AgreementCreate(
                kind=AgreementKind.SLA,
                title="Nowhere hours",
                business_unit="retail",
                customer="acme",
                terms=Terms(
                    services=["pay"], term_start=world.monday.date(), supported_hours="nope"
                ),
                reason="test",
            ),
            now=world.at(0, 0),
        )
    assert caught.value.problems[0].field == "terms.supported_hours"
