"""Fixtures of the policy tests: two business units, an objective, and people."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from accord.identity.enums import Role
from accord.identity.rules import Actor
from accord.kit.time import utc_now
from accord.objectives import service as objectives_service
from accord.objectives.enums import SliKind
from accord.objectives.schemas import ObjectiveCreate
from tests.factories.catalogue import make_service
from tests.factories.identity import SYSTEM, make_principal, make_unit


@dataclass(frozen=True)
class Org:
    """Units ``retail`` (service ``pay`` with objective ``slo``) and ``wholesale``.

    ``eddie`` edits retail, ``vera`` views it, ``wendy`` edits wholesale."""

    session: Session
    eddie: Actor
    vera: Actor
    wendy: Actor
    slo: str


@pytest.fixture
def org(session: Session) -> Org:
    make_unit(session, "retail")
    make_unit(session, "wholesale")
    make_service(session, "pay", "retail", tier=3)
    org = Org(
        session=session,
        eddie=make_principal(session, "eddie", (Role.EDITOR, "retail")),
        vera=make_principal(session, "vera", (Role.VIEWER, "retail")),
        wendy=make_principal(session, "wendy", (Role.EDITOR, "wholesale")),
        slo=objectives_service.create_objective(
            session,
            actor=SYSTEM,
            data=ObjectiveCreate(
                service="pay",
                name="availability",
                sli_kind=SliKind.AVAILABILITY,
                target=Decimal("0.999"),
            ),
            now=utc_now(),
        ).key,
    )
    session.commit()
    return org
