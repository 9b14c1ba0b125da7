"""`accord agreements …`: list, show, and expire versions whose term has ended."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from accord.agreements import service as agreements_service
from accord.agreements.approvals import service as approvals_service
from accord.agreements.enums import AgreementKind, VersionStatus
from accord.agreements.schemas import (
    AgreementFilter,
)
from accord.db.session import CommandDatabase
from accord.identity import service as identity_service
from accord.kit.time import utc_now

console = Console(soft_wrap=True)  # never break paths and tokens across lines
app = typer.Typer(help="SLAs, OLAs and UCs.", no_args_is_help=True)


@app.command("list")
def list_agreements(
    ctx: typer.Context,
    kind: Annotated[AgreementKind | None, typer.Option()] = None,
    status: Annotated[
        VersionStatus | None, typer.Option(help="Having a version in this status")
    ] = None,
    customer: Annotated[str | None, typer.Option()] = None,
    service: Annotated[str | None, typer.Option()] = None,
    business_unit: Annotated[str | None, typer.Option("--unit")] = None,
    region: Annotated[str | None, typer.Option()] = None,
    vendor: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
) -> None:
    database = CommandDatabase.of(ctx.obj)
    filters = AgreementFilter(
        kind=kind,
        status=status,
        customer=customer,
        service=service,
        business_unit=business_unit,
        region=region,
        vendor=vendor,
    )
    with database.unit_of_work(write=False) as session:
        rows, more = agreements_service.list_agreements(
            session,
            actor=identity_service.local_operator(),
            filters=filters,
            after=None,
            limit=limit,
        )
    table = Table("key", "kind", "title", "unit", "counterparty", "status", "active", "latest")
    for a in rows:
        table.add_row(
            a.key,
            a.kind.value.upper(),
            escape(a.title),
            a.business_unit,
            a.customer or a.consumer_business_unit or a.vendor or "",
            a.status.value,
            str(a.active_version or "—"),
            str(a.latest_version),
        )
    console.print(table)
    if more is not None:
        console.print(f"[dim]more than {limit}; narrow the filters or raise --limit[/dim]")


@app.command("show")
def show(ctx: typer.Context, key: str) -> None:
    """An agreement, its versions, and the terms of its current version."""
    database = CommandDatabase.of(ctx.obj)
    with database.unit_of_work(write=False) as session:
        agreement = agreements_service.get_agreement(
            session, actor=identity_service.local_operator(), key=key
        )
        number = agreement.active_version or agreement.latest_version
        version = agreements_service.get_version(
            session, actor=identity_service.local_operator(), key=key, number=number
        )
    console.print(
        f"[bold]{agreement.key}[/bold] {escape(agreement.title)} ({agreement.kind.value.upper()}, "
        f"{agreement.structure.value}) — {agreement.status.value}"
    )
    parties = agreement.customer or agreement.consumer_business_unit or agreement.vendor
    console.print(f"unit {agreement.business_unit} ↔ {parties}; region {agreement.region or '—'}")
    versions = Table("version", "status", "approved", "effective from", "ended")
    for v in agreement.versions:
        versions.add_row(
            str(v.number),
            v.status.value,
            f"{v.approved_at:%Y-%m-%d}" if v.approved_at else "",
            f"{v.effective_from:%Y-%m-%d %H:%M}" if v.effective_from else "",
            f"{v.ended_at:%Y-%m-%d %H:%M}" if v.ended_at else "",
        )
    console.print(versions)
    terms = version.terms
    console.print(
        f"[bold]v{version.number} terms[/bold]: services {', '.join(terms.services) or '—'}; "
        f"hours {terms.supported_hours}; term {terms.term_start} → {terms.term_end or 'open'}; "
        f"review {terms.review_cycle.value}"
    )
    if terms.fee_amount is not None:
        period = terms.fee_period.value if terms.fee_period else ""
        console.print(f"fee {terms.fee_amount} {terms.fee_currency} {period}")
    signed = ", ".join(f"{s.role.value} by {s.signed_by}" for s in version.sign_offs) or "none"
    missing = ", ".join(version.missing_sign_offs)
    console.print(f"sign-offs: {signed}" + (f"; missing {missing}" if missing else ""))


@app.command("expire-due")
def expire_due(ctx: typer.Context) -> None:
    """Mark active versions whose term has ended as expired. Idempotent: run it daily (cron)."""
    database = CommandDatabase.of(ctx.obj)
    with database.unit_of_work() as session:
        expired = approvals_service.expire_due_versions(
            session, actor=identity_service.local_operator(), now=utc_now()
        )
    console.print(
        f"expired {len(expired)} version(s)" + (": " + ", ".join(expired) if expired else "")
    )
