"""Errors as portal pages (the API renders them as problem+json instead)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from accord.kit.errors import AccordError, Unauthenticated
from accord.web.templating import render


def error_page(request: Request, error: AccordError) -> Response:
    if isinstance(error, Unauthenticated):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
    return render(request, "error.html", {"error": error, "actor": None}, status_code=error.status)
