"""Fixtures of the agreements tests (helpers live in `tests.agreements.helpers`)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.agreements.helpers import Callers, World, build_world


@pytest.fixture
def world(session: Session) -> World:
    """The catalogue every agreements test starts from, committed so the app sees it too."""
    return build_world(session)


@pytest.fixture
def callers(session: Session, world: World) -> Callers:
    """HTTP callers (bearer headers) of the world's units, created on first use."""
    return Callers(session)
