"""Every query of exclusion windows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from accord.db.repository import MAX_ID, Repository
from accord.exclusions.enums import ExclusionKind, ExclusionStatus
from accord.exclusions.models import ExclusionWindow


class ExclusionRepository(Repository[ExclusionWindow]):
    model = ExclusionWindow

    def locked(self, id_: int) -> ExclusionWindow | None:
        """The row, locked against concurrent decisions until the end of the transaction
        (PostgreSQL ``FOR UPDATE``; SQLite write transactions already hold the write lock)."""
        if not 0 < id_ <= MAX_ID:
            return None
        stmt = (
            select(ExclusionWindow)
            .where(ExclusionWindow.id == id_)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return self.session.scalars(stmt).first()

    def page(
        self,
        *,
        units: frozenset[int] | None,
        service_id: int | None,
        status: ExclusionStatus | None,
        kind: ExclusionKind | None,
        ends_after: datetime | None,
        starts_before: datetime | None,
        after: int | None,
        limit: int,
    ) -> list[ExclusionWindow]:
        stmt = select(ExclusionWindow).order_by(ExclusionWindow.id).limit(limit)
        if units is not None:
            stmt = stmt.where(ExclusionWindow.business_unit_id.in_(units))
        if service_id is not None:
            stmt = stmt.where(ExclusionWindow.service_id == service_id)
        if status is not None:
            stmt = stmt.where(ExclusionWindow.status == status)
        if kind is not None:
            stmt = stmt.where(ExclusionWindow.kind == kind)
        if ends_after is not None:
            stmt = stmt.where(ExclusionWindow.ends_at > ends_after)
        if starts_before is not None:
            stmt = stmt.where(ExclusionWindow.starts_at < starts_before)
        if after is not None:
            stmt = stmt.where(ExclusionWindow.id > after)
        return list(self.session.scalars(stmt))

    def approved_overlapping(
        self,
        service_ids: Iterable[int],
        start: datetime,
        end: datetime,
        kinds: Iterable[ExclusionKind],
    ) -> list[ExclusionWindow]:
        """Approved windows of these kinds that overlap ``[start, end)``."""
        wanted = {i for i in service_ids if 0 < i <= MAX_ID}
        if not wanted or end <= start:
            return []
        stmt = (
            select(ExclusionWindow)
            .where(
                ExclusionWindow.service_id.in_(wanted),
                ExclusionWindow.status == ExclusionStatus.APPROVED,
                ExclusionWindow.kind.in_(list(kinds)),
                ExclusionWindow.starts_at < end,
                ExclusionWindow.ends_at > start,
            )
            .order_by(ExclusionWindow.service_id, ExclusionWindow.starts_at, ExclusionWindow.id)
        )
        return list(self.session.scalars(stmt))
