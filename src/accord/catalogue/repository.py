"""Every query of the catalogue."""

from __future__ import annotations

from sqlalchemy import delete, or_, select, text

from accord.catalogue.models import (
    Customer,
    CustomerContact,
    Region,
    Service,
    ServiceDependency,
    Tier,
    Vendor,
)
from accord.db.repository import Repository

# Any constant works; it only has to differ from the other advisory locks of the database.
_DEPENDENCY_GRAPH_LOCK_KEY = 0x41434447  # "ACDG"


class RegionRepository(Repository[Region]):
    model = Region

    def by_code(self, code: str) -> Region | None:
        return self.find_by(code=code)

    def all(self) -> list[Region]:
        return list(self.session.scalars(select(Region).order_by(Region.code)))


class TierRepository(Repository[Tier]):
    model = Tier

    def all(self) -> list[Tier]:
        return list(self.session.scalars(select(Tier).order_by(Tier.level)))


class CustomerRepository(Repository[Customer]):
    model = Customer

    def by_code(self, code: str) -> Customer | None:
        return self.find_by(code=code)

    def code_taken(self, code: str) -> bool:
        return self.session.scalar(select(Customer.id).where(Customer.code == code)) is not None

    def page(
        self,
        *,
        units: frozenset[int] | None,
        business_unit_id: int | None,
        after: int | None,
        limit: int,
    ) -> list[Customer]:
        stmt = self.live().order_by(Customer.id).limit(limit)
        if units is not None:
            stmt = stmt.where(Customer.business_unit_id.in_(units))
        if business_unit_id is not None:
            stmt = stmt.where(Customer.business_unit_id == business_unit_id)
        if after is not None:
            stmt = stmt.where(Customer.id > after)
        return list(self.session.scalars(stmt))

    def contacts(self, customer_ids: list[int]) -> list[CustomerContact]:
        if not customer_ids:
            return []
        return list(
            self.session.scalars(
                select(CustomerContact).where(CustomerContact.customer_id.in_(customer_ids))
            )
        )

    def customer_ids_of_contact(self, principal_id: int) -> set[int]:
        return set(
            self.session.scalars(
                select(CustomerContact.customer_id).where(
                    CustomerContact.principal_id == principal_id
                )
            )
        )

    def find_contact(self, customer_id: int, principal_id: int) -> CustomerContact | None:
        return self.session.get(CustomerContact, (customer_id, principal_id))

    def add_contact(self, contact: CustomerContact) -> None:
        self.session.add(contact)
        self.session.flush()

    def remove_contact(self, contact: CustomerContact) -> None:
        self.session.delete(contact)
        self.session.flush()


class VendorRepository(Repository[Vendor]):
    model = Vendor

    def by_code(self, code: str) -> Vendor | None:
        return self.find_by(code=code)

    def code_taken(self, code: str) -> bool:
        return self.session.scalar(select(Vendor.id).where(Vendor.code == code)) is not None

    def page(self, *, after: int | None, limit: int) -> list[Vendor]:
        stmt = self.live().order_by(Vendor.id).limit(limit)
        if after is not None:
            stmt = stmt.where(Vendor.id > after)
        return list(self.session.scalars(stmt))


class ServiceRepository(Repository[Service]):
    model = Service

    def by_slug(self, slug: str) -> Service | None:
        return self.find_by(slug=slug)

    def slug_taken(self, slug: str) -> bool:
        return self.session.scalar(select(Service.id).where(Service.slug == slug)) is not None

    def cmdb_ci_taken(self, cmdb_ci_id: str, *, other_than: int | None = None) -> bool:
        stmt = select(Service.id).where(Service.cmdb_ci_id == cmdb_ci_id)
        if other_than is not None:
            stmt = stmt.where(Service.id != other_than)
        return self.session.scalar(stmt) is not None

    def page(
        self,
        *,
        units: frozenset[int] | None,
        business_unit_id: int | None,
        tier: int | None,
        lifecycle: str | None,
        criticality: str | None,
        owner_id: int | None,
        after: int | None,
        limit: int,
    ) -> list[Service]:
        stmt = self.live().order_by(Service.id).limit(limit)
        if units is not None:
            stmt = stmt.where(Service.business_unit_id.in_(units))
        if business_unit_id is not None:
            stmt = stmt.where(Service.business_unit_id == business_unit_id)
        if tier is not None:
            stmt = stmt.where(Service.tier_level == tier)
        if lifecycle is not None:
            stmt = stmt.where(Service.lifecycle == lifecycle)
        if criticality is not None:
            stmt = stmt.where(Service.criticality == criticality)
        if owner_id is not None:
            stmt = stmt.where(Service.owner_id == owner_id)
        if after is not None:
            stmt = stmt.where(Service.id > after)
        return list(self.session.scalars(stmt))

    def by_slugs(self, slugs: list[str]) -> dict[str, Service]:
        if not slugs:
            return {}
        rows = self.session.scalars(self.live().where(Service.slug.in_(slugs)))
        return {row.slug: row for row in rows}

    # ---- dependencies
    def lock_dependency_graph(self) -> None:
        """Serialise writers of the dependency graph until the end of the transaction.

        Two concurrent additions (a → b and b → a) would each pass the cycle check against a
        graph without the other's edge. PostgreSQL: a transaction-scoped advisory lock taken
        before the graph is read (READ COMMITTED then sees every edge committed before it).
        SQLite: write transactions already begin IMMEDIATE and hold the single write lock.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _DEPENDENCY_GRAPH_LOCK_KEY}
            )

    def dependency_edges(self) -> dict[int, list[int]]:
        """The whole graph (it is global: services of any unit may depend on each other)."""
        edges: dict[int, list[int]] = {}
        for source, target in self.session.execute(
            select(ServiceDependency.service_id, ServiceDependency.depends_on_id)
        ):
            edges.setdefault(source, []).append(target)
        return edges

    def dependencies_touching(self, service_id: int) -> list[ServiceDependency]:
        return list(
            self.session.scalars(
                select(ServiceDependency)
                .where(
                    or_(
                        ServiceDependency.service_id == service_id,
                        ServiceDependency.depends_on_id == service_id,
                    )
                )
                .order_by(ServiceDependency.id)
            )
        )

    def find_dependency(self, service_id: int, depends_on_id: int) -> ServiceDependency | None:
        return self.session.scalars(
            select(ServiceDependency).where(
                ServiceDependency.service_id == service_id,
                ServiceDependency.depends_on_id == depends_on_id,
            )
        ).first()

    def add_dependency(self, dependency: ServiceDependency) -> None:
        self.session.add(dependency)
        self.session.flush()

    def remove_dependency(self, dependency: ServiceDependency) -> None:
        self.session.execute(delete(ServiceDependency).where(ServiceDependency.id == dependency.id))
        self.session.flush()
