"""RFC 9457 problem details: the one error body of the API, documented in every route."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:accord:problem:"


class FieldError(BaseModel):
    field: str = Field(description="The input at fault, dotted (`terms.fee_amount`, `cursor`).")
    message: str


class Problem(BaseModel):
    type: str = Field(
        description="`urn:accord:problem:<code>`; codes are listed in docs/problems.md"
    )
    title: str
    status: int
    detail: str
    instance: str | None = Field(default=None, description="The request path.")
    code: str
    rule: str | None = Field(default=None, description="The business rule broken, when one is.")
    request_id: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Missing, invalid, expired or revoked token",
    403: "The token's roles do not permit this operation",
    404: "No such object, or it lies outside the caller's business units",
    409: "Conflicts with the current state (duplicate, invalid lifecycle transition)",
    412: "If-Match does not match the current ETag: the object changed since it was read",
    413: "Request body too large",
    415: "Unsupported body type or encoding",
    422: "Invalid input: the fields at fault are listed in `errors`",
    428: "If-Match is required to change this object",
    429: "Too many requests for this token; retry after `Retry-After` seconds",
    503: "The database is unavailable or busy; retry later",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses, all with the Problem schema."""
    return {
        status: {
            "description": _DESCRIPTIONS[status],
            "model": Problem,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
