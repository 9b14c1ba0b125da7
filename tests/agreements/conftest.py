"""Fixtures of the agreements tests (helpers live in `tests.agreements.helpers`)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.agreements.helpers import World, build_world


@pytest.fixture
def world(session: Session) -> World:
    """The catalogue every agreements test starts from, committed so the app sees it too."""
    return build_world(session)
