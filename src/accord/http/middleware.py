"""ASGI middleware: request ids and security headers on every response."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; "
        b"form-action 'self'; base-uri 'none'",
    ),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class RequestContextMiddleware:
    """Gives each request an id (the caller's ``X-Request-ID`` when well-formed) and adds the
    security headers. Authenticated responses are never cached.

    Unexpected exceptions are turned into a response here (``on_error``), not by Starlette's
    outermost error middleware, so that even a 500 carries the request id and the headers.
    """

    def __init__(self, app: ASGIApp, on_error: Callable[[Request, Exception], Response]) -> None:
        self.app = app
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        supplied = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = supplied if _VALID_REQUEST_ID.match(supplied) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        authenticated = b"authorization" in headers or b"accord_session" in headers.get(
            b"cookie", b""
        )

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                raw: list[Any] = list(message.get("headers", []))
                present = {name.lower() for name, _ in raw}
                raw.append((b"x-request-id", request_id.encode()))
                raw.extend(h for h in _SECURITY_HEADERS if h[0] not in present)
                if authenticated or b"cache-control" not in present:
                    raw = [h for h in raw if h[0].lower() != b"cache-control"]
                    raw.append((b"cache-control", b"no-store"))
                message["headers"] = raw
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            if started:  # too late for an error response: let the server drop the connection
                raise
            response = self.on_error(Request(scope, receive), exc)
            await response(scope, receive, send_with_headers)
