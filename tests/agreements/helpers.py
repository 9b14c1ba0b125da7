"""Helpers shared by the agreements tests: a small catalogue ("world"), and short wrappers that
drive the agreements service with explicit times, so lifecycle tests can reason about instants.

Everything goes through the product's services (the factories in tests/factories do the same);
only the immutability tests touch the tables directly, and they do it on purpose.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.agreements import service as agreements_service
from accord.agreements.approvals import service as approvals_service
from accord.agreements.enums import AgreementKind, SignOffRole, Structure
from accord.agreements.models import Agreement, AgreementVersion
from accord.agreements.schemas import (
    ActivationRequest,
    AgreementCreate,
    AgreementRead,
    SignOffCreate,
    Terms,
    TransitionRequest,
    VersionCreate,
    VersionRead,
)
from accord.audit.models import AuditEvent
from accord.catalogue import service as catalogue_service
from accord.catalogue.enums import Lifecycle
from accord.catalogue.schemas import ContactCreate, ServiceUpdate
from accord.identity.enums import Role
from accord.identity.rules import Actor, system_actor
from accord.kit.errors import AccordError, RuleViolation
from accord.kit.time import utc_now
from tests.factories.agreements import reviewers
from tests.factories.catalogue import make_customer, make_region, make_service, make_vendor
from tests.factories.identity import SYSTEM, make_principal, make_token, make_unit

AUTHOR = SYSTEM
"""Drafts every agreement unless a test says otherwise (``test-system``)."""
APPROVER = reviewers()[0]
"""Someone other than the author, so four eyes are satisfied."""

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""The instant agreements are drafted at; later steps are offsets from it."""


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@dataclass(frozen=True)
class World:
    """Units, customers, services, vendor and regions every agreements test can rely on.

    - ``retail`` (our provider unit): customers ``acme``, ``globex``; services ``payments-api``
      (tier 2), ``ledger`` (tier 1: legal sign-off), ``reports`` (tier 4), ``cards`` (tier 3).
    - ``wholesale`` (another unit): customer ``initech``, service ``billing`` (tier 2).
    - ``platform`` (an internal unit, consumer of OLAs).
    - vendor ``cloudco``; regions ``eu-west`` (no residency) and ``de-sov`` (DE residency).
    """

    unit: str = "retail"
    other_unit: str = "wholesale"
    platform: str = "platform"
    customer: str = "acme"
    customer2: str = "globex"
    other_customer: str = "initech"
    service: str = "payments-api"
    tier1_service: str = "ledger"
    tier4_service: str = "reports"
    tier3_service: str = "cards"
    other_service: str = "billing"
    vendor: str = "cloudco"
    region: str = "eu-west"
    residency_region: str = "de-sov"


def build_world(session: Session) -> World:
    world = World()
    for unit in (world.unit, world.other_unit, world.platform):
        make_unit(session, unit)
    make_region(session, world.region, jurisdiction="IE")
    make_region(session, world.residency_region, jurisdiction="DE", data_residency=True)
    make_customer(session, world.customer, world.unit)
    make_customer(session, world.customer2, world.unit)
    make_customer(session, world.other_customer, world.other_unit)
    make_service(session, world.service, world.unit, tier=2)
    make_service(session, world.tier1_service, world.unit, tier=1)
    make_service(session, world.tier4_service, world.unit, tier=4)
    make_service(session, world.tier3_service, world.unit, tier=3)
    make_service(session, world.other_service, world.other_unit, tier=2)
    make_vendor(session, world.vendor)
    session.commit()
    return world


# ------------------------------------------------------------------------------------ writing


def create(
    session: Session,
    *,
    kind: AgreementKind = AgreementKind.SLA,
    unit: str = "retail",
    customer: str | None = None,
    consumer_unit: str | None = None,
    vendor: str | None = None,
    services: Sequence[str] | None = ("payments-api",),
    structure: Structure = Structure.MONOLITHIC,
    master: str | None = None,
    region: str | None = None,
    title: str = "Test agreement",
    terms: dict[str, Any] | None = None,
    actor: Actor = AUTHOR,
    now: datetime = T0,
    reason: str = "new agreement",
) -> AgreementRead:
    """Create an agreement; the counterparty defaults to the kind's usual one in the world."""
    if kind is AgreementKind.SLA and customer is None:
        customer = "acme"
    if kind is AgreementKind.OLA and consumer_unit is None:
        consumer_unit = "platform"
    if kind is AgreementKind.UC and vendor is None:
        vendor = "cloudco"
    term_data: dict[str, Any] = {"term_start": date(2026, 1, 1)}
    if services is not None:
        term_data["services"] = list(services)
    term_data.update(terms or {})
    return agreements_service.create_agreement(
        session,
        actor=actor,
        data=AgreementCreate(
            kind=kind,
            structure=structure,
            master=master,
            title=title,
            business_unit=unit,
            customer=customer,
            consumer_business_unit=consumer_unit,
            vendor=vendor,
            region=region,
            terms=Terms.model_validate(term_data),
            reason=reason,
        ),
        now=now,
    )


def new_version(
    session: Session,
    key: str,
    *,
    terms: dict[str, Any] | None = None,
    now: datetime,
    actor: Actor = AUTHOR,
    reason: str = "renegotiation",
) -> VersionRead:
    return agreements_service.create_version(
        session,
        actor=actor,
        key=key,
        data=VersionCreate.model_validate({"terms": terms or {}, "reason": reason}),
        now=now,
    )


def submit(
    session: Session, key: str, number: int = 1, *, now: datetime, actor: Actor = AUTHOR
) -> VersionRead:
    return approvals_service.submit_version(
        session,
        actor=actor,
        key=key,
        number=number,
        data=TransitionRequest(reason="ready for review"),
        now=now,
    )


def sign(
    session: Session, key: str, number: int, role: str, *, signer: str, now: datetime
) -> VersionRead:
    return approvals_service.sign_off_version(
        session,
        actor=system_actor(signer),
        key=key,
        number=number,
        data=SignOffCreate(role=SignOffRole(role)),
        now=now,
    )


def sign_all(session: Session, key: str, number: int, *, now: datetime) -> VersionRead:
    version = agreements_service.get_version(session, actor=AUTHOR, key=key, number=number)
    for role in version.missing_sign_offs:
        version = sign(session, key, number, role, signer=f"signer-{role}", now=now)
    return version


def approve_only(
    session: Session, key: str, number: int = 1, *, now: datetime, approver: Actor = APPROVER
) -> VersionRead:
    return approvals_service.approve_version(
        session,
        actor=approver,
        key=key,
        number=number,
        data=TransitionRequest(reason="terms agreed"),
        now=now,
    )


def approve(session: Session, key: str, number: int = 1, *, now: datetime) -> VersionRead:
    """Submit, collect every missing sign-off and approve, all at ``now``."""
    submit(session, key, number, now=now)
    sign_all(session, key, number, now=now)
    return approve_only(session, key, number, now=now)


def activate(
    session: Session,
    key: str,
    number: int = 1,
    *,
    effective_from: datetime | None,
    now: datetime,
    supersede: bool = False,
    reason: str = "go live",
) -> VersionRead:
    return approvals_service.activate_version(
        session,
        actor=APPROVER,
        key=key,
        number=number,
        data=ActivationRequest(effective_from=effective_from, reason=reason),
        supersede=supersede,
        now=now,
    )


def make_active(
    session: Session, key: str, number: int = 1, *, now: datetime, supersede: bool = False
) -> VersionRead:
    """Approve at ``now`` and activate one hour later, effective immediately."""
    approve(session, key, number, now=now)
    later = now + timedelta(hours=1)
    return activate(session, key, number, effective_from=later, now=later, supersede=supersede)


def set_lifecycle(session: Session, slug: str, lifecycle: Lifecycle) -> None:
    catalogue_service.update_service(
        session, actor=SYSTEM, slug=slug, data=ServiceUpdate(lifecycle=lifecycle), now=utc_now()
    )


def add_contact(session: Session, customer: str, principal: str) -> None:
    catalogue_service.add_customer_contact(
        session, actor=SYSTEM, code=customer, data=ContactCreate(principal=principal), now=utc_now()
    )


# ------------------------------------------------------------------------------------ reading


def audit_count(session: Session, *, entity_type: str | None = None) -> int:
    stmt = select(func.count()).select_from(AuditEvent)
    if entity_type is not None:
        stmt = stmt.where(AuditEvent.entity_type == entity_type)
    return session.scalar(stmt) or 0


def audit_events(session: Session, key: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "agreement", AuditEvent.entity_key == key)
            .order_by(AuditEvent.seq)
        )
    )


def events_since(session: Session, seq: int) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.seq > seq)))


def head_seq(session: Session) -> int:
    return session.scalar(select(func.max(AuditEvent.seq))) or 0


def agreement_row(session: Session, key: str) -> Agreement | None:
    """The row whatever its deletion state (the service hides deleted ones)."""
    return session.scalars(select(Agreement).where(Agreement.key == key)).first()


def deleted_at(session: Session, key: str) -> datetime | None:
    row = agreement_row(session, key)
    assert row is not None, f"{key} has no row at all"
    session.refresh(row)
    return row.deleted_at


def version_row(session: Session, key: str, number: int = 1) -> AgreementVersion:
    row = session.scalars(
        select(AgreementVersion)
        .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
        .where(Agreement.key == key, AgreementVersion.number == number)
    ).one()
    return row


def keys(items: Iterable[Any]) -> list[str]:
    return [item.key for item in items]


@contextmanager
def refused(
    session: Session,
    rule: str | None = None,
    error: type[AccordError] = RuleViolation,
) -> Iterator[pytest.ExceptionInfo[AccordError]]:
    """Expect the block to raise ``error`` (breaking ``rule``, when given) before appending any
    audit event; then roll back to the last commit, as the request's unit of work would.

    Commits first, so the rollback keeps what the test built up to here."""
    session.commit()
    seq = head_seq(session)
    with pytest.raises(error) as info:
        yield info
    if rule is not None:
        assert isinstance(info.value, RuleViolation), info.value
        assert info.value.rule == rule, (info.value.rule, info.value.detail)
    with session.no_autoflush:  # events are flushed as they are recorded
        assert head_seq(session) == seq, "an audit event was appended by a refused operation"
    session.rollback()


# ------------------------------------------------------------------------------------ HTTP


class Callers:
    """Bearer headers of the test's principals, each created (and committed) on first use, so
    a test pays only for the principals it needs. (Creating one writes identity audit events,
    never agreement ones, which is what the tests count.)

    - ``editor`` eddie: editor in retail; ``approver``/``approver2`` alice/bob: approvers in
      retail; ``outsider`` wanda: admin in wholesale only; ``everywhere`` olga: admin in every
      unit; ``external`` xena: external in retail and a contact of acme.
    """

    GRANTS: ClassVar[dict[str, tuple[Role, str | None]]] = {
        "eddie": (Role.EDITOR, "retail"),
        "alice": (Role.APPROVER, "retail"),
        "bob": (Role.APPROVER, "retail"),
        "wanda": (Role.ADMIN, "wholesale"),
        "olga": (Role.ADMIN, None),
        "xena": (Role.EXTERNAL, "retail"),
    }

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[str, dict[str, str]] = {}

    def headers(self, name: str) -> dict[str, str]:
        if name not in self.cache:
            make_principal(self.session, name, self.GRANTS[name])
            if name == "xena":
                add_contact(self.session, "acme", name)
            self.session.commit()
            self.cache[name] = bearer(self.session, name)
            self.session.commit()
        return self.cache[name]

    @property
    def editor(self) -> dict[str, str]:
        return self.headers("eddie")

    @property
    def approver(self) -> dict[str, str]:
        return self.headers("alice")

    @property
    def approver2(self) -> dict[str, str]:
        return self.headers("bob")

    @property
    def outsider(self) -> dict[str, str]:
        return self.headers("wanda")

    @property
    def everywhere(self) -> dict[str, str]:
        return self.headers("olga")

    @property
    def external(self) -> dict[str, str]:
        return self.headers("xena")


def bearer(session: Session, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(session, name)}"}
