"""Fixtures of the ticket timer tests: an SLA for ``pay`` (customer ``acme``) on an office
calendar, underpinned by the ``network`` team's OLA, both in effect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from accord.agreements import service as agreements_service
from accord.agreements.enums import AgreementKind
from accord.agreements.schemas import AgreementCreate, Terms
from accord.agreements.support import service as support_service
from accord.agreements.support.schemas import SupportLinkCreate
from accord.calendars import service as calendars_service
from accord.calendars.schemas import CalendarCreate
from accord.catalogue import service as catalogue_service
from accord.catalogue.schemas import DependencyCreate
from accord.identity.enums import Role
from accord.kit.time import utc_now
from tests.factories.agreements import activate, approve
from tests.factories.catalogue import make_customer, make_service
from tests.factories.identity import SYSTEM, make_principal, make_unit

OFFICE = [[("08:00", "20:00")]] * 5 + [[], []]
"""Mon-Fri 08:00-20:00 UTC (GLPI's test calendar)."""

SLA_TARGETS: dict[str, Any] = {
    "tie_break": "shortest",
    "targets": [
        {"metric": "time_to_own", "priority": "P1", "amount": 30, "unit": "business_minutes"},
        {"metric": "time_to_own", "amount": 2, "unit": "business_hours"},
        {"metric": "time_to_resolve", "priority": "P1", "amount": 4, "unit": "business_hours"},
        {
            "metric": "time_to_resolve",
            "priority": "P2",
            "amount": 8,
            "unit": "business_hours",
            "escalations": [{"level": 1, "offset_minutes": -60}, {"level": 2, "offset_minutes": 0}],
        },
        {
            "metric": "time_to_resolve",
            "priority": "P3",
            "amount": 2,
            "unit": "working_days",
            "on_change": "keep_spent",
        },
        {
            "metric": "time_to_resolve",
            "priority": "P4",
            "amount": 40,
            "unit": "business_hours",
            "on_change": "restart",
        },
    ],
}
OLA_TARGETS: dict[str, Any] = {
    "targets": [{"metric": "time_to_resolve", "amount": 2, "unit": "business_hours"}]
}


@dataclass(frozen=True)
class World:
    session: Session
    sla: str
    ola: str
    monday: datetime
    """A Monday 00:00 UTC after the agreements took effect."""

    def at(self, day: int, hour: float) -> datetime:
        """``day`` days after the Monday (0 = Monday), at ``hour`` o'clock."""
        return self.monday + timedelta(days=day, hours=hour)


def _agreement(session: Session, **fields: Any) -> str:
    terms = fields.pop("terms")
    return agreements_service.create_agreement(
        session,
        actor=SYSTEM,
        data=AgreementCreate(**fields, terms=Terms(**terms), reason="test setup"),
        now=utc_now(),
    ).key


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


def build_world(session: Session) -> World:
    make_unit(session, "retail")
    make_unit(session, "network")
    make_service(session, "pay", "retail")
    make_service(session, "net", "network")
    make_customer(session, "acme", "retail")
    make_principal(session, "vera", (Role.VIEWER, "retail"))
    make_principal(session, "wendy", (Role.VIEWER, "network"))
    now = utc_now()
    catalogue_service.add_dependency(
        session, actor=SYSTEM, slug="pay", data=DependencyCreate(depends_on="net"), now=now
    )
    calendars_service.create_calendar(
        session,
        actor=SYSTEM,
        data=CalendarCreate(code="office", name="Office", time_zone="UTC", week=OFFICE),
        now=now,
    )
    start = now.date()
    ola = _agreement(
        session,
        kind=AgreementKind.OLA,
        title="Network support",
        business_unit="network",
        consumer_business_unit="retail",
        terms={
            "services": ["net"],
            "term_start": start,
            "supported_hours": "office",
            "ticket_terms": OLA_TARGETS,
        },
    )
    sla = _agreement(
        session,
        kind=AgreementKind.SLA,
        title="Payments",
        business_unit="retail",
        customer="acme",
        terms={
            "services": ["pay"],
            "term_start": start,
            "supported_hours": "office",
            "ticket_terms": SLA_TARGETS,
        },
    )
    for key in (ola, sla):
        approve(session, key, now=now)
        activate(session, key, now=now)
    support_service.add_support_link(
        session,
        actor=SYSTEM,
        key=sla,
        data=SupportLinkCreate(supporting=ola, service="net", reason="network underpins pay"),
        now=now,
    )
    session.commit()
    today = datetime(now.year, now.month, now.day, tzinfo=UTC)
    monday = today + timedelta(days=7 - today.weekday())
    return World(session, sla, ola, monday)
