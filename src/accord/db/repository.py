"""The typed base every domain repository extends. Repositories flush, never commit."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from accord.db.base import Base, SoftDeleted

M = TypeVar("M", bound=Base)

MAX_ID = 2**63 - 1
"""Largest surrogate key (BIGINT); a larger id from a URL matches nothing rather than failing."""


class Repository(Generic[M]):
    model: type[M]

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, id_: int) -> M | None:
        if not 0 < id_ <= MAX_ID:
            return None
        return self.session.get(self.model, id_)

    def add(self, obj: M) -> M:
        self.session.add(obj)
        self.session.flush()
        return obj

    def live(self) -> Select[M]:
        """Rows that are not soft-deleted."""
        stmt = select(self.model)
        if issubclass(self.model, SoftDeleted):
            stmt = stmt.where(self.model.deleted_at.is_(None))
        return stmt

    def find_by(self, **criteria: Any) -> M | None:
        return self.session.scalars(self.live().filter_by(**criteria).limit(1)).first()

    def labels_by_ids(self, ids: Iterable[int | None], column: str) -> dict[int, str]:
        """id → one text column (a code, a name) for the given ids: what presenting rows that
        refer to this table needs, without loading whole rows."""
        wanted = {i for i in ids if i is not None and i <= MAX_ID}
        if not wanted:
            return {}
        pk = self.model.__mapper__.primary_key[0]
        label = getattr(self.model, column)
        rows = self.session.execute(select(pk, label).where(pk.in_(wanted)))
        return {row[0]: row[1] for row in rows}

    def by_ids(self, ids: Iterable[int]) -> dict[int, M]:
        wanted = {i for i in ids if 0 < i <= MAX_ID}
        if not wanted:
            return {}
        pk = self.model.__mapper__.primary_key[0]
        rows = self.session.scalars(select(self.model).where(pk.in_(wanted)))
        return {getattr(row, str(pk.key)): row for row in rows}

    def copy_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """COPY rows into ``table`` on PostgreSQL, in the session's transaction: thousands of
        rows in one round trip, where an INSERT per row costs a round trip each.

        Rows are encoded as COPY text here, in one string: psycopg's ``write_row`` adapts
        value by value and cost more than the statement itself at 10,000 rows. Values: None,
        bool, int, float, Decimal, str, aware datetimes, and dicts or lists (as JSON)."""
        self.session.flush()
        connection = self.session.connection().connection.dbapi_connection
        assert connection is not None
        text = "".join("\t".join(map(_copy_text, row)) + "\n" for row in rows)
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            copy.write(text)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same double
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: every stored timestamp must carry a UTC offset")
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value, separators=(",", ":"))
    return str(value).translate(_COPY_ESCAPES)
