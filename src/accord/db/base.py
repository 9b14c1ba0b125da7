"""Declarative base, naming convention and mixins shared by every table."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from accord.db.types import Identifier, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class HasId:
    id: Mapped[int] = mapped_column(Identifier, primary_key=True)


class Timestamped:
    """Rows stamped by the service layer with the unit of work's `now` (never the DB clock)."""

    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SoftDeleted:
    """Nothing an agreement, report or credit refers to is hard-deleted."""

    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
