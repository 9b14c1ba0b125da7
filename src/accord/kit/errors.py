"""The one error hierarchy. Each error carries its HTTP status; `accord.http.errors` renders it.

Domain code raises these (or domain-specific subclasses); it never raises HTTPException.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    """One invalid input: a JSON-pointer-ish location (``terms.fee_amount``) and why."""

    field: str
    message: str


class FieldValueError(ValueError):
    """A rule across fields broken by one field's value, raised inside a pydantic validator:
    reported at that field (``timeslice_seconds``), not at the whole body (see `located`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def located(error: Mapping[str, Any]) -> tuple[list[str], str]:
    """(location, message) of one pydantic error; a `FieldValueError` moves to its field."""
    location = [str(part) for part in error.get("loc", ())]
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, FieldValueError):
        return location + cause.field.split("."), cause.message
    return location, str(error.get("msg", "invalid"))


class AccordError(Exception):
    """Base of every expected failure. ``code`` is stable and documented in docs/problems.md."""

    status: int = 400
    code: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str, *, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = problems or []


class InvalidInput(AccordError):
    """The request is well-formed but a field's value is not acceptable."""

    status = 422
    code = "invalid-input"
    title = "Invalid input"

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        return cls(f"{field}: {message}", problems=[FieldProblem(field, message)])


class BatchRejected(InvalidInput):
    """A machine-sent batch with bad items: nothing of it is stored, and ``errors`` names each
    field at fault (``events[3].occurred_at``). 400, so senders do not retry it unchanged."""

    status = 400
    code = "batch-rejected"
    title = "Batch rejected"


class RuleViolation(AccordError):
    """The input breaks a named business rule (a dependency cycle, a backdated effective date).

    ``rule`` is a stable identifier documented in docs/problems.md; ``field`` names the input at
    fault when there is one.
    """

    status = 422
    code = "rule-violation"
    title = "Business rule violated"

    def __init__(self, rule: str, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail, problems=[FieldProblem(field, detail)] if field else None)
        self.rule = rule


class InvalidTransition(RuleViolation):
    """The object's current state forbids the operation (approve without sign-offs, edit an
    approved version, activate an expired term)."""

    status = 409
    code = "invalid-transition"
    title = "Operation not allowed in the current state"


class Unauthenticated(AccordError):
    status = 401
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(AccordError):
    status = 403
    code = "forbidden"
    title = "Not permitted"


class NotFound(AccordError):
    """Also raised for objects outside the caller's business units: existence never leaks."""

    status = 404
    code = "not-found"
    title = "Not found"


class Conflict(AccordError):
    """A uniqueness or concurrency conflict (duplicate key, concurrent edit)."""

    status = 409
    code = "conflict"
    title = "Conflict"


class PreconditionFailed(AccordError):
    status = 412
    code = "precondition-failed"
    title = "Precondition failed"


class PreconditionRequired(AccordError):
    status = 428
    code = "precondition-required"
    title = "Precondition required"


class HTTPStatusError(AccordError):
    """A plain HTTP-level failure (unknown route, wrong method) in the same problem shape."""

    def __init__(self, status: int, code: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.title = status, code, title


class ServiceUnavailable(AccordError):
    status = 503
    code = "unavailable"
    title = "Service unavailable"


class PayloadTooLarge(AccordError):
    """A request body (or its decompressed form) above the configured cap."""

    status = 413
    code = "too-large"
    title = "Request body too large"


class UnsupportedMediaType(AccordError):
    status = 415
    code = "unsupported-media-type"
    title = "Unsupported media type"


class RateLimited(AccordError):
    """Too many requests for one token; ``retry_after`` whole seconds until the next is allowed
    (sent as ``Retry-After``)."""

    status = 429
    code = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
