"""`accord tickets …`: timers, a ticket's detail and compliance per period; and
`accord agreements alignment` (registered by `accord.cli`). `accord tickets import` lives with
the ticketing formats in `accord.integrations.ticket_import`.

Commands act as the local operator. Errors propagate to `accord.cli.main`, which prints them
and exits non-zero.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from accord.db.session import CommandDatabase
from accord.identity import service as identity_service
from accord.kit.errors import InvalidInput
from accord.kit.time import parse_aware, utc_now
from accord.timers import service as timers_service
from accord.timers.enums import TargetMetric, TimerStatus
from accord.timers.schemas import ComplianceGroup, TimerFilter, TimerRead

console = Console(soft_wrap=True)
app = typer.Typer(help="Tickets and their response and resolution timers.", no_args_is_help=True)


def _instant(text: str, option: str) -> datetime:
    try:
        return parse_aware(text)
    except ValueError as exc:
        raise InvalidInput.field(option, str(exc)) from None


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}Z" if value is not None else "-"


def _hours(seconds: int) -> str:
    return f"{seconds / 3600:.2f} h"


def _timer_table(timers: list[TimerRead]) -> Table:
    table = Table(
        "ticket",
        "metric",
        "agreement",
        "team",
        "target",
        "status",
        "elapsed",
        "deadline",
        "breached",
        "%",
    )
    for t in timers:
        table.add_row(
            f"{t.source}/{t.ticket}",
            t.metric.value,
            f"{t.agreement} v{t.version}",
            t.team or "",
            t.target,
            t.status.value,
            _hours(t.elapsed_seconds),
            _when(t.deadline),
            _when(t.breach_at) if t.breached else "no",
            f"{t.percent:.0f}",
        )
    return table


@app.command("timers")
def timers(
    ctx: typer.Context,
    service: Annotated[str | None, typer.Option(help="Service slug")] = None,
    priority: Annotated[str | None, typer.Option()] = None,
    team: Annotated[str | None, typer.Option()] = None,
    source: Annotated[str | None, typer.Option(help="Ticketing source")] = None,
    metric: Annotated[TargetMetric | None, typer.Option()] = None,
    status: Annotated[TimerStatus | None, typer.Option()] = None,
    breached: Annotated[bool | None, typer.Option("--breached/--not-breached")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Tickets")] = 100,
) -> None:
    """Timers of the first tickets matching the filters, as of now."""
    with CommandDatabase.of(ctx.obj).unit_of_work(write=False) as session:
        found, more = timers_service.list_timers(
            session,
            actor=identity_service.local_operator(),
            filters=TimerFilter(
                service=service,
                priority=priority,
                team=team,
                source=source,
                metric=metric,
                status=status,
                breached=breached,
            ),
            after=None,
            limit=limit,
            now=utc_now(),
        )
    console.print(_timer_table(found))
    if more is not None:
        console.print(f"(more tickets after these {limit}; narrow the filters)")


@app.command("show")
def show(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="Ticketing source")],
    key: Annotated[str, typer.Argument(help="Ticket key, e.g. INC0012345")],
) -> None:
    """A ticket's events and timers, with the intervals each timer ran."""
    with CommandDatabase.of(ctx.obj).unit_of_work(write=False) as session:
        ticket = timers_service.get_ticket(
            session,
            actor=identity_service.local_operator(),
            source=source,
            key=key,
            now=utc_now(),
        )
    console.print(
        f"{ticket.source}/{ticket.key} {escape(ticket.title or '')}: {ticket.state}, "
        f"{ticket.priority}, service {ticket.service}, SLA {ticket.agreement or 'none'}"
    )
    events = Table("when", "kind", "state", "priority", "team")
    for e in ticket.events:
        events.add_row(
            _when(e.occurred_at), e.kind.value, e.state or "", e.priority or "", e.team or ""
        )
    console.print(events)
    console.print(_timer_table([*ticket.timers, *ticket.handoffs]))
    for t in [*ticket.timers, *ticket.handoffs]:
        for interval in t.intervals or []:
            console.print(
                f"  {t.metric.value}{' ' + t.team if t.team else ''}: ran "
                f"{_when(interval.start)} → {_when(interval.end)} "
                f"({_hours(interval.business_seconds)} business)"
            )


@app.command("compliance")
def compliance(
    ctx: typer.Context,
    start: Annotated[str, typer.Option(help="Period start, ISO 8601 with offset")],
    end: Annotated[str, typer.Option(help="Period end (exclusive)")],
    group_by: Annotated[ComplianceGroup, typer.Option()] = ComplianceGroup.PRIORITY,
) -> None:
    """Share of timers within target for the tickets opened in the period."""
    period_start, period_end = _instant(start, "--start"), _instant(end, "--end")
    with CommandDatabase.of(ctx.obj).unit_of_work(write=False) as session:
        report = timers_service.compliance(
            session,
            actor=identity_service.local_operator(),
            start=period_start,
            end=period_end,
            group_by=group_by,
            now=utc_now(),
        )
    table = Table("metric", group_by.value, "met", "breached", "open", "within target")
    for row in report.rows:
        share = f"{row.within_target:.1%}" if row.within_target is not None else "-"
        table.add_row(
            row.metric.value, row.group, str(row.met), str(row.breached), str(row.open), share
        )
    console.print(table)
    console.print(f"{len(report.breached_tickets)} tickets with a breach")


def alignment(
    ctx: typer.Context,
    agreement: Annotated[str | None, typer.Option(help="One SLA, e.g. SLA-0001")] = None,
    at: Annotated[
        str | None, typer.Option(help="The versions in effect at this instant (default: now)")
    ] = None,
) -> None:
    """Whether each SLA's supporting OLAs and UCs fit inside its ticket targets; exit code 1
    when a chain does not always fit."""
    when = _instant(at, "--at") if at else utc_now()
    with CommandDatabase.of(ctx.obj).unit_of_work(write=False) as session:
        rows = timers_service.alignment(
            session, actor=identity_service.local_operator(), agreement=agreement, now=when
        )
    table = Table("SLA", "metric", "key", "SLA target", "chain", "verdict", "worst", "fits")
    for r in rows:
        key = "/".join(p or "*" for p in (r.request_type, r.priority, r.service))
        chain = ", ".join(
            f"{link.agreement} {link.target or 'no target'} ({link.calendar})" for link in r.chain
        )
        table.add_row(
            r.sla,
            r.metric.value,
            key,
            f"{r.sla_target} ({r.sla_calendar})",
            escape(chain),
            r.verdict,
            _hours(r.worst_chain_seconds) if r.worst_chain_seconds is not None else "-",
            f"{r.fits_share:.0%}" if r.fits_share is not None else "-",
        )
    console.print(table)
    if any(r.verdict != "fits" for r in rows):
        raise typer.Exit(1)
