"""The version lifecycle: submit for review, return, sign off, approve, activate or supersede,
sunset, and expire (see `agreements.rules` for the state diagram)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from accord.agreements import rules
from accord.agreements import service as agreements_service
from accord.agreements.enums import VersionStatus
from accord.agreements.models import Agreement, AgreementVersion, SignOff
from accord.agreements.repository import AgreementRepository, VersionRepository
from accord.agreements.schemas import (
    ActivationRequest,
    AgreementRead,
    SignOffCreate,
    TransitionRequest,
    VersionRead,
)
from accord.identity.rules import Actor, Permission
from accord.kit.errors import (
    InvalidTransition,
    RuleViolation,
)

READ = Permission.AGREEMENTS_READ
WRITE = Permission.AGREEMENTS_WRITE


def submit_version(
    session: Session, *, actor: Actor, key: str, number: int, data: TransitionRequest, now: datetime
) -> VersionRead:
    agreement = agreements_service.visible_agreement(session, actor, key)
    actor.require(WRITE, agreement.business_unit_id)
    version = agreements_service.version_of(session, agreement, number)
    rules.require_status(version.status, [VersionStatus.DRAFT], operation="submit")
    services = agreements_service.covered_services(session, version)
    region = agreements_service.region_requiring_residency(session, agreement)
    rules.check_submittable(
        structure=agreement.structure,
        service_count=len(services),
        region_residency_jurisdiction=region,
        jurisdiction=version.jurisdiction,
    )
    agreements_service.check_services_coverable(session, agreement, services, field="services")
    # Tiers may have changed since the draft was written: fix the requirement now.
    version.required_sign_offs = agreements_service.required_sign_offs_for(
        session, services, version.requested_sign_offs
    )
    return _transition(
        session,
        actor,
        agreement,
        version,
        VersionStatus.IN_REVIEW,
        "agreement.version_submitted",
        data.reason,
        now,
        submitted_at=now,
    )


def return_version(
    session: Session, *, actor: Actor, key: str, number: int, data: TransitionRequest, now: datetime
) -> VersionRead:
    """Back to draft for changes; sign-offs given so far are void (they were for other terms)."""
    agreement = agreements_service.visible_agreement(session, actor, key)
    if not (
        actor.can(WRITE, agreement.business_unit_id)
        or actor.can(Permission.AGREEMENTS_APPROVE, agreement.business_unit_id)
    ):
        actor.require(WRITE, agreement.business_unit_id)
    version = agreements_service.version_of(session, agreement, number)
    rules.require_status(version.status, [VersionStatus.IN_REVIEW], operation="return")
    VersionRepository(session).clear_sign_offs(version.id)
    return _transition(
        session,
        actor,
        agreement,
        version,
        VersionStatus.DRAFT,
        "agreement.version_returned",
        data.reason,
        now,
        submitted_at=None,
    )


def sign_off_version(
    session: Session, *, actor: Actor, key: str, number: int, data: SignOffCreate, now: datetime
) -> VersionRead:
    agreement = agreements_service.visible_agreement(session, actor, key)
    actor.require(
        Permission.AGREEMENTS_SIGN_OFF,
        rules.sign_off_unit(
            agreement.kind,
            data.role,
            agreement.business_unit_id,
            agreement.consumer_business_unit_id,
        ),
    )
    version = agreements_service.version_of(session, agreement, number)
    rules.require_status(version.status, [VersionStatus.IN_REVIEW], operation="sign off")
    versions = VersionRepository(session)
    existing = {s.role.value: s.signed_by for s in versions.sign_offs([version.id])[version.id]}
    rules.check_sign_off(
        role=data.role, required=version.required_sign_offs, signer=actor.name, existing=existing
    )
    before = agreements_service.Presenter(session, [agreement]).version(agreement, version)
    versions.add_sign_off(
        SignOff(
            version_id=version.id,
            role=data.role,
            principal_id=actor.principal_id,
            signed_by=actor.name,
            signed_at=now,
            comment=data.comment,
        )
    )
    version.updated_at = now
    session.flush()
    read = agreements_service.Presenter(session, [agreement]).version(agreement, version)
    agreements_service.record_change(
        session,
        actor,
        agreement,
        "agreement.version_signed_off",
        f"{data.role.value} sign-off" + (f": {data.comment}" if data.comment else ""),
        now,
        before=before,
        after=read,
    )
    return read


def approve_version(
    session: Session, *, actor: Actor, key: str, number: int, data: TransitionRequest, now: datetime
) -> VersionRead:
    agreement = agreements_service.visible_agreement(session, actor, key)
    actor.require(Permission.AGREEMENTS_APPROVE, agreement.business_unit_id)
    version = agreements_service.version_of(session, agreement, number)
    rules.require_status(version.status, [VersionStatus.IN_REVIEW], operation="approve")
    signed = [s.role.value for s in VersionRepository(session).sign_offs([version.id])[version.id]]
    missing = rules.missing_sign_offs(version.required_sign_offs, signed)
    if missing:
        raise InvalidTransition(
            "sign-offs-missing", f"{key} v{number} still needs sign-off by: {', '.join(missing)}"
        )
    rules.check_approver(approver=actor.name, author=version.created_by)
    terms = agreements_service.Presenter(session, [agreement]).version(agreement, version).terms
    return _transition(
        session,
        actor,
        agreement,
        version,
        VersionStatus.APPROVED,
        "agreement.version_approved",
        data.reason,
        now,
        approved_at=now,
        approved_by=actor.name,
        terms_hash=rules.terms_hash(terms.model_dump(mode="json")),
    )


def activate_version(
    session: Session,
    *,
    actor: Actor,
    key: str,
    number: int,
    data: ActivationRequest,
    supersede: bool,
    now: datetime,
) -> VersionRead:
    """Put an approved version into effect. With ``supersede`` the currently active version
    ends when this one takes effect; without it, activation is refused while one is active."""
    agreement = agreements_service.visible_agreement(session, actor, key)
    actor.require(Permission.AGREEMENTS_APPROVE, agreement.business_unit_id)
    version = agreements_service.version_of(session, agreement, number)
    rules.require_status(version.status, [VersionStatus.APPROVED], operation="activate")
    assert version.approved_at is not None
    effective_from = data.effective_from or now
    rules.check_activation(
        approved_at=version.approved_at,
        effective_from=effective_from,
        term_end=version.term_end,
        now=now,
    )
    if agreement.master_id is not None and not VersionRepository(session).in_status(
        agreement.master_id, [VersionStatus.ACTIVE]
    ):
        raise InvalidTransition(
            "master-not-active", "a schedule takes effect only while its master agreement is active"
        )
    versions = VersionRepository(session)
    current = versions.in_status(agreement.id, [VersionStatus.ACTIVE])
    if current and not supersede:
        raise InvalidTransition(
            "already-active",
            f"{key} v{current[0].number} is active: supersede it instead of activating alongside",
        )
    if supersede and not current:
        raise InvalidTransition("nothing-to-supersede", f"{key} has no active version to supersede")
    if current:
        # No older version can replace it: activating a version supersedes the approved versions
        # older than it (below), so an approved version is always newer than the active one.
        old = current[0]
        if old.effective_from is not None and effective_from < old.effective_from:
            raise RuleViolation(
                "supersede-before-start",
                f"v{old.number} only took effect at {old.effective_from.isoformat()}",
                field="effective_from",
            )
        old_before = agreements_service.Presenter(session, [agreement]).version(agreement, old)
        old.status = VersionStatus.SUPERSEDED
        old.ended_at = effective_from
        old.updated_at = now
        session.flush()
        agreements_service.record_change(
            session,
            actor,
            agreement,
            "agreement.version_superseded",
            data.reason,
            now,
            before=old_before,
            after=agreements_service.Presenter(session, [agreement]).version(agreement, old),
        )
    # Older approved versions that never took effect can no longer do so.
    for stale in versions.in_status(agreement.id, [VersionStatus.APPROVED]):
        if stale.number < version.number:
            stale.status = VersionStatus.SUPERSEDED
            stale.updated_at = now
    return _transition(
        session,
        actor,
        agreement,
        version,
        VersionStatus.ACTIVE,
        "agreement.version_activated",
        data.reason,
        now,
        effective_from=effective_from,
    )


def sunset_agreement(
    session: Session, *, actor: Actor, key: str, data: TransitionRequest, now: datetime
) -> AgreementRead:
    """Retire the active version by decision (e.g. the service is being decommissioned)."""
    agreement = agreements_service.visible_agreement(session, actor, key)
    actor.require(Permission.AGREEMENTS_APPROVE, agreement.business_unit_id)
    active = VersionRepository(session).in_status(agreement.id, [VersionStatus.ACTIVE])
    if not active:
        raise InvalidTransition("sunset-without-active", f"{key} has no active version to sunset")
    live_schedules = [
        s.key
        for s in AgreementRepository(session).schedules_of(agreement.id)
        if VersionRepository(session).in_status(s.id, [VersionStatus.ACTIVE])
    ]
    if live_schedules:
        raise InvalidTransition(
            "sunset-master-with-schedules",
            f"sunset the active schedules {', '.join(live_schedules)} before their master",
        )
    agreements_service.refuse_if_supporting_active(session, agreement, operation="sunset")
    version = active[0]
    before = agreements_service.Presenter(session, [agreement]).version(agreement, version)
    version.status = VersionStatus.SUNSET
    version.ended_at = now
    version.updated_at = now
    agreement.updated_at = now
    session.flush()
    read = agreements_service.Presenter(session, [agreement]).agreement(agreement)
    agreements_service.record_change(
        session,
        actor,
        agreement,
        "agreement.sunset",
        data.reason,
        now,
        before=before,
        after=agreements_service.Presenter(session, [agreement]).version(agreement, version),
    )
    return read


def expire_due_versions(session: Session, *, actor: Actor, now: datetime) -> list[str]:
    """Active versions whose term has ended become expired (the job `agreements.expire`)."""
    actor.require(Permission.AGREEMENTS_APPROVE, None)
    expired = []
    for version in VersionRepository(session).active_expiring_before(now.date()):
        assert version.term_end is not None
        if not rules.is_expired(version.term_end, now):
            continue
        agreement = AgreementRepository(session).get(version.agreement_id)
        assert agreement is not None
        before = agreements_service.Presenter(session, [agreement]).version(agreement, version)
        version.status = VersionStatus.EXPIRED
        version.ended_at = rules.term_end_instant(version.term_end)
        version.updated_at = now
        session.flush()
        agreements_service.record_change(
            session,
            actor,
            agreement,
            "agreement.version_expired",
            f"the term ended on {version.term_end.isoformat()}",
            now,
            before=before,
            after=agreements_service.Presenter(session, [agreement]).version(agreement, version),
        )
        expired.append(f"{agreement.key}/v{version.number}")
    return expired


def _transition(
    session: Session,
    actor: Actor,
    agreement: Agreement,
    version: AgreementVersion,
    status: VersionStatus,
    action: str,
    reason: str,
    now: datetime,
    **changes: Any,
) -> VersionRead:
    before = agreements_service.Presenter(session, [agreement]).version(agreement, version)
    version.status = status
    for name, value in changes.items():
        setattr(version, name, value)
    version.updated_at = now
    agreement.updated_at = now
    session.flush()
    read = agreements_service.Presenter(session, [agreement]).version(agreement, version)
    agreements_service.record_change(
        session, actor, agreement, action, reason, now, before=before, after=read
    )
    return read
