"""Portal pages of agreements (read-only, no JavaScript): the dashboard, the agreement list and
detail, the customer-facing (external) view, and the service and customer detail pages.

The service and customer detail pages show the agreements covering them, so they read both the
catalogue and agreements; by the dependency rule (STYLE.md §5, §6.4) such a page belongs to the
higher-ranked domain, which is this one. The catalogue's own pages are the service and customer
lists (`accord.catalogue.pages`).

Every page is a thin adapter over the services: the services decide visibility (NotFound for
other business units, Forbidden for missing permissions) and the error handler renders it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from accord.agreements import service as agreements_service
from accord.agreements.enums import AgreementKind, VersionStatus
from accord.agreements.schemas import (
    AgreementFilter,
    AgreementListItem,
    ExternalVersion,
    PortfolioSummary,
)
from accord.agreements.support import service as support_service
from accord.audit import service as audit_service
from accord.audit.schemas import AuditEventRead
from accord.catalogue import service as catalogue_service
from accord.http.deps import PageDep, SessionDep
from accord.identity import service as identity_service
from accord.identity.deps import PortalActor
from accord.identity.rules import Actor, Permission
from accord.kit.errors import NotFound
from accord.kit.pagination import encode_cursor
from accord.kit.time import utc_now
from accord.web.forms import form_values, parse_form
from accord.web.templating import query_url, render

router = APIRouter()

KeyPath = Annotated[str, Path(max_length=64)]
VersionQuery = Annotated[int | None, Query(ge=1, le=1_000_000)]

FILTER_FIELDS = ("kind", "status", "service", "customer", "business_unit", "region", "vendor")
EXPIRY_HORIZON = timedelta(days=90)
ENDING_SHOWN = 100
"""Ending terms listed on the dashboard (soonest first)."""
RELATED_LIMIT = 50
"""Agreements listed on a service or customer page (a link leads to the full filtered list)."""
AUDIT_EVENTS_SHOWN = 50


# ------------------------------------------------------------------------------------ dashboard


@dataclass(frozen=True)
class _Portfolio:
    """The summary arranged for the status-by-kind table."""

    summary: PortfolioSummary

    @property
    def total(self) -> int:
        return self.summary.total

    def count(self, kind: AgreementKind, status: VersionStatus) -> int:
        return sum(c.count for c in self.summary.counts if c.kind == kind and c.status == status)

    def kind_total(self, kind: AgreementKind) -> int:
        return sum(c.count for c in self.summary.counts if c.kind == kind)

    def status_total(self, status: VersionStatus) -> int:
        return sum(c.count for c in self.summary.counts if c.status == status)


@router.get("/")
def dashboard(request: Request, session: SessionDep, actor: PortalActor) -> Response:
    if actor.is_external_only:
        return RedirectResponse("/external", status_code=303)
    portfolio = _Portfolio(agreements_service.summarise_portfolio(session, actor=actor))
    in_review, more_in_review = agreements_service.list_agreements(
        session,
        actor=actor,
        filters=AgreementFilter(status=VersionStatus.IN_REVIEW),
        after=None,
        limit=RELATED_LIMIT,
    )
    today = utc_now().date()
    return render(
        request,
        "agreements/dashboard.html",
        {
            "actor": actor,
            "portfolio": portfolio,
            "kinds": list(AgreementKind),
            "statuses": list(VersionStatus),
            "in_review": in_review,
            "more_in_review": more_in_review is not None,
            "ending": agreements_service.list_ending_terms(
                session, actor=actor, by=today + EXPIRY_HORIZON, limit=ENDING_SHOWN
            ),
            "ending_limit": ENDING_SHOWN,
            "today": today,
            "horizon_days": EXPIRY_HORIZON.days,
            "horizon_end": today + EXPIRY_HORIZON,
        },
    )


# ------------------------------------------------------------------------------ agreement list


def _filter_options(session: Session, actor: Actor) -> dict[str, list[tuple[str, str]]]:
    """Choices for the filter form's drop-downs (units and regions need catalogue:read)."""
    options: dict[str, list[tuple[str, str]]] = {
        "kind": [(k.value, k.value.upper()) for k in AgreementKind],
        "status": [(s.value, s.value.replace("_", " ")) for s in VersionStatus],
        "business_unit": [],
        "region": [],
    }
    if actor.has_anywhere(Permission.CATALOGUE_READ):
        options["business_unit"] = [
            (u.code, u.name) for u in identity_service.list_business_units(session, actor=actor)
        ]
        options["region"] = [
            (r.code, r.name) for r in catalogue_service.list_regions(session, actor=actor)
        ]
    return options


@router.get("/agreements")
def agreement_list(
    request: Request, session: SessionDep, page: PageDep, actor: PortalActor
) -> Response:
    filters = parse_form(AgreementFilter, request.query_params, FILTER_FIELDS)
    items, last = agreements_service.list_agreements(
        session, actor=actor, filters=filters, after=page.after, limit=page.limit
    )
    form = form_values(request.query_params, FILTER_FIELDS)
    return render(
        request,
        "agreements/list.html",
        {
            "actor": actor,
            "items": items,
            "form": form,
            "options": _filter_options(session, actor),
            "next_url": query_url("/agreements", {**form, "cursor": encode_cursor(last)})
            if last is not None
            else None,
            "first_url": query_url("/agreements", form) if page.after is not None else None,
        },
    )


# ---------------------------------------------------------------------------- agreement detail


def _agreement_events(session: Session, actor: Actor, key: str) -> list[AuditEventRead] | None:
    """The agreement's audit events if the actor may read the audit trail (None otherwise)."""
    scope = actor.scope(Permission.AUDIT_READ)
    if scope.is_empty:
        return None
    return audit_service.list_events(
        session,
        units=scope.unit_filter,
        entity_type="agreement",
        entity_key=key,
        limit=AUDIT_EVENTS_SHOWN,
    )


@router.get("/agreements/{key}")
def agreement_detail(
    request: Request,
    session: SessionDep,
    key: KeyPath,
    actor: PortalActor,
    version: VersionQuery = None,
) -> Response:
    agreement = agreements_service.get_agreement(session, actor=actor, key=key)
    number = version or agreement.active_version or agreement.latest_version
    shown = agreements_service.get_version(session, actor=actor, key=agreement.key, number=number)
    return render(
        request,
        "agreements/detail.html",
        {
            "actor": actor,
            "agreement": agreement,
            "version": shown,
            "support": support_service.get_support(session, actor=actor, key=agreement.key),
            "events": _agreement_events(session, actor, agreement.key),
            "events_limit": AUDIT_EVENTS_SHOWN,
        },
    )


# ------------------------------------------------------------------------------ external view


@router.get("/external")
def external_list(
    request: Request, session: SessionDep, page: PageDep, actor: PortalActor
) -> Response:
    items, last = agreements_service.list_external(
        session, actor=actor, after=page.after, limit=page.limit
    )
    return render(
        request,
        "agreements/external_list.html",
        {
            "actor": actor,
            "items": items,
            "next_url": query_url("/external", {"cursor": encode_cursor(last)})
            if last is not None
            else None,
            "first_url": "/external" if page.after is not None else None,
        },
    )


def _shown_external(versions: list[ExternalVersion], number: int | None) -> ExternalVersion:
    if number is not None:
        for candidate in versions:
            if candidate.number == number:
                return candidate
        raise NotFound(f"no version {number}")
    active = [v for v in versions if v.status is VersionStatus.ACTIVE]
    return active[0] if active else max(versions, key=lambda v: v.number)


@router.get("/external/{key}")
def external_detail(
    request: Request,
    session: SessionDep,
    key: KeyPath,
    actor: PortalActor,
    version: VersionQuery = None,
) -> Response:
    agreement = agreements_service.get_external(session, actor=actor, key=key)
    return render(
        request,
        "agreements/external_detail.html",
        {
            "actor": actor,
            "agreement": agreement,
            "version": _shown_external(agreement.versions, version),
        },
    )


# ------------------------------------------------------------- services and customers (detail)


def _related(
    session: Session, actor: Actor, filters: AgreementFilter
) -> tuple[list[AgreementListItem], bool] | None:
    """The first agreements matching ``filters`` and whether there are more; None when the
    actor may not read agreements at all (the page then shows the catalogue data only)."""
    if not actor.has_anywhere(Permission.AGREEMENTS_READ):
        return None
    items, last = agreements_service.list_agreements(
        session, actor=actor, filters=filters, after=None, limit=RELATED_LIMIT
    )
    return items, last is not None


@router.get("/services/{slug}")
def service_detail(
    request: Request,
    session: SessionDep,
    slug: Annotated[str, Path(max_length=64)],
    actor: PortalActor,
) -> Response:
    service = catalogue_service.get_service(session, actor=actor, slug=slug)
    return render(
        request,
        "catalogue/service.html",
        {
            "actor": actor,
            "service": service,
            "dependencies": catalogue_service.get_dependencies(
                session, actor=actor, slug=service.slug
            ),
            "related": _related(session, actor, AgreementFilter(service=service.slug)),
            "related_url": query_url("/agreements", {"service": service.slug}),
        },
    )


@router.get("/customers/{code}")
def customer_detail(
    request: Request,
    session: SessionDep,
    code: Annotated[str, Path(max_length=64)],
    actor: PortalActor,
) -> Response:
    customer = catalogue_service.get_customer(session, actor=actor, code=code)
    return render(
        request,
        "catalogue/customer.html",
        {
            "actor": actor,
            "customer": customer,
            "related": _related(session, actor, AgreementFilter(customer=customer.code)),
            "related_url": query_url("/agreements", {"customer": customer.code}),
        },
    )
