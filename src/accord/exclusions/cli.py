"""`accord exclusions …`: list, declare, approve and reject exclusion windows.

Commands act as the local operator; four eyes hold here too: a window declared from the shell is
approved by someone else (through the API, or by another operator account).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from accord.db.session import CommandDatabase
from accord.exclusions import service as exclusions_service
from accord.exclusions.enums import ExclusionKind, ExclusionStatus
from accord.exclusions.schemas import ExclusionCreate, ExclusionDecision, ExclusionFilter
from accord.identity import service as identity_service
from accord.kit.time import utc_now

console = Console(soft_wrap=True)  # never break paths and tokens across lines
app = typer.Typer(
    help="Maintenance windows, exceptions and peaks declared on services.", no_args_is_help=True
)

ReasonOption = Annotated[str, typer.Option(help="Why; recorded in the audit trail")]


@app.command("list")
def list_exclusions(
    ctx: typer.Context,
    service: Annotated[str | None, typer.Option(help="Service slug")] = None,
    status: Annotated[ExclusionStatus | None, typer.Option()] = None,
    kind: Annotated[ExclusionKind | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
) -> None:
    """Windows of every service, or of one, oldest declaration first."""
    database = CommandDatabase.of(ctx.obj)
    with database.unit_of_work(write=False) as session:
        rows, more = exclusions_service.list_exclusions(
            session,
            actor=identity_service.local_operator(),
            service=service,
            filters=ExclusionFilter(status=status, kind=kind),
            after=None,
            limit=limit,
        )
    table = Table("id", "service", "objective", "kind", "status", "starts", "ends", "reason")
    for w in rows:
        table.add_row(
            str(w.id),
            w.service,
            w.objective or "all",
            w.kind.value + (" (good)" if w.counts_as_good else ""),
            w.status.value,
            f"{w.starts_at:%Y-%m-%d %H:%M}Z",
            f"{w.ends_at:%Y-%m-%d %H:%M}Z",
            escape(w.reason),
        )
    console.print(table)
    if more is not None:
        console.print(f"[dim]more than {limit}; narrow the filters or raise --limit[/dim]")


@app.command("declare")
def declare(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="Service slug")],
    kind: Annotated[ExclusionKind, typer.Option()],
    starts: Annotated[str, typer.Option(help="Start, ISO 8601 with an offset")],
    ends: Annotated[str, typer.Option(help="End (exclusive), ISO 8601 with an offset")],
    reason: ReasonOption,
    objective: Annotated[
        str | None, typer.Option(help="Only this objective (SLO-0042); default: all of them")
    ] = None,
    counts_as_good: Annotated[
        bool, typer.Option("--counts-as-good", help="Count the period as good, not left out")
    ] = False,
) -> None:
    """Declare a window on a service; it is proposed until an approver decides."""
    data = ExclusionCreate.model_validate(
        {
            "kind": kind,
            "objective": objective,
            "starts_at": starts,
            "ends_at": ends,
            "reason": reason,
            "counts_as_good": counts_as_good,
        }
    )
    database = CommandDatabase.of(ctx.obj)
    with database.unit_of_work() as session:
        window = exclusions_service.declare_exclusion(
            session,
            actor=identity_service.local_operator(),
            service=service,
            data=data,
            now=utc_now(),
        )
    console.print(
        f"declared exclusion window [bold]{window.id}[/bold] on {window.service} "
        f"({window.kind.value}, {window.status.value})"
    )


@app.command("approve")
def approve(
    ctx: typer.Context,
    exclusion_id: Annotated[int, typer.Argument(help="The window's id", min=1)],
    reason: ReasonOption,
) -> None:
    """Approve a proposed window (not one you declared)."""
    _decide(ctx, exclusion_id, reason, approve=True)


@app.command("reject")
def reject(
    ctx: typer.Context,
    exclusion_id: Annotated[int, typer.Argument(help="The window's id", min=1)],
    reason: ReasonOption,
) -> None:
    """Reject a proposed window (its declarer may reject it to withdraw it)."""
    _decide(ctx, exclusion_id, reason, approve=False)


def _decide(ctx: typer.Context, exclusion_id: int, reason: str, *, approve: bool) -> None:
    data = ExclusionDecision(reason=reason)
    decide = (
        exclusions_service.approve_exclusion if approve else exclusions_service.reject_exclusion
    )
    database = CommandDatabase.of(ctx.obj)
    with database.unit_of_work() as session:
        window = decide(
            session,
            actor=identity_service.local_operator(),
            exclusion_id=exclusion_id,
            data=data,
            now=utc_now(),
        )
    console.print(f"exclusion window [bold]{window.id}[/bold] is {window.status.value}")
