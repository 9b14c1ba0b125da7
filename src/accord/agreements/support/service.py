"""Support links: which OLAs and UCs underpin an SLA or OLA, for which service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from accord.agreements import rules
from accord.agreements import service as agreements_service
from accord.agreements.models import Agreement, SupportLink
from accord.agreements.repository import AgreementRepository, VersionRepository
from accord.agreements.support.repository import SupportLinkRepository
from accord.agreements.support.schemas import AgreementSupport, SupportLinkCreate, SupportLinkRead
from accord.catalogue import service as catalogue_service
from accord.identity.rules import Actor, Permission
from accord.kit.errors import (
    InvalidInput,
    InvalidTransition,
    NotFound,
)

READ = Permission.AGREEMENTS_READ
WRITE = Permission.AGREEMENTS_WRITE


def get_support(session: Session, *, actor: Actor, key: str) -> AgreementSupport:
    agreement = agreements_service.visible_agreement(session, actor, key)
    return present_support(session, actor, agreement)


def add_support_link(
    session: Session, *, actor: Actor, key: str, data: SupportLinkCreate, now: datetime
) -> AgreementSupport:
    supported = agreements_service.visible_agreement(session, actor, key)
    actor.require(WRITE, supported.business_unit_id)
    supporting = AgreementRepository(session).by_key(data.supporting)
    if supporting is None or not agreements_service.readable(actor, supporting):
        raise InvalidInput.field("supporting", f"no agreement {data.supporting}")
    service = catalogue_service.services_by_slugs(
        session, actor=actor, slugs=[data.service], field="service"
    )[0]
    versions = VersionRepository(session)
    active = versions.active_of([supporting.id]).get(supporting.id)
    supporting_covers = (
        active is not None and service.id in versions.service_ids([active.id])[active.id]
    )
    live = [
        v for v in versions.of_agreements([supported.id]) if v.status not in rules.ENDED_STATUSES
    ]
    covered = versions.service_ids([v.id for v in live])
    # An SLA for mobile banking is underpinned by the platform OLA for identity when mobile
    # banking depends on identity: what it covers, and everything that relies on, counts.
    relied_on = catalogue_service.dependency_closure(
        session, (s for ids in covered.values() for s in ids)
    )
    rules.check_support_link(
        supported_key=supported.key,
        supported_kind=supported.kind,
        supporting_key=supporting.key,
        supporting_kind=supporting.kind,
        supporting_is_active=active is not None,
        supporting_covers_service=supporting_covers,
        supported_relies_on_service=service.id in relied_on,
        service=service.slug,
    )
    links = SupportLinkRepository(session)
    if links.find_live(supported.id, supporting.id, service.id) is not None:
        raise InvalidTransition(
            "support-exists", f"{supporting.key} already underpins {key} for {service.slug}"
        )
    before = present_support(session, actor, supported)
    links.add(
        SupportLink(
            supported_id=supported.id,
            supporting_id=supporting.id,
            service_id=service.id,
            created_at=now,
            created_by=actor.name,
        )
    )
    read = present_support(session, actor, supported)
    agreements_service.record_change(
        session,
        actor,
        supported,
        "agreement.support_linked",
        data.reason,
        now,
        before=before.supported_by,
        after=read.supported_by,
    )
    return read


def remove_support_link(
    session: Session, *, actor: Actor, key: str, link_id: int, reason: str, now: datetime
) -> AgreementSupport:
    supported = agreements_service.visible_agreement(session, actor, key)
    actor.require(WRITE, supported.business_unit_id)
    links = SupportLinkRepository(session)
    link = links.get(link_id)
    if link is None or link.deleted_at is not None or link.supported_id != supported.id:
        raise NotFound(f"{key} has no support link {link_id}")
    before = present_support(session, actor, supported)
    link.deleted_at = now
    session.flush()
    read = present_support(session, actor, supported)
    agreements_service.record_change(
        session,
        actor,
        supported,
        "agreement.support_unlinked",
        reason,
        now,
        before=before.supported_by,
        after=read.supported_by,
    )
    return read


def present_support(session: Session, actor: Actor, agreement: Agreement) -> AgreementSupport:
    links = SupportLinkRepository(session)
    supported_by, supports = links.supported_by(agreement.id), links.supporting(agreement.id)
    all_links = supported_by + supports
    others = AgreementRepository(session).by_ids(
        {link.supporting_id for link in all_links} | {link.supported_id for link in all_links}
    )
    services = catalogue_service.services_by_ids(session, {link.service_id for link in all_links})

    def read(link: SupportLink) -> SupportLinkRead:
        supporting = others[link.supporting_id]
        return SupportLinkRead(
            id=link.id,
            supported=others[link.supported_id].key,
            supporting=supporting.key,
            supporting_kind=supporting.kind,
            service=services[link.service_id].slug,
            created_at=link.created_at,
            created_by=link.created_by,
        )

    def visible(link: SupportLink) -> bool:
        return agreements_service.readable(
            actor, others[link.supporting_id]
        ) and agreements_service.readable(actor, others[link.supported_id])

    return AgreementSupport(
        agreement=agreement.key,
        supported_by=[read(link) for link in supported_by if visible(link)],
        supports=[read(link) for link in supports if visible(link)],
    )
