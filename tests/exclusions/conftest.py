"""Fixtures of the exclusion tests: two business units, services with objectives, and people."""

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
    """Units ``retail`` (services ``pay`` and ``cards``) and ``wholesale`` (``ledger``).

    - ``eddie``: editor of retail; ``anna``: editor and approver of retail
    - ``alice``: approver of retail; ``vera``: viewer of retail
    - ``wendy``: editor of wholesale; ``walt``: approver of wholesale
    """

    session: Session
    eddie: Actor
    anna: Actor
    alice: Actor
    vera: Actor
    wendy: Actor
    walt: Actor
    pay_slo: str
    """``pay``'s availability objective (its key)."""
    cards_slo: str
    ledger_slo: str


def make_objective(session: Session, service: str, name: str = "availability") -> str:
    return objectives_service.create_objective(
        session,
        actor=SYSTEM,
        data=ObjectiveCreate(
            service=service, name=name, sli_kind=SliKind.AVAILABILITY, target=Decimal("0.9995")
        ),
        now=utc_now(),
    ).key


@pytest.fixture
def org(session: Session) -> Org:
    make_unit(session, "retail")
    make_unit(session, "wholesale")
    for slug, unit in (("pay", "retail"), ("cards", "retail"), ("ledger", "wholesale")):
        make_service(session, slug, unit, tier=3)
    people = {
        "eddie": make_principal(session, "eddie", (Role.EDITOR, "retail")),
        "anna": make_principal(session, "anna", (Role.EDITOR, "retail"), (Role.APPROVER, "retail")),
        "alice": make_principal(session, "alice", (Role.APPROVER, "retail")),
        "vera": make_principal(session, "vera", (Role.VIEWER, "retail")),
        "wendy": make_principal(session, "wendy", (Role.EDITOR, "wholesale")),
        "walt": make_principal(session, "walt", (Role.APPROVER, "wholesale")),
    }
    org = Org(
        session=session,
        pay_slo=make_objective(session, "pay"),
        cards_slo=make_objective(session, "cards"),
        ledger_slo=make_objective(session, "ledger"),
        **people,
    )
    session.commit()
    return org
