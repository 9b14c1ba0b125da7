"""Tickets and timers over HTTP: events pushed by a ticketing source's token, refusals as 400
naming the field with nothing stored, reads scoped to the reader's units, the alignment route."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.identity.enums import PrincipalKind, Role
from accord.timers.models import Ticket, TicketEvent
from tests.factories.identity import make_principal
from tests.identity.helpers import bearer, count, problem
from tests.timers.conftest import World

pytestmark = pytest.mark.db

API = "/api/v1"


def created(world: World, ticket: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"{ticket}-0",
        "ticket": ticket,
        "kind": "created",
        "occurred_at": world.at(0, 9).isoformat(),
        "priority": "P1",
        "service": "pay",
        "customer": "acme",
    } | fields


@pytest.fixture
def pusher(world: World) -> dict[str, str]:
    make_principal(world.session, "desk-source", (Role.INGEST, "retail"), kind=PrincipalKind.SOURCE)
    return bearer(world.session, "desk-source")


def test_push_then_read_the_ticket_and_its_timers(
    client: TestClient, world: World, pusher: dict[str, str]
) -> None:
    events = [
        created(world, "INC1"),
        {
            "id": "INC1-1",
            "ticket": "INC1",
            "kind": "resolved",
            "occurred_at": world.at(0, 11).isoformat(),
        },
    ]
    r = client.post(
        f"{API}/tickets/events", headers=pusher, json={"source": "desk", "events": events}
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 2, "duplicates": 0, "tickets": 1}
    again = client.post(
        f"{API}/tickets/events", headers=pusher, json={"source": "desk", "events": events}
    )
    assert again.json() == {"accepted": 0, "duplicates": 2, "tickets": 0}

    vera = bearer(world.session, "vera")
    ticket = client.get(f"{API}/tickets/desk/INC1", headers=vera)
    assert ticket.status_code == 200, ticket.text
    body = ticket.json()
    assert body["state"] == "resolved"
    ttr = next(t for t in body["timers"] if t["metric"] == "time_to_resolve")
    assert (ttr["elapsed_seconds"], ttr["breached"], ttr["status"]) == (7200, False, "stopped")
    assert ttr["intervals"][0]["business_seconds"] == 7200

    listed = client.get(f"{API}/timers", headers=vera, params={"metric": "time_to_resolve"})
    assert [t["ticket"] for t in listed.json()["items"]] == ["INC1"]
    # The network team's viewer does not see retail's tickets.
    wendy = bearer(world.session, "wendy")
    problem(client.get(f"{API}/tickets/desk/INC1", headers=wendy), 404)
    assert client.get(f"{API}/timers", headers=wendy).json()["items"] == []


def test_a_bad_event_is_a_400_naming_the_field_and_nothing_is_stored(
    client: TestClient, world: World, pusher: dict[str, str]
) -> None:
    before = (count(world.session, Ticket), count(world.session, TicketEvent))
    bad_time = created(world, "INC2") | {"occurred_at": "2026-03-02T09:00:00"}  # naive
    r = client.post(
        f"{API}/tickets/events",
        headers=pusher,
        json={"source": "desk", "events": [created(world, "INC3"), bad_time]},
    )
    problem(r, 400, field="events.1.occurred_at", code="batch-rejected")
    unknown = created(world, "INC4", service="nope")
    r = client.post(
        f"{API}/tickets/events",
        headers=pusher,
        json={"source": "desk", "events": [created(world, "INC5"), unknown]},
    )
    problem(r, 400, field="events.1.service", code="batch-rejected")
    assert (count(world.session, Ticket), count(world.session, TicketEvent)) == before


def test_compliance_and_alignment_routes(client: TestClient, world: World) -> None:
    vera = bearer(world.session, "vera")
    report = client.get(
        f"{API}/timers/compliance",
        headers=vera,
        params={"start": world.at(0, 0).isoformat(), "end": world.at(7, 0).isoformat()},
    )
    assert report.status_code == 200, report.text
    assert report.json()["rows"] == []
    # /agreements/alignment is not read as an agreement key.
    rows = client.get(
        f"{API}/agreements/alignment",
        headers=vera,
        params={"agreement": world.sla, "at": world.at(0, 0).isoformat()},
    )
    assert rows.status_code == 200, rows.text
    assert {r["verdict"] for r in rows.json()} == {"fits", "no-target"}
