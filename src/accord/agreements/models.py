"""Agreements (SLA, OLA, UC) and their numbered, immutable-once-approved versions.

An `Agreement` is the stable identity and its parties; an `AgreementVersion` holds the negotiated
terms. Terms are editable only while the version is a draft (service layer, and a database trigger
on both SQLite and PostgreSQL: see the initial migration).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from accord.agreements.enums import (
    AgreementKind,
    FeePeriod,
    ReviewCycle,
    SignOffRole,
    Structure,
    VersionStatus,
)
from accord.db.base import Base, HasId, SoftDeleted, Timestamped
from accord.db.types import ExactDecimal, Identifier, JSONDocument, enum_type


class Agreement(HasId, Timestamped, SoftDeleted, Base):
    """Parties by kind: SLA business unit → customer; OLA business unit → consumer unit;
    UC vendor → business unit. ``business_unit_id`` is always our owning unit (the RBAC scope)."""

    __tablename__ = "agreement"
    __table_args__ = (
        Index("ix_agreement_business_unit_id_id", "business_unit_id", "id"),
        Index("ix_agreement_customer_id_id", "customer_id", "id"),
        Index("ix_agreement_consumer_business_unit_id_id", "consumer_business_unit_id", "id"),
        Index("ix_agreement_region_id_id", "region_id", "id"),
        Index("ix_agreement_vendor_id_id", "vendor_id", "id"),
        Index("ix_agreement_kind_id", "kind", "id"),
        CheckConstraint(
            "(kind = 'sla' AND customer_id IS NOT NULL AND consumer_business_unit_id IS NULL "
            "AND vendor_id IS NULL) OR "
            "(kind = 'ola' AND customer_id IS NULL AND consumer_business_unit_id IS NOT NULL "
            "AND vendor_id IS NULL) OR "
            "(kind = 'uc' AND customer_id IS NULL AND consumer_business_unit_id IS NULL "
            "AND vendor_id IS NOT NULL)",
            name="parties_match_kind",
        ),
        CheckConstraint(
            "(structure = 'schedule') = (master_id IS NOT NULL)", name="schedule_has_master"
        ),
    )

    key: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[AgreementKind] = mapped_column(enum_type(AgreementKind, "kind"))
    structure: Mapped[Structure] = mapped_column(enum_type(Structure, "structure"))
    master_id: Mapped[int | None] = mapped_column(
        Identifier, ForeignKey("agreement.id"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    business_unit_id: Mapped[int] = mapped_column(Identifier, ForeignKey("business_unit.id"))
    customer_id: Mapped[int | None] = mapped_column(Identifier, ForeignKey("customer.id"))
    consumer_business_unit_id: Mapped[int | None] = mapped_column(
        Identifier, ForeignKey("business_unit.id")
    )
    vendor_id: Mapped[int | None] = mapped_column(Identifier, ForeignKey("vendor.id"))
    region_id: Mapped[int | None] = mapped_column(Identifier, ForeignKey("region.id"))
    created_by: Mapped[str] = mapped_column(String(200))


class AgreementKeyCounter(Base):
    """The last number issued per kind, so keys are dense and human (SLA-0001, SLA-0002…)."""

    __tablename__ = "agreement_key_counter"

    kind: Mapped[AgreementKind] = mapped_column(enum_type(AgreementKind, "kind"), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


TERM_COLUMNS: tuple[str, ...] = (
    "summary",
    "scope_inclusions",
    "scope_exclusions",
    "supported_hours",
    "customer_responsibilities",
    "jurisdiction",
    "review_cycle",
    "term_start",
    "term_end",
    "fee_amount",
    "fee_currency",
    "fee_period",
    "legal_reference",
    "procurement_reference",
    "regulatory_tags",
    "requested_sign_offs",
    "required_sign_offs",
    "internal_notes",
    "ticket_terms",
)
"""The negotiated terms: frozen once a version leaves draft (trigger in the initial migration)."""


class AgreementVersion(HasId, Timestamped, Base):
    __tablename__ = "agreement_version"
    __table_args__ = (
        UniqueConstraint("agreement_id", "number"),
        # Lets version_service carry agreement_id under a foreign key that keeps it true.
        UniqueConstraint("id", "agreement_id"),
        Index("ix_agreement_version_status_agreement_id", "status", "agreement_id"),
        Index("ix_agreement_version_agreement_id_status", "agreement_id", "status"),
        CheckConstraint("(fee_amount IS NULL) = (fee_currency IS NULL)", name="fee_has_currency"),
        CheckConstraint("term_end IS NULL OR term_end >= term_start", name="term_order"),
    )

    agreement_id: Mapped[int] = mapped_column(Identifier, ForeignKey("agreement.id"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[VersionStatus] = mapped_column(enum_type(VersionStatus, "status"))
    revision: Mapped[int] = mapped_column(Integer)
    """Bumped on every change of the row; the ETag of the version."""

    # --- terms (see TERM_COLUMNS)
    summary: Mapped[str] = mapped_column(String(20_000), default="")
    scope_inclusions: Mapped[list[str]] = mapped_column(JSONDocument)
    scope_exclusions: Mapped[list[str]] = mapped_column(JSONDocument)
    supported_hours: Mapped[str] = mapped_column(String(64))
    customer_responsibilities: Mapped[list[str]] = mapped_column(JSONDocument)
    ticket_terms: Mapped[dict[str, Any]] = mapped_column(JSONDocument, server_default=text("'{}'"))
    """Response and resolution targets for tickets (`schemas.TicketTerms` as JSON)."""
    jurisdiction: Mapped[str | None] = mapped_column(String(8))
    review_cycle: Mapped[ReviewCycle] = mapped_column(enum_type(ReviewCycle, "review_cycle"))
    term_start: Mapped[date] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date)
    fee_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    fee_currency: Mapped[str | None] = mapped_column(String(3))
    fee_period: Mapped[FeePeriod | None] = mapped_column(enum_type(FeePeriod, "fee_period"))
    legal_reference: Mapped[str | None] = mapped_column(String(120))
    procurement_reference: Mapped[str | None] = mapped_column(String(120))
    regulatory_tags: Mapped[list[str]] = mapped_column(JSONDocument)
    requested_sign_offs: Mapped[list[str]] = mapped_column(JSONDocument)
    """Sign-offs the agreement itself asks for, on top of its services' tiers."""
    required_sign_offs: Mapped[list[str]] = mapped_column(JSONDocument)
    """Every sign-off the version needs: the requested ones, the tiers' and the provider owner."""
    internal_notes: Mapped[str] = mapped_column(String(20_000), default="")

    # --- lifecycle
    created_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    approved_at: Mapped[datetime | None] = mapped_column(default=None)
    approved_by: Mapped[str | None] = mapped_column(String(200), default=None)
    effective_from: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    terms_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    """sha256 of the canonical terms, fixed at approval."""

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012


class VersionService(Base):
    """A service covered by a version.

    ``agreement_id`` repeats the version's agreement (the composite foreign key keeps it equal)
    so that "agreements covering this service" is one index range scan, not a walk through
    every version.
    """

    __tablename__ = "version_service"
    __table_args__ = (
        ForeignKeyConstraint(
            ["version_id", "agreement_id"],
            ["agreement_version.id", "agreement_version.agreement_id"],
        ),
        Index("ix_version_service_service_id_agreement_id", "service_id", "agreement_id"),
    )

    version_id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    service_id: Mapped[int] = mapped_column(Identifier, ForeignKey("service.id"), primary_key=True)
    agreement_id: Mapped[int] = mapped_column(Identifier)


class SignOff(HasId, Base):
    __tablename__ = "sign_off"
    __table_args__ = (UniqueConstraint("version_id", "role"),)

    version_id: Mapped[int] = mapped_column(Identifier, ForeignKey("agreement_version.id"))
    role: Mapped[SignOffRole] = mapped_column(enum_type(SignOffRole, "role"))
    principal_id: Mapped[int | None] = mapped_column(Identifier, ForeignKey("principal.id"))
    signed_by: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime]
    comment: Mapped[str] = mapped_column(String(2_000), default="")


class SupportLink(HasId, SoftDeleted, Base):
    """``supporting`` (an OLA or UC) underpins ``supported`` (an SLA or OLA) for one service."""

    __tablename__ = "support_link"
    __table_args__ = (
        Index("ix_support_link_supported_id", "supported_id"),
        Index("ix_support_link_supporting_id", "supporting_id"),
        Index(
            "uq_support_link_live",
            "supported_id",
            "supporting_id",
            "service_id",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    supported_id: Mapped[int] = mapped_column(Identifier, ForeignKey("agreement.id"))
    supporting_id: Mapped[int] = mapped_column(Identifier, ForeignKey("agreement.id"))
    service_id: Mapped[int] = mapped_column(Identifier, ForeignKey("service.id"))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
