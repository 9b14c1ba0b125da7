"""FastAPI dependencies that authenticate the caller and check the route's permission.

Every API route declares exactly one `require(...)`; the authorisation matrix test reads the
permission back from the route (`declared_permission`), so a new route is covered automatically.
"""

from __future__ import annotations

from typing import Annotated, Any

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
    service then checks the unit of the object itself), or in every unit for org-wide operations
    (``everywhere``: regions, tiers, vendors, business units, principals, chain verification)."""

    def __init__(self, permission: Permission | None, *, everywhere: bool = False) -> None:
        self.permission = permission
        self.everywhere = everywhere

    def __call__(
        self,
        session: SessionDep,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> Actor:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthenticated("send an API token: `Authorization: Bearer acc_…`")
        actor = identity_service.authenticate(session, token=credentials.credentials, now=utc_now())
        if self.permission is not None and self.everywhere:
            actor.require(self.permission, None)
        elif self.permission is not None:
            actor.require_anywhere(self.permission)
        return actor


def require(permission: Permission | None, *, everywhere: bool = False) -> Any:
    """``actor: Actor = require(Permission.X)``; None: any authenticated principal;
    ``everywhere=True``: the permission must be held in every business unit."""
    return Depends(RequirePermission(permission, everywhere=everywhere))


def portal_actor(request: Request, session: SessionDep) -> Actor:
    """The portal authenticates with an HttpOnly, SameSite=Strict cookie holding a token; the
    API never accepts that cookie (so cross-site requests cannot ride on it). Without a valid
    one, `Unauthenticated` sends the visitor to /login (see accord.web.errors)."""
    token = request.cookies.get(PORTAL_COOKIE)
    if not token:
        raise Unauthenticated("sign in to see this page")
    return identity_service.authenticate(session, token=token, now=utc_now())


PortalActor = Annotated[Actor, Depends(portal_actor)]
"""The signed-in portal user: ``actor: PortalActor`` in a page's signature."""


def declared_requirement(route: APIRoute) -> RequirePermission | None:
    """The `require(...)` a route declares, or None when it has none (a public route)."""
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        if isinstance(dependency.call, RequirePermission):
            return dependency.call
        stack.extend(dependency.dependencies)
    return None
