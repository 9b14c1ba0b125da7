"""Jira Service Management webhook bodies turned into Accord's generic ticket events
(`TicketEventIn`); docs/integrations/jira.md has the field mapping.

A body is what Jira posts for ``jira:issue_created`` and ``jira:issue_updated``: ``timestamp``
(epoch milliseconds), ``webhookEvent``, ``issue`` (``id``, ``key``, ``fields``) and, for an
update, ``changelog`` (``id`` and ``items``, each ``field``/``fieldId`` with ``fromString`` and
``toString``). A creation yields the created event from the issue's fields; an update yields one
event per changelog item of the status, the priority or the team field. A file may hold a list of
bodies.

Statuses and priorities are matched by name, ignoring case, against the defaults of the JSM IT
service management templates; callers add or replace names with ``status_map`` and
``priority_map``. The team is the Atlassian *Team* field and the customer the JSM *Organizations*
field; both are custom fields whose ids differ between sites (`JiraSiteFields`).

Event ids are derived from Jira's own ids (the issue's and the changelog's), so a body delivered
twice yields the same events. Any problem raises `InvalidInput` naming the field in the document;
nothing is returned for a partly valid document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, TypeVar

from accord.integrations import ticket_events
from accord.kit.errors import InvalidInput
from accord.timers.enums import EventKind, TicketState
from accord.timers.schemas import TicketEventIn

CREATED: Final = "jira:issue_created"
UPDATED: Final = "jira:issue_updated"

DEFAULT_STATUSES: Final[Mapping[str, TicketState]] = {
    "Waiting for support": TicketState.NEW,
    "Open": TicketState.NEW,
    "New": TicketState.NEW,
    "In Progress": TicketState.IN_PROGRESS,
    "Work in progress": TicketState.IN_PROGRESS,
    "Escalated": TicketState.IN_PROGRESS,
    "Waiting for customer": TicketState.AWAITING_CUSTOMER,
    "Pending": TicketState.ON_HOLD,
    "On hold": TicketState.ON_HOLD,
    "Waiting for vendor": TicketState.AWAITING_VENDOR,
    "Resolved": TicketState.RESOLVED,
    "Done": TicketState.RESOLVED,
    "Closed": TicketState.CLOSED,
    "Canceled": TicketState.CANCELLED,
    "Cancelled": TicketState.CANCELLED,
    "Declined": TicketState.CANCELLED,
}
"""Status names of the JSM IT service management workflows; names are compared ignoring case."""
DEFAULT_PRIORITIES: Final[Mapping[str, str]] = {
    "Highest": "P1",
    "High": "P2",
    "Medium": "P3",
    "Low": "P4",
    "Lowest": "P5",
}
"""`TicketEventIn.title` is at most 200 characters; longer summaries are cut, not refused, since
the title only labels the ticket."""

_SYSTEM_PREFIX = re.compile(r"^\[system\]\s*", re.IGNORECASE)


@dataclass(frozen=True)
class JiraSiteFields:
    """Where a site keeps what Accord reads from custom fields: their ids differ between sites
    (``GET /rest/api/3/field`` lists them)."""

    team: str = "customfield_10001"
    """The Atlassian Team field (or any field naming the team on the ticket)."""
    team_name: str = "Team"
    """The team field's name, as changelog items name it in ``field``."""
    organizations: str | None = "customfield_10002"
    """JSM Organizations: the first organization is the customer; None to send no customer."""
    request_type: str | None = None
    """None: the request type is the issue type (``Incident`` → ``incident``). A field id (JSM's
    Request Type, often ``customfield_10010``): its request type's name instead."""


DEFAULT_SITE_FIELDS: Final = JiraSiteFields()


def events_from_jira(
    document: object,
    *,
    status_map: Mapping[str, TicketState] | None = None,
    priority_map: Mapping[str, str] | None = None,
    site_fields: JiraSiteFields = DEFAULT_SITE_FIELDS,
) -> list[TicketEventIn]:
    """The ticket events of one webhook body or a list of them (see the module). The maps add to
    (or override) the default status and priority names; `InvalidInput` naming the field at fault
    otherwise, and then no events at all."""
    reader = _Reader(
        statuses=_folded({**DEFAULT_STATUSES, **(status_map or {})}),
        priorities=_folded({**DEFAULT_PRIORITIES, **(priority_map or {})}),
        site=site_fields,
    )
    if isinstance(document, list):
        return [
            event
            for index, body in enumerate(document)
            for event in reader.body(_Node.of(body, f"[{index}]"))
        ]
    return reader.body(_Node.of(document, ""))


_V = TypeVar("_V")


def _folded(names: Mapping[str, _V]) -> dict[str, _V]:
    return {name.casefold(): value for name, value in names.items()}


# ------------------------------------------------------------------------------ reading bodies


@dataclass(frozen=True)
class _Node:
    """An object of the body and its place in the document, so that errors name the field."""

    data: Mapping[str, object]
    path: str

    @classmethod
    def of(cls, value: object, path: str) -> _Node:
        if not isinstance(value, Mapping):
            raise InvalidInput.field(path or "document", "expected an object")
        return cls(value, path)

    def at(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def child(self, name: str) -> _Node | None:
        value = self.data.get(name)
        return None if value is None else _Node.of(value, self.at(name))

    def required_child(self, name: str) -> _Node:
        child = self.child(name)
        if child is None:
            raise InvalidInput.field(self.at(name), "required")
        return child

    def text(self, name: str) -> str | None:
        raw = self.data.get(name)
        if raw is None:
            return None
        if not isinstance(raw, str):
            raise InvalidInput.field(self.at(name), "expected text")
        return raw.strip() or None

    def required_text(self, name: str) -> str:
        text = self.text(name)
        if text is None:
            raise InvalidInput.field(self.at(name), "required")
        return text

    def identifier(self, name: str) -> str:
        """Jira's numeric ids arrive as strings from webhooks, as numbers from Automation."""
        raw = self.data.get(name)
        if isinstance(raw, int) and not isinstance(raw, bool):
            return str(raw)
        return self.required_text(name)

    def name_of(self, name: str) -> tuple[str, str] | None:
        """The name of an option-like value (``{"name"}``, a team's ``{"title"}``, a select list's
        ``{"value"}``, or plain text) and the path it was read at."""
        raw = self.data.get(name)
        if isinstance(raw, list):
            # Organizations and components are lists: the first one names the ticket's.
            if not raw:
                return None
            node = _Node.of(raw[0], f"{self.at(name)}[0]")
        elif isinstance(raw, str):
            return (raw.strip(), self.at(name)) if raw.strip() else None
        else:
            child = self.child(name)
            if child is None:
                return None
            node = child
        for key in ("name", "title", "value"):
            text = node.text(key)
            if text is not None:
                return text, node.at(key)
        raise InvalidInput.field(node.path, "expected a name")


def _instant(text: str, path: str) -> datetime:
    """Jira's ``2026-03-02T09:15:00.000+0100`` (offset without a colon), or ISO 8601."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or parsed.utcoffset() is None:
        raise InvalidInput.field(
            path, f"{text!r} is not a Jira date-time (e.g. 2026-03-02T09:15:00.000+0100)"
        )
    return parsed


def _epoch_ms(node: _Node, name: str) -> datetime:
    raw = node.data.get(name)
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
        raise InvalidInput.field(node.at(name), "expected epoch milliseconds")
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=raw)


def _request_type(name: str) -> str:
    """An issue type as a request type: ``[System] Service request`` → ``service_request``."""
    return ticket_events.slug(_SYSTEM_PREFIX.sub("", name)).replace("-", "_")


# ------------------------------------------------------------------------------ building events


@dataclass(frozen=True)
class _Reader:
    statuses: Mapping[str, TicketState]
    priorities: Mapping[str, str]
    site: JiraSiteFields

    def status(self, name: str, path: str) -> TicketState:
        state = self.statuses.get(name.casefold())
        if state is None:
            raise InvalidInput.field(
                path, f"unknown status {name!r}: map it to an Accord state with status_map"
            )
        return state

    def priority(self, name: str, path: str) -> str:
        code = self.priorities.get(name.casefold())
        if code is None:
            raise InvalidInput.field(
                path, f"unknown priority {name!r}: map it to a priority with priority_map"
            )
        return code

    def body(self, body: _Node) -> list[TicketEventIn]:
        event = body.required_text("webhookEvent")
        issue = body.required_child("issue")
        issue_id = issue.identifier("id")
        ticket = (issue.required_text("key"), issue.at("key"))
        if event == CREATED:
            return self.created(body, issue, issue_id, ticket, issue.required_child("fields"))
        if event == UPDATED:
            return self.updated(body, issue_id, ticket)
        raise InvalidInput.field(
            body.at("webhookEvent"),
            f"{event!r} carries no ticket events: send {CREATED} and {UPDATED} only",
        )

    def created(
        self, body: _Node, issue: _Node, issue_id: str, ticket: ticket_events.Sourced, fields: _Node
    ) -> list[TicketEventIn]:
        """Created in the status and with the fields the issue has (a creation's changelog, when
        there is one, repeats those fields)."""
        where = body.path or "document"
        opened = (
            _instant(fields.required_text("created"), fields.at("created")),
            fields.at("created"),
        )
        status = fields.required_child("status")
        status_path = status.at("name")
        state = self.status(status.required_text("name"), status_path)
        priority_named = fields.name_of("priority")
        priority = (self.priority(*priority_named), priority_named[1]) if priority_named else None
        team_named = fields.name_of(self.site.team)
        team = (ticket_events.slug(team_named[0]), team_named[1]) if team_named else None
        component = fields.name_of("components")
        organization = fields.name_of(self.site.organizations) if self.site.organizations else None
        if self.site.request_type is None:
            kind_named = fields.name_of("issuetype")
        else:
            request_type = fields.child(self.site.request_type)
            kind_named = request_type.name_of("requestType") if request_type else None
        summary = fields.text("summary")

        events = [
            ticket_events.event(
                where,
                id=(f"{issue_id}:created", issue.at("id")),
                ticket=ticket,
                kind=(EventKind.CREATED, body.at("webhookEvent")),
                occurred_at=opened,
                state=(TicketState.NEW, status_path),
                priority=priority,
                team=team,
                request_type=(_request_type(kind_named[0]), kind_named[1]) if kind_named else None,
                service=(ticket_events.slug(component[0]), component[1]) if component else None,
                customer=(ticket_events.slug(organization[0]), organization[1])
                if organization
                else None,
                title=(ticket_events.title(summary), fields.at("summary")),
            )
        ]
        if team is not None:
            events.append(
                ticket_events.event(
                    where,
                    id=(f"{issue_id}:assigned", issue.at("id")),
                    ticket=ticket,
                    kind=(EventKind.ASSIGNED, body.at("webhookEvent")),
                    occurred_at=opened,
                    team=team,
                )
            )
        if state is not TicketState.NEW:
            # Created straight into another status (an agent logging a call already worked on).
            events.append(
                ticket_events.event(
                    where,
                    id=(f"{issue_id}:created:{state.value}", issue.at("id")),
                    ticket=ticket,
                    kind=(ticket_events.move_kind(TicketState.NEW, state), status_path),
                    occurred_at=opened,
                    state=(state, status_path),
                )
            )
        return events

    def updated(
        self, body: _Node, issue_id: str, ticket: ticket_events.Sourced
    ) -> list[TicketEventIn]:
        changelog = body.child("changelog")
        if changelog is None:
            return []  # a comment or another update with no field changes
        raw_items = changelog.data.get("items")
        if raw_items is None:
            return []
        if not isinstance(raw_items, list):
            raise InvalidInput.field(changelog.at("items"), "expected a list")
        changelog_id = changelog.identifier("id")
        occurred = (_epoch_ms(body, "timestamp"), body.at("timestamp"))
        events: list[TicketEventIn] = []
        for index, raw in enumerate(raw_items):
            item = _Node.of(raw, f"{changelog.at('items')}[{index}]")
            field = (item.text("field") or "").casefold()
            field_id = item.text("fieldId")
            common: dict[str, ticket_events.Sourced | None] = {
                "id": (f"{issue_id}:{changelog_id}:{index}", changelog.at("id")),
                "ticket": ticket,
                "occurred_at": occurred,
            }
            if field == "status" or field_id == "status":
                after = self.status(item.required_text("toString"), item.at("toString"))
                before_name = item.text("fromString")
                before = self.status(before_name, item.at("fromString")) if before_name else None
                events.append(
                    ticket_events.event(
                        item.path,
                        kind=(ticket_events.move_kind(before, after), item.path),
                        state=(after, item.at("toString")),
                        **common,
                    )
                )
            elif field == "priority" or field_id == "priority":
                priority = self.priority(item.required_text("toString"), item.at("toString"))
                events.append(
                    ticket_events.event(
                        item.path,
                        kind=(EventKind.PRIORITY_CHANGED, item.path),
                        priority=(priority, item.at("toString")),
                        **common,
                    )
                )
            elif field_id == self.site.team or field == self.site.team_name.casefold():
                team = item.text("toString")
                if team is None:
                    continue  # the team was cleared: nobody to hand the ticket to
                kind = EventKind.HANDOFF if item.text("fromString") else EventKind.ASSIGNED
                events.append(
                    ticket_events.event(
                        item.path,
                        kind=(kind, item.path),
                        team=(ticket_events.slug(team), item.at("toString")),
                        **common,
                    )
                )
        return events
