"""`accord import sloth`: Sloth SLO specs in as objectives (registered by `accord.cli`).

Acts as the local operator, like every command; errors propagate to `accord.cli.main`, which
prints them (each naming the document and the field) and exits non-zero.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from accord.db.session import CommandDatabase
from accord.identity import service as identity_service
from accord.integrations.interop import read_sources, summary
from accord.integrations.prometheus.rules import format_duration, parse_duration
from accord.integrations.sloth import service as sloth_service
from accord.kit.time import utc_now

console = Console(soft_wrap=True)  # never break queries and paths across lines
err = Console(stderr=True, soft_wrap=True)

Files = Annotated[
    list[Path],
    typer.Argument(exists=True, dir_okay=False, readable=True, help="Spec files (YAML)"),
]


def import_sloth(
    ctx: typer.Context,
    files: Files,
    service: Annotated[
        str | None,
        typer.Option(
            help="Import every SLO into this catalogue service (the rules keep the spec's "
            "service name); default: the service each spec names, which must exist"
        ),
    ] = None,
    period: Annotated[
        str,
        typer.Option(
            help="The window of SLOs whose spec has none (Sloth's --default-slo-period), in "
            "whole days"
        ),
    ] = format_duration(sloth_service.DEFAULT_PERIOD),
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check everything, write nothing")
    ] = False,
) -> None:
    """Import Sloth SLO specs (prometheus/v1, Kubernetes PrometheusServiceLevel, OpenSLO
    v1alpha; several documents per file) as objectives: one per SLO, with its queries, labels
    and alerting, so `accord export prometheus-rules` writes the same rules back. All or
    nothing: any problem and nothing is written."""
    try:
        window = parse_duration(period)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--period") from error
    sources = read_sources(files)
    database = CommandDatabase.of(ctx.obj)
    with database.unit_of_work(write=not dry_run) as session:
        result = sloth_service.import_sloth(
            session,
            actor=identity_service.local_operator(),
            files=sources,
            service=service,
            period=window,
            now=utc_now(),
        )
    for field in result.ignored:
        err.print(f"[yellow]ignored[/yellow] {escape(field)}: not a Sloth field (Sloth ignores it)")
    for planned, objective in result.created:
        what = "would create" if dry_run else f"created [bold]{objective.key}[/bold]"
        where = f"{planned.where}: {planned.path}"
        console.print(f"{what} {escape(summary(objective))} ({escape(where)})")
    console.print(escape(sloth_service.SLOTH_BUDGETING))
    if dry_run:
        console.print("dry run: nothing written")
