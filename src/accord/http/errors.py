"""The one place where failures become HTTP responses (RFC 9457 problem+json).

Domain errors carry their status (`accord.kit.errors`); database failures map to 409/412/503;
anything unexpected is a 500 whose body never contains a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from accord.http.problems import PROBLEM_JSON, PROBLEM_TYPE_PREFIX, FieldError, Problem
from accord.kit.errors import (
    AccordError,
    BatchRejected,
    Conflict,
    FieldProblem,
    HTTPStatusError,
    InvalidInput,
    PreconditionFailed,
    RateLimited,
    RuleViolation,
    ServiceUnavailable,
    located,
)

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Not permitted"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


def as_accord_error(exc: BaseException) -> AccordError | None:
    """Translate known infrastructure failures into domain errors; None for true bugs."""
    if isinstance(exc, AccordError):
        return exc
    if isinstance(exc, StaleDataError):
        return PreconditionFailed("the object was changed by someone else meanwhile; read it again")
    if isinstance(exc, IntegrityError):
        # Services check uniqueness first; this is the race between two concurrent writers.
        return Conflict("the change conflicts with a concurrent change or an existing object")
    if isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return ServiceUnavailable("the database is unavailable or busy; retry later")
    return None


def problem_body(error: AccordError, request: Request) -> Problem:
    return Problem(
        type=PROBLEM_TYPE_PREFIX + error.code,
        title=error.title,
        status=error.status,
        detail=error.detail,
        instance=request.url.path,
        code=error.code,
        rule=error.rule if isinstance(error, RuleViolation) else None,
        request_id=getattr(request.state, "request_id", None),
        errors=[FieldError(field=p.field, message=p.message) for p in error.problems],
    )


def problem_response(error: AccordError, request: Request) -> JSONResponse:
    headers = None
    if isinstance(error, ServiceUnavailable):
        headers = {"Retry-After": "1"}
    elif isinstance(error, RateLimited):
        headers = {"Retry-After": str(error.retry_after)}
    return JSONResponse(
        problem_body(error, request).model_dump(mode="json", exclude_none=True),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


BAD_BODY_IS_400 = "x-bad-body-is-400"
"""Marks (in ``openapi_extra``) a route of machine senders whose invalid body is a 400
`BatchRejected` (do not retry) rather than the API's usual 422."""


def validation_error(exc: RequestValidationError, *, batch: bool = False) -> InvalidInput:
    """FastAPI/pydantic validation failures, with each field named."""
    problems = []
    for err in exc.errors():
        location, message = located(err)
        loc = [p for p in location if p not in ("body", "query", "path", "header")]
        # a body that is not JSON at all is located by byte offset: the field is the body
        field = "body" if err.get("type") == "json_invalid" else ".".join(loc) or "body"
        if err.get("type") == "extra_forbidden":
            message = "unknown or read-only field"
        problems.append(FieldProblem(field, message))
    detail = "; ".join(f"{p.field}: {p.message}" for p in problems) or "invalid request"
    return (BatchRejected if batch else InvalidInput)(detail, problems=problems)


def http_error(exc: StarletteHTTPException) -> AccordError:
    code, title = _HTTP_CODES.get(exc.status_code, ("error", "Error"))
    return HTTPStatusError(exc.status_code, code, title, str(exc.detail) if exc.detail else title)


def to_accord_error(exc: BaseException, request: Request) -> AccordError:
    """Every exception, as the domain error it is rendered as (500 for the unexpected)."""
    if isinstance(exc, RequestValidationError):
        route = request.scope.get("route")
        extra = getattr(route, "openapi_extra", None) or {}
        return validation_error(exc, batch=bool(extra.get(BAD_BODY_IS_400)))
    if isinstance(exc, StarletteHTTPException):
        return http_error(exc)
    known = as_accord_error(exc)
    if known is not None:
        return known
    log.error(
        "unhandled error on %s %s",
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return InternalError("an unexpected error occurred; it has been logged")


class InternalError(AccordError):
    status = 500
    code = "internal"
    title = "Internal error"


def extra_headers(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, StarletteHTTPException) and exc.headers:
        return dict(exc.headers)
    return {}
