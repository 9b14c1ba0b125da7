"""FastAPI dependencies that authenticate the caller and check the route's permission.

Every API route declares exactly one `require(...)`; the authorisation matrix test reads the
permission back from the route (`declared_permission`), so a new route is covered automatically.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from accord.http.deps import SessionDep
from accord.identity import service as identity_service
from accord.identity.rules import Actor, Permission
from accord.kit.errors import Unauthenticated
from accord.kit.time import utc_now

PORTAL_COOKIE = "accord_session"

_bearer = HTTPBearer(
    auto_error=False, description="An Accord API token: `acc_usr_…` or `acc_ing_…`"
)


class RequirePermission:
    """Authenticates the bearer token, then requires ``permission`` in at least one unit (the
    service then checks the unit of the object itself)."""

    def __init__(self, permission: Permission | None) -> None:
        self.permission = permission

    def __call__(
        self,
        session: SessionDep,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> Actor:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthenticated("send an API token: `Authorization: Bearer acc_…`")
        actor = identity_service.authenticate(session, token=credentials.credentials, now=utc_now())
        if self.permission is not None:
            actor.require_anywhere(self.permission)
        return actor


def require(permission: Permission | None) -> Any:
    """``actor: Actor = require(Permission.X)``; None: any authenticated principal."""
    return Depends(RequirePermission(permission))


def portal_actor(request: Request, session: SessionDep) -> Actor | None:
    """The portal authenticates with an HttpOnly, SameSite=Strict cookie holding a token; the
    API never accepts that cookie (so cross-site requests cannot ride on it)."""
    token = request.cookies.get(PORTAL_COOKIE)
    if not token:
        return None
    try:
        return identity_service.authenticate(session, token=token, now=utc_now())
    except Unauthenticated:
        return None


_UNSET = object()


def declared_permission(route: APIRoute) -> Permission | object | None:
    """The permission a route requires: a `Permission`, None (any authenticated caller), or
    `UNAUTHENTICATED` when the route has no `require(...)` at all."""
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        if isinstance(dependency.call, RequirePermission):
            return dependency.call.permission
        stack.extend(dependency.dependencies)
    return UNAUTHENTICATED


UNAUTHENTICATED = _UNSET
