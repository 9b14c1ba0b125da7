"""`accord telemetry …`: sources, gaps and the quarantine, from the shell."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from accord.db.session import CommandDatabase
from accord.identity import service as identity_service
from accord.kit.time import parse_aware, utc_now
from accord.telemetry import service as telemetry_service
from accord.telemetry.enums import QuarantineStatus
from accord.telemetry.ingestion import service as ingestion_service
from accord.telemetry.reconciliation import cli as reconciliation_cli
from accord.telemetry.sources import service as sources_service

console = Console(soft_wrap=True)
app = typer.Typer(
    help="Telemetry: sources, gaps, quarantine, reconciliation.", no_args_is_help=True
)
app.command("reconcile")(reconciliation_cli.reconcile)


def _instant(value: str, option: str) -> datetime:
    try:
        return parse_aware(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint=option) from None


@app.command("sources")
def sources(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """The registered telemetry sources."""
    with CommandDatabase.of(ctx.obj).unit_of_work(write=False) as session:
        rows = sources_service.list_sources(session, actor=identity_service.local_operator())
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        return
    table = Table("source", "kind", "unit", "interval", "zone", "principal")
    for r in rows:
        table.add_row(
            escape(r.name),
            r.kind.value,
            escape(r.business_unit),
            f"{r.expected_interval_seconds} s",
            escape(r.time_zone or "—"),
            escape(r.principal),
        )
    console.print(table)


@app.command("gaps")
def gaps(
    ctx: typer.Context,
    objective: Annotated[str, typer.Option(help="Objective key, e.g. SLO-0042.")],
    since: Annotated[str, typer.Option(help="ISO 8601 instant with offset.")],
    until: Annotated[str | None, typer.Option(help="ISO 8601 instant; default now.")] = None,
) -> None:
    """Missing buckets of an objective; exit code 1 when there are any."""
    start = _instant(since, "--since")
    end = _instant(until, "--until") if until else utc_now()
    with CommandDatabase.of(ctx.obj).unit_of_work(write=False) as session:
        report = telemetry_service.objective_gaps(
            session,
            actor=identity_service.local_operator(),
            objective=objective,
            start=start,
            end=end,
        )
    for gap in report.gaps:
        console.print(f"{gap.start.isoformat()} → {gap.end.isoformat()}  {gap.buckets} buckets")
    console.print(
        f"{report.objective}: {report.missing_buckets} of {report.expected_buckets} buckets "
        f"missing (counted as: {report.missing_data})"
    )
    if report.missing_buckets:
        raise typer.Exit(1)


@app.command("quarantine")
def quarantine(
    ctx: typer.Context,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    status: Annotated[QuarantineStatus, typer.Option(help="held, released, discarded.")] = (
        QuarantineStatus.HELD
    ),
    limit: Annotated[int, typer.Option(min=1, max=1_000)] = 100,
) -> None:
    """Quarantined buckets, oldest first."""
    with CommandDatabase.of(ctx.obj).unit_of_work(write=False) as session:
        rows, _ = ingestion_service.list_quarantine(
            session,
            actor=identity_service.local_operator(),
            source=source,
            status=status,
            after=None,
            limit=limit,
        )
    table = Table("id", "source", "objective", "bucket", "good/total", "checks", "releasable")
    for r in rows:
        table.add_row(
            str(r.id),
            escape(r.source),
            escape(r.objective or r.reference),
            r.bucket_start.isoformat() if r.bucket_start else "—",
            f"{r.good}/{r.total}",
            ", ".join(r.checks),
            "yes" if r.releasable else "no",
        )
    console.print(table)


@app.command("release")
def release(
    ctx: typer.Context,
    entry: Annotated[int, typer.Argument(help="The quarantined bucket's id.")],
    reason: Annotated[str, typer.Option(help="Why it may be stored (audited).")],
) -> None:
    """Store a quarantined bucket after all."""
    with CommandDatabase.of(ctx.obj).unit_of_work() as session:
        done = ingestion_service.release(
            session,
            actor=identity_service.local_operator(),
            entry_id=entry,
            reason=reason,
            now=utc_now(),
        )
    console.print(f"released {done.id}: {done.objective} {done.bucket_start}")


@app.command("discard")
def discard(
    ctx: typer.Context,
    entry: Annotated[int, typer.Argument(help="The quarantined bucket's id.")],
    reason: Annotated[str, typer.Option(help="Why it is dropped (audited).")],
) -> None:
    """Discard a quarantined bucket."""
    with CommandDatabase.of(ctx.obj).unit_of_work() as session:
        done = ingestion_service.discard(
            session,
            actor=identity_service.local_operator(),
            entry_id=entry,
            reason=reason,
            now=utc_now(),
        )
    console.print(f"discarded {done.id}")
