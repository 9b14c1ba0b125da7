"""Use cases of agreements: reading them (internal and customer-facing views), creating and
changing them, their versions and terms, and soft deletion. Transitions of the version
lifecycle live in `agreements.approvals`, the links to underpinning OLAs/UCs in
`agreements.support`.

Every write checks the actor's permission in the agreement's business unit, requires a reason,
and appends one audit event (entity ``agreement``, key ``SLA-0001``) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from accord.agreements import rules
from accord.agreements.enums import AgreementKind, Structure, VersionStatus
from accord.agreements.models import TERM_COLUMNS, Agreement, AgreementVersion
from accord.agreements.repository import (
    AgreementRepository,
    CoverageRepository,
    Headline,
    VersionRepository,
)
from accord.agreements.schemas import (
    AgreementCreate,
    AgreementFilter,
    AgreementListItem,
    AgreementRead,
    AgreementUpdate,
    EndingTerm,
    ExternalAgreementRead,
    ExternalTerms,
    ExternalVersion,
    PortfolioSummary,
    SignOffRead,
    StatusCount,
    TermFields,
    TermsRead,
    VersionCreate,
    VersionRead,
    VersionSummary,
    VersionUpdate,
)
from accord.agreements.support.repository import SupportLinkRepository
from accord.audit import service as audit_service
from accord.calendars import service as calendars_service
from accord.catalogue import service as catalogue_service
from accord.catalogue.enums import Lifecycle
from accord.identity import service as identity_service
from accord.identity.rules import Actor, Permission
from accord.kit.errors import (
    InvalidInput,
    InvalidTransition,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    RuleViolation,
)

if TYPE_CHECKING:
    from accord.catalogue.models import Service

READ = Permission.AGREEMENTS_READ
WRITE = Permission.AGREEMENTS_WRITE

# Term columns set straight from the input (sign-offs are derived, services are rows of their own).
_PLAIN_TERMS = tuple(
    c for c in TERM_COLUMNS if c not in ("requested_sign_offs", "required_sign_offs")
)
_REQUIRED_TERMS = (
    "summary",
    "scope_inclusions",
    "scope_exclusions",
    "supported_hours",
    "customer_responsibilities",
    "review_cycle",
    "term_start",
    "regulatory_tags",
    "internal_notes",
    "ticket_terms",
)
_TERM_DEFAULTS: dict[str, Any] = {
    "summary": "",
    "scope_inclusions": [],
    "scope_exclusions": [],
    "supported_hours": "24x7",
    "customer_responsibilities": [],
    "regulatory_tags": [],
    "internal_notes": "",
    "review_cycle": "annual",
    "ticket_terms": {},
}


# ============================================================================= reading


def list_agreements(
    session: Session, *, actor: Actor, filters: AgreementFilter, after: int | None, limit: int
) -> tuple[list[AgreementListItem], int | None]:
    actor.require_anywhere(READ)
    criteria = _resolve_filter(session, actor, filters)
    if criteria is None:  # a filter names something the actor cannot see: nothing matches
        return [], None
    rows = AgreementRepository(session).page(
        units=actor.scope(READ).unit_filter, after=after, limit=limit + 1, **criteria
    )
    more = len(rows) > limit
    rows = rows[:limit]
    presenter = Presenter(session, [a for a, _ in rows], headlines={a.id: h for a, h in rows})
    return presenter.list_items(), rows[-1][0].id if more and rows else None


def get_agreement(session: Session, *, actor: Actor, key: str) -> AgreementRead:
    agreement = visible_agreement(session, actor, key)
    return Presenter(session, [agreement]).agreement(agreement)


def get_version(session: Session, *, actor: Actor, key: str, number: int) -> VersionRead:
    agreement = visible_agreement(session, actor, key)
    return Presenter(session, [agreement]).version(
        agreement, version_of(session, agreement, number)
    )


def summarise_portfolio(session: Session, *, actor: Actor) -> PortfolioSummary:
    """Counts of the agreements the actor can read, per kind and headline status."""
    actor.require_anywhere(READ)
    rows = AgreementRepository(session).count_by_kind_and_headline(
        units=actor.scope(READ).unit_filter
    )
    counts = [StatusCount(kind=kind, status=status, count=n) for kind, status, n in rows]
    counts.sort(
        key=lambda c: (list(AgreementKind).index(c.kind), list(VersionStatus).index(c.status))
    )
    return PortfolioSummary(total=sum(c.count for c in counts), counts=counts)


def list_ending_terms(session: Session, *, actor: Actor, by: date, limit: int) -> list[EndingTerm]:
    """Active versions whose term ends on or before ``by`` (renewal candidates), soonest
    first; a term that has ended but not yet been expired by the job is included."""
    actor.require_anywhere(READ)
    rows = AgreementRepository(session).active_ending_by(
        by, units=actor.scope(READ).unit_filter, limit=limit
    )
    items = Presenter(session, [a for a, _ in rows]).list_items()
    return [
        EndingTerm(agreement=item, version=v.number, term_end=v.term_end)
        for item, (_, v) in zip(items, rows, strict=True)
        if v.term_end is not None
    ]


def list_external(
    session: Session, *, actor: Actor, after: int | None, limit: int
) -> tuple[list[ExternalAgreementRead], int | None]:
    """The customer-facing view: SLAs of the caller's customers with an approved version."""
    actor.require_anywhere(Permission.AGREEMENTS_READ_EXTERNAL)
    customers = catalogue_service.customers_of_contact(session, actor)
    if not customers:
        return [], None
    rows = AgreementRepository(session).page(
        units=actor.scope(Permission.AGREEMENTS_READ_EXTERNAL).unit_filter,
        kind=AgreementKind.SLA,
        customer_ids=customers,
        statuses_any=rules.APPROVED_OR_LATER,
        after=after,
        limit=limit + 1,
    )
    more = len(rows) > limit
    agreements = [a for a, _ in rows[:limit]]
    presenter = Presenter(session, agreements)
    return [presenter.external(a) for a in agreements], (
        agreements[-1].id if more and agreements else None
    )


def get_external(session: Session, *, actor: Actor, key: str) -> ExternalAgreementRead:
    actor.require_anywhere(Permission.AGREEMENTS_READ_EXTERNAL)
    agreement = AgreementRepository(session).by_key(key)
    visible = (
        agreement is not None
        and agreement.kind is AgreementKind.SLA
        and actor.can(Permission.AGREEMENTS_READ_EXTERNAL, agreement.business_unit_id)
        and agreement.customer_id in catalogue_service.customers_of_contact(session, actor)
    )
    if agreement is None or not visible:
        raise NotFound(f"no agreement {key}")
    presenter = Presenter(session, [agreement])
    if not presenter.has_external_view(agreement):  # only drafts so far: nothing to show yet
        raise NotFound(f"no agreement {key}")
    return presenter.external(agreement)


# ============================================================================= agreements


def create_agreement(
    session: Session, *, actor: Actor, data: AgreementCreate, now: datetime
) -> AgreementRead:
    unit = identity_service.unit_id(session, data.business_unit, field="business_unit")
    actor.require(WRITE, unit)
    parties = _resolve_parties(session, actor, data, unit)
    master = _resolve_master(session, actor, data, unit, parties)
    repo = AgreementRepository(session)
    number = repo.next_number(data.kind)
    agreement = repo.add(
        Agreement(
            key=rules.agreement_key(data.kind, number),
            kind=data.kind,
            structure=data.structure,
            master_id=master.id if master else None,
            title=data.title,
            business_unit_id=unit,
            region_id=catalogue_service.region_id(session, data.region, field="region")
            if data.region
            else None,
            created_by=actor.name,
            created_at=now,
            updated_at=now,
            **parties,
        )
    )
    version = AgreementVersion(
        agreement_id=agreement.id,
        number=1,
        status=VersionStatus.DRAFT,
        created_by=actor.name,
        created_at=now,
        updated_at=now,
    )
    services = _write_terms(
        session,
        actor,
        agreement,
        version,
        {**_TERM_DEFAULTS, **data.terms.model_dump(exclude_unset=True)},
        field="terms",
    )
    VersionRepository(session).add(version)
    VersionRepository(session).set_services(version, [s.id for s in services])
    read = Presenter(session, [agreement]).agreement(agreement)
    record_change(
        session,
        actor,
        agreement,
        "agreement.created",
        data.reason,
        now,
        after={
            "agreement": read,
            "version": Presenter(session, [agreement]).version(agreement, version),
        },
    )
    return read


def update_agreement(
    session: Session, *, actor: Actor, key: str, data: AgreementUpdate, now: datetime
) -> AgreementRead:
    agreement = visible_agreement(session, actor, key)
    actor.require(WRITE, agreement.business_unit_id)
    before = Presenter(session, [agreement]).agreement(agreement)
    agreement.title = data.title
    agreement.updated_at = now
    session.flush()
    read = Presenter(session, [agreement]).agreement(agreement)
    record_change(
        session, actor, agreement, "agreement.updated", data.reason, now, before=before, after=read
    )
    return read


def delete_agreement(
    session: Session, *, actor: Actor, key: str, reason: str, now: datetime
) -> None:
    """Soft delete. Refused while a version is active, while it has live schedules, or while it
    underpins an active agreement (history and references stay intact either way)."""
    agreement = visible_agreement(session, actor, key)
    actor.require(WRITE, agreement.business_unit_id)
    if VersionRepository(session).in_status(agreement.id, [VersionStatus.ACTIVE]):
        raise InvalidTransition(
            "delete-active", f"{key} has an active version: sunset it before deleting it"
        )
    schedules = AgreementRepository(session).schedules_of(agreement.id)
    if schedules:
        raise InvalidTransition(
            "delete-master-with-schedules",
            f"{key} is the master of {', '.join(s.key for s in schedules)}: delete those first",
        )
    refuse_if_supporting_active(session, agreement, operation="delete")
    before = Presenter(session, [agreement]).agreement(agreement)
    # Its links go with it, both ways: none of them underpins anything active any more (checked
    # above), and a live link must never point at a deleted agreement.
    links = SupportLinkRepository(session)
    for link in links.supported_by(agreement.id) + links.supporting(agreement.id):
        link.deleted_at = now
    agreement.deleted_at = now
    agreement.updated_at = now
    session.flush()
    record_change(session, actor, agreement, "agreement.deleted", reason, now, before=before)


# ============================================================================= versions


def create_version(
    session: Session, *, actor: Actor, key: str, data: VersionCreate, now: datetime
) -> VersionRead:
    """A new draft (renegotiation or renewal) from the latest version's terms."""
    agreement = visible_agreement(session, actor, key)
    actor.require(WRITE, agreement.business_unit_id)
    versions = VersionRepository(session)
    open_versions = versions.in_status(agreement.id, rules.OPEN_STATUSES)
    if open_versions:
        raise InvalidTransition(
            "open-version-exists",
            f"{key} v{open_versions[0].number} is still {open_versions[0].status.value}: "
            "finish or return it first",
        )
    latest = versions.latest(agreement.id)
    assert latest is not None
    inherited = {name: getattr(latest, name) for name in _PLAIN_TERMS}
    inherited["requested_sign_offs"] = list(latest.requested_sign_offs)
    services = catalogue_service.services_by_ids(
        session, versions.service_ids([latest.id])[latest.id]
    )
    inherited["services"] = [s.slug for s in services.values()]
    version = AgreementVersion(
        agreement_id=agreement.id,
        number=latest.number + 1,
        status=VersionStatus.DRAFT,
        created_by=actor.name,
        created_at=now,
        updated_at=now,
    )
    chosen = _write_terms(
        session,
        actor,
        agreement,
        version,
        {**inherited, **data.terms.model_dump(exclude_unset=True)},
        field="terms",
    )
    versions.add(version)
    versions.set_services(version, [s.id for s in chosen])
    agreement.updated_at = now
    read = Presenter(session, [agreement]).version(agreement, version)
    record_change(
        session, actor, agreement, "agreement.version_created", data.reason, now, after=read
    )
    return read


def update_version(
    session: Session,
    *,
    actor: Actor,
    key: str,
    number: int,
    data: VersionUpdate,
    expected_revision: int | None,
    now: datetime,
) -> VersionRead:
    """Edit a draft's terms. ``expected_revision`` comes from If-Match (optimistic locking)."""
    agreement = visible_agreement(session, actor, key)
    actor.require(WRITE, agreement.business_unit_id)
    version = version_of(session, agreement, number)
    if expected_revision is None:
        raise PreconditionRequired("send If-Match with the version's ETag to change it")
    if expected_revision != version.revision:
        raise PreconditionFailed(
            f"{key} v{number} changed since you read it (revision {version.revision}); "
            "read it again"
        )
    rules.require_status(version.status, [VersionStatus.DRAFT], operation="edit")
    before = Presenter(session, [agreement]).version(agreement, version)
    changes = data.model_dump(exclude_unset=True, exclude={"reason"})
    current = {name: getattr(version, name) for name in _PLAIN_TERMS}
    current["requested_sign_offs"] = list(version.requested_sign_offs)
    versions = VersionRepository(session)
    if "services" not in changes:
        ids = versions.service_ids([version.id])[version.id]
        current["services"] = [
            s.slug for s in catalogue_service.services_by_ids(session, ids).values()
        ]
    services = _write_terms(session, actor, agreement, version, {**current, **changes}, field="")
    versions.set_services(version, [s.id for s in services])
    version.updated_at = now
    agreement.updated_at = now
    session.flush()
    read = Presenter(session, [agreement]).version(agreement, version)
    record_change(
        session,
        actor,
        agreement,
        "agreement.version_updated",
        data.reason,
        now,
        before=before,
        after=read,
    )
    return read


# ===================================================== shared with approvals and support


def visible_agreement(session: Session, actor: Actor, key: str) -> Agreement:
    """The agreement if the actor may read it; otherwise exactly the "does not exist" answer."""
    agreement = AgreementRepository(session).by_key(key)
    if agreement is None or not readable(actor, agreement):
        raise NotFound(f"no agreement {key}")
    return agreement


def readable(actor: Actor, agreement: Agreement) -> bool:
    units = rules.reading_units(
        agreement.kind, agreement.business_unit_id, agreement.consumer_business_unit_id
    )
    return any(actor.can(READ, unit) for unit in units)


def version_of(session: Session, agreement: Agreement, number: int) -> AgreementVersion:
    version = VersionRepository(session).number(agreement.id, number)
    if version is None:
        raise NotFound(f"{agreement.key} has no version {number}")
    return version


def agreement_named(session: Session, key: str) -> Agreement | None:
    """The agreement with this key, with no visibility check (the caller checks its own)."""
    return AgreementRepository(session).by_key(key)


def slas_in_effect_for_services(
    session: Session, service_ids: Iterable[int]
) -> list[tuple[int, Agreement, AgreementVersion]]:
    """(service id, SLA, version) of every SLA version that took effect covering one of the
    services, in effect order (ticket timers pick the one in effect at an instant)."""
    return CoverageRepository(session).in_effect_for_services(service_ids)


def versions_in_effect(session: Session, agreement_ids: Iterable[int]) -> list[AgreementVersion]:
    """Every version of these agreements that took effect, in effect order."""
    return CoverageRepository(session).in_effect_of_agreements(agreement_ids)


def supporting_agreements(
    session: Session, supported_ids: Iterable[int]
) -> list[tuple[int, Agreement]]:
    """(supported agreement id, supporting OLA/UC) of every live support link."""
    return CoverageRepository(session).supporting(supported_ids)


def agreements_by_ids(session: Session, ids: Iterable[int]) -> list[Agreement]:
    return [a for i in sorted(set(ids)) if (a := AgreementRepository(session).get(i)) is not None]


def supported_slas(session: Session) -> list[Agreement]:
    return CoverageRepository(session).supported_slas()


def agreement_keys(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    return AgreementRepository(session).keys(ids)


def version_numbers(session: Session, ids: Iterable[int | None]) -> dict[int, int]:
    return {
        id_: version.number
        for id_, version in VersionRepository(session)
        .by_ids(i for i in ids if i is not None)
        .items()
    }


def version_status(session: Session, version_id: int) -> VersionStatus | None:
    version = VersionRepository(session).get(version_id)
    return version.status if version is not None else None


def record_change(
    session: Session,
    actor: Actor,
    agreement: Agreement,
    action: str,
    reason: str,
    now: datetime,
    *,
    before: Any = None,
    after: Any = None,
) -> None:
    audit_service.record_event(
        session,
        actor=actor,
        action=action,
        entity_type="agreement",
        entity_key=agreement.key,
        business_unit_id=agreement.business_unit_id,
        reason=reason,
        before=_dump(before),
        after=_dump(after),
        now=now,
    )


def _dump(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value.model_dump(mode="json")


def _resolve_parties(
    session: Session, actor: Actor, data: AgreementCreate, unit: int
) -> dict[str, int | None]:
    """The counterparty columns for the kind; a party of another kind is refused by name."""
    wrong = {
        AgreementKind.SLA: ("consumer_business_unit", "vendor"),
        AgreementKind.OLA: ("customer", "vendor"),
        AgreementKind.UC: ("customer", "consumer_business_unit"),
    }[data.kind]
    for name in wrong:
        if getattr(data, name) is not None:
            raise InvalidInput.field(name, f"not a party of an {data.kind.value.upper()}")
    if data.kind is AgreementKind.SLA:
        if data.customer is None:
            raise InvalidInput.field("customer", "an SLA needs a customer")
        try:
            customer = catalogue_service.visible_customer(session, actor=actor, code=data.customer)
        except NotFound as exc:
            raise InvalidInput.field("customer", f"no customer {data.customer!r}") from exc
        return {"customer_id": customer.id}
    if data.kind is AgreementKind.OLA:
        if data.consumer_business_unit is None:
            raise InvalidInput.field("consumer_business_unit", "an OLA needs a consuming unit")
        consumer = identity_service.unit_id(
            session, data.consumer_business_unit, field="consumer_business_unit"
        )
        if consumer == unit:
            raise InvalidInput.field(
                "consumer_business_unit", "an OLA is between two different units"
            )
        return {"consumer_business_unit_id": consumer}
    if data.vendor is None:
        raise InvalidInput.field("vendor", "a UC needs a vendor")
    return {"vendor_id": catalogue_service.vendor_id(session, data.vendor, field="vendor")}


def _resolve_master(
    session: Session, actor: Actor, data: AgreementCreate, unit: int, parties: dict[str, int | None]
) -> Agreement | None:
    if data.structure is not Structure.SCHEDULE:
        if data.master is not None:
            raise InvalidInput.field("master", "only a schedule has a master agreement")
        return None
    if data.master is None:
        raise InvalidInput.field("master", "a schedule needs its master agreement")
    master = AgreementRepository(session).by_key(data.master)
    if master is None or not readable(actor, master):
        raise InvalidInput.field("master", f"no agreement {data.master}")
    same_parties = all(getattr(master, column) == value for column, value in parties.items())
    if (
        master.structure is not Structure.MASTER
        or master.kind is not data.kind
        or master.business_unit_id != unit
        or not same_parties
    ):
        raise RuleViolation(
            "schedule-master-mismatch",
            f"{data.master} is not a master {data.kind.value.upper()} between the same parties",
            field="master",
        )
    return master


def _write_terms(
    session: Session,
    actor: Actor,
    agreement: Agreement,
    version: AgreementVersion,
    terms: dict[str, Any],
    *,
    field: str,
) -> list[Service]:
    """Validate and set a version's terms; returns the services to cover.

    Everything is checked before the version is touched, so a refusal leaves no half-changed
    row in the session (it would otherwise be flushed by the next query)."""
    prefix = f"{field}." if field else ""
    validated = TermFields.model_validate(terms)
    for name in _REQUIRED_TERMS:
        if getattr(validated, name) is None:
            raise InvalidInput.field(f"{prefix}{name}", "may not be null")
    assert validated.term_start is not None
    if validated.term_end is not None and validated.term_end < validated.term_start:
        raise InvalidInput.field(f"{prefix}term_end", "ends before term_start")
    if (validated.fee_amount is None) != (validated.fee_currency is None):
        raise InvalidInput.field(f"{prefix}fee_currency", "fee_amount and fee_currency go together")
    hours = validated.supported_hours
    if hours is not None and hours not in calendars_service.known_codes(session):
        raise InvalidInput.field(f"{prefix}supported_hours", f"no calendar {hours!r}")
    slugs = validated.services or []
    services = (
        catalogue_service.services_by_slugs(
            session, actor=actor, slugs=slugs, field=f"{prefix}services"
        )
        if slugs
        else []
    )
    check_services_coverable(session, agreement, services, field=f"{prefix}services")
    requested = [r.value for r in validated.requested_sign_offs or []]
    required = required_sign_offs_for(session, services, requested)
    for name in _PLAIN_TERMS:
        setattr(version, name, getattr(validated, name))
    assert validated.ticket_terms is not None
    version.ticket_terms = validated.ticket_terms.model_dump(mode="json")
    version.requested_sign_offs = requested
    version.required_sign_offs = required
    return services


def check_services_coverable(
    session: Session, agreement: Agreement, services: Sequence[Service], *, field: str
) -> None:
    for position, service in enumerate(services):
        if service.business_unit_id != agreement.business_unit_id:
            raise RuleViolation(
                "service-outside-unit",
                f"{service.slug} belongs to another business unit: a unit commits only to its own "
                "services (cover what depends on it, and link that unit's OLA as support)",
                field=f"{field}.{position}",
            )
        if service.lifecycle is not Lifecycle.ACTIVE:
            raise RuleViolation(
                "service-not-active",
                f"{service.slug} is {service.lifecycle.value}: new terms cannot cover it",
                field=f"{field}.{position}",
            )


def required_sign_offs_for(
    session: Session, services: Sequence[Service], requested: Sequence[str]
) -> list[str]:
    tiers = catalogue_service.tiers_by_level(session)
    return rules.required_sign_offs(
        (tiers[s.tier_level].required_sign_offs for s in services), requested
    )


def covered_services(session: Session, version: AgreementVersion) -> list[Service]:
    ids = VersionRepository(session).service_ids([version.id])[version.id]
    return list(catalogue_service.services_by_ids(session, ids).values())


def region_requiring_residency(session: Session, agreement: Agreement) -> str | None:
    if agreement.region_id is None:
        return None
    region = catalogue_service.region_by_id(session, agreement.region_id)
    return region.jurisdiction if region.data_residency else None


def refuse_if_supporting_active(session: Session, agreement: Agreement, *, operation: str) -> None:
    links = SupportLinkRepository(session).supporting(agreement.id)
    if not links:
        return
    active = VersionRepository(session).active_of(link.supported_id for link in links)
    dependants = sorted(
        AgreementRepository(session)
        .keys(link.supported_id for link in links if link.supported_id in active)
        .values()
    )
    if dependants:
        raise InvalidTransition(
            f"{operation}-supporting-active",
            f"{agreement.key} underpins the active {', '.join(dependants)}: "
            f"unlink it there before you {operation} it",
        )


def _resolve_filter(
    session: Session, actor: Actor, filters: AgreementFilter
) -> dict[str, Any] | None:
    criteria: dict[str, Any] = {"kind": filters.kind, "status": filters.status}
    if filters.business_unit:
        criteria["business_unit_id"] = identity_service.unit_id(
            session, filters.business_unit, field="business_unit"
        )
    if filters.region:
        criteria["region_id"] = catalogue_service.region_id(session, filters.region, field="region")
    if filters.vendor:
        criteria["vendor_id"] = catalogue_service.vendor_id(session, filters.vendor, field="vendor")
    try:
        if filters.customer:
            criteria["customer_id"] = catalogue_service.visible_customer(
                session, actor=actor, code=filters.customer
            ).id
        if filters.service:
            criteria["service_id"] = catalogue_service.visible_service(
                session, actor=actor, slug=filters.service
            ).id
    except NotFound:
        return None
    return criteria


@dataclass
class Presenter:
    """Turns agreement rows into read schemas. Each reference (units, customers, vendors,
    regions, masters, version summaries) is loaded for all the agreements at once, and only when
    a view needs it: presenting one version loads none of them."""

    session: Session
    agreements: Sequence[Agreement]
    headlines: Mapping[int, Headline] | None = None
    """Precomputed by the list query; without them, headlines come from the version summaries."""

    @cached_property
    def units(self) -> dict[int, str]:
        return identity_service.unit_codes(
            self.session,
            [a.business_unit_id for a in self.agreements]
            + [a.consumer_business_unit_id for a in self.agreements],
        )

    @cached_property
    def customers(self) -> dict[int, str]:
        return catalogue_service.customer_codes(
            self.session, (a.customer_id for a in self.agreements)
        )

    @cached_property
    def vendors(self) -> dict[int, str]:
        return catalogue_service.vendor_codes(self.session, (a.vendor_id for a in self.agreements))

    @cached_property
    def regions(self) -> dict[int, str]:
        return catalogue_service.region_codes(self.session, (a.region_id for a in self.agreements))

    @cached_property
    def masters(self) -> dict[int, str]:
        return AgreementRepository(self.session).keys(a.master_id for a in self.agreements)

    @cached_property
    def summaries(self) -> dict[int, list[VersionSummary]]:
        by_agreement: dict[int, list[VersionSummary]] = {a.id: [] for a in self.agreements}
        rows = VersionRepository(self.session).summaries_of(a.id for a in self.agreements)
        for agreement_id, number, status, approved_at, effective_from, ended_at in rows:
            by_agreement[agreement_id].append(
                VersionSummary(
                    number=number,
                    status=status,
                    approved_at=approved_at,
                    effective_from=effective_from,
                    ended_at=ended_at,
                )
            )
        return by_agreement

    def list_items(self) -> list[AgreementListItem]:
        return [self._list_item(a) for a in self.agreements]

    def _headline(self, a: Agreement) -> Headline:
        if self.headlines is not None:
            return self.headlines[a.id]
        versions = self.summaries[a.id]
        return Headline(
            latest_number=versions[-1].number,
            latest_status=versions[-1].status,
            active_number=next(
                (v.number for v in versions if v.status is VersionStatus.ACTIVE), None
            ),
        )

    def _list_item(self, a: Agreement) -> AgreementListItem:
        headline = self._headline(a)
        return AgreementListItem(
            key=a.key,
            kind=a.kind,
            structure=a.structure,
            title=a.title,
            business_unit=self.units[a.business_unit_id],
            customer=self.customers.get(a.customer_id) if a.customer_id else None,
            consumer_business_unit=self.units.get(a.consumer_business_unit_id)
            if a.consumer_business_unit_id
            else None,
            vendor=self.vendors.get(a.vendor_id) if a.vendor_id else None,
            region=self.regions.get(a.region_id) if a.region_id else None,
            status=rules.headline(
                headline.latest_status, has_active=headline.active_number is not None
            ),
            active_version=headline.active_number,
            latest_version=headline.latest_number,
        )

    def agreement(self, a: Agreement) -> AgreementRead:
        return AgreementRead(
            **self._list_item(a).model_dump(),
            master=self.masters.get(a.master_id) if a.master_id else None,
            versions=self.summaries[a.id],
            created_at=a.created_at,
            created_by=a.created_by,
            updated_at=a.updated_at,
        )

    def terms(self, version: AgreementVersion) -> TermsRead:
        ids = VersionRepository(self.session).service_ids([version.id])[version.id]
        services = catalogue_service.services_by_ids(self.session, ids)
        return TermsRead(
            **{name: getattr(version, name) for name in _PLAIN_TERMS},
            services=sorted(s.slug for s in services.values()),
            requested_sign_offs=list(version.requested_sign_offs),
            required_sign_offs=list(version.required_sign_offs),
        )

    def version(self, a: Agreement, v: AgreementVersion) -> VersionRead:
        sign_offs = VersionRepository(self.session).sign_offs([v.id])[v.id]
        return VersionRead(
            agreement=a.key,
            number=v.number,
            status=v.status,
            revision=v.revision,
            terms=self.terms(v),
            sign_offs=[
                SignOffRead(
                    role=s.role, signed_by=s.signed_by, signed_at=s.signed_at, comment=s.comment
                )
                for s in sign_offs
            ],
            missing_sign_offs=rules.missing_sign_offs(
                v.required_sign_offs, [s.role.value for s in sign_offs]
            ),
            created_at=v.created_at,
            created_by=v.created_by,
            updated_at=v.updated_at,
            submitted_at=v.submitted_at,
            approved_at=v.approved_at,
            approved_by=v.approved_by,
            effective_from=v.effective_from,
            ended_at=v.ended_at,
            terms_hash=v.terms_hash,
        )

    @cached_property
    def _external_versions(self) -> dict[int, list[AgreementVersion]]:
        """The versions a customer may see: approved or later (drafts are internal)."""
        by_agreement: dict[int, list[AgreementVersion]] = {a.id: [] for a in self.agreements}
        for v in VersionRepository(self.session).of_agreements_in(
            (a.id for a in self.agreements), rules.APPROVED_OR_LATER
        ):
            by_agreement[v.agreement_id].append(v)
        return by_agreement

    def has_external_view(self, a: Agreement) -> bool:
        return bool(self._external_versions[a.id])

    def external(self, a: Agreement) -> ExternalAgreementRead:
        """The customer-facing view; ``a`` must have at least one approved version. Its status
        is computed from those versions only, so a draft under negotiation does not leak."""
        versions = self._external_versions[a.id]
        return ExternalAgreementRead(
            key=a.key,
            title=a.title,
            customer=self.customers[a.customer_id] if a.customer_id else "",
            region=self.regions.get(a.region_id) if a.region_id else None,
            status=rules.headline_status({v.number: v.status for v in versions}),
            versions=[
                ExternalVersion(
                    number=v.number,
                    status=v.status,
                    effective_from=v.effective_from,
                    ended_at=v.ended_at,
                    terms=ExternalTerms.model_validate(self.terms(v).model_dump()),
                )
                for v in versions
            ],
        )
