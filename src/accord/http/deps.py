"""Request-scoped dependencies: the unit of work of one HTTP request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.db.session import REQUEST_ID, Database
from accord.kit.pagination import DEFAULT_LIMIT, FLEET_MAX_LIMIT, MAX_LIMIT, decode_cursor

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def request_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed *before* the response is sent.

    ``scope="function"`` (below) makes FastAPI run the code after ``yield`` as soon as the path
    operation returns, so a commit that fails becomes a 5xx instead of a 2xx that was never
    durable. Safe methods get a read-only (deferred) transaction that is rolled back.
    """
    database = get_database(request)
    with database.unit_of_work(write=request.method not in SAFE_METHODS) as session:
        session.info[REQUEST_ID] = getattr(request.state, "request_id", None)
        yield session


SessionDep = Annotated[Session, Depends(request_session, scope="function")]


def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_from_app)]


class PageQuery:
    """``?cursor=…&limit=…`` on every list route."""

    def __init__(
        self,
        cursor: Annotated[
            str | None, Query(max_length=200, description="From the previous page's next_cursor.")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    ) -> None:
        self.after = decode_cursor(cursor)
        self.limit = limit


PageDep = Annotated[PageQuery, Depends()]


class FleetPageQuery(PageQuery):
    """``?cursor=…&limit=…`` where a page may hold the whole fleet (`FLEET_MAX_LIMIT`)."""

    def __init__(
        self,
        cursor: Annotated[
            str | None, Query(max_length=200, description="From the previous page's next_cursor.")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=FLEET_MAX_LIMIT)] = DEFAULT_LIMIT,
    ) -> None:
        super().__init__(cursor, limit)


FleetPageDep = Annotated[FleetPageQuery, Depends()]
