"""Portal sign-in: a token pasted once becomes an HttpOnly, SameSite=Strict session cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from accord.http.deps import SessionDep
from accord.identity import service as identity_service
from accord.identity.deps import PORTAL_COOKIE
from accord.kit.errors import Forbidden, Unauthenticated
from accord.kit.time import utc_now
from accord.web.templating import render

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never an absolute or protocol-relative URL (open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(
        request, "identity/login.html", {"actor": None, "next": _safe_next(next), "error": None}
    )


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    token: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/") != str(request.base_url).rstrip("/"):
        raise Forbidden("cross-site sign-in refused")
    try:
        actor = identity_service.authenticate(session, token=token.strip(), now=utc_now())
    except Unauthenticated as exc:
        return render(
            request,
            "identity/login.html",
            {"actor": None, "next": _safe_next(next), "error": exc.detail},
            status_code=401,
        )
    target = "/external" if actor.is_external_only and _safe_next(next) == "/" else _safe_next(next)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        PORTAL_COOKIE,
        token.strip(),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.get("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(PORTAL_COOKIE, path="/")
    return response
