"""`accord audit …`: verify the chain (and signed checkpoints), make keys, force a checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from accord.audit import service as audit_service
from accord.config import get_settings
from accord.db.session import CommandDatabase
from accord.kit.errors import InvalidInput
from accord.kit.time import utc_now

console = Console(soft_wrap=True)  # never break paths and tokens across lines
app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)


@app.command("verify")
def verify(
    ctx: typer.Context,
    checkpoints: Annotated[
        Path | None, typer.Option(help="Directory of exported checkpoint files")
    ] = None,
    public_key: Annotated[Path | None, typer.Option(help="Ed25519 public key (PEM)")] = None,
) -> None:
    """Recompute the chain; with --checkpoints and --public-key also check the signed
    checkpoints, which catch truncation, a rewrite of the whole chain and a rollback."""
    if (checkpoints is None) != (public_key is None):
        # A usage error (exit 2, with the usage line) however the command is invoked.
        raise typer.BadParameter(
            "--checkpoints and --public-key go together: give both or neither",
            param_hint="--checkpoints/--public-key",
        )
    database = CommandDatabase.of(ctx.obj)
    with database.unit_of_work(write=False) as session:
        result = audit_service.verify(
            session,
            checkpoints=audit_service.read_checkpoint_files(checkpoints) if checkpoints else None,
            public_key=audit_service.load_public_key(public_key) if public_key else None,
        )
    if result.problem:
        console.print(
            f"[red]chain broken at sequence {result.first_bad_seq}[/red]: {result.problem}"
        )
    else:
        console.print(
            f"chain intact: {result.events} events, head {result.head_seq} {result.head_hash[:16]}…"
        )
    if result.checkpoints_verified is not None:
        if result.checkpoint_problem:
            at = f" (event {result.first_bad_seq})" if result.first_bad_seq else ""
            number, problem = result.checkpoint_number, result.checkpoint_problem
            console.print(f"[red]checkpoint {number} failed[/red]{at}: {problem}")
        else:
            console.print(f"checkpoints intact: {result.checkpoints_verified} verified")
    if not result.ok:
        raise typer.Exit(1)


@app.command("keygen")
def keygen(
    out: Annotated[Path, typer.Option(help="Directory for the key pair")] = Path(".accord"),
) -> None:
    """Create an Ed25519 key pair for signing checkpoints. Keep the private key away from the
    database host's backups; give the public key to auditors."""
    private, public = out / "audit-signing-key.pem", out / "audit-signing-key.pub.pem"
    audit_service.generate_key_pair(private, public)
    console.print(f"private key: {private}  (set ACCORD_AUDIT__SIGNING_KEY_FILE to it)")
    console.print(f"public key:  {public}  (for `accord audit verify --public-key`)")


@app.command("checkpoint")
def checkpoint(ctx: typer.Context) -> None:
    """Sign and export a checkpoint of the current head now."""
    policy = audit_service.checkpoint_policy(get_settings().audit)
    if policy is None:
        raise InvalidInput.field(
            "signing_key_file",
            "set ACCORD_AUDIT__SIGNING_KEY_FILE and ACCORD_AUDIT__CHECKPOINT_DIR first",
        )
    database = CommandDatabase.of(ctx.obj)
    with database.unit_of_work() as session:
        written = audit_service.checkpoint_if_due(session, policy=policy, now=utc_now(), force=True)
    if written is None:
        console.print("nothing new since the last checkpoint (or the trail is empty)")
    else:
        console.print(f"checkpoint {written.number} at event {written.event_seq}: {written.file}")
