"""objective origin: where an imported definition came from

Revision ID: 5d2e8a41c7f3
Revises: 44bdc39eb7c8
Create Date: 2026-11-27 04:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5d2e8a41c7f3"
down_revision: str | None = "44bdc39eb7c8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable and without a default: objectives defined in Accord have no origin.
    with op.batch_alter_table("objective") as batch_op:
        batch_op.add_column(
            sa.Column(
                "origin",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("objective") as batch_op:
        batch_op.drop_column("origin")
