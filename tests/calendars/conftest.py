"""Fixtures of the calendar tests: one business unit and people with roles."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from accord.identity.enums import Role
from tests.factories.identity import make_principal, make_unit


@pytest.fixture
def org(session: Session) -> Session:
    """Unit ``retail``.

    - ``root``: admin everywhere
    - ``keeper``: editor everywhere (``catalogue:write`` in every unit: may change calendars)
    - ``eddie``: editor of retail only (may not: calendars are org-wide)
    - ``vera``: viewer of retail
    """
    make_unit(session, "retail")
    make_principal(session, "root", (Role.ADMIN, None))
    make_principal(session, "keeper", (Role.EDITOR, None))
    make_principal(session, "eddie", (Role.EDITOR, "retail"))
    make_principal(session, "vera", (Role.VIEWER, "retail"))
    session.commit()
    return session
