"""The service catalogue: regions, tiers, customers, vendors, services and their dependencies."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.catalogue.enums import Criticality, DependencyKind, Lifecycle
from accord.db.base import Base, HasId, SoftDeleted, Timestamped
from accord.db.types import ExactDecimal, Identifier, JSONDocument, enum_type


class Region(HasId, Timestamped, Base):
    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    jurisdiction: Mapped[str] = mapped_column(String(8))
    data_residency: Mapped[bool] = mapped_column(default=False)
    """Data of agreements in this region must stay in it."""


class Tier(Base):
    """Tier 1 (most critical) to 4, with the rigour every service of the tier inherits."""

    __tablename__ = "tier"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),)

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    min_target: Mapped[Decimal] = mapped_column(ExactDecimal())
    evaluation_interval_seconds: Mapped[int]
    active_monitoring_required: Mapped[bool]
    required_sign_offs: Mapped[list[str]] = mapped_column(JSONDocument)


class Customer(HasId, Timestamped, SoftDeleted, Base):
    __tablename__ = "customer"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    business_unit_id: Mapped[int] = mapped_column(
        Identifier, ForeignKey("business_unit.id"), index=True
    )
    region_id: Mapped[int | None] = mapped_column(Identifier, ForeignKey("region.id"))
    contact_email: Mapped[str | None] = mapped_column(String(320))


class CustomerContact(Base):
    """Links an external principal to the customer whose agreements it may read."""

    __tablename__ = "customer_contact"

    customer_id: Mapped[int] = mapped_column(
        Identifier, ForeignKey("customer.id"), primary_key=True
    )
    principal_id: Mapped[int] = mapped_column(
        Identifier, ForeignKey("principal.id"), primary_key=True, index=True
    )


class Vendor(HasId, Timestamped, SoftDeleted, Base):
    """An external supplier we hold underpinning contracts (UCs) with."""

    __tablename__ = "vendor"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(320))


class Service(HasId, Timestamped, SoftDeleted, Base):
    __tablename__ = "service"
    __table_args__ = (Index("ix_service_business_unit_id_id", "business_unit_id", "id"),)

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(20_000), default="")
    business_unit_id: Mapped[int] = mapped_column(Identifier, ForeignKey("business_unit.id"))
    tier_level: Mapped[int] = mapped_column(SmallInteger, ForeignKey("tier.level"))
    owner_id: Mapped[int | None] = mapped_column(Identifier, ForeignKey("principal.id"))
    criticality: Mapped[Criticality] = mapped_column(enum_type(Criticality, "criticality"))
    lifecycle: Mapped[Lifecycle] = mapped_column(enum_type(Lifecycle, "lifecycle"))
    cmdb_ci_id: Mapped[str | None] = mapped_column(String(120), unique=True)


class ServiceDependency(HasId, Base):
    """``service`` depends on ``depends_on``. The graph is kept acyclic."""

    __tablename__ = "service_dependency"
    __table_args__ = (
        UniqueConstraint("service_id", "depends_on_id"),
        CheckConstraint("service_id <> depends_on_id", name="not_self"),
    )

    service_id: Mapped[int] = mapped_column(Identifier, ForeignKey("service.id"))
    depends_on_id: Mapped[int] = mapped_column(Identifier, ForeignKey("service.id"), index=True)
    kind: Mapped[DependencyKind] = mapped_column(enum_type(DependencyKind, "kind"))
    description: Mapped[str] = mapped_column(String(500), default="")
