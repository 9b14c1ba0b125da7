"""Pure rules of agreements: keys, the version lifecycle, sign-offs, activation, support links.

Lifecycle::

    draft ──submit──▶ in_review ──approve──▶ approved ──activate/supersede──▶ active
      ▲                   │                                                    │
      └──────return───────┘                         superseded ◀── (next version activated)
                                                    expired    ◀── (term end passed)
                                                    sunset     ◀── (retired by decision)

Terms change only in draft; approval freezes them (and their hash) for good.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from accord.agreements.enums import AgreementKind, SignOffRole, Structure, VersionStatus
from accord.kit.errors import InvalidTransition, RuleViolation
from accord.kit.hashing import content_hash

KEY_PREFIX = {AgreementKind.SLA: "SLA", AgreementKind.OLA: "OLA", AgreementKind.UC: "UC"}

OPEN_STATUSES = frozenset({VersionStatus.DRAFT, VersionStatus.IN_REVIEW})
"""Versions still being negotiated: at most one per agreement."""
ENDED_STATUSES = frozenset({VersionStatus.SUPERSEDED, VersionStatus.EXPIRED, VersionStatus.SUNSET})
APPROVED_OR_LATER = frozenset(VersionStatus) - OPEN_STATUSES

SUPPORTED_KINDS = frozenset({AgreementKind.SLA, AgreementKind.OLA})
SUPPORTING_KINDS = frozenset({AgreementKind.OLA, AgreementKind.UC})


def agreement_key(kind: AgreementKind, number: int) -> str:
    return f"{KEY_PREFIX[kind]}-{number:04d}"


def reading_units(
    kind: AgreementKind, business_unit_id: int, consumer_business_unit_id: int | None
) -> tuple[int, ...]:
    """Units whose members may read an agreement: ours, and for an OLA the consuming team's
    too (both teams are parties to it). Only the providing unit changes it."""
    if kind is AgreementKind.OLA and consumer_business_unit_id is not None:
        return (business_unit_id, consumer_business_unit_id)
    return (business_unit_id,)


def sign_off_unit(
    kind: AgreementKind,
    role: SignOffRole,
    business_unit_id: int,
    consumer_business_unit_id: int | None,
) -> int:
    """The unit whose approvers sign a role: an OLA's consuming team signs as its customer."""
    if kind is AgreementKind.OLA and role is SignOffRole.CUSTOMER_OWNER:
        assert consumer_business_unit_id is not None
        return consumer_business_unit_id
    return business_unit_id


def require_status(
    current: VersionStatus, allowed: Iterable[VersionStatus], *, operation: str
) -> None:
    allowed = frozenset(allowed)
    if current not in allowed:
        names = " or ".join(sorted(s.value for s in allowed))
        raise InvalidTransition(
            f"{operation.replace(' ', '-')}-from-{current.value}",
            f"cannot {operation} a version that is {current.value} (it must be {names})",
        )


def required_sign_offs(
    tier_requirements: Iterable[Iterable[str]], requested: Iterable[str]
) -> list[str]:
    """The union of what the covered services' tiers demand and what the agreement adds, in the
    canonical order of `SignOffRole`. The provider's owner always signs: a version covering no
    service (a master agreement's general terms) is never approved unsigned."""
    wanted = {r for reqs in tier_requirements for r in reqs} | set(requested)
    wanted.add(SignOffRole.PROVIDER_OWNER.value)
    return [r.value for r in SignOffRole if r.value in wanted]


def missing_sign_offs(required: Iterable[str], collected: Iterable[str]) -> list[str]:
    have = set(collected)
    return [r for r in required if r not in have]


def check_submittable(
    *,
    structure: Structure,
    service_count: int,
    region_residency_jurisdiction: str | None,
    jurisdiction: str | None,
) -> None:
    """A version goes to review only when its terms are complete for its structure."""
    if structure is Structure.MASTER and service_count:
        raise RuleViolation(
            "master-has-no-services",
            "a master agreement holds general terms only; cover services in its schedules",
            field="services",
        )
    if structure is not Structure.MASTER and service_count == 0:
        raise RuleViolation(
            "services-required", "the version must cover at least one service", field="services"
        )
    if region_residency_jurisdiction is not None and jurisdiction != region_residency_jurisdiction:
        raise RuleViolation(
            "data-residency",
            "the agreement's region requires data residency: its terms must be governed by "
            f"{region_residency_jurisdiction} law (jurisdiction)",
            field="jurisdiction",
        )


def check_approver(*, approver: str, author: str) -> None:
    """Four eyes: whoever drafted the version does not approve it."""
    if approver == author:
        raise InvalidTransition(
            "four-eyes", f"{approver} drafted this version, so someone else must approve it"
        )


def check_sign_off(
    *, role: SignOffRole, required: list[str], signer: str, existing: dict[str, str]
) -> None:
    """``existing`` maps role → signer of the sign-offs already given."""
    if role.value not in required:
        raise RuleViolation(
            "sign-off-not-required",
            f"this version does not require a {role.value} sign-off "
            f"(required: {', '.join(required)})",
            field="role",
        )
    if role.value in existing:
        raise InvalidTransition(
            "sign-off-given", f"{role.value} was already signed off by {existing[role.value]}"
        )
    if signer in existing.values():
        raise InvalidTransition(
            "one-sign-off-per-person",
            f"{signer} has already signed this version in another role; each role needs its "
            "own signatory",
        )


def check_activation(
    *,
    approved_at: datetime,
    effective_from: datetime,
    term_end: date | None,
    now: datetime | None = None,
) -> None:
    """No backdating (the effective date may not precede approval) and no expired terms: the
    term must not have ended by the effective date, nor by ``now`` (when given). The end of a
    term is the instant `term_end_instant` (as for the expiry job), whatever the offset of the
    effective date."""
    if effective_from < approved_at:
        raise RuleViolation(
            "no-backdating",
            f"effective_from {effective_from.isoformat()} is before the approval at "
            f"{approved_at.isoformat()}: versions cannot be backdated",
            field="effective_from",
        )
    if term_end is None:
        return
    for moment in (effective_from, now):
        if moment is not None and is_expired(term_end, moment):
            raise InvalidTransition(
                "term-expired",
                f"the term ended on {term_end.isoformat()} (at "
                f"{term_end_instant(term_end).isoformat()}); it cannot take effect at "
                f"{effective_from.isoformat()}",
            )


def term_end_instant(term_end: date) -> datetime:
    """A term ending on day D covers D entirely: it ends at the next midnight, UTC."""
    return datetime.combine(term_end + timedelta(days=1), time(0), tzinfo=UTC)


def is_expired(term_end: date | None, now: datetime) -> bool:
    return term_end is not None and now >= term_end_instant(term_end)


def headline(latest_status: VersionStatus, *, has_active: bool) -> VersionStatus:
    """The agreement's status: ``active`` while a version is active, else its latest version's."""
    return VersionStatus.ACTIVE if has_active else latest_status


def headline_status(statuses_by_number: dict[int, VersionStatus]) -> VersionStatus:
    """`headline` of the versions given (number → status)."""
    return headline(
        statuses_by_number[max(statuses_by_number)],
        has_active=VersionStatus.ACTIVE in statuses_by_number.values(),
    )


def terms_hash(terms: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of the terms (with services as sorted slugs)."""
    return content_hash(terms)


def check_support_link(
    *,
    supported_key: str,
    supported_kind: AgreementKind,
    supporting_key: str,
    supporting_kind: AgreementKind,
    supporting_is_active: bool,
    supporting_covers_service: bool,
    supported_relies_on_service: bool,
    service: str,
) -> None:
    if supported_key == supporting_key:
        raise RuleViolation(
            "support-self", "an agreement cannot support itself", field="supporting"
        )
    if supported_kind not in SUPPORTED_KINDS:
        raise RuleViolation(
            "support-kinds", f"only SLAs and OLAs are underpinned; {supported_key} is a UC"
        )
    if supporting_kind not in SUPPORTING_KINDS:
        raise RuleViolation(
            "support-kinds",
            f"only OLAs and UCs underpin other agreements; {supporting_key} is an SLA",
            field="supporting",
        )
    if not supporting_is_active:
        raise RuleViolation(
            "support-not-active",
            f"{supporting_key} has no active version, so it cannot underpin anything",
            field="supporting",
        )
    if not supporting_covers_service:
        raise RuleViolation(
            "support-does-not-cover",
            f"the active version of {supporting_key} does not cover the service {service}",
            field="service",
        )
    if not supported_relies_on_service:
        raise RuleViolation(
            "supported-does-not-cover",
            f"{supported_key} covers neither {service} nor any service that depends on it",
            field="service",
        )


def in_effect_at(effective_from: datetime | None, ended_at: datetime | None, at: datetime) -> bool:
    """A version is in effect from its effective instant until it ended (exclusive)."""
    return (
        effective_from is not None and effective_from <= at and (ended_at is None or at < ended_at)
    )
