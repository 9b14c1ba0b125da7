"""Jira Service Management webhook bodies → generic ticket events: creation, changelog items,
site-specific field ids, status and priority maps, and refusals that name the field. The bodies
in data/ follow the shape Atlassian documents for ``jira:issue_created`` and
``jira:issue_updated`` (docs/integrations/jira.md)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from accord.integrations.jira.webhooks import JiraSiteFields, events_from_jira
from accord.kit.errors import InvalidInput
from accord.timers.enums import EventKind, TicketState
from accord.timers.schemas import TicketEventBatch, TicketEventIn

DATA = Path(__file__).parent / "data"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def timeline(
    events: list[TicketEventIn],
) -> list[tuple[str, EventKind, TicketState | None, str | None, str | None, datetime]]:
    return [(e.id, e.kind, e.state, e.team, e.priority, e.occurred_at) for e in events]


def refusal(document: object, **options: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        events_from_jira(document, **options)
    return caught.value


def created_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = load("issue_created.json")
    body["issue"]["fields"].update(fields)
    return body


def lifecycle_body(index: int) -> dict[str, Any]:
    body: dict[str, Any] = load("lifecycle.json")[index]
    return body


def item_of(index: int, item: int, **fields: Any) -> dict[str, Any]:
    body = lifecycle_body(index)
    body["changelog"]["items"][item].update(fields)
    return body


# ------------------------------------------------------------------------------ events


def test_a_whole_lifecycle() -> None:
    """Created, waiting for the customer, in progress, handed to another team, priority raised,
    resolved, reopened, resolved again, closed; the assignee and resolution items are skipped."""
    events = events_from_jira(load("lifecycle.json"))

    assert timeline(events) == [
        ("10388:created", EventKind.CREATED, TicketState.NEW, "payments-sre", "P3",
         utc("2026-03-09 09:00:00")),
        ("10388:assigned", EventKind.ASSIGNED, None, "payments-sre", None,
         utc("2026-03-09 09:00:00")),
        ("10388:20101:0", EventKind.STATE_CHANGED, TicketState.AWAITING_CUSTOMER, None, None,
         utc("2026-03-09 09:20:00")),
        ("10388:20102:0", EventKind.STATE_CHANGED, TicketState.IN_PROGRESS, None, None,
         utc("2026-03-09 10:05:00")),
        ("10388:20103:1", EventKind.HANDOFF, None, "core-banking-ops", None,
         utc("2026-03-09 10:30:00")),
        ("10388:20104:0", EventKind.PRIORITY_CHANGED, None, None, "P1",
         utc("2026-03-09 10:45:00")),
        ("10388:20105:1", EventKind.RESOLVED, TicketState.RESOLVED, None, None,
         utc("2026-03-09 12:10:00")),
        ("10388:20106:1", EventKind.REOPENED, TicketState.IN_PROGRESS, None, None,
         utc("2026-03-09 13:00:00")),
        ("10388:20107:1", EventKind.RESOLVED, TicketState.RESOLVED, None, None,
         utc("2026-03-09 15:30:00")),
        ("10388:20108:0", EventKind.CLOSED, TicketState.CLOSED, None, None,
         utc("2026-03-12 15:30:00")),
    ]  # fmt: skip
    assert {e.ticket for e in events} == {"SUP-57"}


def test_a_creation_carries_the_issue_fields() -> None:
    events = events_from_jira(load("issue_created.json"))

    created, assigned = events
    assert created.model_dump(exclude_none=True) == {
        "id": "10231:created",
        "ticket": "SUP-42",
        "kind": EventKind.CREATED,
        "occurred_at": utc("2026-03-02 08:15:00"),  # 09:15 at +0100
        "state": TicketState.NEW,
        "priority": "P2",
        "team": "payments-sre",
        "request_type": "incident",  # "[System] Incident"
        "service": "payments-api",  # the first component
        "customer": "acme-retail",  # the first organization
        "title": "Card payments declined at checkout",
    }
    assert (assigned.id, assigned.kind, assigned.team, assigned.occurred_at) == (
        "10231:assigned",
        EventKind.ASSIGNED,
        "payments-sre",
        utc("2026-03-02 08:15:00"),
    )


def test_a_creation_without_team_components_or_organizations() -> None:
    events = events_from_jira(
        created_body(customfield_10001=None, components=[], customfield_10002=[], priority=None)
    )

    assert [e.kind for e in events] == [EventKind.CREATED]
    assert (events[0].team, events[0].service, events[0].customer, events[0].priority) == (
        None,
        None,
        None,
        None,
    )


def test_created_straight_into_progress() -> None:
    body = created_body(status={"name": "In Progress", "id": "3"})

    events = events_from_jira(body)

    assert [(e.id, e.kind, e.state, e.occurred_at) for e in events] == [
        ("10231:created", EventKind.CREATED, TicketState.NEW, utc("2026-03-02 08:15:00")),
        ("10231:assigned", EventKind.ASSIGNED, None, utc("2026-03-02 08:15:00")),
        ("10231:created:in_progress", EventKind.STATE_CHANGED, TicketState.IN_PROGRESS,
         utc("2026-03-02 08:15:00")),
    ]  # fmt: skip


def test_the_request_type_can_come_from_the_jsm_request_type_field() -> None:
    site = JiraSiteFields(request_type="customfield_10010")

    created = events_from_jira(load("issue_created.json"), site_fields=site)[0]

    assert created.request_type == "report_a_system_problem"


def test_a_service_request_issue_type() -> None:
    body = created_body(issuetype={"name": "[System] Service request", "id": "10005"})

    assert events_from_jira(body)[0].request_type == "service_request"


def test_another_team_field() -> None:
    """A site that names the team in a select list of its own."""
    site = JiraSiteFields(team="customfield_10050", team_name="Assignment group")
    created = created_body(customfield_10050={"value": "Card Services", "id": "10421"})
    updated = lifecycle_body(3)
    updated["changelog"]["items"] = [
        {"field": "Team", "fieldId": "customfield_10001", "fromString": "A", "toString": "B"},
        {
            "field": "Assignment group",
            "fieldtype": "custom",
            "fieldId": "customfield_10050",
            "from": "10421",
            "fromString": "Card Services",
            "to": "10422",
            "toString": "Fraud Operations",
        },
    ]

    events = events_from_jira([created, updated], site_fields=site)

    assert [(e.kind, e.team) for e in events if e.team] == [
        (EventKind.CREATED, "card-services"),
        (EventKind.ASSIGNED, "card-services"),
        (EventKind.HANDOFF, "fraud-operations"),
    ]


def test_a_first_team_is_an_assignment_and_a_cleared_team_no_event() -> None:
    body = lifecycle_body(3)
    body["changelog"]["items"] = [
        {"field": "Team", "fieldId": "customfield_10001", "fromString": None, "toString": "Ops"},
        {"field": "Team", "fieldId": "customfield_10001", "fromString": "Ops", "toString": None},
    ]

    events = events_from_jira(body)

    assert [(e.id, e.kind, e.team) for e in events] == [
        ("10388:20103:0", EventKind.ASSIGNED, "ops")
    ]


def test_status_and_priority_maps_add_to_the_defaults() -> None:
    body = lifecycle_body(1)
    body["changelog"]["items"][0]["toString"] = "Waiting for approval"
    raised = lifecycle_body(4)
    raised["changelog"]["items"][0]["toString"] = "Blocker"

    events = events_from_jira(
        [body, raised],
        status_map={"waiting for APPROVAL": TicketState.ON_HOLD},
        priority_map={"Blocker": "P0"},
    )

    assert [(e.kind, e.state, e.priority) for e in events] == [
        (EventKind.STATE_CHANGED, TicketState.ON_HOLD, None),
        (EventKind.PRIORITY_CHANGED, None, "P0"),
    ]


def test_a_status_map_overrides_a_default_and_names_match_ignoring_case() -> None:
    body = lifecycle_body(1)
    body["changelog"]["items"][0]["toString"] = "WAITING FOR CUSTOMER"

    default = events_from_jira(copy.deepcopy(body))
    overridden = events_from_jira(body, status_map={"Waiting for customer": TicketState.ON_HOLD})

    assert [e.state for e in default] == [TicketState.AWAITING_CUSTOMER]
    assert [e.state for e in overridden] == [TicketState.ON_HOLD]


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("Waiting for support", TicketState.NEW),
        ("Open", TicketState.NEW),
        ("New", TicketState.NEW),
        ("Work in progress", TicketState.IN_PROGRESS),
        ("Escalated", TicketState.IN_PROGRESS),
        ("Pending", TicketState.ON_HOLD),
        ("On hold", TicketState.ON_HOLD),
        ("Waiting for vendor", TicketState.AWAITING_VENDOR),
        ("Done", TicketState.RESOLVED),
        ("Canceled", TicketState.CANCELLED),
        ("Cancelled", TicketState.CANCELLED),
        ("Declined", TicketState.CANCELLED),
    ],
)
def test_default_statuses(status: str, state: TicketState) -> None:
    body = item_of(2, 0, toString=status)

    assert [e.state for e in events_from_jira(body)] == [state]


@pytest.mark.parametrize(
    ("name", "code"),
    [("Highest", "P1"), ("High", "P2"), ("Medium", "P3"), ("Low", "P4"), ("Lowest", "P5")],
)
def test_default_priorities(name: str, code: str) -> None:
    assert events_from_jira(item_of(4, 0, toString=name))[0].priority == code


def test_leaving_cancelled_is_a_change_of_state_not_a_reopening() -> None:
    body = item_of(6, 1, fromString="Declined", toString="Waiting for support")

    assert [(e.kind, e.state) for e in events_from_jira(body)] == [
        (EventKind.STATE_CHANGED, TicketState.NEW)
    ]


def test_updates_without_a_changelog_give_no_events() -> None:
    commented = lifecycle_body(2) | {"issue_event_type_name": "issue_commented"}
    del commented["changelog"]

    assert events_from_jira(commented) == []
    assert events_from_jira(lifecycle_body(2) | {"changelog": {"id": "1", "items": []}}) == []


def test_a_body_delivered_twice_gives_the_same_ids() -> None:
    first = events_from_jira(load("lifecycle.json"))
    again = events_from_jira(load("lifecycle.json"))

    assert [e.id for e in first] == [e.id for e in again]
    assert len({e.id for e in first}) == len(first)


def test_automation_bodies_with_numeric_ids() -> None:
    body = lifecycle_body(4)
    body["issue"]["id"] = 10388
    body["changelog"]["id"] = 20104

    assert [e.id for e in events_from_jira(body)] == ["10388:20104:0"]


def test_every_event_goes_through_the_generic_endpoint_unchanged() -> None:
    """What the adapter produces is what `POST /api/v1/tickets/events` accepts, as JSON."""
    for name in ("issue_created.json", "lifecycle.json"):
        events = events_from_jira(load(name))
        batch = TicketEventBatch(source="jsm-cloud", events=events)
        assert TicketEventBatch.model_validate_json(batch.model_dump_json()).events == events


# ------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("document", "field", "message"),
    [
        (item_of(2, 0, toString="Triage"), "changelog.items[0].toString", "unknown status"),
        (item_of(2, 0, fromString="Triage"), "changelog.items[0].fromString", "unknown status"),
        (created_body(status={"name": "Triage"}), "issue.fields.status.name", "unknown status"),
        (created_body(status=None), "issue.fields.status", "required"),
        (item_of(4, 0, toString="Urgent"), "changelog.items[0].toString", "unknown priority"),
        (created_body(priority={"name": "Urgent"}), "issue.fields.priority.name",
         "unknown priority"),
        (created_body(created="2026-03-02 09:15"), "issue.fields.created",
         "not a Jira date-time"),
        (created_body(created="2026-03-02T09:15:00.000"), "issue.fields.created",
         "not a Jira date-time"),
        (created_body(created=None), "issue.fields.created", "required"),
        (lifecycle_body(1) | {"timestamp": "1773047200000"}, "timestamp",
         "expected epoch milliseconds"),
        (lifecycle_body(0) | {"webhookEvent": "comment_created"}, "webhookEvent",
         "send jira:issue_created and jira:issue_updated only"),
        (lifecycle_body(1) | {"issue": None}, "issue", "required"),
        (created_body(customfield_10001={"name": "—"}), "issue.fields.customfield_10001.name",
         "at least 2"),
        (created_body(customfield_10001={"id": "36885b3c"}), "issue.fields.customfield_10001",
         "expected a name"),
        (created_body(summary=["not", "text"]), "issue.fields.summary", "expected text"),
        ("not a body", "document", "expected an object"),
        ([lifecycle_body(0), 7], "[1]", "expected an object"),
    ],
)  # fmt: skip
def test_bad_bodies_are_refused_at_the_field(document: object, field: str, message: str) -> None:
    error = refusal(document)

    assert error.problems[0].field == field
    assert message in error.problems[0].message
    assert error.detail.startswith(f"{field}: ")


def test_a_missing_key_is_refused() -> None:
    body = load("issue_created.json")
    del body["issue"]["key"]

    assert refusal(body).problems[0].field == "issue.key"


def test_one_bad_body_refuses_the_whole_list() -> None:
    """All or nothing: the eight good bodies before the bad one give no events either."""
    bodies = load("lifecycle.json")
    assert len(events_from_jira(copy.deepcopy(bodies))) == 10
    bodies[-1]["changelog"]["items"][0]["toString"] = "Archived"

    error = refusal(bodies)

    assert [(p.field, p.message) for p in error.problems] == [
        (
            "[8].changelog.items[0].toString",
            "unknown status 'Archived': map it to an Accord state with status_map",
        )
    ]
