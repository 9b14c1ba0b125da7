"""The `accord` command: serve, demo, database, doctor, each domain's commands, and import and
export of other tools' formats."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.engine import make_url

from accord.agreements import cli as agreements_cli
from accord.app import check_ready_to_serve, create_app
from accord.audit import cli as audit_cli
from accord.audit import service as audit_service
from accord.calendars import cli as calendars_cli
from accord.compliance import cli as compliance_cli
from accord.config import Settings, get_settings
from accord.db import migrate
from accord.db.session import CommandDatabase, Database
from accord.demo import portfolio
from accord.exclusions import cli as exclusions_cli
from accord.identity import cli as identity_cli
from accord.integrations.openslo import cli as openslo_cli
from accord.integrations.prometheus import cli as prometheus_cli
from accord.integrations.sloth import cli as sloth_cli
from accord.integrations.ticket_import import import_tickets
from accord.kit.errors import AccordError, located
from accord.kit.time import utc_now
from accord.objectives import cli as objectives_cli
from accord.tables import metadata
from accord.telemetry import cli as telemetry_cli
from accord.timers import cli as timers_cli
from accord.worker import jobs as worker_jobs
from accord.worker.runner import Worker

console = Console(soft_wrap=True)  # never break paths and tokens across lines
err = Console(stderr=True, soft_wrap=True)

app = typer.Typer(
    help="Accord: the service agreements database.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Schema migrations (Alembic).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(agreements_cli.app, name="agreements")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(calendars_cli.app, name="calendars")
app.add_typer(exclusions_cli.app, name="exclusions")
app.add_typer(identity_cli.principals_app, name="principals")
app.add_typer(identity_cli.tokens_app, name="tokens")
app.add_typer(objectives_cli.app, name="objectives")
app.add_typer(compliance_cli.app, name="slo")
app.add_typer(telemetry_cli.app, name="telemetry")
timers_cli.app.command("import")(import_tickets)
app.add_typer(timers_cli.app, name="tickets")
agreements_cli.app.command("alignment")(timers_cli.alignment)

# Interop: one group per direction, each format's commands from its integration package.
import_app = typer.Typer(
    help="Import objectives from other tools' SLO definitions (all or nothing).",
    no_args_is_help=True,
)
import_app.command("sloth")(sloth_cli.import_sloth)
import_app.command("openslo")(openslo_cli.import_openslo)
export_app = typer.Typer(help="Export objectives in other tools' formats.", no_args_is_help=True)
export_app.command("prometheus-rules")(prometheus_cli.export_rules)
export_app.command("openslo")(openslo_cli.export_openslo)
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")


@app.callback()
def root(ctx: typer.Context) -> None:
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Alembic narrates every schema check (each /readyz too); commands report what they did.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    ctx.obj = CommandDatabase(
        settings,
        configure=lambda database: audit_service.install_checkpoints(
            database, settings.audit, clock=utc_now
        ),
    )
    ctx.call_on_close(ctx.obj.close)


# ---------------------------------------------------------------------------------------- db


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context, revision: str = "head") -> None:
    """Create or migrate the schema (safe to re-run)."""
    database = _command_database(ctx).get(require_schema=False)
    before = migrate.current_revision(database.bind)
    migrate.upgrade(database.bind, revision)
    after = migrate.current_revision(database.bind)
    console.print(
        f"database at {after}" + (" (unchanged)" if before == after else f" (was {before})")
    )


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Show the schema revision of the database and the one this version needs."""
    database = _command_database(ctx).get(require_schema=False)
    console.print(
        f"database: {migrate.current_revision(database.bind)}; code: {migrate.head_revision()}"
    )


@db_app.command("downgrade")
def db_downgrade(ctx: typer.Context, revision: str) -> None:
    """Migrate down to a revision (`base` drops everything)."""
    database = _command_database(ctx).get(require_schema=False)
    migrate.downgrade(database.bind, revision)
    console.print(f"database at {migrate.current_revision(database.bind)}")


@db_app.command("revision")
def db_revision(ctx: typer.Context, message: str) -> None:
    """Autogenerate a migration from the models (review it by hand before committing)."""
    database = _command_database(ctx).get(require_schema=False)
    migrate.revision(database.bind, message, metadata)


# ----------------------------------------------------------------------------------- doctor


@app.command("doctor")
def doctor(ctx: typer.Context) -> None:
    """Report the database's durability settings, schema revision and audit checkpointing."""
    command_db = _command_database(ctx)
    database = command_db.get(require_schema=False)
    settings = command_db.settings
    table = Table("check", "value", "ok", "note")
    for check in database.durability():
        table.add_row(
            check.setting, check.value, "yes" if check.durable else "[red]NO[/red]", check.advice
        )
    current, head = migrate.current_revision(database.bind), migrate.head_revision()
    table.add_row(
        "schema", str(current), "yes" if current == head else "[red]NO[/red]", f"needs {head}"
    )
    checkpoints = audit_service.checkpoint_policy(settings.audit)
    table.add_row(
        "audit checkpoints",
        str(settings.audit.checkpoint_dir) if checkpoints else "off",
        "yes" if checkpoints else "[yellow]off[/yellow]",
        "signed checkpoints catch truncation, rewrites and rollbacks",
    )
    console.print(table)
    if current != head or any(not c.durable for c in database.durability()):
        raise typer.Exit(1)


# ------------------------------------------------------------------------------------ serve


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Server processes. Above 1, each reads its settings from the environment; "
            "set ACCORD_REDIS_URL so they share rate limits, and PROMETHEUS_MULTIPROC_DIR so "
            "/metrics sums them.",
        ),
    ] = 1,
) -> None:
    """Serve the API (/api/v1, /docs) and the portal (/)."""
    command_db = _command_database(ctx)
    _serve(command_db.settings, command_db.get(require_schema=False), host, port, workers)


def _serve(settings: Settings, database: Database, host: str, port: int, workers: int = 1) -> None:
    check_ready_to_serve(database)  # refuse here, with a clear message, before binding the port
    database.dispose()
    console.print(f"serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    log_level = settings.log_level.lower()
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)
        return
    # Worker processes import the app themselves: a factory reading the same environment.
    uvicorn.run(
        "accord.app:create_app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
    )


@app.command("worker")
def worker(
    ctx: typer.Context,
    jobs: Annotated[
        list[str] | None,
        typer.Option(
            "--job",
            help="Run only these jobs (repeatable): evaluate, pull, housekeeping. Default: all.",
        ),
    ] = None,
    turns: Annotated[
        int | None,
        typer.Option(min=1, help="Stop after each job ran this many times (default: run on)."),
    ] = None,
) -> None:
    """Run the scheduled jobs until SIGTERM/SIGINT: SLO evaluation every
    ACCORD_WORKER__EVALUATE_EVERY_SECONDS, Prometheus/Datadog pulls every
    ACCORD_WORKER__PULL_EVERY_SECONDS, and hourly housekeeping (expired idempotency keys)."""
    command_db = _command_database(ctx)
    settings = command_db.settings
    database = command_db.get()
    builders = {
        "evaluate": worker_jobs.evaluation,
        "pull": worker_jobs.pulls,
        "housekeeping": worker_jobs.housekeeping,
    }
    wanted = jobs or list(builders)
    unknown = [name for name in wanted if name not in builders]
    if unknown:
        raise typer.BadParameter(
            f"unknown job {unknown[0]!r}; one of {', '.join(builders)}", param_hint="--job"
        )
    runner = Worker([builders[name](settings, database) for name in wanted])
    runner.stop_on_signals()
    console.print(f"worker running: {', '.join(wanted)}")
    runner.run(turns=turns)
    failed = {name: n for name, n in runner.failures.items() if n}
    if failed:
        err.print(f"jobs failed: {failed}")
        raise typer.Exit(1)


# ------------------------------------------------------------------------------------- demo


@app.command("demo")
def demo(
    ctx: typer.Context,
    serve_after: Annotated[bool, typer.Option("--serve", help="Serve it afterwards")] = False,
    reset: Annotated[bool, typer.Option("--reset", help="Wipe the database first")] = False,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Load a realistic demo portfolio into an empty database (refuses a non-empty one unless
    --reset), print an admin token, and optionally serve it."""
    command_db = _command_database(ctx)
    settings = command_db.settings
    if reset:
        _wipe(settings, command_db)
    database = command_db.get(require_schema=False)
    migrate.upgrade(database.bind)
    with database.unit_of_work(write=False) as session:
        populated = portfolio.is_populated(session)
    if populated:
        if not serve_after:
            err.print(
                "[yellow]the database already holds data: the demo was not loaded again.[/yellow] "
                "Use --reset to wipe it and reload."
            )
            raise typer.Exit(1)
        with database.unit_of_work() as session:
            token = portfolio.fresh_admin_token(session, now=utc_now())
        console.print(
            "the database already holds the demo; serving it as it is (--reset reloads it)"
        )
    else:
        with console.status("loading the demo portfolio…"):
            with database.unit_of_work() as session:
                summary = portfolio.load(session, now=utc_now())
            with database.unit_of_work() as session:
                token = portfolio.fresh_admin_token(session, now=utc_now())
        console.print(summary)
    console.print(f"\nadmin token (shown once): [bold]{token}[/bold]")
    console.print(f"portal: http://{host}:{port}/login   API: http://{host}:{port}/docs")
    if serve_after:
        _serve(settings, database, host, port)


def _wipe(settings: Settings, command_db: CommandDatabase) -> None:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        command_db.close()
        for suffix in ("", "-wal", "-shm"):
            Path(url.database + suffix).unlink(missing_ok=True)
        console.print(f"removed {url.database}")
        return
    database = command_db.get(require_schema=False)
    migrate.downgrade(database.bind, "base")
    console.print("dropped every table")


def _command_database(ctx: typer.Context) -> CommandDatabase:
    obj = ctx.obj
    if not isinstance(obj, CommandDatabase):
        raise RuntimeError("no command context")
    return obj


def main() -> None:
    """Entry point: expected failures print a one-line message and exit non-zero."""
    try:
        app()
    except ValidationError as exc:
        for location, message in map(located, exc.errors()):
            field = ".".join(location) or "input"
            err.print(f"[red]error:[/red] {escape(field)}: {escape(message)}")
        sys.exit(2)
    except AccordError as exc:
        err.print(f"[red]error:[/red] {escape(exc.detail)}")
        for problem in exc.problems:
            if problem.field and problem.message not in exc.detail:
                err.print(f"  {escape(problem.field)}: {escape(problem.message)}")
        sys.exit(2 if exc.status in (400, 422) else 1)
