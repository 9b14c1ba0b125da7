"""`accord telemetry reconcile`: compare an objective's primary and secondary sources, record
the disagreements, print them, and gate a pipeline on the result.

Exit codes: 0 when the range has no open finding after the run; 1 when open findings remain
(to resolve through the API); 2 when the input is refused or the run fails (nothing written).
Errors are handled here rather than left to `accord.cli.main`, because main answers 1 for some
of them (an unknown objective), which a pipeline would read as "disagreements".
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
from accord.kit.errors import AccordError, InvalidInput
from accord.kit.time import parse_aware, utc_now
from accord.telemetry.reconciliation import service as reconciliation_service
from accord.telemetry.reconciliation.schemas import DEFAULT_TOLERANCE, ReconciliationReport

console = Console(soft_wrap=True)  # never break keys and instants across lines
err = Console(stderr=True, soft_wrap=True)
app = typer.Typer(help="Telemetry: reconciliation of primary and secondary sources.")

OPEN_FINDINGS = 1
FAILED = 2


@app.callback()
def telemetry() -> None:
    """Telemetry sources and their data."""
    # A callback keeps `reconcile` a named sub-command even while it is the group's only one.


@app.command("reconcile")
def reconcile(
    ctx: typer.Context,
    objective: Annotated[str, typer.Option(help="The objective's key, e.g. SLO-0042.")],
    since: Annotated[
        str, typer.Option(help="First bucket instant, ISO 8601 with offset (inclusive).")
    ],
    until: Annotated[
        str | None, typer.Option(help="End instant, ISO 8601 with offset (exclusive); default now.")
    ] = None,
    tolerance: Annotated[
        float, typer.Option(help="Relative tolerance on good and on total, in [0, 1).")
    ] = DEFAULT_TOLERANCE,
) -> None:
    """Compare the objective's sources bucket by bucket over [since, until), record the
    disagreements beyond the tolerance as findings, and exit 1 while open findings remain in
    the range (0 when none; 2 on bad input, with nothing written)."""
    try:
        start, end = _instant(since, "--since"), _instant(until, "--until")
        database = CommandDatabase.of(ctx.obj)
        with database.unit_of_work() as session:
            report = reconciliation_service.reconcile(
                session,
                actor=identity_service.local_operator(),
                objective_key=objective,
                start=start,
                end=end,
                tolerance=tolerance,
                now=utc_now(),
            )
    except AccordError as exc:
        err.print(f"[red]error:[/red] {escape(exc.detail)}")
        raise typer.Exit(FAILED) from None
    if report.findings:
        console.print(_table(report))
    console.print(_summary(report))
    if report.open_findings:
        raise typer.Exit(OPEN_FINDINGS)


def _instant(value: str | None, option: str) -> datetime:
    if value is None:
        return utc_now()
    try:
        return parse_aware(value)
    except ValueError as error:
        raise _bad(option, str(error)) from None


def _bad(option: str, message: str) -> AccordError:
    return InvalidInput.field(option, message)


def _summary(report: ReconciliationReport) -> str:
    c = report.counts
    return (
        f"{report.objective} {report.start.isoformat()} .. {report.end.isoformat()} "
        f"({report.primary_source} vs {report.secondary_source}, tolerance {report.tolerance:g}): "
        f"{report.buckets} buckets; {c.agree} agree, {c.within} within, "
        f"{c.disagree} disagree, {c.primary_only} primary only, {c.secondary_only} secondary "
        f"only ({c.filled} filled), {c.neither} neither; findings {report.opened} opened, "
        f"{report.updated} updated, {report.reopened} reopened; "
        f"{report.open_findings} open"
    )


def _table(report: ReconciliationReport) -> Table:
    table = Table(
        "finding", "bucket", f"{report.primary_source} good/total",
        f"{report.secondary_source} good/total", "difference", "status",
        title=(
            f"open findings (first {len(report.findings)} of {report.open_findings})"
            if report.open_findings > len(report.findings)
            else "open findings"
        ),
    )  # fmt: skip
    for f in report.findings:
        table.add_row(
            str(f.id),
            f.bucket_start.isoformat(),
            f"{f.primary_good:g}/{f.primary_total:g}",
            f"{f.secondary_good:g}/{f.secondary_total:g}",
            f"{f.relative_difference * 100:.2f} %",
            f.status.value,
        )
    return table
