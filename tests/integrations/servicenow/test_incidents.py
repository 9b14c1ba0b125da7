"""ServiceNow incidents → generic ticket events: Table API answers (``sysparm_display_value=all``
and plain values), Business Rule webhook bodies, deterministic ids and refusals that name the
field. The payloads in data/ follow the shapes ServiceNow documents for the Table API and the
webhook shape Accord defines (docs/integrations/servicenow.md)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from accord.integrations.servicenow.incidents import events_from_servicenow
from accord.kit.errors import InvalidInput
from accord.timers.enums import EventKind, TicketState
from accord.timers.schemas import TicketEventBatch, TicketEventIn

DATA = Path(__file__).parent / "data"
DATA_FILES = sorted(path.name for path in DATA.glob("*.json"))


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def timeline(
    events: list[TicketEventIn],
) -> list[tuple[str, EventKind, TicketState | None, str | None, str | None, datetime]]:
    return [(e.id, e.kind, e.state, e.team, e.priority, e.occurred_at) for e in events]


def refusal(document: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        events_from_servicenow(document)
    return caught.value


# ------------------------------------------------------------------------------ webhooks


def test_a_whole_lifecycle_from_webhook_bodies() -> None:
    events = events_from_servicenow(load("webhook_lifecycle.json"))

    sys_id = "f12ca184735123002728660c4cf6a7ef"
    body = "3b0e1c2a9f7d4e61a5c8d2e4f6a8b0"
    assert timeline(events) == [
        (f"{sys_id}:created", EventKind.CREATED, TicketState.NEW, "service-desk", "P3",
         utc("2026-03-16 08:00:00")),
        (f"{sys_id}:assigned", EventKind.ASSIGNED, None, "service-desk", None,
         utc("2026-03-16 08:00:00")),
        (f"{body}02:0", EventKind.STATE_CHANGED, TicketState.AWAITING_CUSTOMER, None, None,
         utc("2026-03-16 08:20:00")),
        (f"{body}03:0", EventKind.STATE_CHANGED, TicketState.IN_PROGRESS, None, None,
         utc("2026-03-16 09:05:00")),
        (f"{body}04:0", EventKind.HANDOFF, None, "payments-engineering", None,
         utc("2026-03-16 09:30:00")),
        (f"{body}05:0", EventKind.PRIORITY_CHANGED, None, None, "P2",
         utc("2026-03-16 09:45:00")),
        (f"{body}06:0", EventKind.RESOLVED, TicketState.RESOLVED, None, None,
         utc("2026-03-16 11:10:00")),
        (f"{body}07:0", EventKind.REOPENED, TicketState.IN_PROGRESS, None, None,
         utc("2026-03-16 12:00:00")),
        (f"{body}08:0", EventKind.RESOLVED, TicketState.RESOLVED, None, None,
         utc("2026-03-16 14:30:00")),
        (f"{body}09:0", EventKind.CLOSED, TicketState.CLOSED, None, None,
         utc("2026-03-19 14:30:00")),
    ]  # fmt: skip
    assert {e.ticket for e in events} == {"INC0030042"}
    created = events[0]
    assert (created.request_type, created.service, created.customer, created.title) == (
        "incident",
        "payments-api",
        "acme-retail",
        "Settlement file rejected by the clearing house",
    )


def test_an_insert_body_and_an_export_of_the_record_give_the_same_events() -> None:
    """A ticket seen first by webhook and later in an export is not counted twice."""
    insert = load("webhook_lifecycle.json")[0]
    assert insert["operation"] == "insert"

    from_webhook = events_from_servicenow(insert)
    from_export = events_from_servicenow({"result": [insert["incident"]]})

    assert [e.id for e in from_webhook] == [
        "f12ca184735123002728660c4cf6a7ef:created",
        "f12ca184735123002728660c4cf6a7ef:assigned",
    ]
    assert from_export == from_webhook


def test_a_new_hold_reason_while_on_hold_is_a_change_of_state() -> None:
    """Caller → vendor without leaving On Hold; the work note in the same body is skipped."""
    events = events_from_servicenow(load("webhook_vendor_hold.json"))

    assert timeline(events) == [
        ("c4d5e6f708192a3b4c5d6e7f8091a2b3:0", EventKind.STATE_CHANGED,
         TicketState.AWAITING_VENDOR, None, None, utc("2026-03-17 10:05:00")),
    ]  # fmt: skip


def webhook(changes: list[dict[str, Any]], **incident: Any) -> dict[str, Any]:
    record = load("webhook_vendor_hold.json")["incident"] | incident
    return {"event_id": "evt-1", "incident": record, "changes": changes}


def test_webhook_changes_first_group_unassigned_and_untimed() -> None:
    events = events_from_servicenow(
        webhook(
            [
                {"field": "assignment_group", "from": "", "to": "Network Operations"},
                {"field": "assignment_group", "from": "Network Operations", "to": ""},
                {"field": "state", "from": "1", "to": "8", "at": "2026-03-17T11:00:00+01:00"},
                {"field": "short_description", "from": "a", "to": "b"},
            ],
            sys_updated_on="2026-03-17 10:30:00",
        )
    )

    assert timeline(events) == [
        ("evt-1:0", EventKind.ASSIGNED, None, "network-operations", None,
         utc("2026-03-17 10:30:00")),
        ("evt-1:2", EventKind.STATE_CHANGED, TicketState.CANCELLED, None, None,
         utc("2026-03-17 10:00:00")),
    ]  # fmt: skip


def test_moving_onto_hold_takes_the_reason_from_the_record_when_the_body_has_none() -> None:
    events = events_from_servicenow(
        webhook([{"field": "state", "from": "2", "to": "3"}], state="3", hold_reason="5")
    )

    assert [(e.kind, e.state) for e in events] == [(EventKind.STATE_CHANGED, TicketState.ON_HOLD)]


def test_an_update_body_without_changes_gives_no_events() -> None:
    body = webhook([])
    del body["changes"]

    assert events_from_servicenow(body) == []
    assert events_from_servicenow(webhook([])) == []


# ------------------------------------------------------------------------------ exports


def test_display_value_all_records_read_codes_and_utc_dates_from_value() -> None:
    """``display_value`` dates are in the exporting user's time zone (an hour ahead here) and
    reference values are sys_ids: dates and codes come from ``value``, names from
    ``display_value``."""
    events = events_from_servicenow(load("table_api_display_all.json"))

    closed, on_hold, new = (
        "9d385017c611228701d22104cc95c371",
        "46b66a40a9fe198101f243dfbc6ff8ac",
        "e8caedcbc0a80164017df472f39eaed1",
    )
    assert timeline(events) == [
        (f"{closed}:created", EventKind.CREATED, TicketState.NEW, "service-desk", "P2",
         utc("2026-03-02 09:15:00")),
        (f"{closed}:assigned", EventKind.ASSIGNED, None, "service-desk", None,
         utc("2026-03-02 09:15:00")),
        (f"{closed}:resolved:2026-03-02T13:40:00Z", EventKind.RESOLVED, TicketState.RESOLVED,
         None, None, utc("2026-03-02 13:40:00")),
        (f"{closed}:closed:2026-03-05T14:00:00Z", EventKind.CLOSED, TicketState.CLOSED, None,
         None, utc("2026-03-05 14:00:00")),
        (f"{on_hold}:created", EventKind.CREATED, TicketState.NEW, "network-operations", "P1",
         utc("2026-03-03 07:02:11")),
        (f"{on_hold}:assigned", EventKind.ASSIGNED, None, "network-operations", None,
         utc("2026-03-03 07:02:11")),
        (f"{on_hold}:awaiting_vendor:2026-03-03T10:47:30Z", EventKind.STATE_CHANGED,
         TicketState.AWAITING_VENDOR, None, None, utc("2026-03-03 10:47:30")),
        (f"{new}:created", EventKind.CREATED, TicketState.NEW, None, "P4",
         utc("2026-03-04 16:30:00")),
    ]  # fmt: skip
    created = [e for e in events if e.kind is EventKind.CREATED]
    assert [(e.ticket, e.service, e.customer, e.request_type) for e in created] == [
        ("INC0010101", "payments-api", "acme-retail", "incident"),
        ("INC0010102", "core-network", "acme-retail", "incident"),  # from u_service
        ("INC0010103", None, None, "incident"),
    ]


def test_a_plain_export_reopened_cancelled_and_awaiting_the_caller() -> None:
    events = events_from_servicenow(load("table_api_export.json"))

    reopened, cancelled, waiting = (
        "1c741bd70b2322007518478d83673af3",
        "57af7aec73d423002728660c4cf6a71c",
        "a9e30c7dc61122760116894de7bcc7bd",
    )
    assert timeline(events) == [
        (f"{reopened}:created", EventKind.CREATED, TicketState.NEW, "payments-engineering",
         "P3", utc("2026-03-09 07:45:00")),
        (f"{reopened}:assigned", EventKind.ASSIGNED, None, "payments-engineering", None,
         utc("2026-03-09 07:45:00")),
        (f"{reopened}:resolved:2026-03-09T15:00:00Z", EventKind.RESOLVED, TicketState.RESOLVED,
         None, None, utc("2026-03-09 15:00:00")),
        # Still resolved_at, yet In Progress: reopened, at the last update (the best bound).
        (f"{reopened}:in_progress:2026-03-10T16:20:00Z", EventKind.REOPENED,
         TicketState.IN_PROGRESS, None, None, utc("2026-03-10 16:20:00")),
        (f"{cancelled}:created", EventKind.CREATED, TicketState.NEW, "service-desk", "P5",
         utc("2026-03-09 09:00:00")),
        (f"{cancelled}:assigned", EventKind.ASSIGNED, None, "service-desk", None,
         utc("2026-03-09 09:00:00")),
        # Canceled stamps closed_at but ends the ticket cancelled, not closed.
        (f"{cancelled}:cancelled:2026-03-09T09:40:00Z", EventKind.STATE_CHANGED,
         TicketState.CANCELLED, None, None, utc("2026-03-09 09:40:00")),
        (f"{waiting}:created", EventKind.CREATED, TicketState.NEW, "zurich-service-desk", "P2",
         utc("2026-03-10 07:00:00")),
        (f"{waiting}:assigned", EventKind.ASSIGNED, None, "zurich-service-desk", None,
         utc("2026-03-10 07:00:00")),
        (f"{waiting}:awaiting_customer:2026-03-10T09:12:00Z", EventKind.STATE_CHANGED,
         TicketState.AWAITING_CUSTOMER, None, None, utc("2026-03-10 09:12:00")),
    ]  # fmt: skip
    assert events[-3].title == "Customer cannot log in after password reset"
    assert events[-3].service == "online-banking"


def test_exporting_twice_gives_the_same_ids() -> None:
    first = events_from_servicenow(load("table_api_export.json"))
    second = events_from_servicenow(load("table_api_export.json"))

    assert [e.id for e in first] == [e.id for e in second]
    assert first == second
    assert len({e.id for e in first}) == len(first)


def test_a_later_export_keeps_the_ids_of_what_did_not_change() -> None:
    """Re-exported after being resolved: the creation keeps its id (a duplicate to ignore), the
    resolution is new."""
    earlier = load("table_api_export.json")["result"][2]
    later = earlier | {
        "state": "6",
        "hold_reason": "",
        "resolved_at": "2026-03-10 12:00:00",
        "sys_updated_on": "2026-03-10 12:00:00",
    }

    before = {e.id for e in events_from_servicenow([earlier])}
    after = {e.id for e in events_from_servicenow([later])}

    sys_id = "a9e30c7dc61122760116894de7bcc7bd"
    assert before & after == {f"{sys_id}:created", f"{sys_id}:assigned"}
    assert after - before == {f"{sys_id}:resolved:2026-03-10T12:00:00Z"}


def test_a_single_record_answer() -> None:
    """``GET /api/now/table/incident/{sys_id}`` answers ``{"result": {record}}``."""
    record = load("table_api_display_all.json")["result"][2]

    events = events_from_servicenow({"result": record})

    assert [(e.ticket, e.kind) for e in events] == [("INC0010103", EventKind.CREATED)]


@pytest.mark.parametrize(
    ("priority", "expected"),
    [
        ("1 - Critical", "P1"),
        ("1", "P1"),
        ("2 - High", "P2"),
        ("3 - Moderate", "P3"),
        ("4 - Low", "P4"),
        ("5 - Planning", "P5"),
        ({"display_value": "3 - Moderate", "value": "3"}, "P3"),
    ],
)
def test_priorities(priority: object, expected: str) -> None:
    record = load("table_api_export.json")["result"][0] | {"priority": priority}

    assert events_from_servicenow([record])[0].priority == expected


def test_every_event_goes_through_the_generic_endpoint_unchanged() -> None:
    """What the adapters produce is what `POST /api/v1/tickets/events` accepts, as JSON."""
    for name in DATA_FILES:
        events = events_from_servicenow(load(name))
        assert events, name
        batch = TicketEventBatch(source="servicenow-prod", events=events)
        assert TicketEventBatch.model_validate_json(batch.model_dump_json()).events == events


# ------------------------------------------------------------------------------ refusals


def export_with(index: int, **fields: Any) -> dict[str, Any]:
    document: dict[str, Any] = load("table_api_display_all.json")
    document["result"][index].update(fields)
    return document


def without(index: int, name: str) -> dict[str, Any]:
    document: dict[str, Any] = load("table_api_display_all.json")
    del document["result"][index][name]
    return document


@pytest.mark.parametrize(
    ("document", "field", "message"),
    [
        (without(1, "opened_at"), "result[1].opened_at", "required"),
        (without(0, "sys_id"), "result[0].sys_id", "required"),
        (
            export_with(0, opened_at={"display_value": "02/03/2026", "value": "02/03/2026 09:15"}),
            "result[0].opened_at",
            "not a ServiceNow date-time",
        ),
        (
            export_with(2, sys_updated_on="2026-03-04T16:30:00"),  # checked even when not used
            "result[2].sys_updated_on",
            "not a ServiceNow date-time",
        ),
        (
            export_with(1, sys_updated_on="2026-03-04T16:30:00"),
            "result[1].sys_updated_on",
            "not a ServiceNow date-time",
        ),
        (
            export_with(2, state={"display_value": "Pending", "value": "4"}),
            "result[2].state",
            "not an incident state code",
        ),
        (
            export_with(0, priority="9 - Whenever"),
            "result[0].priority",
            "not a ServiceNow priority",
        ),
        (
            export_with(
                0,
                assignment_group={
                    "link": "https://acme.service-now.com/api/now/table/sys_user_group/8a50",
                    "value": "8a5055c9c61122780043563ef53438e3",
                },
            ),
            "result[0].assignment_group",
            "sysparm_display_value=all",
        ),
        (
            export_with(0, company="31bea3d53790200044e0bfc8bcbe5dec"),
            "result[0].company",
            "sysparm_display_value=all",
        ),
        (export_with(0, assignment_group="#"), "result[0].assignment_group", "at least 2"),
        (export_with(0, number="INC 0010101"), "result[0].number", "pattern"),
        (export_with(0, state=2), "result[0].state", "expected text"),
        ({"result": "nothing"}, "result", "expected a list"),
        ({"records": []}, "document", "expected"),
        (42, "document", "expected"),
        (["not a record"], "[0]", "expected an object"),
    ],
)
def test_bad_exports_are_refused_at_the_field(document: object, field: str, message: str) -> None:
    error = refusal(document)

    assert error.problems[0].field == field
    assert message in error.problems[0].message
    assert error.detail.startswith(f"{field}: ")


def lifecycle_body(index: int) -> dict[str, Any]:
    body: dict[str, Any] = load("webhook_lifecycle.json")[index]
    return body


def body_with(index: int, change: int, **fields: Any) -> dict[str, Any]:
    body = lifecycle_body(index)
    body["changes"][change].update(fields)
    return body


@pytest.mark.parametrize(
    ("document", "field", "message"),
    [
        (body_with(2, 0, to="4"), "changes[0].to", "not an incident state code"),
        (body_with(6, 0, **{"from": "5"}), "changes[0].from", "not an incident state code"),
        (body_with(1, 1, at="16/03/2026 08:20"), "changes[1].at", "not a ServiceNow date-time"),
        (body_with(4, 0, to="high"), "changes[0].to", "not a ServiceNow priority"),
        (body_with(3, 0, to={"value": "5f74727dc0a8010e01d1b7b7b3b4ad7c"}), "changes[0].to",
         "sysparm_display_value=all"),
        (body_with(1, 0, field=None), "changes[0].field", "required"),
        (lifecycle_body(1) | {"event_id": ""}, "event_id", "required"),
        (lifecycle_body(1) | {"operation": "delete"}, "operation", "expected insert or update"),
        (lifecycle_body(1) | {"changes": {"state": "3"}}, "changes", "expected a list"),
        (lifecycle_body(1) | {"incident": "INC0030042"}, "incident", "expected an object"),
        (lifecycle_body(0) | {"incident": {"number": "INC0030042"}}, "incident.sys_id",
         "required"),
        ([lifecycle_body(0), lifecycle_body(1) | {"changes": [1]}], "[1].changes[0]",
         "expected an object"),
    ],
)  # fmt: skip
def test_bad_webhook_bodies_are_refused_at_the_field(
    document: object, field: str, message: str
) -> None:
    error = refusal(document)

    assert error.problems[0].field == field
    assert message in error.problems[0].message


def test_one_bad_record_refuses_the_whole_export() -> None:
    """All or nothing: the good records before the bad one are not returned either, so a fixed
    file can be sent again as a whole."""
    document: dict[str, Any] = load("table_api_display_all.json")
    good = events_from_servicenow(copy.deepcopy(document))
    assert len(good) == 8
    document["result"].append(copy.deepcopy(document["result"][0]) | {"opened_at": ""})

    error = refusal(document)

    assert [(p.field, p.message) for p in error.problems] == [("result[3].opened_at", "required")]


def test_one_bad_body_refuses_the_whole_list() -> None:
    bodies = load("webhook_lifecycle.json")
    bodies[-1]["changes"][0]["to"] = "9"

    error = refusal(bodies)

    assert error.problems[0].field == "[8].changes[0].to"
