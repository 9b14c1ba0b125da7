"""Portal pages of the catalogue (read-only): the service and customer lists.

Their detail pages also list the agreements covering them, so they live in
`accord.agreements.pages` (a page that reads a higher-ranked domain belongs to that domain).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from accord.catalogue import service as catalogue_service
from accord.catalogue.enums import Lifecycle
from accord.catalogue.schemas import ServiceFilter
from accord.http.deps import PageDep, SessionDep
from accord.identity import service as identity_service
from accord.identity.deps import PortalActor
from accord.identity.rules import Actor
from accord.kit.pagination import encode_cursor
from accord.web.forms import form_values, parse_form
from accord.web.templating import query_url, render

router = APIRouter()

SERVICE_FILTERS = ("business_unit", "tier", "lifecycle")
CUSTOMER_FILTERS = ("business_unit",)


def _unit_options(session: Session, actor: Actor) -> list[tuple[str, str]]:
    return [(u.code, u.name) for u in identity_service.list_business_units(session, actor=actor)]


@router.get("/services")
def service_list(
    request: Request, session: SessionDep, page: PageDep, actor: PortalActor
) -> Response:
    filters = parse_form(ServiceFilter, request.query_params, SERVICE_FILTERS)
    items, last = catalogue_service.list_services(
        session, actor=actor, filters=filters, after=page.after, limit=page.limit
    )
    form = form_values(request.query_params, SERVICE_FILTERS)
    return render(
        request,
        "catalogue/services.html",
        {
            "actor": actor,
            "items": items,
            "form": form,
            "options": {
                "business_unit": _unit_options(session, actor),
                "tier": [
                    (str(t.level), f"{t.level} · {t.name}")
                    for t in catalogue_service.list_tiers(session, actor=actor)
                ],
                "lifecycle": [(lc.value, lc.value) for lc in Lifecycle],
            },
            "next_url": query_url("/services", {**form, "cursor": encode_cursor(last)})
            if last is not None
            else None,
            "first_url": query_url("/services", form) if page.after is not None else None,
        },
    )


@router.get("/customers")
def customer_list(
    request: Request, session: SessionDep, page: PageDep, actor: PortalActor
) -> Response:
    form = form_values(request.query_params, CUSTOMER_FILTERS)
    items, last = catalogue_service.list_customers(
        session,
        actor=actor,
        business_unit=form.get("business_unit"),
        after=page.after,
        limit=page.limit,
    )
    return render(
        request,
        "catalogue/customers.html",
        {
            "actor": actor,
            "items": items,
            "form": form,
            "options": {"business_unit": _unit_options(session, actor)},
            "next_url": query_url("/customers", {**form, "cursor": encode_cursor(last)})
            if last is not None
            else None,
            "first_url": query_url("/customers", form) if page.after is not None else None,
        },
    )
