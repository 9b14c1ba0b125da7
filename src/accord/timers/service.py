"""Use cases of tickets and timers: ingest events, show a ticket's timers, list and filter
timers, compliance per period, alignment of supporting agreements.

Who may do what: events are pushed with ``telemetry:ingest`` in the unit of the ticket's service
(ticketing sources' machine principals hold it); tickets and timers are read with
``objectives:read`` in that unit. A ticket without a service is visible to global readers only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy.orm import Session

from accord.agreements import rules as agreement_rules
from accord.agreements import service as agreements_service
from accord.agreements.enums import AgreementKind
from accord.agreements.schemas import TicketTarget, TicketTerms
from accord.calendars import service as calendars_service
from accord.catalogue import service as catalogue_service
from accord.engine.calendars import WorkingTime, epoch_seconds, from_epoch
from accord.engine.timers import NONE
from accord.identity import service as identity_service
from accord.identity.rules import Actor, Permission
from accord.kit.errors import BatchRejected, InvalidInput, NotFound, RuleViolation
from accord.timers import rules
from accord.timers.enums import IMPLIED_STATE, EventKind, TargetMetric, TicketState, TimerStatus
from accord.timers.models import Ticket, TicketEvent
from accord.timers.repository import TicketEventRepository, TicketRepository
from accord.timers.schemas import (
    AlignmentLink,
    AlignmentRow,
    ComplianceGroup,
    ComplianceRead,
    ComplianceRow,
    EventRead,
    IngestSummary,
    IntervalRead,
    ThresholdRead,
    TicketDetail,
    TicketEventBatch,
    TicketEventIn,
    TicketRead,
    TimerFilter,
    TimerRead,
)

_TargetPicker = Callable[[int, "Ticket", "TicketEvent", "_Snapshot"], int]
"""(group number, ticket, event, the ticket's fields so far) -> the resolved target in force,
or -1."""

if TYPE_CHECKING:
    from accord.agreements.models import Agreement, AgreementVersion

INGEST = Permission.TELEMETRY_INGEST
READ = Permission.OBJECTIVES_READ
CALENDAR_MARGIN = timedelta(days=800)
"""How far past the last instant calendars are compiled: room for projected deadlines."""
_EVENT_FIELDS = ("state", "priority", "team", "request_type", "service", "customer", "agreement")


# ============================================================================= ingestion


def ingest_events(
    session: Session, *, actor: Actor, batch: TicketEventBatch, now: datetime
) -> IngestSummary:
    """Store a batch of events (any order) and replay the tickets they touch. A re-sent event
    id with the same content is ignored; with other content it is refused. Every reference is
    checked first: a bad batch stores nothing."""
    actor.require_anywhere(INGEST)
    events = batch.events
    services = catalogue_service.services_named(session, (e.service for e in events if e.service))
    tickets = TicketRepository(session).by_keys(batch.source, (e.ticket for e in events))
    unit_of_ticket = {k: t.business_unit_id for k, t in tickets.items()}
    customers: dict[str, int] = {}
    agreements: dict[str, Agreement] = {}
    for position, event in enumerate(events):
        where = f"events.{position}"
        if event.service is not None:
            found = services.get(event.service)
            if found is None or not actor.can(INGEST, found.business_unit_id):
                raise BatchRejected.field(f"{where}.service", f"no service {event.service!r}")
            unit_of_ticket.setdefault(event.ticket, found.business_unit_id)
        if event.customer is not None and event.customer not in customers:
            customer = catalogue_service.customer_named(session, event.customer)
            if customer is None or customer.deleted_at is not None:
                raise BatchRejected.field(f"{where}.customer", f"no customer {event.customer!r}")
            customers[event.customer] = customer.id
        if event.agreement is not None and event.agreement not in agreements:
            agreement = agreements_service.agreement_named(session, event.agreement)
            if agreement is None or agreement.deleted_at is not None:
                raise BatchRejected.field(f"{where}.agreement", f"no agreement {event.agreement!r}")
            agreements[event.agreement] = agreement
    for position, event in enumerate(events):
        unit = unit_of_ticket.get(event.ticket)
        if not actor.can(INGEST, unit):
            raise BatchRejected.field(
                f"events.{position}.service",
                f"ticket {event.ticket!r} has no service yet: its first event names one",
            )

    repo = TicketRepository(session)
    for event in events:
        if event.ticket not in tickets:
            tickets[event.ticket] = repo.add(
                Ticket(
                    source=batch.source,
                    key=event.ticket,
                    opened_at=event.occurred_at,
                    last_event_at=event.occurred_at,
                    event_count=0,
                    received_at=now,
                )
            )
    stored = TicketEventRepository(session).existing(
        (tickets[e.ticket].id, e.id) for e in events if tickets[e.ticket].id is not None
    )
    fresh: dict[tuple[int, str], TicketEventIn] = {}
    duplicates = 0
    for position, event in enumerate(events):
        pair = (tickets[event.ticket].id, event.id)
        earlier = stored.get(pair)
        seen = fresh.get(pair)
        if earlier is not None or seen is not None:
            same = _same_event(earlier, event) if earlier is not None else seen == event
            if not same:
                raise RuleViolation(
                    "event-id-reused",
                    f"event {event.id!r} of ticket {event.ticket!r} was sent before with other "
                    "content",
                    field=f"events.{position}.id",
                )
            duplicates += 1
            continue
        fresh[pair] = event
    event_repo = TicketEventRepository(session)
    for (ticket_id, _), event in fresh.items():
        event_repo.add(_event_row(ticket_id, event, now))
    touched = {tickets[e.ticket].id for e in fresh.values()}
    _replay(session, [t for t in tickets.values() if t.id in touched], customers, agreements, now)
    return IngestSummary(accepted=len(fresh), duplicates=duplicates, tickets=len(touched))


def _event_row(ticket_id: int, event: TicketEventIn, now: datetime) -> TicketEvent:
    return TicketEvent(
        ticket_id=ticket_id,
        external_id=event.id,
        kind=event.kind,
        occurred_at=event.occurred_at,
        state=event.state,
        priority=event.priority,
        team=event.team,
        request_type=event.request_type,
        service=event.service,
        customer=event.customer,
        agreement=event.agreement,
        title=event.title,
        received_at=now,
    )


def _same_event(row: TicketEvent, event: TicketEventIn) -> bool:
    return (
        row.kind is event.kind
        and row.occurred_at == event.occurred_at
        and all(getattr(row, f) == getattr(event, f) for f in _EVENT_FIELDS)
        and row.title == event.title
    )


def _replay(
    session: Session,
    tickets: list[Ticket],
    customers: dict[str, int],
    agreements: dict[str, Agreement],
    now: datetime,
) -> None:
    """Set each ticket's fields from all its events in event-time order."""
    by_ticket: dict[int, list[TicketEvent]] = defaultdict(list)
    for e in TicketEventRepository(session).of_tickets(t.id for t in tickets):
        by_ticket[e.ticket_id].append(e)
    slugs = {e.service for rows in by_ticket.values() for e in rows if e.service}
    services = catalogue_service.services_named(session, slugs)
    for ticket in tickets:
        rows = by_ticket[ticket.id]
        snapshot = _fold(rows)
        created = next((e.occurred_at for e in rows if e.kind is EventKind.CREATED), None)
        ticket.opened_at = created or rows[0].occurred_at
        ticket.last_event_at = rows[-1].occurred_at
        ticket.event_count = len(rows)
        ticket.received_at = now
        ticket.state = snapshot.state
        ticket.priority = snapshot.priority
        ticket.team = snapshot.team
        ticket.request_type = snapshot.request_type
        ticket.title = next((e.title for e in reversed(rows) if e.title), ticket.title)
        if snapshot.service is not None:
            service = services[snapshot.service]
            ticket.service_id = service.id
            ticket.business_unit_id = service.business_unit_id
        if snapshot.customer is not None:
            ticket.customer_id = customers.get(snapshot.customer) or _customer_id(
                session, snapshot.customer
            )
        if snapshot.agreement is not None:
            found = agreements.get(snapshot.agreement) or agreements_service.agreement_named(
                session, snapshot.agreement
            )
            ticket.agreement_id = found.id if found is not None else None
        ticket.resolved_at = _last_entry(rows, ("resolved", "closed"))
        ticket.closed_at = _last_entry(rows, ("closed",))


def _customer_id(session: Session, code: str) -> int | None:
    found = catalogue_service.customer_named(session, code)
    return found.id if found is not None else None


@dataclass
class _Snapshot:
    state: TicketState | None = None
    priority: str | None = None
    team: str | None = None
    request_type: str | None = None
    service: str | None = None
    customer: str | None = None
    agreement: str | None = None

    def apply(self, event: TicketEvent) -> TicketState | None:
        """Take the event's fields (those it leaves out keep their value); returns the state
        the event itself names or implies."""
        own = _state_of(event)
        self.state = own or self.state
        for name in _EVENT_FIELDS[1:]:
            value = getattr(event, name)
            if value is not None:
                setattr(self, name, value)
        return own


def _state_of(event: TicketEvent) -> TicketState | None:
    return event.state if event.state is not None else IMPLIED_STATE.get(event.kind)


def _fold(rows: Sequence[TicketEvent]) -> _Snapshot:
    snapshot = _Snapshot()
    for e in rows:
        snapshot.apply(e)
    return snapshot


def _last_entry(rows: Sequence[TicketEvent], states: tuple[str, ...]) -> datetime | None:
    """When the ticket last entered one of ``states`` and stayed (none if it left again)."""
    entered: datetime | None = None
    for e in rows:
        state = _state_of(e)
        if state is None:
            continue
        entered = (entered or e.occurred_at) if state.value in states else None
    return entered


# ============================================================================= timing


@dataclass
class _Timed:
    """Timers computed for a set of tickets."""

    timers: dict[int, list[TimerRead]] = field(default_factory=lambda: defaultdict(list))
    handoffs: dict[int, list[TimerRead]] = field(default_factory=lambda: defaultdict(list))
    sla_of: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Term:
    agreement: Agreement
    version: AgreementVersion
    terms: TicketTerms


class _Timing:
    """Resolves which agreement version, targets and calendars time each ticket, then runs the
    vectorised pipeline of `timers.rules` once per metric."""

    def __init__(self, session: Session, tickets: Sequence[Ticket], now: datetime) -> None:
        self.session = session
        self.tickets = list(tickets)
        self.now = now
        self.now_s = epoch_seconds(now)
        self.events = TicketEventRepository(session).of_tickets(t.id for t in self.tickets)
        self.by_ticket: dict[int, list[TicketEvent]] = defaultdict(list)
        for e in self.events:
            self.by_ticket[e.ticket_id].append(e)
        instants = [t.opened_at for t in self.tickets] or [now]
        self.first = min(instants).date() - timedelta(days=7)
        self.last = (max([now, *(e.occurred_at for e in self.events)]) + CALENDAR_MARGIN).date()
        self.calendar_index: dict[str, int] = {}
        self.calendars: list[WorkingTime] = []
        self.resolved: list[rules.ResolvedTarget] = []
        self.resolved_index: dict[tuple[int, int], int] = {}
        self.resolved_term: list[_Term] = []
        self._slas = self._candidate_slas()
        self._service_slugs = {
            s.id: s.slug
            for s in catalogue_service.services_by_ids(
                session, {t.service_id for t in self.tickets if t.service_id}
            ).values()
        }

    # -------------------------------------------------------------- agreements

    def _candidate_slas(self) -> dict[int, list[_Term]]:
        """Per ticket: the versions that may time it, in effect order."""
        by_service: dict[int, list[_Term]] = defaultdict(list)
        for service_id, agreement, version in agreements_service.slas_in_effect_for_services(
            self.session,
            (t.service_id for t in self.tickets if t.service_id and not t.agreement_id),
        ):
            by_service[service_id].append(_Term(agreement, version, _terms(version)))
        named: dict[int, list[_Term]] = defaultdict(list)
        named_ids = {t.agreement_id for t in self.tickets if t.agreement_id}
        agreements = {
            a.id: a for a in agreements_service.agreements_by_ids(self.session, named_ids)
        }
        for version in agreements_service.versions_in_effect(self.session, named_ids):
            named[version.agreement_id].append(
                _Term(agreements[version.agreement_id], version, _terms(version))
            )
        result: dict[int, list[_Term]] = {}
        for t in self.tickets:
            if t.agreement_id:
                result[t.id] = named[t.agreement_id]
            elif t.service_id:
                found = by_service[t.service_id]
                own = [c for c in found if c.agreement.customer_id == t.customer_id]
                result[t.id] = own or [c for c in found if t.customer_id is None]
            else:
                result[t.id] = []
        return result

    def term_at(self, ticket: Ticket, at: datetime) -> _Term | None:
        """The version in effect at ``at`` (the opening one before any took effect)."""
        found = [c for c in self._slas.get(ticket.id, []) if _in_effect(c.version, at)]
        return found[-1] if found else None

    def calendar(self, code: str) -> int:
        if code not in self.calendar_index:
            self.calendar_index[code] = len(self.calendars)
            self.calendars.append(
                calendars_service.working_time(self.session, code, self.first, self.last)
            )
        return self.calendar_index[code]

    def resolve(self, term: _Term, target: TicketTarget) -> int:
        index = term.terms.targets.index(target)
        key = (term.version.id, index)
        if key not in self.resolved_index:
            self.resolved_index[key] = len(self.resolved)
            self.resolved.append(
                rules.ResolvedTarget(target, self.calendar(term.version.supported_hours))
            )
            self.resolved_term.append(term)
        return self.resolved_index[key]

    # -------------------------------------------------------------- timers

    def run(self, *, with_intervals: bool = False) -> _Timed:
        timed = _Timed()
        for ticket in self.tickets:
            opening = self.term_at(ticket, ticket.opened_at)
            if opening is not None:
                timed.sla_of[ticket.id] = opening.agreement.key
        for metric in TargetMetric:
            self._run_metric(metric, timed, with_intervals)
        self._run_handoffs(timed, with_intervals)
        return timed

    def _columns(
        self, groups: Sequence[tuple[Ticket, Sequence[TicketEvent]]], pick: _TargetPicker
    ) -> tuple[rules.EventColumns, np.ndarray, list[tuple[Ticket, Sequence[TicketEvent]]]]:
        """Event columns of ``groups`` (a ticket's events, or a stint of them), numbered in
        order, with the target ``pick`` finds in force after each event."""
        ticket_idx: list[int] = []
        at: list[int] = []
        state: list[int] = []
        target: list[int] = []
        kept: list[tuple[Ticket, Sequence[TicketEvent]]] = []
        for ticket, rows in groups:
            if not rows:
                continue
            number = len(kept)
            kept.append((ticket, rows))
            history = self.by_ticket[ticket.id]
            snapshot = _fold(history[: history.index(rows[0])])
            for position, e in enumerate(rows):
                arrived_in = snapshot.state
                # A stint's first point carries the state the ticket arrived in.
                current = snapshot.apply(e) or (arrived_in if position == 0 else None)
                ticket_idx.append(number)
                at.append(epoch_seconds(e.occurred_at))
                state.append(rules.STATE_CODE[current] if current is not None else -1)
                target.append(pick(number, ticket, e, snapshot))
        columns = rules.EventColumns(
            ticket=np.asarray(ticket_idx, dtype=np.int64),
            at=np.asarray(at, dtype=np.int64),
            state=np.asarray(state, dtype=np.int64),
        )
        return columns, np.asarray(target, dtype=np.int64), kept

    def _run_metric(self, metric: TargetMetric, timed: _Timed, with_intervals: bool) -> None:
        def pick(_: int, ticket: Ticket, event: TicketEvent, snapshot: _Snapshot) -> int:
            term = self.term_at(ticket, event.occurred_at) or self.term_at(ticket, ticket.opened_at)
            if term is None:
                return -1
            target = rules.match_target(
                term.terms,
                metric,
                request_type=snapshot.request_type,
                priority=snapshot.priority,
                service=self._service_slugs.get(ticket.service_id or 0),
            )
            return -1 if target is None else self.resolve(term, target)

        groups = [(t, self.by_ticket[t.id]) for t in self.tickets]
        columns, event_target, kept = self._columns(groups, pick)
        if not kept:
            return
        until = np.full(len(kept), self.now_s, dtype=np.int64)
        result = rules.compute_timers(
            columns,
            event_target,
            self.resolved,
            self.calendars,
            metric=metric,
            until=until,
            now=self.now_s,
            with_intervals=with_intervals,
        )
        for read, k in self._reads(result, kept, metric, None, with_intervals):
            timed.timers[kept[int(result.ticket[k])][0].id].append(read)

    def _run_handoffs(self, timed: _Timed, with_intervals: bool) -> None:
        """One resolution timer per stint with a team bound by a supporting OLA or UC."""
        sla_ids = {
            term.agreement.id
            for t in self.tickets
            if (term := self.term_at(t, t.opened_at)) is not None
        }
        supporting = agreements_service.supporting_agreements(self.session, sla_ids)
        if not supporting:
            return
        unit_codes = identity_service.unit_codes(
            self.session, (a.business_unit_id for _, a in supporting)
        )
        vendor_codes = catalogue_service.vendor_codes(
            self.session, (a.vendor_id for _, a in supporting)
        )
        team_agreement: dict[tuple[int, str], Agreement] = {}
        for supported_id, bound in supporting:
            code = (
                vendor_codes.get(bound.vendor_id or 0)
                if bound.kind is AgreementKind.UC
                else unit_codes.get(bound.business_unit_id)
            )
            if code is not None:
                team_agreement.setdefault((supported_id, code), bound)
        versions: dict[int, list[AgreementVersion]] = defaultdict(list)
        for v in agreements_service.versions_in_effect(
            self.session, (a.id for a in team_agreement.values())
        ):
            versions[v.agreement_id].append(v)

        stints: list[tuple[Ticket, Sequence[TicketEvent]]] = []
        stint_until: list[int] = []
        stint_term: list[_Term] = []
        stint_team: list[str] = []
        for ticket in self.tickets:
            opening = self.term_at(ticket, ticket.opened_at)
            if opening is None:
                continue
            rows = self.by_ticket[ticket.id]
            team: str | None = None
            start = 0
            for i, e in enumerate([*rows, None]):
                new_team = e.team if e is not None else None
                if e is not None and (new_team is None or new_team == team):
                    continue
                if team is not None:
                    bound_by = team_agreement.get((opening.agreement.id, team))
                    in_force = _version_at(versions, bound_by, rows[start].occurred_at)
                    if bound_by is not None and in_force is not None:
                        stints.append((ticket, rows[start:i]))
                        end = epoch_seconds(e.occurred_at) if e is not None else self.now_s
                        stint_until.append(end)
                        stint_term.append(_Term(bound_by, in_force, _terms(in_force)))
                        stint_team.append(team)
                team, start = new_team, i

        def pick(number: int, ticket: Ticket, _: TicketEvent, snapshot: _Snapshot) -> int:
            term = stint_term[number]
            target = rules.match_target(
                term.terms,
                TargetMetric.TIME_TO_RESOLVE,
                request_type=snapshot.request_type,
                priority=snapshot.priority,
                service=self._service_slugs.get(ticket.service_id or 0),
            )
            return -1 if target is None else self.resolve(term, target)

        if not stints:
            return
        columns, event_target, _ = self._columns(stints, pick)
        result = rules.compute_timers(
            columns,
            event_target,
            self.resolved,
            self.calendars,
            metric=TargetMetric.TIME_TO_RESOLVE,
            until=np.asarray(stint_until, dtype=np.int64),
            now=self.now_s,
            with_intervals=with_intervals,
        )
        for read, k in self._reads(
            result, stints, TargetMetric.TIME_TO_RESOLVE, stint_team, with_intervals
        ):
            timed.handoffs[stints[int(result.ticket[k])][0].id].append(read)

    def _reads(
        self,
        result: rules.TimerColumns,
        kept: Sequence[tuple[Ticket, Sequence[TicketEvent]]],
        metric: TargetMetric,
        teams: Sequence[str] | None,
        with_intervals: bool,
    ) -> Iterable[tuple[TimerRead, int]]:
        by_timer: dict[int, list[IntervalRead]] = defaultdict(list)
        if with_intervals and result.intervals is not None:
            ivs = result.intervals
            for j in range(ivs.timer.size):
                calendar = self.calendars[self.resolved[int(result.target[ivs.timer[j]])].calendar]
                start, end = int(ivs.starts[j]), int(ivs.ends[j])
                by_timer[int(ivs.timer[j])].append(
                    IntervalRead(
                        start=from_epoch(start),
                        end=from_epoch(end),
                        business_seconds=calendar.elapsed_between(start, end),
                    )
                )
        for k in range(len(result)):
            number = int(result.ticket[k])
            ticket = kept[number][0]
            target_index = int(result.target[k])
            resolved = self.resolved[target_index]
            term = self.resolved_term[target_index]
            status = result.status_of(k)
            deadline = int(result.deadline[k])
            if status is TimerStatus.PAUSED:
                deadline = NONE
            now = self.now_s
            yield (
                TimerRead(
                    ticket=ticket.key,
                    source=ticket.source,
                    metric=metric,
                    agreement=term.agreement.key,
                    version=term.version.number,
                    team=teams[number] if teams is not None else None,
                    calendar=term.version.supported_hours,
                    target=f"{resolved.target.amount} {resolved.target.unit.value}",
                    target_seconds=int(result.target_seconds[k]),
                    on_change=resolved.target.on_change,
                    status=status,
                    started_at=_instant(int(result.started_at[k])),
                    stopped_at=_instant(int(result.stopped_at[k])),
                    deadline=_instant(deadline),
                    elapsed_seconds=int(result.elapsed[k]),
                    remaining_seconds=int(result.remaining[k]),
                    overrun_seconds=int(result.overrun[k]),
                    percent=round(float(result.percent[k]), 2),
                    breached=bool(result.breached[k]),
                    breach_at=_instant(int(result.breach_at[k])),
                    warnings=[
                        _threshold(f"{w}%", int(result.warnings[w][k]), now)
                        for w in resolved.target.warnings
                        if w in result.warnings
                    ],
                    escalations=[
                        _threshold(f"level {e.level}", int(result.escalations[e.level][k]), now)
                        for e in resolved.target.escalations
                        if e.level in result.escalations
                    ],
                    intervals=by_timer[k] if with_intervals else None,
                ),
                k,
            )


def _instant(seconds: int) -> datetime | None:
    return None if seconds == NONE else from_epoch(seconds)


def _threshold(name: str, seconds: int, now: int) -> ThresholdRead:
    return ThresholdRead(
        name=name, at=_instant(seconds), reached=seconds != NONE and seconds <= now
    )


def _terms(version: AgreementVersion) -> TicketTerms:
    return TicketTerms.model_validate(version.ticket_terms or {})


def _version_at(
    versions: dict[int, list[AgreementVersion]], agreement: Agreement | None, at: datetime
) -> AgreementVersion | None:
    if agreement is None:
        return None
    found = [v for v in versions.get(agreement.id, []) if _in_effect(v, at)]
    return found[-1] if found else None


def _in_effect(version: AgreementVersion, at: datetime) -> bool:
    return agreement_rules.in_effect_at(version.effective_from, version.ended_at, at)


# ============================================================================= reading


def visible_ticket(session: Session, *, actor: Actor, source: str, key: str) -> Ticket:
    ticket = TicketRepository(session).by_key(source, key)
    if ticket is None or not actor.can(READ, ticket.business_unit_id):
        raise NotFound(f"no ticket {key!r} from {source!r}")
    return ticket


def get_ticket(
    session: Session, *, actor: Actor, source: str, key: str, now: datetime
) -> TicketDetail:
    """The ticket with its events and every timer, each with its running intervals."""
    actor.require_anywhere(READ)
    ticket = visible_ticket(session, actor=actor, source=source, key=key)
    timing = _Timing(session, [ticket], now)
    timed = timing.run(with_intervals=True)
    head = _present(session, [ticket], timed)[0]
    return TicketDetail(
        **head.model_dump(),
        events=[
            EventRead(
                id=e.external_id,
                kind=e.kind,
                occurred_at=e.occurred_at,
                state=e.state,
                priority=e.priority,
                team=e.team,
                request_type=e.request_type,
                service=e.service,
                customer=e.customer,
                agreement=e.agreement,
            )
            for e in timing.by_ticket[ticket.id]
        ],
        timers=timed.timers[ticket.id],
        handoffs=timed.handoffs[ticket.id],
    )


def _present(session: Session, tickets: Sequence[Ticket], timed: _Timed) -> list[TicketRead]:
    services = catalogue_service.services_by_ids(
        session, {t.service_id for t in tickets if t.service_id}
    )
    customers = catalogue_service.customer_codes(session, (t.customer_id for t in tickets))
    return [
        TicketRead(
            source=t.source,
            key=t.key,
            title=t.title,
            service=services[t.service_id].slug if t.service_id else None,
            customer=customers.get(t.customer_id) if t.customer_id else None,
            agreement=timed.sla_of.get(t.id),
            request_type=t.request_type,
            priority=t.priority,
            state=t.state,
            team=t.team,
            opened_at=t.opened_at,
            resolved_at=t.resolved_at,
            closed_at=t.closed_at,
            last_event_at=t.last_event_at,
        )
        for t in tickets
    ]


def list_timers(
    session: Session,
    *,
    actor: Actor,
    filters: TimerFilter,
    after: int | None,
    limit: int,
    now: datetime,
) -> tuple[list[TimerRead], int | None]:
    """Timers of the tickets matching the filters, a page of tickets at a time (the cursor is
    the last ticket's)."""
    actor.require_anywhere(READ)
    tickets = _tickets(session, actor, filters, after=after, limit=limit + 1)
    more = len(tickets) > limit
    tickets = tickets[:limit]
    timed = _Timing(session, tickets, now).run()
    found = [
        timer
        for t in tickets
        for timer in [*timed.timers[t.id], *timed.handoffs[t.id]]
        if _wanted(timer, filters)
    ]
    return found, tickets[-1].id if more and tickets else None


def _tickets(
    session: Session, actor: Actor, filters: TimerFilter, *, after: int | None, limit: int
) -> list[Ticket]:
    service_id = None
    if filters.service is not None:
        service_id = catalogue_service.visible_service(
            session, actor=actor, slug=filters.service, permission=READ
        ).id
    return TicketRepository(session).page(
        units=actor.scope(READ).unit_filter,
        service_id=service_id,
        priority=filters.priority,
        team=filters.team,
        source=filters.source,
        opened_from=filters.opened_from,
        opened_before=filters.opened_before,
        after=after,
        limit=limit,
    )


def _wanted(timer: TimerRead, filters: TimerFilter) -> bool:
    return (
        (filters.metric is None or timer.metric is filters.metric)
        and (filters.status is None or timer.status is filters.status)
        and (filters.breached is None or timer.breached is filters.breached)
    )


_COMPLIANCE_PAGE = 5_000


def compliance(
    session: Session,
    *,
    actor: Actor,
    start: datetime,
    end: datetime,
    group_by: ComplianceGroup,
    now: datetime,
) -> ComplianceRead:
    """Share of timers within target, per metric and group, over the tickets opened in
    ``[start, end)``. Cancelled timers (replaced under ``restart``) do not count; handoff timers
    count under ``team`` grouping only."""
    actor.require_anywhere(READ)
    if end <= start:
        raise InvalidInput.field("end", "ends before it starts")
    counts: dict[tuple[TargetMetric, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    breached: list[str] = []
    after: int | None = None
    window = TimerFilter(opened_from=start, opened_before=end)
    while True:
        tickets = _tickets(session, actor, window, after=after, limit=_COMPLIANCE_PAGE)
        if not tickets:
            break
        timed = _Timing(session, tickets, now).run()
        heads = {h.key: h for h in _present(session, tickets, timed)}
        for t in tickets:
            head = heads[t.key]
            timers = timed.timers[t.id]
            if group_by is ComplianceGroup.TEAM:
                timers = [*timers, *timed.handoffs[t.id]]
            if any(x.breached for x in timers):
                breached.append(f"{t.source}/{t.key}")
            for timer in timers:
                if timer.status is TimerStatus.CANCELLED:
                    continue
                group = {
                    ComplianceGroup.PRIORITY: head.priority,
                    ComplianceGroup.SERVICE: head.service,
                    ComplianceGroup.CUSTOMER: head.customer,
                    ComplianceGroup.TEAM: timer.team or head.team,
                    ComplianceGroup.AGREEMENT: timer.agreement,
                }[group_by] or "-"
                row = counts[(timer.metric, group)]
                if timer.breached:
                    row[1] += 1
                elif timer.status is TimerStatus.STOPPED:
                    row[0] += 1
                else:
                    row[2] += 1
        after = tickets[-1].id
    rows = [
        ComplianceRow(
            metric=metric,
            group=group,
            met=met,
            breached=late,
            open=pending,
            within_target=round(met / (met + late), 6) if met + late else None,
        )
        for (metric, group), (met, late, pending) in sorted(counts.items())
    ]
    return ComplianceRead(
        period_start=start,
        period_end=end,
        group_by=group_by,
        rule="timers of the tickets opened in [period_start, period_end); met = stopped within "
        "target; breached = over target (stopped or not); open = still running within target",
        rows=rows,
        breached_tickets=breached,
    )


# ============================================================================= alignment


def alignment(
    session: Session, *, actor: Actor, agreement: str | None, now: datetime
) -> list[AlignmentRow]:
    """For every SLA supported by OLAs/UCs (or the one named): does the chain of supporting
    targets fit inside each SLA target? Chains run in the order OLAs, then UCs."""
    actor.require_anywhere(Permission.AGREEMENTS_READ)
    if agreement is not None:
        sla = agreements_service.visible_agreement(session, actor, agreement)
        slas = [sla]
    else:
        slas = [
            a
            for a in agreements_service.supported_slas(session)
            if actor.can(Permission.AGREEMENTS_READ, a.business_unit_id)
        ]
    supporting = agreements_service.supporting_agreements(session, (a.id for a in slas))
    involved = {a.id for a in slas} | {a.id for _, a in supporting}
    current = _current_versions(agreements_service.versions_in_effect(session, involved), now)
    unit_codes = identity_service.unit_codes(session, (a.business_unit_id for _, a in supporting))
    vendor_codes = catalogue_service.vendor_codes(session, (a.vendor_id for _, a in supporting))
    first = now.date() - timedelta(days=1)
    last = (now + CALENDAR_MARGIN).date()
    compiled: dict[str, WorkingTime] = {}

    def working(code: str) -> WorkingTime:
        if code not in compiled:
            compiled[code] = calendars_service.working_time(session, code, first, last)
        return compiled[code]

    rows: list[AlignmentRow] = []
    for sla in slas:
        version = current.get(sla.id)
        if version is None:
            continue
        links = sorted(
            (a for supported, a in supporting if supported == sla.id),
            key=lambda a: (a.kind is AgreementKind.UC, a.key),
        )
        sla_calendar = working(version.supported_hours)
        samples = rules.sample_starts(sla_calendar, epoch_seconds(now))
        for target in _terms(version).targets:
            chain: list[AlignmentLink] = []
            steps: list[tuple[WorkingTime, TicketTarget]] = []
            for link in links:
                link_version = current.get(link.id)
                link_target = (
                    rules.match_target(
                        _terms(link_version),
                        target.metric,
                        request_type=target.request_type,
                        priority=target.priority,
                        service=target.service,
                    )
                    if link_version is not None
                    else None
                )
                team = (
                    vendor_codes.get(link.vendor_id or 0)
                    if link.kind is AgreementKind.UC
                    else unit_codes.get(link.business_unit_id)
                )
                calendar_code = link_version.supported_hours if link_version else "-"
                chain.append(
                    AlignmentLink(
                        agreement=link.key,
                        kind=link.kind.value,
                        team=team,
                        calendar=calendar_code,
                        target=(
                            f"{link_target.amount} {link_target.unit.value}"
                            if link_target
                            else None
                        ),
                    )
                )
                if link_target is not None and link_version is not None:
                    steps.append((working(calendar_code), link_target))
            fit = rules.chain_fit(sla_calendar, target, steps, samples)
            verdict = fit.verdict if len(steps) == len(links) else "no-target"
            rows.append(
                AlignmentRow(
                    sla=sla.key,
                    metric=target.metric,
                    request_type=target.request_type,
                    priority=target.priority,
                    service=target.service,
                    sla_target=f"{target.amount} {target.unit.value}",
                    sla_calendar=version.supported_hours,
                    chain=chain,
                    verdict=verdict,
                    worst_chain_seconds=fit.worst_chain,
                    sla_seconds=fit.sla_seconds,
                    fits_share=fit.fits_share,
                )
            )
    return rows


def _current_versions(
    versions: Sequence[AgreementVersion], now: datetime
) -> dict[int, AgreementVersion]:
    """Per agreement, the version in effect now (the latest effective one)."""
    return {v.agreement_id: v for v in versions if _in_effect(v, now)}
