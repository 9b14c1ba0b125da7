"""Use cases of the catalogue. Services and customers belong to a business unit and are visible
only inside the caller's units (404 elsewhere); regions, tiers and vendors are org-wide."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from accord.audit import service as audit_service
from accord.catalogue import rules
from accord.catalogue.enums import Lifecycle
from accord.catalogue.models import (
    Customer,
    CustomerContact,
    Region,
    Service,
    ServiceDependency,
    Tier,
    Vendor,
)
from accord.catalogue.repository import (
    CustomerRepository,
    RegionRepository,
    ServiceRepository,
    TierRepository,
    VendorRepository,
)
from accord.catalogue.schemas import (
    ContactCreate,
    CustomerCreate,
    CustomerRead,
    CustomerUpdate,
    DependencyCreate,
    DependencyRead,
    RegionCreate,
    RegionRead,
    RegionUpdate,
    ServiceCreate,
    ServiceDependencies,
    ServiceFilter,
    ServiceRead,
    ServiceUpdate,
    TierRead,
    TierUpdate,
    VendorCreate,
    VendorRead,
    VendorUpdate,
)
from accord.engine.graph import cycle_closed_by, reachable
from accord.identity import service as identity_service
from accord.identity.enums import PrincipalKind
from accord.identity.rules import Actor, Permission
from accord.kit.errors import Conflict, InvalidInput, NotFound, RuleViolation


def _record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity_type: str,
    key: str,
    unit: int | None,
    now: datetime,
    before: Any = None,
    after: Any = None,
) -> None:
    audit_service.record_event(
        session,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_key=key,
        business_unit_id=unit,
        before=before,
        after=after,
        now=now,
    )


def _apply(obj: object, changes: dict[str, Any], *, nullable: Iterable[str] = ()) -> None:
    allowed_null = set(nullable)
    for name, value in changes.items():
        if value is None and name not in allowed_null:
            raise InvalidInput.field(name, "may not be null")
        setattr(obj, name, value)


# -------------------------------------------------------------------------------------- regions


def list_regions(session: Session, *, actor: Actor) -> list[RegionRead]:
    actor.require_anywhere(Permission.CATALOGUE_READ)
    return [RegionRead.model_validate(r) for r in RegionRepository(session).all()]


def get_region(session: Session, *, actor: Actor, code: str) -> RegionRead:
    actor.require_anywhere(Permission.CATALOGUE_READ)
    return RegionRead.model_validate(_region(session, code))


def create_region(
    session: Session, *, actor: Actor, data: RegionCreate, now: datetime
) -> RegionRead:
    actor.require(Permission.CATALOGUE_WRITE, None)
    repo = RegionRepository(session)
    if repo.by_code(data.code) is not None:
        raise Conflict(f"region {data.code!r} exists already")
    region = repo.add(Region(**data.model_dump(), created_at=now, updated_at=now))
    read = RegionRead.model_validate(region)
    _record(
        session,
        actor=actor,
        action="region.created",
        entity_type="region",
        key=region.code,
        unit=None,
        after=read.model_dump(mode="json"),
        now=now,
    )
    return read


def update_region(
    session: Session, *, actor: Actor, code: str, data: RegionUpdate, now: datetime
) -> RegionRead:
    region = _region(session, code)
    actor.require(Permission.CATALOGUE_WRITE, None)
    before = RegionRead.model_validate(region).model_dump(mode="json")
    _apply(region, data.model_dump(exclude_unset=True))
    region.updated_at = now
    session.flush()
    read = RegionRead.model_validate(region)
    _record(
        session,
        actor=actor,
        action="region.updated",
        entity_type="region",
        key=region.code,
        unit=None,
        before=before,
        after=read.model_dump(mode="json"),
        now=now,
    )
    return read


def region_id(session: Session, code: str, *, field: str) -> int:
    region = RegionRepository(session).by_code(code)
    if region is None:
        raise InvalidInput.field(field, f"no region {code!r}")
    return region.id


def region_by_id(session: Session, id_: int) -> Region:
    region = RegionRepository(session).get(id_)
    if region is None:
        raise NotFound(f"no region {id_}")
    return region


def region_codes(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    return RegionRepository(session).labels_by_ids(ids, "code")


def _region(session: Session, code: str) -> Region:
    region = RegionRepository(session).by_code(code)
    if region is None:
        raise NotFound(f"no region {code!r}")
    return region


# ---------------------------------------------------------------------------------------- tiers


def list_tiers(session: Session, *, actor: Actor) -> list[TierRead]:
    actor.require_anywhere(Permission.CATALOGUE_READ)
    return [TierRead.model_validate(t) for t in TierRepository(session).all()]


def get_tier(session: Session, *, actor: Actor, level: int) -> TierRead:
    actor.require_anywhere(Permission.CATALOGUE_READ)
    return TierRead.model_validate(_tier(session, level))


def tiers_by_level(session: Session) -> dict[int, Tier]:
    return {t.level: t for t in TierRepository(session).all()}


def replace_tier(
    session: Session, *, actor: Actor, level: int, data: TierUpdate, now: datetime
) -> TierRead:
    tier = _tier(session, level)
    actor.require(Permission.CATALOGUE_WRITE, None)
    before = TierRead.model_validate(tier).model_dump(mode="json")
    _apply(tier, data.model_dump())
    session.flush()
    read = TierRead.model_validate(tier)
    _record(
        session,
        actor=actor,
        action="tier.updated",
        entity_type="tier",
        key=str(level),
        unit=None,
        before=before,
        after=read.model_dump(mode="json"),
        now=now,
    )
    return read


def _tier(session: Session, level: int) -> Tier:
    tier = TierRepository(session).get(level)
    if tier is None:
        raise NotFound(f"no tier {level}")
    return tier


# ------------------------------------------------------------------------------------ customers


def list_customers(
    session: Session, *, actor: Actor, business_unit: str | None, after: int | None, limit: int
) -> tuple[list[CustomerRead], int | None]:
    actor.require_anywhere(Permission.CATALOGUE_READ)
    unit = (
        identity_service.unit_id(session, business_unit, field="business_unit")
        if business_unit
        else None
    )
    rows = CustomerRepository(session).page(
        units=actor.scope(Permission.CATALOGUE_READ).unit_filter,
        business_unit_id=unit,
        after=after,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return present_customers(session, rows), rows[-1].id if more and rows else None


def get_customer(session: Session, *, actor: Actor, code: str) -> CustomerRead:
    return present_customers(session, [visible_customer(session, actor=actor, code=code)])[0]


def visible_customer(
    session: Session, *, actor: Actor, code: str, permission: Permission = Permission.CATALOGUE_READ
) -> Customer:
    """The customer, if the actor may see it with ``permission``; otherwise NotFound."""
    customer = CustomerRepository(session).by_code(code)
    if customer is None or not actor.can(permission, customer.business_unit_id):
        raise NotFound(f"no customer {code!r}")
    return customer


def create_customer(
    session: Session, *, actor: Actor, data: CustomerCreate, now: datetime
) -> CustomerRead:
    unit = identity_service.unit_id(session, data.business_unit, field="business_unit")
    actor.require(Permission.CATALOGUE_WRITE, unit)
    repo = CustomerRepository(session)
    if repo.code_taken(data.code):
        raise Conflict(f"customer {data.code!r} exists already")
    customer = repo.add(
        Customer(
            code=data.code,
            name=data.name,
            business_unit_id=unit,
            region_id=region_id(session, data.region, field="region") if data.region else None,
            contact_email=data.contact_email,
            created_at=now,
            updated_at=now,
        )
    )
    read = present_customers(session, [customer])[0]
    _record(
        session,
        actor=actor,
        action="customer.created",
        entity_type="customer",
        key=customer.code,
        unit=unit,
        after=read.model_dump(mode="json"),
        now=now,
    )
    return read


def update_customer(
    session: Session, *, actor: Actor, code: str, data: CustomerUpdate, now: datetime
) -> CustomerRead:
    customer = visible_customer(session, actor=actor, code=code)
    actor.require(Permission.CATALOGUE_WRITE, customer.business_unit_id)
    before = present_customers(session, [customer])[0].model_dump(mode="json")
    changes = data.model_dump(exclude_unset=True)
    if "region" in changes:
        region = changes.pop("region")
        changes["region_id"] = region_id(session, region, field="region") if region else None
    _apply(customer, changes, nullable=("region_id", "contact_email"))
    customer.updated_at = now
    session.flush()
    read = present_customers(session, [customer])[0]
    _record(
        session,
        actor=actor,
        action="customer.updated",
        entity_type="customer",
        key=customer.code,
        unit=customer.business_unit_id,
        before=before,
        after=read.model_dump(mode="json"),
        now=now,
    )
    return read


def add_customer_contact(
    session: Session, *, actor: Actor, code: str, data: ContactCreate, now: datetime
) -> CustomerRead:
    """Let an external principal read this customer's SLAs (customer-facing fields only)."""
    customer = visible_customer(session, actor=actor, code=code)
    actor.require(Permission.CATALOGUE_WRITE, customer.business_unit_id)
    principal = identity_service.find_principal(session, data.principal)
    if principal is None or principal.kind is not PrincipalKind.USER:
        raise InvalidInput.field("principal", f"no user {data.principal!r}")
    repo = CustomerRepository(session)
    if repo.find_contact(customer.id, principal.id) is not None:
        raise Conflict(f"{data.principal} is already a contact of {code}")
    before = present_customers(session, [customer])[0].model_dump(mode="json")
    repo.add_contact(CustomerContact(customer_id=customer.id, principal_id=principal.id))
    read = present_customers(session, [customer])[0]
    _record(
        session,
        actor=actor,
        action="customer.contact_added",
        entity_type="customer",
        key=customer.code,
        unit=customer.business_unit_id,
        before=before,
        after=read.model_dump(mode="json"),
        now=now,
    )
    return read


def remove_customer_contact(
    session: Session, *, actor: Actor, code: str, principal: str, now: datetime
) -> CustomerRead:
    customer = visible_customer(session, actor=actor, code=code)
    actor.require(Permission.CATALOGUE_WRITE, customer.business_unit_id)
    found = identity_service.find_principal(session, principal)
    repo = CustomerRepository(session)
    contact = repo.find_contact(customer.id, found.id) if found else None
    if contact is None:
        raise NotFound(f"{principal} is not a contact of {code}")
    before = present_customers(session, [customer])[0].model_dump(mode="json")
    repo.remove_contact(contact)
    read = present_customers(session, [customer])[0]
    _record(
        session,
        actor=actor,
        action="customer.contact_removed",
        entity_type="customer",
        key=customer.code,
        unit=customer.business_unit_id,
        before=before,
        after=read.model_dump(mode="json"),
        now=now,
    )
    return read


def customers_of_contact(session: Session, actor: Actor) -> set[int]:
    """Ids of the customers whose agreements an external actor may read."""
    if actor.principal_id is None:
        return set()
    return CustomerRepository(session).customer_ids_of_contact(actor.principal_id)


def customer_codes(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    return CustomerRepository(session).labels_by_ids(ids, "code")


def present_customers(session: Session, customers: list[Customer]) -> list[CustomerRead]:
    units = identity_service.unit_codes(session, (c.business_unit_id for c in customers))
    regions = region_codes(session, (c.region_id for c in customers))
    contacts = CustomerRepository(session).contacts([c.id for c in customers])
    names = identity_service.principal_names(session, (c.principal_id for c in contacts))
    by_customer: dict[int, list[str]] = {}
    for contact in contacts:
        by_customer.setdefault(contact.customer_id, []).append(names[contact.principal_id])
    return [
        CustomerRead(
            code=c.code,
            name=c.name,
            business_unit=units[c.business_unit_id],
            region=regions.get(c.region_id) if c.region_id else None,
            contact_email=c.contact_email,
            contacts=sorted(by_customer.get(c.id, [])),
            created_at=c.created_at,
            updated_at=c.updated_at,
        )
        for c in customers
    ]


# -------------------------------------------------------------------------------------- vendors


def list_vendors(
    session: Session, *, actor: Actor, after: int | None, limit: int
) -> tuple[list[VendorRead], int | None]:
    actor.require_anywhere(Permission.CATALOGUE_READ)
    rows = VendorRepository(session).page(after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return [VendorRead.model_validate(v) for v in rows], rows[-1].id if more and rows else None


def get_vendor(session: Session, *, actor: Actor, code: str) -> VendorRead:
    actor.require_anywhere(Permission.CATALOGUE_READ)
    return VendorRead.model_validate(_vendor(session, code))


def create_vendor(
    session: Session, *, actor: Actor, data: VendorCreate, now: datetime
) -> VendorRead:
    actor.require(Permission.CATALOGUE_WRITE, None)
    repo = VendorRepository(session)
    if repo.code_taken(data.code):
        raise Conflict(f"vendor {data.code!r} exists already")
    vendor = repo.add(Vendor(**data.model_dump(), created_at=now, updated_at=now))
    read = VendorRead.model_validate(vendor)
    _record(
        session,
        actor=actor,
        action="vendor.created",
        entity_type="vendor",
        key=vendor.code,
        unit=None,
        after=read.model_dump(mode="json"),
        now=now,
    )
    return read


def update_vendor(
    session: Session, *, actor: Actor, code: str, data: VendorUpdate, now: datetime
) -> VendorRead:
    vendor = _vendor(session, code)
    actor.require(Permission.CATALOGUE_WRITE, None)
    before = VendorRead.model_validate(vendor).model_dump(mode="json")
    _apply(vendor, data.model_dump(exclude_unset=True), nullable=("contact_email",))
    vendor.updated_at = now
    session.flush()
    read = VendorRead.model_validate(vendor)
    _record(
        session,
        actor=actor,
        action="vendor.updated",
        entity_type="vendor",
        key=vendor.code,
        unit=None,
        before=before,
        after=read.model_dump(mode="json"),
        now=now,
    )
    return read


def vendor_id(session: Session, code: str, *, field: str) -> int:
    vendor = VendorRepository(session).by_code(code)
    if vendor is None:
        raise InvalidInput.field(field, f"no vendor {code!r}")
    return vendor.id


def vendor_codes(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    return VendorRepository(session).labels_by_ids(ids, "code")


def _vendor(session: Session, code: str) -> Vendor:
    vendor = VendorRepository(session).by_code(code)
    if vendor is None:
        raise NotFound(f"no vendor {code!r}")
    return vendor


# ------------------------------------------------------------------------------------- services


def list_services(
    session: Session, *, actor: Actor, filters: ServiceFilter, after: int | None, limit: int
) -> tuple[list[ServiceRead], int | None]:
    actor.require_anywhere(Permission.CATALOGUE_READ)
    owner_id = None
    if filters.owner is not None:
        owner = identity_service.find_principal(session, filters.owner)
        if owner is None:
            return [], None
        owner_id = owner.id
    rows = ServiceRepository(session).page(
        units=actor.scope(Permission.CATALOGUE_READ).unit_filter,
        business_unit_id=identity_service.unit_id(
            session, filters.business_unit, field="business_unit"
        )
        if filters.business_unit
        else None,
        tier=filters.tier,
        lifecycle=filters.lifecycle.value if filters.lifecycle else None,
        criticality=filters.criticality.value if filters.criticality else None,
        owner_id=owner_id,
        after=after,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return present_services(session, rows), rows[-1].id if more and rows else None


def get_service(session: Session, *, actor: Actor, slug: str) -> ServiceRead:
    return present_services(session, [visible_service(session, actor=actor, slug=slug)])[0]


def visible_service(
    session: Session, *, actor: Actor, slug: str, permission: Permission = Permission.CATALOGUE_READ
) -> Service:
    service = ServiceRepository(session).by_slug(slug)
    if service is None or not actor.can(permission, service.business_unit_id):
        raise NotFound(f"no service {slug!r}")
    return service


def services_by_slugs(
    session: Session, *, actor: Actor, slugs: list[str], field: str
) -> list[Service]:
    """Services named in an input, each visible to the actor; unknown ones are invalid input."""
    found = ServiceRepository(session).by_slugs(slugs)
    for position, slug in enumerate(slugs):
        service = found.get(slug)
        if service is None or not actor.can(Permission.CATALOGUE_READ, service.business_unit_id):
            raise InvalidInput.field(f"{field}.{position}", f"no service {slug!r}")
    return [found[s] for s in slugs]


def services_named(session: Session, slugs: Iterable[str]) -> dict[str, Service]:
    """Services by slug, with no visibility check: for machine inputs that are checked against
    another permission (ticket events are checked against ``telemetry:ingest``)."""
    return ServiceRepository(session).by_slugs(sorted(set(slugs)))


def customer_named(session: Session, code: str) -> Customer | None:
    return CustomerRepository(session).by_code(code)


def services_by_ids(session: Session, ids: Iterable[int]) -> dict[int, Service]:
    return ServiceRepository(session).by_ids(ids)


def create_service(
    session: Session, *, actor: Actor, data: ServiceCreate, now: datetime
) -> ServiceRead:
    unit = identity_service.unit_id(session, data.business_unit, field="business_unit")
    actor.require(Permission.CATALOGUE_WRITE, unit)
    repo = ServiceRepository(session)
    if repo.slug_taken(data.slug):
        raise Conflict(f"service {data.slug!r} exists already")
    if data.cmdb_ci_id and repo.cmdb_ci_taken(data.cmdb_ci_id):
        raise Conflict(f"CMDB item {data.cmdb_ci_id!r} is already mapped to another service")
    service = repo.add(
        Service(
            slug=data.slug,
            name=data.name,
            description=data.description,
            business_unit_id=unit,
            tier_level=_tier(session, data.tier).level,
            owner_id=_owner_id(session, data.owner),
            criticality=data.criticality,
            lifecycle=Lifecycle.ACTIVE,
            cmdb_ci_id=data.cmdb_ci_id,
            created_at=now,
            updated_at=now,
        )
    )
    read = present_services(session, [service])[0]
    _record(
        session,
        actor=actor,
        action="service.created",
        entity_type="service",
        key=service.slug,
        unit=unit,
        after=read.model_dump(mode="json"),
        now=now,
    )
    return read


def update_service(
    session: Session, *, actor: Actor, slug: str, data: ServiceUpdate, now: datetime
) -> ServiceRead:
    service = visible_service(session, actor=actor, slug=slug)
    actor.require(Permission.CATALOGUE_WRITE, service.business_unit_id)
    before = present_services(session, [service])[0]
    changes = data.model_dump(exclude_unset=True)
    if "tier" in changes:
        tier = changes.pop("tier")
        if tier is None:
            raise InvalidInput.field("tier", "may not be null")
        changes["tier_level"] = _tier(session, tier).level
    if "owner" in changes:
        changes["owner_id"] = _owner_id(session, changes.pop("owner"))
    if changes.get("lifecycle") is not None:
        rules.check_lifecycle_change(service.lifecycle, changes["lifecycle"])
    cmdb = changes.get("cmdb_ci_id")
    if cmdb and ServiceRepository(session).cmdb_ci_taken(cmdb, other_than=service.id):
        raise Conflict(f"CMDB item {cmdb!r} is already mapped to another service")
    _apply(service, changes, nullable=("owner_id", "cmdb_ci_id"))
    service.updated_at = now
    session.flush()
    read = present_services(session, [service])[0]
    _record(
        session,
        actor=actor,
        action="service.updated",
        entity_type="service",
        key=service.slug,
        unit=service.business_unit_id,
        before=before.model_dump(mode="json"),
        after=read.model_dump(mode="json"),
        now=now,
    )
    return read


def _owner_id(session: Session, name: str | None) -> int | None:
    if name is None:
        return None
    owner = identity_service.find_principal(session, name)
    if owner is None or owner.kind is not PrincipalKind.USER:
        raise InvalidInput.field("owner", f"no user {name!r}")
    return owner.id


def present_services(session: Session, services: list[Service]) -> list[ServiceRead]:
    units = identity_service.unit_codes(session, (s.business_unit_id for s in services))
    owners = identity_service.principal_names(session, (s.owner_id for s in services))
    return [
        ServiceRead(
            slug=s.slug,
            name=s.name,
            description=s.description,
            business_unit=units[s.business_unit_id],
            tier=s.tier_level,
            owner=owners.get(s.owner_id) if s.owner_id else None,
            criticality=s.criticality,
            lifecycle=s.lifecycle,
            cmdb_ci_id=s.cmdb_ci_id,
            created_at=s.created_at,
            updated_at=s.updated_at,
        )
        for s in services
    ]


# --------------------------------------------------------------------------------- dependencies


def dependency_closure(session: Session, service_ids: Iterable[int]) -> set[int]:
    """The given services and everything they depend on, directly or through others."""
    return reachable(ServiceRepository(session).dependency_edges(), service_ids)


def get_dependencies(session: Session, *, actor: Actor, slug: str) -> ServiceDependencies:
    service = visible_service(session, actor=actor, slug=slug)
    return _present_dependencies(session, actor, service)


def add_dependency(
    session: Session, *, actor: Actor, slug: str, data: DependencyCreate, now: datetime
) -> ServiceDependencies:
    service = visible_service(session, actor=actor, slug=slug)
    actor.require(Permission.CATALOGUE_WRITE, service.business_unit_id)
    repo = ServiceRepository(session)
    target = repo.by_slug(data.depends_on)
    if target is None or not actor.can(Permission.CATALOGUE_READ, target.business_unit_id):
        raise InvalidInput.field("depends_on", f"no service {data.depends_on!r}")
    repo.lock_dependency_graph()
    if repo.find_dependency(service.id, target.id) is not None:
        raise Conflict(f"{slug} already depends on {data.depends_on}")
    cycle = cycle_closed_by(repo.dependency_edges(), service.id, target.id)
    if cycle is not None:
        raise RuleViolation(
            "dependency-cycle",
            rules.describe_cycle(_cycle_slugs(session, actor, cycle)),
            field="depends_on",
        )
    before = _present_dependencies(session, actor, service)
    repo.add_dependency(
        ServiceDependency(
            service_id=service.id,
            depends_on_id=target.id,
            kind=data.kind,
            description=data.description or "",
        )
    )
    read = _present_dependencies(session, actor, service)
    _record(
        session,
        actor=actor,
        action="service.dependency_added",
        entity_type="service",
        key=service.slug,
        unit=service.business_unit_id,
        before=before.model_dump(mode="json")["depends_on"],
        after=read.model_dump(mode="json")["depends_on"],
        now=now,
    )
    return read


def remove_dependency(
    session: Session, *, actor: Actor, slug: str, depends_on: str, now: datetime
) -> ServiceDependencies:
    service = visible_service(session, actor=actor, slug=slug)
    actor.require(Permission.CATALOGUE_WRITE, service.business_unit_id)
    repo = ServiceRepository(session)
    target = repo.by_slug(depends_on)
    if target is not None and not actor.can(Permission.CATALOGUE_READ, target.business_unit_id):
        target = None  # a service outside the caller's units answers like one that does not exist
    dependency = repo.find_dependency(service.id, target.id) if target else None
    if dependency is None:
        raise NotFound(f"{slug} does not depend on {depends_on}")
    before = _present_dependencies(session, actor, service)
    repo.remove_dependency(dependency)
    read = _present_dependencies(session, actor, service)
    _record(
        session,
        actor=actor,
        action="service.dependency_removed",
        entity_type="service",
        key=service.slug,
        unit=service.business_unit_id,
        before=before.model_dump(mode="json")["depends_on"],
        after=read.model_dump(mode="json")["depends_on"],
        now=now,
    )
    return read


def _cycle_slugs(session: Session, actor: Actor, cycle: list[int]) -> list[str]:
    """Name the services on the cycle; those the actor may not see stay anonymous."""
    services = ServiceRepository(session).by_ids(cycle)
    return [
        services[i].slug
        if actor.can(Permission.CATALOGUE_READ, services[i].business_unit_id)
        else "(a service outside your business units)"
        for i in cycle
    ]


def _present_dependencies(session: Session, actor: Actor, service: Service) -> ServiceDependencies:
    edges = ServiceRepository(session).dependencies_touching(service.id)
    others = ServiceRepository(session).by_ids(
        {e.depends_on_id for e in edges} | {e.service_id for e in edges}
    )

    def visible(service_id: int) -> bool:
        return actor.can(Permission.CATALOGUE_READ, others[service_id].business_unit_id)

    def read(edge: ServiceDependency) -> DependencyRead:
        return DependencyRead(
            service=others[edge.service_id].slug,
            depends_on=others[edge.depends_on_id].slug,
            kind=edge.kind,
            description=edge.description,
        )

    return ServiceDependencies(
        service=service.slug,
        depends_on=[
            read(e) for e in edges if e.service_id == service.id and visible(e.depends_on_id)
        ],
        dependents=[
            read(e) for e in edges if e.depends_on_id == service.id and visible(e.service_id)
        ],
    )
