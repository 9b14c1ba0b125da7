"""`accord slo …`: objectives judged now (a Rich table) and the evaluation pass."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from accord.compliance import service as compliance_service
from accord.compliance.jobs import EvaluationJob, PassReport
from accord.compliance.schemas import StatusRead
from accord.db.session import CommandDatabase
from accord.identity import service as identity_service
from accord.kit.time import parse_aware, utc_now

console = Console(soft_wrap=True)
app = typer.Typer(help="Service level objectives: status and evaluation.", no_args_is_help=True)


def _instant(value: str | None) -> datetime:
    if value is None:
        return utc_now()
    try:
        return parse_aware(value)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


AtOption = Annotated[
    str | None, typer.Option("--at", help="ISO 8601 instant with offset; default now.")
]


@app.command("status")
def status(
    ctx: typer.Context,
    service: Annotated[str | None, typer.Option(help="Only this service's objectives.")] = None,
    at: AtOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """Every objective judged at an instant: SLI, budget left, burn, alerts, risk."""
    when = _instant(at)
    database = CommandDatabase.of(ctx.obj)
    with database.unit_of_work(write=False) as session:
        rows = compliance_service.statuses_at(
            session, actor=identity_service.local_operator(), service=service, at=when
        )
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        return
    console.print(_table(rows))


@app.command("evaluate")
def evaluate(
    ctx: typer.Context,
    at: AtOption = None,
    history: Annotated[
        bool, typer.Option(help="Keep a snapshot per objective in the status history.")
    ] = True,
    every: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Seconds between passes: keep running, with the counts kept warm between "
            "passes (each later pass reads only what is new). Without it: one pass.",
        ),
    ] = None,
    passes: Annotated[
        int | None, typer.Option(min=1, help="With --every: stop after this many passes.")
    ] = None,
) -> None:
    """Judge every objective, record status and history, and act on error budget policies
    (one pass, e.g. from cron at the tiers' evaluation interval; or --every to keep going)."""
    if at is not None and every is not None:
        raise typer.BadParameter("--at judges one instant; --every judges now, repeatedly")
    database = CommandDatabase.of(ctx.obj)
    job = EvaluationJob(
        database, identity_service.local_operator(), history=history, keep_warm=every is not None
    )
    done = 0
    while True:
        begun = time.monotonic()
        report = job.run(_instant(at))
        done += 1
        _print_pass(report)
        if every is None or (passes is not None and done >= passes):
            return
        time.sleep(max(0.0, every - (time.monotonic() - begun)))


def _print_pass(report: PassReport) -> None:
    summary = report.summary
    console.print(
        f"evaluated {summary.objectives} objectives at {summary.evaluated_at.isoformat()}: "
        f"{summary.at_risk} at risk, {summary.page_alerts} paging, "
        f"{summary.ticket_alerts} ticket alerts; policy events "
        f"{summary.policy_events_opened} opened, {summary.policy_events_recovered} recovered "
        f"({'counts read' if report.rebuilt else 'warm counts'} "
        f"{report.counts_seconds:.2f} s, judged and recorded {report.judge_seconds:.2f} s)"
    )


def _percent(value: float | None, digits: int = 3) -> str:
    return "no data" if value is None else f"{value * 100:.{digits}f} %"


def _table(rows: list[StatusRead]) -> Table:
    table = Table(
        "objective", "service", "target", "SLI", "budget left", "burn 1h", "burn 6h",
        "alerts", "exhausted by", "risk", "coverage",
    )  # fmt: skip
    for r in rows:
        alerts = " ".join(
            name for name, on in (("page", r.page_alert), ("ticket", r.ticket_alert)) if on
        )
        left = 1.0 - r.budget_consumed
        table.add_row(
            r.objective,
            escape(r.service),
            f"{float(r.target) * 100:g} %",
            _percent(r.sli),
            f"[red]{left * 100:.1f} %[/red]" if left < 0 else f"{left * 100:.1f} %",
            f"{r.burn_rates.get('1h', 0.0):.2f}",
            f"{r.burn_rates.get('6h', 0.0):.2f}",
            f"[red]{alerts}[/red]" if alerts else "—",
            r.exhaustion_at.strftime("%Y-%m-%d %H:%M") if r.exhaustion_at else "—",
            "[red]at risk[/red]" if r.at_risk else "ok",
            f"{r.data_coverage * 100:.0f} %",
        )
    return table
