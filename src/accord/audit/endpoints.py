"""JSON API of the audit trail: query events, verify the chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from accord.audit import service as audit_service
from accord.audit.schemas import AuditEventRead, ChainVerification
from accord.http.deps import PageDep, SessionDep
from accord.http.problems import problem_responses
from accord.identity.deps import require
from accord.identity.rules import Actor, Permission
from accord.kit.pagination import Page, encode_cursor
from accord.kit.types import Instant, Reference

router = APIRouter(prefix="/audit", tags=["audit"], responses=problem_responses(401, 403, 422, 503))


@router.get("/events", response_model=Page[AuditEventRead], summary="Audit events, newest first")
def list_events(
    session: SessionDep,
    page: PageDep,
    entity_type: Annotated[Reference | None, Query(description="e.g. `agreement`")] = None,
    entity_key: Annotated[Reference | None, Query(description="e.g. `SLA-0001`")] = None,
    action: Annotated[
        Reference | None, Query(description="e.g. `agreement.version.approved`")
    ] = None,
    actor_name: Annotated[Reference | None, Query(alias="actor")] = None,
    since: Instant | None = None,
    until: Instant | None = None,
    actor: Actor = require(Permission.AUDIT_READ),
) -> Page[AuditEventRead]:
    """Auditors scoped to business units see their units' events; org-wide events (principals,
    tokens, tiers) need the role in every unit."""
    items = audit_service.list_events(
        session,
        units=actor.scope(Permission.AUDIT_READ).unit_filter,
        entity_type=entity_type,
        entity_key=entity_key,
        action=action,
        actor_name=actor_name,
        since=since,
        until=until,
        before_seq=page.after,
        limit=page.limit + 1,
    )
    more = len(items) > page.limit
    items = items[: page.limit]
    return Page(items=items, next_cursor=encode_cursor(items[-1].seq) if more else None)


@router.get("/verify", response_model=ChainVerification, summary="Recompute the hash chain")
def verify_chain(
    session: SessionDep, actor: Actor = require(Permission.AUDIT_READ, everywhere=True)
) -> ChainVerification:
    """Checks the whole chain (checkpoints are verified offline with `accord audit verify
    --checkpoints DIR --public-key KEY`, since only the auditor should hold them)."""
    return audit_service.verify(session)
