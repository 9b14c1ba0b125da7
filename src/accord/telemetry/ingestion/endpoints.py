"""JSON API of ingestion: the push endpoint and the quarantine.

Status classes follow the Prometheus remote-write convention, so senders retry exactly what is
worth retrying: 2xx only after the commit; 400 for rows that will never be accepted (never
retry); 401/403 for the token; 409 while the same Idempotency-Key is in flight; 413 and 415 for
the body; 429 with ``Retry-After`` when the token is over its rate; 503 with ``Retry-After``
when the database is unavailable (retry).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from accord.http import metrics
from accord.http.deps import PageDep, SessionDep, SettingsDep
from accord.http.problems import problem_responses
from accord.http.ratelimit import get_rate_limiter, limit_token
from accord.identity.deps import require
from accord.identity.rules import Actor, Permission
from accord.kit.errors import PayloadTooLarge
from accord.kit.pagination import Page, encode_cursor
from accord.kit.time import utc_now
from accord.kit.types import Slug
from accord.telemetry.enums import QuarantineStatus
from accord.telemetry.ingestion import service as ingestion_service
from accord.telemetry.ingestion.errors import RowsRejected
from accord.telemetry.ingestion.schemas import PushResult, QuarantinedRead, QuarantineResolve
from accord.telemetry.sources import service as sources_service

router = APIRouter(tags=["telemetry"], responses=problem_responses(401, 403, 422, 503))

INGEST = Permission.TELEMETRY_INGEST
READ = Permission.OBJECTIVES_READ
MANAGE = Permission.TELEMETRY_MANAGE


def ingest_actor(request: Request, actor: Actor = require(INGEST)) -> Actor:
    """The authenticated sender, within its token's rate (429 with ``Retry-After`` beyond)."""
    limit_token(get_rate_limiter(request), actor.token_id)
    return actor


async def push_body(request: Request, settings: SettingsDep) -> bytes:
    """The request body, read up to the cap: a larger body is refused as it streams in, not
    after it was buffered whole."""
    cap = settings.ingest.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise PayloadTooLarge(f"the body is {declared} bytes; at most {cap} are accepted")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise PayloadTooLarge(f"the body is over {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/telemetry",
    response_model=PushResult,
    responses=problem_responses(400, 409, 413, 415, 429),
    summary="Push a batch of SLI buckets, counters or samples (JSON or NDJSON, optionally gzip)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
)
def push_telemetry(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: Annotated[Actor, Depends(ingest_actor)],
    body: Annotated[bytes, Depends(push_body)],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            description="Makes a retry a no-op that answers the first response again.",
        ),
    ] = None,
    source: Annotated[
        Slug | None,
        Query(description="The source pushed for; only needed by tokens that are not a source's."),
    ] = None,
) -> Response:
    now = utc_now()
    sender = source or actor.name.removeprefix(sources_service.PRINCIPAL_PREFIX)
    try:
        outcome = ingestion_service.push(
            session,
            actor=actor,
            body=body,
            content_type=request.headers.get("content-type"),
            content_encoding=request.headers.get("content-encoding"),
            idempotency_key=idempotency_key,
            source_name=source,
            policy=request.app.state.ingest_policy,
            max_decompressed_bytes=settings.ingest.max_decompressed_bytes,
            now=now,
        )
    except RowsRejected as rejected:
        metrics.record_ingest(
            sender,
            accepted=0,
            rejected=rejected.rows,
            quarantined=0,
            reasons=rejected.reasons,
            newest_bucket_epoch=None,
            now_epoch=now.timestamp(),
        )
        metrics.record_push(sender, rejected.status)
        raise
    # Counted before the commit (it follows the return): a commit that fails turns this push
    # into a 503, and the counts overstate it by one batch. A metric, not a ledger.
    if not outcome.replayed:
        metrics.record_ingest(
            outcome.source,
            accepted=outcome.accepted_rows,
            rejected=0,
            quarantined=outcome.quarantined_rows,
            reasons=outcome.reasons,
            newest_bucket_epoch=outcome.newest_bucket_epoch,
            now_epoch=now.timestamp(),
        )
    metrics.record_push(outcome.source, 200)
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return Response(outcome.body, media_type="application/json", headers=headers)


@router.get("/telemetry/quarantine", response_model=Page[QuarantinedRead])
def list_quarantine(
    session: SessionDep,
    page: PageDep,
    source: Annotated[Slug | None, Query(description="Only this source's buckets.")] = None,
    status: Annotated[QuarantineStatus | None, Query()] = QuarantineStatus.HELD,
    actor: Actor = require(READ),
) -> Page[QuarantinedRead]:
    items, last = ingestion_service.list_quarantine(
        session,
        actor=actor,
        source=source,
        status=status,
        after=page.after,
        limit=page.limit,
    )
    return Page(items=items, next_cursor=encode_cursor(last) if last is not None else None)


@router.post(
    "/telemetry/quarantine/{entry_id}/release",
    response_model=QuarantinedRead,
    responses=problem_responses(404, 409),
    summary="Store a quarantined bucket after all (audited with the reason)",
)
def release_quarantined(
    entry_id: int, data: QuarantineResolve, session: SessionDep, actor: Actor = require(MANAGE)
) -> QuarantinedRead:
    return ingestion_service.release(
        session, actor=actor, entry_id=entry_id, reason=data.reason, now=utc_now()
    )


@router.post(
    "/telemetry/quarantine/{entry_id}/discard",
    response_model=QuarantinedRead,
    responses=problem_responses(404, 409),
    summary="Discard a quarantined bucket (audited with the reason)",
)
def discard_quarantined(
    entry_id: int, data: QuarantineResolve, session: SessionDep, actor: Actor = require(MANAGE)
) -> QuarantinedRead:
    return ingestion_service.discard(
        session, actor=actor, entry_id=entry_id, reason=data.reason, now=utc_now()
    )
