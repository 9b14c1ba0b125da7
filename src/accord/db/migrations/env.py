"""Alembic environment. The caller (``accord db …`` or the tests) passes the connection and, for
autogenerate, the complete metadata (`accord.tables.metadata`), so this module imports no domain."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from accord.db.types import ExactDecimal, UTCDateTime

connection = context.config.attributes.get("connection")
target_metadata = context.config.attributes.get("target_metadata")

if connection is None:
    raise RuntimeError("run migrations through `accord db upgrade` (it supplies the connection)")


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our column types as plain SQLAlchemy types, so migrations never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, ExactDecimal):
        return "sa.Numeric().with_variant(sa.String(length=64), 'sqlite')"
    return False


context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
