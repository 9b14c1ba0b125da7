"""ServiceNow incidents turned into Accord's generic ticket events (`TicketEventIn`).

Two documents are read (docs/integrations/servicenow.md has the field mapping):

- A Table API answer or an export of the ``incident`` table: ``{"result": [record, ...]}``,
  ``{"result": record}`` or a bare list of records. A record is a *snapshot*: it yields the events
  its fields prove (created and assigned at ``opened_at``, resolved at ``resolved_at``, closed at
  ``closed_at``) plus one event at ``sys_updated_on`` when the current state is not explained by
  those. Pauses that already ended leave no trace in a snapshot.
- A webhook body posted by a Business Rule, Accord's own shape since ServiceNow has no standard
  one: ``{"event_id", "operation"?, "incident": record, "changes": [{"field", "from", "to",
  "at"}]}``. An insert yields the record's snapshot events; an update yields one event per change
  of ``state``, ``hold_reason``, ``priority`` or ``assignment_group``.

Records use ServiceNow's field names, with plain values or the ``{"display_value", "value"}``
objects of ``sysparm_display_value=all``: codes and dates are read from ``value`` (dates are UTC
there), reference names (groups, services, companies) from ``display_value``.

Every event id is derived from the record (``sys_id``) or the webhook (``event_id``), never drawn
at random, so that sending the same export or body twice is harmless. Any problem raises
`InvalidInput` naming the field in the document; nothing is returned for a partly valid document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from accord.integrations import ticket_events
from accord.kit.errors import InvalidInput
from accord.timers.enums import EventKind, TicketState
from accord.timers.schemas import TicketEventIn

STATES: Final[Mapping[str, TicketState]] = {
    "1": TicketState.NEW,
    "2": TicketState.IN_PROGRESS,
    "3": TicketState.ON_HOLD,
    "6": TicketState.RESOLVED,
    "7": TicketState.CLOSED,
    "8": TicketState.CANCELLED,
}
"""The ``state`` codes of the incident state model shipped since Helsinki."""
ON_HOLD: Final = "3"
HOLD_REASONS: Final[Mapping[str, TicketState]] = {
    "1": TicketState.AWAITING_CUSTOMER,  # Awaiting Caller
    "4": TicketState.AWAITING_VENDOR,  # Awaiting Vendor
}
"""``hold_reason`` codes with a state of their own; other reasons (Awaiting Problem, Awaiting
Change, custom ones) are plain ``on_hold``."""
PRIORITIES: Final[Mapping[str, str]] = {"1": "P1", "2": "P2", "3": "P3", "4": "P4", "5": "P5"}
"""``priority`` codes (1 - Critical … 5 - Planning) to the priorities agreements name."""
REQUEST_TYPE: Final = "incident"
"""`TicketEventIn.title` is at most 200 characters; longer short descriptions are cut, not
refused, since the title only labels the ticket."""

_TABLE_API_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_SYS_ID = re.compile(r"[0-9a-f]{32}")
_TRACKED = frozenset({"state", "hold_reason", "priority", "assignment_group"})
"""The change fields that make events; a Business Rule may send others, which are skipped."""


def events_from_servicenow(document: object) -> list[TicketEventIn]:
    """The ticket events of a Table API answer, an export or a webhook body (see the module);
    `InvalidInput` naming the field at fault otherwise, and then no events at all."""
    if isinstance(document, Mapping):
        if "result" in document:
            result = document["result"]
            if isinstance(result, Mapping):
                return _snapshot(_Record(result, "result"))
            if isinstance(result, list):
                return [
                    event
                    for index, record in enumerate(result)
                    for event in _snapshot(_Record.of(record, f"result[{index}]"))
                ]
            raise InvalidInput.field("result", "expected a list of incident records")
        if _is_webhook(document):
            return _webhook(document, "")
    elif isinstance(document, list):
        events: list[TicketEventIn] = []
        for index, item in enumerate(document):
            path = f"[{index}]"
            if isinstance(item, Mapping) and _is_webhook(item):
                events += _webhook(item, path)
            else:
                events += _snapshot(_Record.of(item, path))
        return events
    raise InvalidInput.field(
        "document",
        'expected {"result": [incident records]}, a list of incident records or a webhook body '
        '{"event_id", "incident", "changes"}',
    )


# ------------------------------------------------------------------------------ reading records


@dataclass(frozen=True)
class _Record:
    """A record (or a change) and its place in the document, so that errors name the field."""

    data: Mapping[str, object]
    path: str

    @classmethod
    def of(cls, value: object, path: str) -> _Record:
        if not isinstance(value, Mapping):
            raise InvalidInput.field(path or "document", "expected an object")
        return cls(value, path)

    def at(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def value(self, name: str) -> str | None:
        """The stored value: choice codes (``"2"``, not ``"In Progress"``) and UTC dates."""
        raw = self.data.get(name)
        if isinstance(raw, Mapping):
            raw = raw.get("value")
        return _text(raw, self.at(name))

    def required(self, name: str) -> str:
        text = self.value(name)
        if text is None:
            raise InvalidInput.field(self.at(name), "required")
        return text

    def display(self, name: str) -> str | None:
        """A reference's display name: the group, service or company as people name it."""
        raw = self.data.get(name)
        path = self.at(name)
        if isinstance(raw, Mapping):
            shown = _text(raw.get("display_value"), path)
            if shown is None and _text(raw.get("value"), path) is not None:
                raise _unnamed_reference(path)
            return shown
        text = _text(raw, path)
        # A bare sys_id is what sysparm_display_value=false sends for a reference: slugging it
        # would give a team code nobody recognises.
        if text is not None and _SYS_ID.fullmatch(text):
            raise _unnamed_reference(path)
        return text

    def instant(self, name: str) -> datetime | None:
        text = self.value(name)
        return None if text is None else _instant(text, self.at(name))

    def required_instant(self, name: str) -> datetime:
        return _instant(self.required(name), self.at(name))


def _text(raw: object, path: str) -> str | None:
    """ServiceNow sends empty fields as ``""``; they count as absent."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InvalidInput.field(path, "expected text")
    return raw.strip() or None


def _unnamed_reference(path: str) -> InvalidInput:
    return InvalidInput.field(
        path, "a reference without its display name: export with sysparm_display_value=all"
    )


def _instant(text: str, path: str) -> datetime:
    """The Table API's ``YYYY-MM-DD HH:MM:SS`` (UTC), or ISO 8601 with its offset."""
    if _TABLE_API_DATETIME.fullmatch(text):
        return datetime.strptime(text + "+0000", "%Y-%m-%d %H:%M:%S%z")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or parsed.utcoffset() is None:
        raise InvalidInput.field(
            path,
            f"{text!r} is not a ServiceNow date-time (YYYY-MM-DD HH:MM:SS in UTC, or ISO 8601 "
            "with its offset)",
        )
    return parsed


def _stamp(instant: datetime) -> str:
    """The instant in event ids: UTC to the second, so re-exports give the same text."""
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _priority(text: str, path: str) -> str:
    code = text.split("-", 1)[0].strip()
    if code not in PRIORITIES:
        raise InvalidInput.field(
            path, f"{text!r} is not a ServiceNow priority (1 - Critical … 5 - Planning)"
        )
    return PRIORITIES[code]


def _state(code: str, hold_reason: str | None, path: str) -> TicketState:
    if code not in STATES:
        raise InvalidInput.field(
            path,
            f"{code!r} is not an incident state code (1 New, 2 In Progress, 3 On Hold, "
            "6 Resolved, 7 Closed, 8 Canceled)",
        )
    if code == ON_HOLD:
        return HOLD_REASONS.get(hold_reason or "", TicketState.ON_HOLD)
    return STATES[code]


# ------------------------------------------------------------------------------ building events


def _snapshot(record: _Record) -> list[TicketEventIn]:
    """The events a record proves, with ids that only change when the record does."""
    sys_id = record.required("sys_id")
    ticket = (record.required("number"), record.at("number"))
    opened = (record.required_instant("opened_at"), record.at("opened_at"))
    state = _state(record.required("state"), record.value("hold_reason"), record.at("state"))
    priority_text = record.value("priority")
    priority = _priority(priority_text, record.at("priority")) if priority_text else None
    group = record.display("assignment_group")
    team = (ticket_events.slug(group), record.at("assignment_group")) if group else None
    service_field = "u_service" if record.display("u_service") else "business_service"
    service_name = record.display(service_field)
    company = record.display("company")
    resolved_at = record.instant("resolved_at")
    closed_at = record.instant("closed_at")
    updated_at = record.instant("sys_updated_on")  # read even when unused: bad dates are refused
    where = record.path or "document"

    events = [
        ticket_events.event(
            where,
            id=(f"{sys_id}:created", record.at("sys_id")),
            ticket=ticket,
            kind=(EventKind.CREATED, where),
            occurred_at=opened,
            state=(TicketState.NEW, record.at("state")),
            priority=(priority, record.at("priority")),
            team=team,
            request_type=(REQUEST_TYPE, where),
            service=(ticket_events.slug(service_name), record.at(service_field))
            if service_name
            else None,
            customer=(ticket_events.slug(company), record.at("company")) if company else None,
            title=(
                ticket_events.title(record.value("short_description")),
                record.at("short_description"),
            ),
        )
    ]
    if team is not None:
        events.append(
            ticket_events.event(
                where,
                id=(f"{sys_id}:assigned", record.at("sys_id")),
                ticket=ticket,
                kind=(EventKind.ASSIGNED, where),
                occurred_at=opened,
                team=team,
            )
        )

    def moved(to: TicketState, kind: EventKind, at: datetime, at_field: str) -> None:
        events.append(
            ticket_events.event(
                where,
                id=(f"{sys_id}:{to.value}:{_stamp(at)}", record.at("sys_id")),
                ticket=ticket,
                kind=(kind, record.at("state")),
                occurred_at=(at, record.at(at_field)),
                state=(to, record.at("state")),
            )
        )

    implied = TicketState.NEW
    if resolved_at is not None:
        moved(TicketState.RESOLVED, EventKind.RESOLVED, resolved_at, "resolved_at")
        implied = TicketState.RESOLVED
    if state is TicketState.CANCELLED and closed_at is not None:
        # A cancellation stamps closed_at too, but it ends the ticket as cancelled, not closed.
        moved(state, EventKind.STATE_CHANGED, closed_at, "closed_at")
        implied = state
    elif closed_at is not None:
        moved(TicketState.CLOSED, EventKind.CLOSED, closed_at, "closed_at")
        implied = TicketState.CLOSED
    if state is not implied:
        # The record does not say when it got there: its last update is the best bound there is.
        if updated_at is None:
            raise InvalidInput.field(
                record.at("sys_updated_on"), f"required for a record in state {state.value}"
            )
        moved(state, ticket_events.move_kind(implied, state), updated_at, "sys_updated_on")
    return events


# ------------------------------------------------------------------------------ webhook bodies


def _is_webhook(document: Mapping[str, object]) -> bool:
    return "incident" in document and "event_id" in document


def _webhook(body: Mapping[str, object], path: str) -> list[TicketEventIn]:
    envelope = _Record(body, path)
    event_id = envelope.required("event_id")
    record = _Record.of(body.get("incident"), envelope.at("incident"))
    operation = envelope.value("operation") or "update"
    if operation == "insert":
        return _snapshot(record)
    if operation != "update":
        raise InvalidInput.field(envelope.at("operation"), "expected insert or update")
    raw_changes = body.get("changes")
    if raw_changes is None:
        return []
    if not isinstance(raw_changes, list):
        raise InvalidInput.field(envelope.at("changes"), "expected a list of changes")
    changes = [
        _Record.of(change, f"{envelope.at('changes')}[{index}]")
        for index, change in enumerate(raw_changes)
    ]
    fields = {change.required("field"): change for change in changes}
    ticket = (record.required("number"), record.at("number"))

    events: list[TicketEventIn] = []
    for index, change in enumerate(changes):
        field = change.required("field")
        if field not in _TRACKED:
            continue
        at_text = change.value("at")
        occurred = (
            (_instant(at_text, change.at("at")), change.at("at"))
            if at_text is not None
            else (record.required_instant("sys_updated_on"), record.at("sys_updated_on"))
        )
        common: dict[str, ticket_events.Sourced | None] = {
            "id": (f"{event_id}:{index}", envelope.at("event_id")),
            "ticket": ticket,
            "occurred_at": occurred,
        }
        if field == "state":
            # The hold reason set with the move (or, failing that, the record's) says what the
            # ticket waits for.
            hold = fields.get("hold_reason")
            reason = hold.value("to") if hold else record.value("hold_reason")
            after = _state(change.required("to"), reason, change.at("to"))
            before_code = change.value("from")
            before = _state(before_code, None, change.at("from")) if before_code else None
            kind = ticket_events.move_kind(before, after)
            state_pair = (after, change.at("to"))
            events.append(
                ticket_events.event(
                    change.path, kind=(kind, change.path), state=state_pair, **common
                )
            )
        elif field == "hold_reason":
            # A new reason while staying on hold (caller → vendor) is a change of state here.
            if "state" in fields or record.value("state") != ON_HOLD:
                continue
            after = _state(ON_HOLD, change.value("to"), change.at("to"))
            events.append(
                ticket_events.event(
                    change.path,
                    kind=(EventKind.STATE_CHANGED, change.path),
                    state=(after, change.at("to")),
                    **common,
                )
            )
        elif field == "priority":
            priority = _priority(change.required("to"), change.at("to"))
            events.append(
                ticket_events.event(
                    change.path,
                    kind=(EventKind.PRIORITY_CHANGED, change.path),
                    priority=(priority, change.at("to")),
                    **common,
                )
            )
        else:
            group = change.display("to")
            if group is None:
                continue  # left without a group: no team to hand the ticket to
            kind = EventKind.HANDOFF if change.display("from") else EventKind.ASSIGNED
            events.append(
                ticket_events.event(
                    change.path,
                    kind=(kind, change.path),
                    team=(ticket_events.slug(group), change.at("to")),
                    **common,
                )
            )
    return events
