"""Every query of tickets and their events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, tuple_

from accord.db.repository import MAX_ID, Repository
from accord.timers.models import Ticket, TicketEvent


class TicketRepository(Repository[Ticket]):
    model = Ticket

    def by_keys(self, source: str, keys: Iterable[str]) -> dict[str, Ticket]:
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        rows = self.session.scalars(
            select(Ticket).where(Ticket.source == source, Ticket.key.in_(wanted))
        )
        return {t.key: t for t in rows}

    def by_key(self, source: str, key: str) -> Ticket | None:
        return self.session.scalars(
            select(Ticket).where(Ticket.source == source, Ticket.key == key)
        ).first()

    def page(
        self,
        *,
        units: frozenset[int] | None,
        service_id: int | None,
        priority: str | None,
        team: str | None,
        source: str | None,
        opened_from: datetime | None,
        opened_before: datetime | None,
        after: int | None,
        limit: int,
    ) -> list[Ticket]:
        """Tickets in id order; ``units`` None means every ticket (global scope), otherwise
        only those of these units (tickets without a service are global-scope only)."""
        stmt = select(Ticket).order_by(Ticket.id).limit(limit)
        if units is not None:
            stmt = stmt.where(Ticket.business_unit_id.in_(units))
        if service_id is not None:
            stmt = stmt.where(Ticket.service_id == service_id)
        if priority is not None:
            stmt = stmt.where(Ticket.priority == priority)
        if team is not None:
            stmt = stmt.where(Ticket.team == team)
        if source is not None:
            stmt = stmt.where(Ticket.source == source)
        if opened_from is not None:
            stmt = stmt.where(Ticket.opened_at >= opened_from)
        if opened_before is not None:
            stmt = stmt.where(Ticket.opened_at < opened_before)
        if after is not None:
            stmt = stmt.where(Ticket.id > after)
        return list(self.session.scalars(stmt))


class TicketEventRepository(Repository[TicketEvent]):
    model = TicketEvent

    def existing(self, pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], TicketEvent]:
        wanted = sorted(set(pairs))
        if not wanted:
            return {}
        found: dict[tuple[int, str], TicketEvent] = {}
        for chunk in range(0, len(wanted), 500):
            part = wanted[chunk : chunk + 500]
            rows = self.session.scalars(
                select(TicketEvent).where(
                    tuple_(TicketEvent.ticket_id, TicketEvent.external_id).in_(part)
                )
            )
            found.update({(e.ticket_id, e.external_id): e for e in rows})
        return found

    def of_tickets(self, ticket_ids: Iterable[int]) -> list[TicketEvent]:
        """Events in replay order: by ticket, event time, then arrival."""
        wanted = [i for i in set(ticket_ids) if 0 < i <= MAX_ID]
        if not wanted:
            return []
        stmt = (
            select(TicketEvent)
            .where(self.member_of(TicketEvent.ticket_id, wanted))
            .order_by(TicketEvent.ticket_id, TicketEvent.occurred_at, TicketEvent.id)
        )
        return list(self.session.scalars(stmt))
