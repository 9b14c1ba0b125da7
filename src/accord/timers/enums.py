"""Enumerations of tickets and timers (no SQLAlchemy: pure modules use them too)."""

from __future__ import annotations

from enum import StrEnum

# One definition each: the agreement's ticket targets name these states and metrics.
from accord.agreements.enums import TargetMetric, TicketState

__all__ = ["IMPLIED_STATE", "EventKind", "TargetMetric", "TicketState", "TimerStatus"]


class EventKind(StrEnum):
    CREATED = "created"
    ASSIGNED = "assigned"
    """Taken on by a team (the first assignment; later ones are handoffs)."""
    HANDOFF = "handoff"
    """Passed from one team to another."""
    STATE_CHANGED = "state_changed"
    PRIORITY_CHANGED = "priority_changed"
    UPDATED = "updated"
    """Any other change of the fields carried (service, customer, request type, agreement)."""
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"


IMPLIED_STATE: dict[EventKind, TicketState] = {
    EventKind.CREATED: TicketState.NEW,
    EventKind.RESOLVED: TicketState.RESOLVED,
    EventKind.CLOSED: TicketState.CLOSED,
    EventKind.REOPENED: TicketState.IN_PROGRESS,
}
"""The state an event of this kind puts the ticket in when the event does not name one."""


class TimerStatus(StrEnum):
    NOT_STARTED = "not_started"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    """Met or breached for good (until a reopen resumes a resolution timer)."""
    CANCELLED = "cancelled"
    """Replaced by a new timer when the priority changed under the ``restart`` policy."""
