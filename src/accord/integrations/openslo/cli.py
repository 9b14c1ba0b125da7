"""`accord import openslo` and `accord export openslo` (registered by `accord.cli`).

Act as the local operator, like every command; errors propagate to `accord.cli.main`, which
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
from accord.integrations.interop import read_sources, summary, write_output
from accord.integrations.openslo import service as openslo_service
from accord.kit.time import utc_now

console = Console(soft_wrap=True)  # never break queries and paths across lines
err = Console(stderr=True, soft_wrap=True)

Output = Annotated[
    Path | None,
    typer.Option("--output", "-o", dir_okay=False, help="Write to this file (default: stdout)"),
]
Objectives = Annotated[
    list[str] | None,
    typer.Option("--objective", help="An objective's key, e.g. SLO-0042 (repeatable)"),
]


def import_openslo(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="OpenSLO v1 files (references may cross files)",
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check everything, write nothing")
    ] = False,
) -> None:
    """Import OpenSLO v1 SLOs as objectives. What Accord does not keep is listed by name; an SLO
    Accord cannot hold as written is an error. All or nothing: any error and nothing is
    written."""
    sources = read_sources(files)
    database = CommandDatabase.of(ctx.obj)
    with database.unit_of_work(write=not dry_run) as session:
        result = openslo_service.import_openslo(
            session, actor=identity_service.local_operator(), files=sources, now=utc_now()
        )
    for note in result.not_imported:
        err.print(f"[yellow]not imported[/yellow] {escape(note)}")
    for planned, objective in result.created:
        what = "would create" if dry_run else f"created [bold]{objective.key}[/bold]"
        console.print(f"{what} {escape(summary(objective))} ({escape(planned.where)})")
    if dry_run:
        console.print("dry run: nothing written")


def export_openslo(ctx: typer.Context, objective: Objectives = None, output: Output = None) -> None:
    """Write objectives as OpenSLO v1 documents: a Service per service, then an SLO per
    objective with its SLI inline (default: every live objective that reads from Prometheus or
    Datadog)."""
    database = CommandDatabase.of(ctx.obj)
    with database.unit_of_work(write=False) as session:
        result = openslo_service.export_openslo(
            session, actor=identity_service.local_operator(), keys=objective or ()
        )
    if result.left_out:
        err.print(
            f"left out {len(result.left_out)} objectives with pushed telemetry (OpenSLO needs "
            f"a query): {', '.join(result.left_out)}"
        )
    write_output(result.text, output, err)
