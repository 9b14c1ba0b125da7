"""The typed base every domain repository extends. Repositories flush, never commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from accord.db.base import Base, SoftDeleted

M = TypeVar("M", bound=Base)


class Repository(Generic[M]):
    model: type[M]

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, id_: int) -> M | None:
        return self.session.get(self.model, id_)

    def add(self, obj: M) -> M:
        self.session.add(obj)
        self.session.flush()
        return obj

    def flush(self) -> None:
        self.session.flush()

    def live(self) -> Select[M]:
        """Rows that are not soft-deleted."""
        stmt = select(self.model)
        if issubclass(self.model, SoftDeleted):
            stmt = stmt.where(self.model.deleted_at.is_(None))
        return stmt

    def find_by(self, **criteria: Any) -> M | None:
        return self.session.scalars(self.live().filter_by(**criteria).limit(1)).first()

    def by_ids(self, ids: Iterable[int]) -> dict[int, M]:
        wanted = set(ids)
        if not wanted:
            return {}
        pk = self.model.__mapper__.primary_key[0]
        rows = self.session.scalars(select(self.model).where(pk.in_(wanted)))
        return {getattr(row, str(pk.key)): row for row in rows}
