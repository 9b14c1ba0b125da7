"""Six weeks of incident tickets from the service desk's ServiceNow, sent as ticket events:
Aurora Retail's card acquiring (handed to the Meridian card network under its UC) and Coastal
Credit Union's digital banking (handed to platform engineering, the team whose OLAs underpin
it). Most are met; some wait for the customer (paused), some breach, a few are reopened or
re-prioritised, a few are still open."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from accord.demo.timeline import LOADER, Timeline
from accord.timers import service as timers_service
from accord.timers.schemas import TicketEventBatch

SOURCE = "servicenow-prod"
DESK = "service-desk"
STREAMS = (
    # (service, customer, the team tickets are handed to, ticket number base)
    ("card-authorisation", "aurora-retail", "meridian-card-network", 10_000),
    ("mobile-banking", "coastal-credit-union", "platform-engineering", 20_000),
)
DAYS = 42
PRIORITIES = (("P1", 0.08), ("P2", 0.22), ("P3", 0.5), ("P4", 0.2))


def schedule(t: Timeline) -> None:
    t.schedule(-1, 20, lambda: _send(t))


def _send(t: Timeline) -> None:
    now = t.tick()
    # What has happened by now; later steps of a lifecycle are still to come.
    events = [
        e
        for stream in STREAMS
        for e in _stream(now, *stream)
        if datetime.fromisoformat(e["occurred_at"]) < now
    ]
    timers_service.ingest_events(
        t.session,
        actor=t.actor(LOADER),
        batch=TicketEventBatch.model_validate({"source": SOURCE, "events": events}),
        now=now,
    )


def _stream(
    now: datetime, service: str, customer: str, team: str, base: int
) -> list[dict[str, Any]]:
    rng = random.Random(base)  # the same demo every time
    events: list[dict[str, Any]] = []
    start = now - timedelta(days=DAYS)
    for n in range(60):
        opened = start + timedelta(minutes=rng.randrange(0, (DAYS - 2) * 24 * 60))
        key = f"INC{base + n:07d}"
        priority = rng.choices([p for p, _ in PRIORITIES], [w for _, w in PRIORITIES])[0]
        events.extend(_lifecycle(rng, key, opened, priority, service, customer, team))
    return events


def _lifecycle(
    rng: random.Random,
    key: str,
    opened: datetime,
    priority: str,
    service: str,
    customer: str,
    team: str,
) -> list[dict[str, Any]]:
    scale = {"P1": 1.0, "P2": 2.0, "P3": 8.0, "P4": 24.0}[priority]
    clock = opened
    seq = 0
    out: list[dict[str, Any]] = []

    def add(kind: str, hours: float, **fields: Any) -> None:
        nonlocal clock, seq
        clock += timedelta(minutes=max(1, round(hours * 60)))
        out.append(
            {"id": f"{key}-{seq}", "ticket": key, "kind": kind, "occurred_at": clock.isoformat()}
            | fields
        )
        seq += 1

    add(
        "created",
        0,
        priority=priority,
        service=service,
        customer=customer,
        request_type="incident",
        team=DESK,
        title=f"{service.replace('-', ' ').capitalize()} incident",
    )
    add("state_changed", rng.uniform(0.05, 0.6) * scale, state="in_progress")
    if rng.random() < 0.4:  # the desk hands it on, and gets it back
        add("handoff", rng.uniform(0.2, 1.0) * scale, team=team)
        add("handoff", rng.uniform(0.5, 4.0) * scale, team=DESK)
    if rng.random() < 0.3:  # waits for the customer: the resolution clock stops
        add("state_changed", rng.uniform(0.2, 1.0) * scale, state="awaiting_customer")
        add("state_changed", rng.uniform(2, 30), state="in_progress")
    if priority == "P3" and rng.random() < 0.15:
        add("priority_changed", rng.uniform(0.1, 1.0), priority="P2")
    if rng.random() < 0.05:  # still open
        return out
    add("resolved", rng.uniform(0.5, 5.0) * scale)
    if rng.random() < 0.08:
        add("reopened", rng.uniform(1, 12))
        add("resolved", rng.uniform(0.5, 2.0) * scale)
    add("closed", 72)
    return out
