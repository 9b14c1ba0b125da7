"""`accord objectives …`: list, show, and define an objective from a JSON or YAML document.

Commands act as the local operator (every permission, like the other domains' commands); errors
propagate to `accord.cli.main`, which prints them naming the field and exits non-zero.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from accord.db.session import CommandDatabase
from accord.identity import service as identity_service
from accord.kit.errors import InvalidInput
from accord.kit.time import utc_now
from accord.objectives import service as objectives_service
from accord.objectives.enums import BudgetingMethod, SliKind
from accord.objectives.schemas import (
    CalendarWindow,
    ObjectiveCreate,
    ObjectiveFilter,
    ObjectiveRead,
    Window,
)

console = Console(soft_wrap=True)  # never break queries and keys across lines
app = typer.Typer(help="Service level objectives (SLOs).", no_args_is_help=True)

COLUMNS = ("key", "service", "name", "target", "window", "method", "mode", "source", "agreement")
DOCUMENT_SUFFIXES = {".json": "JSON", ".yaml": "YAML", ".yml": "YAML"}


@app.command("list")
def list_objectives(
    ctx: typer.Context,
    service: Annotated[str | None, typer.Option(help="Only this service's objectives")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """Every live objective (of one service with --service)."""
    database = CommandDatabase.of(ctx.obj)
    with database.unit_of_work(write=False) as session:
        rows = objectives_service.all_objectives(
            session,
            actor=identity_service.local_operator(),
            filters=ObjectiveFilter(service=service),
        )
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        return
    table = Table()
    for column in COLUMNS:
        # keys and targets are never wrapped or cut short; the descriptive columns give way
        table.add_column(column, no_wrap=column in ("key", "target"))
    for o in rows:
        table.add_row(
            o.key,
            escape(o.service),
            escape(o.name),
            percent(o.target),
            window_text(o.window),
            o.budgeting_method.value,
            o.monitoring_mode.value,
            o.source.value,
            f"{o.agreement} v{o.version}" if o.agreement else "—",
        )
    console.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The objective's key, e.g. SLO-0042")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """One objective's full definition."""
    database = CommandDatabase.of(ctx.obj)
    with database.unit_of_work(write=False) as session:
        o = objectives_service.get_objective(
            session, actor=identity_service.local_operator(), key=key
        )
    if as_json:
        typer.echo(json.dumps(o.model_dump(mode="json"), indent=2))
        return
    console.print(f"[bold]{o.key}[/bold] {escape(o.display_name)} ({escape(o.name)})")
    if o.description:
        console.print(escape(o.description))
    terms = f"; terms of {o.agreement} v{o.version}" if o.agreement else ""
    console.print(f"service {escape(o.service)} (unit {escape(o.business_unit)}){terms}")
    console.print(f"target {percent(o.target)} over {window_text(o.window)}; SLI {sli_text(o)}")
    console.print(f"budgeting {method_text(o)}; slices without data: {o.missing_data.value}")
    console.print(
        f"monitoring {o.monitoring_mode.value}, evaluated every "
        f"{o.evaluation_interval_seconds} s; source {o.source.value}"
    )
    for name, query in sorted(o.queries.items()):
        console.print(f"  {escape(name)}: {escape(query)}")
    if o.labels:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(o.labels.items()))
        console.print(f"labels: {escape(labels)}")
    owners = f"provider {o.provider_owner or '—'}, customer {o.customer_owner or '—'}"
    console.print(f"owners: {escape(owners)}; policy {escape(o.policy or '—')}")
    if o.tier_exception is not None:
        exception = o.tier_exception
        console.print(
            f"[yellow]below the tier's minimum[/yellow], approved by "
            f"{escape(exception.approved_by)} on {exception.approved_at:%Y-%m-%d}: "
            f"{escape(exception.reason)}"
        )
    if o.origin is not None:
        origin = f"imported from {o.origin.spec} (service {o.origin.service}"
        if o.origin.kubernetes is not None:
            k8s = o.origin.kubernetes
            origin += f", {k8s.namespace + '/' if k8s.namespace else ''}{k8s.name}"
        console.print(escape(origin + ")"))
    console.print(f"created {o.created_at:%Y-%m-%d %H:%M}, updated {o.updated_at:%Y-%m-%d %H:%M}")


@app.command("create")
def create(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Option(
            "--file",
            exists=True,
            dir_okay=False,
            readable=True,
            help="An objective document (.json, .yaml or .yml) with the API's create fields",
        ),
    ],
) -> None:
    """Define an objective from a JSON or YAML document (checked whole before writing)."""
    data = ObjectiveCreate.model_validate(read_document(file))
    database = CommandDatabase.of(ctx.obj)
    with database.unit_of_work() as session:
        o = objectives_service.create_objective(
            session, actor=identity_service.local_operator(), data=data, now=utc_now()
        )
    console.print(
        f"created [bold]{o.key}[/bold] ({escape(o.service)}/{escape(o.name)}): "
        f"{percent(o.target)} over {window_text(o.window)}, {o.monitoring_mode.value} "
        f"monitoring every {o.evaluation_interval_seconds} s"
    )


# ---------------------------------------------------------------------------------- helpers


def read_document(path: Path) -> dict[str, Any]:
    """The mapping in a JSON or YAML file; decimals in JSON are read exactly."""
    kind = DOCUMENT_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise typer.BadParameter(
            f"{path.name}: expected a .json, .yaml or .yml file", param_hint="--file"
        )
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text, parse_float=Decimal) if kind == "JSON" else yaml.safe_load(text)
    except (UnicodeDecodeError, ValueError, yaml.YAMLError) as error:
        raise InvalidInput.field("file", f"not valid {kind}: {error}") from error
    if not isinstance(document, dict):
        raise InvalidInput.field("file", f"expected one objective (a {kind} mapping)")
    return document


def percent(ratio: Decimal) -> str:
    """0.9995 → 99.95% (exactly, without an exponent)."""
    return f"{(ratio * 100).normalize():f}%"


def window_text(window: Window) -> str:
    if isinstance(window, CalendarWindow):
        return f"calendar {window.unit.value} ({window.time_zone})"
    return f"{window.days}d rolling"


def sli_text(o: ObjectiveRead) -> str:
    if o.sli_kind is SliKind.LATENCY and o.latency_threshold_ms is not None:
        return f"latency under {o.latency_threshold_ms.normalize():f} ms"
    return o.sli_kind.value


def method_text(o: ObjectiveRead) -> str:
    if o.budgeting_method is BudgetingMethod.OCCURRENCES:
        return o.budgeting_method.value
    text = f"{o.budgeting_method.value} of {o.timeslice_seconds} s"
    if o.timeslice_threshold is not None:
        text += f", good at {percent(o.timeslice_threshold)}"
    return text
