"""`accord tickets import FILE --format servicenow|jira|generic` (registered by `accord.cli`):
a ticketing tool's export or webhook bodies, decoded by its adapter into Accord's ticket events
and stored like a `POST /api/v1/tickets/events` batch: all or nothing."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from pydantic import ValidationError
from rich.console import Console

from accord.db.session import CommandDatabase
from accord.identity import service as identity_service
from accord.integrations.jira.webhooks import events_from_jira
from accord.integrations.servicenow.incidents import events_from_servicenow
from accord.kit.errors import InvalidInput, located
from accord.kit.time import utc_now
from accord.timers import service as timers_service
from accord.timers.schemas import TicketEventBatch, TicketEventIn

console = Console(soft_wrap=True)


class TicketFormat(StrEnum):
    GENERIC = "generic"
    """Accord's own: `{"source": …, "events": [...]}` or a bare list of events."""
    SERVICENOW = "servicenow"
    JIRA = "jira"


def decode(document: Any, ticket_format: TicketFormat) -> list[TicketEventIn]:
    """The events a document holds; `InvalidInput` names the first bad field."""
    if ticket_format is TicketFormat.SERVICENOW:
        return events_from_servicenow(document)
    if ticket_format is TicketFormat.JIRA:
        return events_from_jira(document)
    raw = document.get("events") if isinstance(document, dict) else document
    if not isinstance(raw, list):
        raise InvalidInput.field("events", "a list of events")
    events: list[TicketEventIn] = []
    for position, item in enumerate(raw):
        try:
            events.append(TicketEventIn.model_validate(item))
        except ValidationError as exc:
            where, message = located(exc.errors()[0])
            path = ".".join(str(p) for p in where)
            raise InvalidInput.field(f"events.{position}.{path}".rstrip("."), message) from None
    return events


def import_tickets(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON document")],
    ticket_format: Annotated[TicketFormat, typer.Option("--format")] = TicketFormat.GENERIC,
    source: Annotated[
        str | None,
        typer.Option(help="Ticketing source name (a generic document may carry its own)"),
    ] = None,
) -> None:
    """Store the ticket events of a file: every event or none."""
    try:
        document = orjson.loads(file.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InvalidInput.field(str(file), f"not JSON: {exc}") from None
    events = decode(document, ticket_format)
    name = source or (document.get("source") if isinstance(document, dict) else None)
    if not name:
        raise InvalidInput.field("--source", "name the ticketing source")
    try:
        batch = TicketEventBatch(source=name, events=events)
    except ValidationError as exc:
        where, message = located(exc.errors()[0])
        raise InvalidInput.field(".".join(str(p) for p in where), message) from None
    with CommandDatabase.of(ctx.obj).unit_of_work() as session:
        summary = timers_service.ingest_events(
            session, actor=identity_service.local_operator(), batch=batch, now=utc_now()
        )
    console.print(
        f"{summary.accepted} events stored, {summary.duplicates} already there, "
        f"{summary.tickets} tickets updated"
    )
