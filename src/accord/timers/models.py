"""Tickets and their events. Timers are not stored: they are recomputed from the events (every
state change, hence every pause interval, is kept), so any figure can be explained and a
corrected event history or agreement gives corrected timers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.db.base import Base, HasId
from accord.db.types import Identifier, enum_type
from accord.timers.enums import EventKind, TicketState


class Ticket(HasId, Base):
    """A ticket of one ticketing source, with its current fields replayed from its events in
    event-time order (so events arriving out of order give the same row)."""

    __tablename__ = "ticket"
    __table_args__ = (
        UniqueConstraint("source", "key"),
        Index("ix_ticket_service_id_opened_at", "service_id", "opened_at"),
        Index("ix_ticket_business_unit_id", "business_unit_id"),
    )

    source: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(200), default=None)
    service_id: Mapped[int | None] = mapped_column(
        Identifier, ForeignKey("service.id"), default=None
    )
    business_unit_id: Mapped[int | None] = mapped_column(
        Identifier, ForeignKey("business_unit.id"), default=None
    )
    """The service's unit, which decides who may see the ticket (none: administrators only)."""
    customer_id: Mapped[int | None] = mapped_column(
        Identifier, ForeignKey("customer.id"), default=None
    )
    agreement_id: Mapped[int | None] = mapped_column(
        Identifier, ForeignKey("agreement.id"), default=None
    )
    """Named by the events; otherwise the SLA is found from service and customer."""
    request_type: Mapped[str | None] = mapped_column(String(64), default=None)
    priority: Mapped[str | None] = mapped_column(String(32), default=None)
    state: Mapped[TicketState | None] = mapped_column(enum_type(TicketState, "state"), default=None)
    team: Mapped[str | None] = mapped_column(String(64), default=None)
    opened_at: Mapped[datetime]
    """The created event's time (the earliest event's until the created event arrives)."""
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_event_at: Mapped[datetime]
    event_count: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime]
    """When the latest event arrived."""


class TicketEvent(HasId, Base):
    """One event as sent (fields left out are null: they keep the previous value)."""

    __tablename__ = "ticket_event"
    __table_args__ = (
        UniqueConstraint("ticket_id", "external_id"),
        Index("ix_ticket_event_ticket_id_occurred_at", "ticket_id", "occurred_at"),
    )

    ticket_id: Mapped[int] = mapped_column(Identifier, ForeignKey("ticket.id"))
    external_id: Mapped[str] = mapped_column(String(120))
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind, "kind"))
    occurred_at: Mapped[datetime]
    state: Mapped[TicketState | None] = mapped_column(enum_type(TicketState, "state"))
    priority: Mapped[str | None] = mapped_column(String(32))
    team: Mapped[str | None] = mapped_column(String(64))
    request_type: Mapped[str | None] = mapped_column(String(64))
    service: Mapped[str | None] = mapped_column(String(64))
    customer: Mapped[str | None] = mapped_column(String(64))
    agreement: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime]
