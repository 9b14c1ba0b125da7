"""Portal page of the audit trail (read-only): events newest first, with filters, and the chain
verification for auditors who hold audit:read in every business unit.

The audit service leaves authorisation to its adapters (it has no notion of actors' grants), so
this page decides the units from the actor's audit:read scope, exactly as the API does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from accord.audit import service as audit_service
from accord.audit.schemas import ChainVerification
from accord.http.deps import PageDep, SessionDep
from accord.identity import service as identity_service
from accord.identity.deps import PortalActor
from accord.identity.rules import Permission
from accord.kit.pagination import encode_cursor
from accord.kit.types import Reference
from accord.web.forms import form_values, parse_form
from accord.web.templating import query_url, render

router = APIRouter()

FILTERS = ("entity_type", "entity_key", "action", "actor")


class EventFilter(BaseModel):
    """The page's filter form (the API takes the same fields as query parameters). It belongs in
    `accord.audit.schemas`; it is here while that file is being changed by others."""

    entity_type: Reference | None = None
    entity_key: Reference | None = None
    action: Reference | None = None
    actor: Reference | None = None


@router.get("/audit")
def event_list(
    request: Request,
    session: SessionDep,
    page: PageDep,
    actor: PortalActor,
    verify: Annotated[bool, Query()] = False,
) -> Response:
    actor.require_anywhere(Permission.AUDIT_READ)
    filters = parse_form(EventFilter, request.query_params, FILTERS)
    events = audit_service.list_events(
        session,
        units=actor.scope(Permission.AUDIT_READ).unit_filter,
        entity_type=filters.entity_type,
        entity_key=filters.entity_key,
        action=filters.action,
        actor_name=filters.actor,
        before_seq=page.after,
        limit=page.limit + 1,
    )
    more = len(events) > page.limit
    events = events[: page.limit]
    verification: ChainVerification | None = None
    if verify:
        actor.require(Permission.AUDIT_READ, None)  # the whole chain spans every unit
        verification = audit_service.verify(session)
    form = form_values(request.query_params, FILTERS)
    return render(
        request,
        "audit/events.html",
        {
            "actor": actor,
            "events": events,
            "units": identity_service.unit_codes(session, (e.business_unit_id for e in events)),
            "form": form,
            "can_verify": actor.can(Permission.AUDIT_READ, None),
            "verification": verification,
            "next_url": query_url("/audit", {**form, "cursor": encode_cursor(events[-1].seq)})
            if more
            else None,
            "first_url": query_url("/audit", form) if page.after is not None else None,
        },
    )
