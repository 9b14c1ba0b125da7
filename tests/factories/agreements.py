from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from accord.agreements import service as agreements_service
from accord.agreements.approvals import service as approvals_service
from accord.agreements.enums import AgreementKind, SignOffRole
from accord.agreements.schemas import (
    ActivationRequest,
    AgreementCreate,
    AgreementRead,
    SignOffCreate,
    Terms,
    TransitionRequest,
    VersionRead,
)
from accord.identity.enums import Role
from accord.identity.rules import Actor, Grant, system_actor
from accord.kit.time import utc_now
from tests.factories.identity import SYSTEM


def make_agreement(
    session: Session,
    *,
    unit: str,
    services: list[str],
    kind: AgreementKind = AgreementKind.SLA,
    customer: str | None = None,
    consumer_unit: str | None = None,
    vendor: str | None = None,
    title: str = "Test agreement",
    term_start: date = date(2026, 1, 1),
    term_end: date | None = None,
    actor: Actor = SYSTEM,
    now: datetime | None = None,
) -> AgreementRead:
    return agreements_service.create_agreement(
        session,
        actor=actor,
        data=AgreementCreate(
            kind=kind,
            title=title,
            business_unit=unit,
            customer=customer,
            consumer_business_unit=consumer_unit,
            vendor=vendor,
            terms=Terms(services=services, term_start=term_start, term_end=term_end),
            reason="test setup",
        ),
        now=now or utc_now(),
    )


def reviewers() -> tuple[Actor, Actor]:
    """Two distinct system approvers (four eyes: the author may not approve)."""
    return (
        Actor(name="reviewer-a", kind=SYSTEM.kind, grants=frozenset({Grant(Role.ADMIN, None)})),
        system_actor("reviewer-b"),
    )


def approve(
    session: Session, key: str, number: int = 1, *, now: datetime | None = None
) -> VersionRead:
    """Submit, collect every required sign-off (one signatory per role) and approve."""
    now = now or utc_now()
    reason = TransitionRequest(reason="test setup")
    version = approvals_service.submit_version(
        session, actor=SYSTEM, key=key, number=number, data=reason, now=now
    )
    for i, role in enumerate(version.terms.required_sign_offs):
        approvals_service.sign_off_version(
            session,
            actor=system_actor(f"signer-{i}"),
            key=key,
            number=number,
            data=SignOffCreate(role=SignOffRole(role)),
            now=now,
        )
    approver, _ = reviewers()
    return approvals_service.approve_version(
        session, actor=approver, key=key, number=number, data=reason, now=now
    )


def activate(
    session: Session,
    key: str,
    number: int = 1,
    *,
    now: datetime | None = None,
    supersede: bool = False,
) -> VersionRead:
    now = now or utc_now()
    return approvals_service.activate_version(
        session,
        actor=SYSTEM,
        key=key,
        number=number,
        data=ActivationRequest(reason="test setup", effective_from=now + timedelta(seconds=1)),
        supersede=supersede,
        now=now + timedelta(seconds=1),
    )
