"""Fixtures of the catalogue tests: two business units and people with roles in them."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from accord.identity.enums import PrincipalKind, Role
from tests.factories.identity import make_principal, make_unit


@pytest.fixture
def org(session: Session) -> Session:
    """Units ``retail`` and ``wholesale``.

    - ``root``: admin everywhere
    - ``eddie``: editor of retail
    - ``vera``: viewer of retail
    - ``wendy``: editor of wholesale
    - ``cross``: editor of retail and viewer of wholesale
    - ``prom``: a machine source ingesting for retail
    """
    make_unit(session, "retail")
    make_unit(session, "wholesale")
    make_principal(session, "root", (Role.ADMIN, None))
    make_principal(session, "eddie", (Role.EDITOR, "retail"))
    make_principal(session, "vera", (Role.VIEWER, "retail"))
    make_principal(session, "wendy", (Role.EDITOR, "wholesale"))
    make_principal(session, "cross", (Role.EDITOR, "retail"), (Role.VIEWER, "wholesale"))
    make_principal(session, "prom", (Role.INGEST, "retail"), kind=PrincipalKind.SOURCE)
    session.commit()
    return session
