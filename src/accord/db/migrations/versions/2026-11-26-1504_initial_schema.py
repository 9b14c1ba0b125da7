"""Initial schema: identity, audit, catalogue, agreements.

Besides the tables: append-only triggers on the audit trail, the freeze of agreement terms once a
version leaves draft (both dialects), the four default tiers and the agreement key counters.

Revision ID: 44b8014151cc
Revises:
Create Date: 2026-11-26 15:04:54.350250
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "44b8014151cc"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agreement_key_counter",
        sa.Column(
            "kind",
            sa.Enum(
                "sla",
                "ola",
                "uc",
                name="kind",
                native_enum=False,
                create_constraint=True,
                length=11,
            ),
            nullable=False,
        ),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_agreement_key_counter")),
    )
    op.create_table(
        "audit_checkpoint",
        sa.Column(
            "number",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "event_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_audit_checkpoint")),
    )
    op.create_table(
        "audit_event",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_key", sa.String(length=200), nullable=False),
        sa.Column(
            "business_unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_event_hash")),
    )
    op.create_index(op.f("ix_audit_event_action"), "audit_event", ["action"], unique=False)
    op.create_index(op.f("ix_audit_event_actor_name"), "audit_event", ["actor_name"], unique=False)
    op.create_index(
        "ix_audit_event_business_unit_id_seq",
        "audit_event",
        ["business_unit_id", "seq"],
        unique=False,
    )
    op.create_index(
        "ix_audit_event_entity", "audit_event", ["entity_type", "entity_key", "seq"], unique=False
    )
    op.create_index(
        op.f("ix_audit_event_occurred_at"), "audit_event", ["occurred_at"], unique=False
    )
    op.create_table(
        "business_unit",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=20000), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_business_unit_code")),
    )
    op.create_table(
        "principal",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "user", "source", name="kind", native_enum=False, create_constraint=True, length=14
            ),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_principal")),
        sa.UniqueConstraint("name", name=op.f("uq_principal_name")),
    )
    op.create_table(
        "region",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("jurisdiction", sa.String(length=8), nullable=False),
        sa.Column("data_residency", sa.Boolean(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region")),
        sa.UniqueConstraint("code", name=op.f("uq_region_code")),
    )
    op.create_table(
        "tier",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "min_target", sa.Numeric().with_variant(sa.String(length=64), "sqlite"), nullable=False
        ),
        sa.Column("evaluation_interval_seconds", sa.Integer(), nullable=False),
        sa.Column("active_monitoring_required", sa.Boolean(), nullable=False),
        sa.Column(
            "required_sign_offs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.CheckConstraint("level BETWEEN 1 AND 4", name=op.f("ck_tier_level_range")),
        sa.PrimaryKeyConstraint("level", name=op.f("pk_tier")),
    )
    op.create_table(
        "vendor",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendor")),
        sa.UniqueConstraint("code", name=op.f("uq_vendor_code")),
    )
    op.create_table(
        "api_token",
        sa.Column(
            "principal_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "usr", "ing", name="kind", native_enum=False, create_constraint=True, length=11
            ),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["principal_id"], ["principal.id"], name=op.f("fk_api_token_principal_id_principal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_index(
        "ix_api_token_principal_id_revoked_at",
        "api_token",
        ["principal_id", "revoked_at"],
        unique=False,
    )
    op.create_table(
        "customer",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "business_unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("region_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["business_unit_id"],
            ["business_unit.id"],
            name=op.f("fk_customer_business_unit_id_business_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_customer_region_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("code", name=op.f("uq_customer_code")),
    )
    op.create_index(
        op.f("ix_customer_business_unit_id"), "customer", ["business_unit_id"], unique=False
    )
    op.create_table(
        "role_grant",
        sa.Column(
            "principal_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "editor",
                "approver",
                "viewer",
                "auditor",
                "ingest",
                "external",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "business_unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_unit_id"],
            ["business_unit.id"],
            name=op.f("fk_role_grant_business_unit_id_business_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["principal_id"], ["principal.id"], name=op.f("fk_role_grant_principal_id_principal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grant")),
        sa.UniqueConstraint(
            "principal_id",
            "role",
            "business_unit_id",
            name=op.f("uq_role_grant_principal_id_role_business_unit_id"),
        ),
    )
    op.create_index(
        op.f("ix_role_grant_business_unit_id"), "role_grant", ["business_unit_id"], unique=False
    )
    op.create_index(
        op.f("ix_role_grant_principal_id"), "role_grant", ["principal_id"], unique=False
    )
    op.create_table(
        "service",
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=20000), nullable=False),
        sa.Column(
            "business_unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("tier_level", sa.SmallInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "criticality",
            sa.Enum(
                "low",
                "medium",
                "high",
                "critical",
                name="criticality",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "lifecycle",
            sa.Enum(
                "active",
                "sunset",
                "decommissioned",
                name="lifecycle",
                native_enum=False,
                create_constraint=True,
                length=22,
            ),
            nullable=False,
        ),
        sa.Column("cmdb_ci_id", sa.String(length=120), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["business_unit_id"],
            ["business_unit.id"],
            name=op.f("fk_service_business_unit_id_business_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["principal.id"], name=op.f("fk_service_owner_id_principal")
        ),
        sa.ForeignKeyConstraint(
            ["tier_level"], ["tier.level"], name=op.f("fk_service_tier_level_tier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service")),
        sa.UniqueConstraint("cmdb_ci_id", name=op.f("uq_service_cmdb_ci_id")),
        sa.UniqueConstraint("slug", name=op.f("uq_service_slug")),
    )
    op.create_index(
        "ix_service_business_unit_id_id", "service", ["business_unit_id", "id"], unique=False
    )
    op.create_table(
        "agreement",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "sla",
                "ola",
                "uc",
                name="kind",
                native_enum=False,
                create_constraint=True,
                length=11,
            ),
            nullable=False,
        ),
        sa.Column(
            "structure",
            sa.Enum(
                "monolithic",
                "master",
                "schedule",
                name="structure",
                native_enum=False,
                create_constraint=True,
                length=18,
            ),
            nullable=False,
        ),
        sa.Column("master_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "business_unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "consumer_business_unit_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("vendor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("region_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(kind = 'sla' AND customer_id IS NOT NULL AND consumer_business_unit_id IS NULL AND vendor_id IS NULL) OR (kind = 'ola' AND customer_id IS NULL AND consumer_business_unit_id IS NOT NULL AND vendor_id IS NULL) OR (kind = 'uc' AND customer_id IS NULL AND consumer_business_unit_id IS NULL AND vendor_id IS NOT NULL)",
            name=op.f("ck_agreement_parties_match_kind"),
        ),
        sa.CheckConstraint(
            "(structure = 'schedule') = (master_id IS NOT NULL)",
            name=op.f("ck_agreement_schedule_has_master"),
        ),
        sa.ForeignKeyConstraint(
            ["business_unit_id"],
            ["business_unit.id"],
            name=op.f("fk_agreement_business_unit_id_business_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["consumer_business_unit_id"],
            ["business_unit.id"],
            name=op.f("fk_agreement_consumer_business_unit_id_business_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_agreement_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["master_id"], ["agreement.id"], name=op.f("fk_agreement_master_id_agreement")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_agreement_region_id_region")
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendor.id"], name=op.f("fk_agreement_vendor_id_vendor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement")),
        sa.UniqueConstraint("key", name=op.f("uq_agreement_key")),
    )
    op.create_index(
        "ix_agreement_business_unit_id_id", "agreement", ["business_unit_id", "id"], unique=False
    )
    op.create_index("ix_agreement_customer_id_id", "agreement", ["customer_id", "id"], unique=False)
    op.create_index(
        "ix_agreement_consumer_business_unit_id_id",
        "agreement",
        ["consumer_business_unit_id", "id"],
        unique=False,
    )
    op.create_index("ix_agreement_kind_id", "agreement", ["kind", "id"], unique=False)
    op.create_index(op.f("ix_agreement_master_id"), "agreement", ["master_id"], unique=False)
    op.create_index("ix_agreement_region_id_id", "agreement", ["region_id", "id"], unique=False)
    op.create_index("ix_agreement_vendor_id_id", "agreement", ["vendor_id", "id"], unique=False)
    op.create_table(
        "customer_contact",
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "principal_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_customer_contact_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["principal.id"],
            name=op.f("fk_customer_contact_principal_id_principal"),
        ),
        sa.PrimaryKeyConstraint("customer_id", "principal_id", name=op.f("pk_customer_contact")),
    )
    op.create_index(
        op.f("ix_customer_contact_principal_id"), "customer_contact", ["principal_id"], unique=False
    )
    op.create_table(
        "service_dependency",
        sa.Column(
            "service_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "depends_on_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "hard", "soft", name="kind", native_enum=False, create_constraint=True, length=12
            ),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint(
            "service_id <> depends_on_id", name=op.f("ck_service_dependency_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["depends_on_id"],
            ["service.id"],
            name=op.f("fk_service_dependency_depends_on_id_service"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_service_dependency_service_id_service")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_dependency")),
        sa.UniqueConstraint(
            "service_id",
            "depends_on_id",
            name=op.f("uq_service_dependency_service_id_depends_on_id"),
        ),
    )
    op.create_index(
        op.f("ix_service_dependency_depends_on_id"),
        "service_dependency",
        ["depends_on_id"],
        unique=False,
    )
    op.create_table(
        "agreement_version",
        sa.Column(
            "agreement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "in_review",
                "approved",
                "active",
                "superseded",
                "expired",
                "sunset",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=18,
            ),
            nullable=False,
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("summary", sa.String(length=20000), nullable=False),
        sa.Column(
            "scope_inclusions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "scope_exclusions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("supported_hours", sa.String(length=64), nullable=False),
        sa.Column(
            "customer_responsibilities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("jurisdiction", sa.String(length=8), nullable=True),
        sa.Column(
            "review_cycle",
            sa.Enum(
                "monthly",
                "quarterly",
                "semiannual",
                "annual",
                name="review_cycle",
                native_enum=False,
                create_constraint=True,
                length=18,
            ),
            nullable=False,
        ),
        sa.Column("term_start", sa.Date(), nullable=False),
        sa.Column("term_end", sa.Date(), nullable=True),
        sa.Column(
            "fee_amount", sa.Numeric().with_variant(sa.String(length=64), "sqlite"), nullable=True
        ),
        sa.Column("fee_currency", sa.String(length=3), nullable=True),
        sa.Column(
            "fee_period",
            sa.Enum(
                "one_off",
                "monthly",
                "quarterly",
                "annual",
                name="fee_period",
                native_enum=False,
                create_constraint=True,
                length=17,
            ),
            nullable=True,
        ),
        sa.Column("legal_reference", sa.String(length=120), nullable=True),
        sa.Column("procurement_reference", sa.String(length=120), nullable=True),
        sa.Column(
            "regulatory_tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "requested_sign_offs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "required_sign_offs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("internal_notes", sa.String(length=20000), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("terms_hash", sa.String(length=64), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(fee_amount IS NULL) = (fee_currency IS NULL)",
            name=op.f("ck_agreement_version_fee_has_currency"),
        ),
        sa.CheckConstraint(
            "term_end IS NULL OR term_end >= term_start",
            name=op.f("ck_agreement_version_term_order"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_agreement_version_agreement_id_agreement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_version")),
        sa.UniqueConstraint(
            "agreement_id", "number", name=op.f("uq_agreement_version_agreement_id_number")
        ),
        sa.UniqueConstraint(
            "id", "agreement_id", name=op.f("uq_agreement_version_id_agreement_id")
        ),
    )
    op.create_index(
        "ix_agreement_version_agreement_id_status",
        "agreement_version",
        ["agreement_id", "status"],
        unique=False,
    )
    op.create_index(
        "ix_agreement_version_status_agreement_id",
        "agreement_version",
        ["status", "agreement_id"],
        unique=False,
    )
    op.create_table(
        "support_link",
        sa.Column(
            "supported_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "supporting_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "service_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_support_link_service_id_service")
        ),
        sa.ForeignKeyConstraint(
            ["supported_id"], ["agreement.id"], name=op.f("fk_support_link_supported_id_agreement")
        ),
        sa.ForeignKeyConstraint(
            ["supporting_id"],
            ["agreement.id"],
            name=op.f("fk_support_link_supporting_id_agreement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_link")),
    )
    op.create_index("ix_support_link_supported_id", "support_link", ["supported_id"], unique=False)
    op.create_index(
        "ix_support_link_supporting_id", "support_link", ["supporting_id"], unique=False
    )
    op.create_index(
        "uq_support_link_live",
        "support_link",
        ["supported_id", "supporting_id", "service_id"],
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_table(
        "sign_off",
        sa.Column(
            "version_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "role",
            sa.Enum(
                "provider_owner",
                "customer_owner",
                "legal",
                "procurement",
                "finance",
                "security",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=22,
            ),
            nullable=False,
        ),
        sa.Column(
            "principal_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("signed_by", sa.String(length=200), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.String(length=2000), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["principal_id"], ["principal.id"], name=op.f("fk_sign_off_principal_id_principal")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["agreement_version.id"],
            name=op.f("fk_sign_off_version_id_agreement_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_off")),
        sa.UniqueConstraint("version_id", "role", name=op.f("uq_sign_off_version_id_role")),
    )
    op.create_table(
        "version_service",
        sa.Column(
            "version_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "service_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "agreement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_version_service_service_id_service")
        ),
        sa.ForeignKeyConstraint(
            ["version_id", "agreement_id"],
            ["agreement_version.id", "agreement_version.agreement_id"],
            name=op.f("fk_version_service_version_id_agreement_version"),
        ),
        sa.PrimaryKeyConstraint("version_id", "service_id", name=op.f("pk_version_service")),
    )
    op.create_index(
        "ix_version_service_service_id_agreement_id",
        "version_service",
        ["service_id", "agreement_id"],
        unique=False,
    )
    _install_guards()
    _seed_reference_data()


def downgrade() -> None:
    _remove_guards()
    op.drop_index("ix_version_service_service_id_agreement_id", table_name="version_service")
    op.drop_table("version_service")
    op.drop_table("sign_off")
    op.drop_index(
        "uq_support_link_live",
        table_name="support_link",
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_index("ix_support_link_supporting_id", table_name="support_link")
    op.drop_index("ix_support_link_supported_id", table_name="support_link")
    op.drop_table("support_link")
    op.drop_index("ix_agreement_version_status_agreement_id", table_name="agreement_version")
    op.drop_index("ix_agreement_version_agreement_id_status", table_name="agreement_version")
    op.drop_table("agreement_version")
    op.drop_index(op.f("ix_service_dependency_depends_on_id"), table_name="service_dependency")
    op.drop_table("service_dependency")
    op.drop_index(op.f("ix_customer_contact_principal_id"), table_name="customer_contact")
    op.drop_table("customer_contact")
    op.drop_index("ix_agreement_vendor_id_id", table_name="agreement")
    op.drop_index("ix_agreement_region_id_id", table_name="agreement")
    op.drop_index(op.f("ix_agreement_master_id"), table_name="agreement")
    op.drop_index("ix_agreement_kind_id", table_name="agreement")
    op.drop_index("ix_agreement_consumer_business_unit_id_id", table_name="agreement")
    op.drop_index("ix_agreement_customer_id_id", table_name="agreement")
    op.drop_index("ix_agreement_business_unit_id_id", table_name="agreement")
    op.drop_table("agreement")
    op.drop_index("ix_service_business_unit_id_id", table_name="service")
    op.drop_table("service")
    op.drop_index(op.f("ix_role_grant_principal_id"), table_name="role_grant")
    op.drop_index(op.f("ix_role_grant_business_unit_id"), table_name="role_grant")
    op.drop_table("role_grant")
    op.drop_index(op.f("ix_customer_business_unit_id"), table_name="customer")
    op.drop_table("customer")
    op.drop_index("ix_api_token_principal_id_revoked_at", table_name="api_token")
    op.drop_table("api_token")
    op.drop_table("vendor")
    op.drop_table("tier")
    op.drop_table("region")
    op.drop_table("principal")
    op.drop_table("business_unit")
    op.drop_index(op.f("ix_audit_event_occurred_at"), table_name="audit_event")
    op.drop_index("ix_audit_event_entity", table_name="audit_event")
    op.drop_index("ix_audit_event_business_unit_id_seq", table_name="audit_event")
    op.drop_index(op.f("ix_audit_event_actor_name"), table_name="audit_event")
    op.drop_index(op.f("ix_audit_event_action"), table_name="audit_event")
    op.drop_table("audit_event")
    op.drop_table("audit_checkpoint")
    op.drop_table("agreement_key_counter")


# Frozen copy of accord.agreements.models.TERM_COLUMNS at this revision (plus the identity of the
# version). A test updates each one on an approved version and expects the database to refuse.
_FROZEN_TERMS = (
    "agreement_id",
    "number",
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
    "created_by",
)
# Fixed once the version is approved / took effect / ended.
_FROZEN_APPROVAL = ("submitted_at", "approved_at", "approved_by", "terms_hash")
_FROZEN_EFFECT = ("effective_from",)
_FROZEN_END = ("ended_at",)
_TOOK_EFFECT = "('active', 'superseded', 'expired', 'sunset')"
_ENDED = "('superseded', 'expired', 'sunset')"
# The only status moves a version can make (the lifecycle in accord.agreements.rules).
_ALLOWED_MOVES = (
    "draft>draft",
    "draft>in_review",
    "in_review>in_review",
    "in_review>draft",
    "in_review>approved",
    "approved>approved",
    "approved>active",
    "approved>superseded",
    "active>active",
    "active>superseded",
    "active>expired",
    "active>sunset",
    "superseded>superseded",
    "expired>expired",
    "sunset>sunset",
)
_BAD_MOVE = "(OLD.status || '>' || NEW.status) NOT IN ({})".format(
    ", ".join(f"'{m}'" for m in _ALLOWED_MOVES)
)
_APPEND_ONLY = ("audit_event", "audit_checkpoint")


def _install_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _install_postgresql_guards()
    else:
        _install_sqlite_guards()


def _install_postgresql_guards() -> None:
    op.execute("""
        CREATE FUNCTION accord_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
                USING ERRCODE = 'integrity_constraint_violation';
        END $$""")
    for table in _APPEND_ONLY:
        op.execute(f"""
            CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION accord_append_only()""")
        op.execute(f"""
            CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION accord_append_only()""")
    new_terms = ", ".join(f"NEW.{c}" for c in _FROZEN_TERMS)
    old_terms = ", ".join(f"OLD.{c}" for c in _FROZEN_TERMS)

    def changed(columns: tuple[str, ...]) -> str:
        return " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)

    op.execute(f"""
        CREATE FUNCTION accord_freeze_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                IF OLD.status <> 'draft' THEN
                    RAISE EXCEPTION 'agreement_version %: only drafts can be deleted', OLD.id
                        USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                RETURN OLD;
            END IF;
            IF OLD.status <> 'draft' AND ROW({new_terms}) IS DISTINCT FROM ROW({old_terms}) THEN
                RAISE EXCEPTION 'agreement_version %: terms are immutable once the version leaves draft', OLD.id
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF {_BAD_MOVE} THEN
                RAISE EXCEPTION 'agreement_version %: a version cannot go from % to %', OLD.id, OLD.status, NEW.status
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF (OLD.status NOT IN ('draft', 'in_review') AND ({changed(_FROZEN_APPROVAL)}))
                OR (OLD.status IN {_TOOK_EFFECT} AND ({changed(_FROZEN_EFFECT)}))
                OR (OLD.status IN {_ENDED} AND ({changed(_FROZEN_END)})) THEN
                RAISE EXCEPTION 'agreement_version %: its approval and effective dates are fixed', OLD.id
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END $$""")
    op.execute("""
        CREATE TRIGGER agreement_version_frozen BEFORE UPDATE OR DELETE ON agreement_version
        FOR EACH ROW EXECUTE FUNCTION accord_freeze_version()""")
    op.execute("""
        CREATE FUNCTION accord_freeze_version_services() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            version_status text;
        BEGIN
            SELECT status INTO version_status FROM agreement_version
                WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.version_id ELSE NEW.version_id END;
            IF version_status <> 'draft' THEN
                RAISE EXCEPTION 'the services of a version are immutable once it leaves draft'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$""")
    op.execute("""
        CREATE TRIGGER version_service_frozen BEFORE INSERT OR UPDATE OR DELETE ON version_service
        FOR EACH ROW EXECUTE FUNCTION accord_freeze_version_services()""")
    op.execute("""
        CREATE FUNCTION accord_freeze_sign_offs() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            version_status text;
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                RAISE EXCEPTION 'a sign-off cannot be changed'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            SELECT status INTO version_status FROM agreement_version
                WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.version_id ELSE NEW.version_id END;
            IF version_status <> 'in_review' THEN
                RAISE EXCEPTION 'sign-offs are given or voided only while the version is in review'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$""")
    op.execute("""
        CREATE TRIGGER sign_off_frozen BEFORE INSERT OR UPDATE OR DELETE ON sign_off
        FOR EACH ROW EXECUTE FUNCTION accord_freeze_sign_offs()""")


def _install_sqlite_guards() -> None:
    for table in _APPEND_ONLY:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER {table}_append_only_{event.lower()} BEFORE {event} ON {table}
                BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""")

    def changed(columns: tuple[str, ...]) -> str:
        return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)

    terms_changed = changed(_FROZEN_TERMS)
    op.execute(f"""
        CREATE TRIGGER agreement_version_terms_frozen BEFORE UPDATE ON agreement_version
        WHEN OLD.status <> 'draft' AND ({terms_changed})
        BEGIN SELECT RAISE(ABORT, 'agreement_version terms are immutable once the version leaves draft'); END""")
    op.execute(f"""
        CREATE TRIGGER agreement_version_status_moves BEFORE UPDATE ON agreement_version
        WHEN {_BAD_MOVE}
        BEGIN SELECT RAISE(ABORT, 'agreement_version cannot make this status change'); END""")
    op.execute(f"""
        CREATE TRIGGER agreement_version_approval_frozen BEFORE UPDATE ON agreement_version
        WHEN (OLD.status NOT IN ('draft', 'in_review') AND ({changed(_FROZEN_APPROVAL)}))
            OR (OLD.status IN {_TOOK_EFFECT} AND ({changed(_FROZEN_EFFECT)}))
            OR (OLD.status IN {_ENDED} AND ({changed(_FROZEN_END)}))
        BEGIN SELECT RAISE(ABORT, 'agreement_version approval and effective dates are fixed'); END""")
    op.execute("""
        CREATE TRIGGER agreement_version_delete_frozen BEFORE DELETE ON agreement_version
        WHEN OLD.status <> 'draft'
        BEGIN SELECT RAISE(ABORT, 'only draft agreement versions can be deleted'); END""")
    for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        op.execute(f"""
            CREATE TRIGGER version_service_frozen_{event.lower()} BEFORE {event} ON version_service
            WHEN (SELECT status FROM agreement_version WHERE id = {row}.version_id) <> 'draft'
            BEGIN SELECT RAISE(ABORT, 'the services of a version are immutable once it leaves draft'); END""")
    op.execute("""
        CREATE TRIGGER sign_off_no_update BEFORE UPDATE ON sign_off
        BEGIN SELECT RAISE(ABORT, 'a sign-off cannot be changed'); END""")
    for event, row in (("INSERT", "NEW"), ("DELETE", "OLD")):
        op.execute(f"""
            CREATE TRIGGER sign_off_frozen_{event.lower()} BEFORE {event} ON sign_off
            WHEN (SELECT status FROM agreement_version WHERE id = {row}.version_id) <> 'in_review'
            BEGIN SELECT RAISE(ABORT, 'sign-offs are given or voided only while the version is in review'); END""")


def _remove_guards() -> None:
    # On SQLite, dropping the tables drops their triggers.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER sign_off_frozen ON sign_off")
        op.execute("DROP TRIGGER version_service_frozen ON version_service")
        op.execute("DROP TRIGGER agreement_version_frozen ON agreement_version")
        for table in _APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        for function in (
            "accord_freeze_sign_offs",
            "accord_freeze_version_services",
            "accord_freeze_version",
            "accord_append_only",
        ):
            op.execute(f"DROP FUNCTION {function}()")


def _seed_reference_data() -> None:
    tier = sa.table(
        "tier",
        sa.column("level", sa.SmallInteger()),
        sa.column("name", sa.String()),
        sa.column("min_target", sa.Numeric().with_variant(sa.String(length=64), "sqlite")),
        sa.column("evaluation_interval_seconds", sa.Integer()),
        sa.column("active_monitoring_required", sa.Boolean()),
        sa.column("required_sign_offs", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
    )
    # Defaults an organisation edits to taste (PUT /api/v1/tiers/{level}).
    op.bulk_insert(
        tier,
        [
            {
                "level": 1,
                "name": "Tier 1 - mission critical",
                "min_target": "0.9995",
                "evaluation_interval_seconds": 60,
                "active_monitoring_required": True,
                "required_sign_offs": ["provider_owner", "customer_owner", "legal"],
            },
            {
                "level": 2,
                "name": "Tier 2 - business critical",
                "min_target": "0.999",
                "evaluation_interval_seconds": 300,
                "active_monitoring_required": True,
                "required_sign_offs": ["provider_owner", "customer_owner"],
            },
            {
                "level": 3,
                "name": "Tier 3 - business operational",
                "min_target": "0.995",
                "evaluation_interval_seconds": 900,
                "active_monitoring_required": False,
                "required_sign_offs": ["provider_owner", "customer_owner"],
            },
            {
                "level": 4,
                "name": "Tier 4 - administrative",
                "min_target": "0.99",
                "evaluation_interval_seconds": 3600,
                "active_monitoring_required": False,
                "required_sign_offs": ["provider_owner"],
            },
        ],
    )
    counter = sa.table(
        "agreement_key_counter",
        sa.column("kind", sa.String()),
        sa.column("last_number", sa.Integer()),
    )
    op.bulk_insert(counter, [{"kind": k, "last_number": 0} for k in ("sla", "ola", "uc")])
