"""The web application: API, portal, health probes. ``create_app(settings)`` wires it together."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

import accord
from accord import routes
from accord.audit import service as audit_service
from accord.compliance import service as compliance_service
from accord.config import Settings, get_settings
from accord.db import migrate
from accord.db.session import Database
from accord.http import metrics
from accord.http.errors import (
    as_accord_error,
    extra_headers,
    problem_response,
    to_accord_error,
)
from accord.http.middleware import RequestContextMiddleware
from accord.http.problems import PROBLEM_JSON
from accord.http.ratelimit import TokenRateLimiter
from accord.identity.deps import declared_requirement
from accord.kit.errors import AccordError, Unauthenticated
from accord.kit.time import utc_now
from accord.telemetry.ingestion import service as ingestion_service
from accord.web.errors import error_page
from accord.web.templating import STATIC_DIR

log = logging.getLogger(__name__)


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    """Build the app. With ``database`` given (tests), the caller owns it and start-up checks
    are the caller's business; otherwise the lifespan opens it and refuses to start on an
    un-migrated or non-durable database."""
    owns_database = database is None
    db = database or Database.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if owns_database:
            check_ready_to_serve(db)
        yield
        if owns_database:
            db.dispose()

    app = FastAPI(
        title="Accord",
        version=accord.__version__,
        description="Service agreements database: SLAs, OLAs and UCs, versioned, signed off, "
        "audited. Errors are RFC 9457 problem+json; lists use cursor pagination.",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = db
    app.state.status_cache = compliance_service.CurrentStatusCache()
    # Built once: a misconfigured check name stops the start, not the first push.
    app.state.ingest_policy = ingestion_service.policy_of(settings.ingest)
    app.state.rate_limiter = TokenRateLimiter.from_settings(settings)
    audit_service.install_checkpoints(db, settings.audit, clock=utc_now)

    for router in routes.API_ROUTERS:
        app.include_router(router, prefix=routes.API_PREFIX)
    for router in routes.PAGE_ROUTERS:
        app.include_router(router, include_in_schema=False)
    app.include_router(metrics.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", tags=["health"], summary="Liveness: the process answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="Readiness: the database answers and is migrated")
    def readyz() -> JSONResponse:
        try:
            migrate.require_migrated(db.bind)  # connects, so it also proves the database answers
        except Exception as exc:  # any failure means "not ready"; the reason is reported
            error = as_accord_error(exc)
            if error is None:
                log.exception("readiness check failed")
            detail = error.detail if error else "the database check failed unexpectedly"
            return JSONResponse({"status": "unavailable", "detail": detail}, status_code=503)
        return JSONResponse({"status": "ready"})

    handle_error = _install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, on_error=handle_error)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def create_app_from_environment() -> FastAPI:
    """The app with settings read from ``ACCORD_*`` variables: what each process of
    ``accord serve --workers N`` runs."""
    return create_app(get_settings())


def check_ready_to_serve(db: Database) -> None:
    """Refuse to serve an un-migrated database or one that could lose acknowledged writes."""
    migrate.require_migrated(db.bind)
    db.assert_durable()


def _install_error_handlers(app: FastAPI) -> Callable[[Request, Exception], Response]:
    """Register the one error renderer; returns it for errors that escape the routing layer."""

    def handle(request: Request, exc: Exception) -> Response:
        error = to_accord_error(exc, request)
        if not request.url.path.startswith(routes.API_PREFIX) and request.url.path not in (
            "/openapi.json",
        ):
            return error_page(request, error)
        response = problem_response(error, request)
        response.headers.update(extra_headers(exc))  # e.g. Allow on a 405
        if isinstance(error, Unauthenticated):
            response.headers["WWW-Authenticate"] = 'Bearer realm="accord"'
        return response

    app.add_exception_handler(AccordError, handle)
    app.add_exception_handler(RequestValidationError, handle)
    app.add_exception_handler(StarletteHTTPException, handle)
    return handle


@dataclass(frozen=True)
class ApiOperation:
    method: str
    path: str
    """The full path template, e.g. ``/api/v1/agreements/{key}``."""
    route: APIRoute


def api_operations(app: FastAPI) -> list[ApiOperation]:
    """Every operation of the JSON API (routers included under /api/v1), one per method."""
    operations: list[ApiOperation] = []
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path_format
        if isinstance(route, APIRoute) and path and path.startswith(routes.API_PREFIX):
            operations.extend(ApiOperation(m, path, route) for m in sorted(context.methods or ()))
    return operations


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated schema, plus each operation's required permission (`x-accord-permission`)
    and error responses documented as problem+json only."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    for operation_ref in api_operations(app):
        requirement = declared_requirement(operation_ref.route)
        operation = schema["paths"][operation_ref.path][operation_ref.method.lower()]
        operation["x-accord-permission"] = (
            "public"
            if requirement is None
            else "authenticated"
            if requirement.permission is None
            else str(requirement.permission)
            + (" (in every unit)" if requirement.everywhere else "")
        )
        for status_code, response in operation.get("responses", {}).items():
            content = response.get("content", {})
            if status_code.startswith(("4", "5")) and PROBLEM_JSON in content:
                content.pop("application/json", None)
    app.openapi_schema = schema
    return schema
