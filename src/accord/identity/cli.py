"""`accord principals …` and `accord tokens …`: bootstrap and manage access from the shell.

Commands act as the local operator (a system actor named ``cli:<os user>``), who holds every
permission: whoever can run the CLI against the database already controls it.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from accord.config import get_settings
from accord.db.session import CommandDatabase
from accord.identity import service as identity_service
from accord.identity.enums import PrincipalKind, Role
from accord.identity.schemas import GrantCreate, PrincipalCreate, TokenCreate
from accord.kit.time import utc_now

console = Console(soft_wrap=True)  # never break paths and tokens across lines
principals_app = typer.Typer(
    help="Users and machine sources, and the roles they hold.", no_args_is_help=True
)
tokens_app = typer.Typer(
    help="API tokens: create (shown once), list, revoke.", no_args_is_help=True
)


@principals_app.command("create")
def create_principal(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name, e.g. alice")],
    display_name: Annotated[str, typer.Option(help="Full name")] = "",
    email: Annotated[str | None, typer.Option()] = None,
    kind: Annotated[
        PrincipalKind, typer.Option(help="user or source (machine)")
    ] = PrincipalKind.USER,
    role: Annotated[
        list[str] | None,
        typer.Option(help="ROLE or ROLE@UNIT (repeatable), e.g. admin, editor@retail"),
    ] = None,
) -> None:
    """Create a principal, optionally with roles."""
    grants = [_parse_role(spec) for spec in role or []]
    database = CommandDatabase.of(ctx.obj)
    with database.unit_of_work() as session:
        now = utc_now()
        identity_service.create_principal(
            session,
            actor=identity_service.local_operator(),
            data=PrincipalCreate(
                name=name, display_name=display_name or name, email=email, kind=kind
            ),
            now=now,
        )
        for grant_data in grants:
            read = identity_service.grant_role(
                session,
                actor=identity_service.local_operator(),
                name=name,
                data=grant_data,
                now=now,
            )
    console.print(f"created principal [bold]{name}[/bold]")
    if role:
        console.print(
            "roles: " + ", ".join(f"{g.role.value}@{g.business_unit or '*'}" for g in read.grants)
        )


def _parse_role(spec: str) -> GrantCreate:
    """``ROLE`` or ``ROLE@UNIT``; an unknown role is a usage error, not a traceback."""
    role_name, _, unit = spec.partition("@")
    try:
        role = Role(role_name)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise typer.BadParameter(
            f"unknown role {role_name!r} (one of: {choices})", param_hint="--role"
        ) from None
    return GrantCreate(role=role, business_unit=unit or None)


@principals_app.command("grant")
def grant(
    ctx: typer.Context,
    name: str,
    role: Role,
    unit: Annotated[
        str | None, typer.Option(help="Business unit code; omit for every unit")
    ] = None,
) -> None:
    """Give a principal a role in one business unit, or in all of them."""
    database = CommandDatabase.of(ctx.obj)
    with database.unit_of_work() as session:
        identity_service.grant_role(
            session,
            actor=identity_service.local_operator(),
            name=name,
            data=GrantCreate(role=role, business_unit=unit),
            now=utc_now(),
        )
    console.print(f"{name} now holds {role.value} in {unit or 'every unit'}")


@principals_app.command("list")
def list_principals(ctx: typer.Context) -> None:
    database = CommandDatabase.of(ctx.obj)
    table = Table("name", "kind", "active", "roles")
    with database.unit_of_work(write=False) as session:
        after = None
        while True:
            rows, after = identity_service.list_principals(
                session, actor=identity_service.local_operator(), after=after, limit=500
            )
            for p in rows:
                roles = ", ".join(f"{g.role.value}@{g.business_unit or '*'}" for g in p.grants)
                table.add_row(p.name, p.kind.value, "yes" if p.is_active else "no", roles)
            if after is None:
                break
    console.print(table)


@tokens_app.command("create")
def create_token(
    ctx: typer.Context,
    principal: Annotated[str, typer.Option(help="Whose token")],
    name: Annotated[str, typer.Option(help="What it is for")] = "cli",
    expires_in_days: Annotated[
        int | None, typer.Option(help="Default: the operator's setting")
    ] = None,
) -> None:
    """Create an API token. The secret is printed once and never stored."""
    database = CommandDatabase.of(ctx.obj)
    with database.unit_of_work() as session:
        created = identity_service.create_token(
            session,
            actor=identity_service.local_operator(),
            data=TokenCreate(name=name, principal=principal, expires_in_days=expires_in_days),
            settings=get_settings().tokens,
            now=utc_now(),
        )
    console.print(
        f"token {created.id} for {created.principal}, expires {created.expires_at:%Y-%m-%d}:"
    )
    typer.echo(created.token)


@tokens_app.command("list")
def list_tokens(
    ctx: typer.Context,
    principal: str,
    include_revoked: Annotated[bool, typer.Option("--include-revoked")] = False,
) -> None:
    database = CommandDatabase.of(ctx.obj)
    table = Table("id", "name", "hint", "expires", "revoked")
    with database.unit_of_work(write=False) as session:
        for t in identity_service.list_tokens(
            session,
            actor=identity_service.local_operator(),
            principal=principal,
            include_revoked=include_revoked,
        ):
            table.add_row(
                str(t.id),
                t.name,
                t.hint,
                f"{t.expires_at:%Y-%m-%d}",
                f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "",
            )
    console.print(table)


@tokens_app.command("revoke")
def revoke_token(ctx: typer.Context, token_id: int) -> None:
    """Revoke a token at once; requests carrying it are refused from now on."""
    database = CommandDatabase.of(ctx.obj)
    with database.unit_of_work() as session:
        read = identity_service.revoke_token(
            session, actor=identity_service.local_operator(), token_id=token_id, now=utc_now()
        )
    console.print(f"revoked token {read.id} ({read.name}) of {read.principal}")
