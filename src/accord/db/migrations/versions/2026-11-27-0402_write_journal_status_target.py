"""telemetry write journal; statuses keep the target and service they were judged for;
evaluation passes

Revision ID: 44bdc39eb7c8
Revises: bc0217edd252
Create Date: 2026-11-27 04:02:55.331852
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "44bdc39eb7c8"
down_revision: str | None = "bc0217edd252"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sli_write",
        sa.Column(
            "written_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("first_bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("buckets", sa.Integer(), nullable=False),
        sa.Column("objectives", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sli_write")),
    )
    with op.batch_alter_table("sli_write", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sli_write_written_at"), ["written_at"], unique=False)

    op.create_table(
        "evaluation_pass",
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("objectives", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_pass")),
    )
    with op.batch_alter_table("evaluation_pass", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_pass_evaluated_at"), ["evaluated_at"], unique=False
        )

    # Statuses recorded before this revision take their objective's current target and service.
    for table in ("objective_status", "status_snapshot"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "service_id",
                    sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                    nullable=True,
                )
            )
            batch_op.add_column(
                sa.Column(
                    "target",
                    sa.Numeric().with_variant(sa.String(length=64), "sqlite"),
                    nullable=True,
                )
            )
        op.execute(
            f"UPDATE {table} SET "
            "service_id = (SELECT o.service_id FROM objective AS o WHERE o.id = objective_id), "
            "target = (SELECT o.target FROM objective AS o WHERE o.id = objective_id)"
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "service_id",
                existing_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=False,
            )
            batch_op.alter_column(
                "target",
                existing_type=sa.Numeric().with_variant(sa.String(length=64), "sqlite"),
                nullable=False,
            )
            if table == "objective_status":  # snapshots: see StatusSnapshot.service_id
                batch_op.create_foreign_key(
                    batch_op.f(f"fk_{table}_service_id_service"), "service", ["service_id"], ["id"]
                )


def downgrade() -> None:
    for table in ("status_snapshot", "objective_status"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == "objective_status":
                batch_op.drop_constraint(
                    batch_op.f(f"fk_{table}_service_id_service"), type_="foreignkey"
                )
            batch_op.drop_column("target")
            batch_op.drop_column("service_id")

    with op.batch_alter_table("evaluation_pass", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_pass_evaluated_at"))
    op.drop_table("evaluation_pass")
    with op.batch_alter_table("sli_write", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sli_write_written_at"))
    op.drop_table("sli_write")
