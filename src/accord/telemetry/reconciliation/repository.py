"""Every query of reconciliation: both sources' buckets over a range, and the findings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, union_all

from accord.db.repository import Repository
from accord.telemetry.models import SecondaryBucket, SliBucket
from accord.telemetry.reconciliation.enums import FindingStatus
from accord.telemetry.reconciliation.models import ReconciliationFinding

STORED = 0
SECONDARY = 1


class FindingRepository(Repository[ReconciliationFinding]):
    model = ReconciliationFinding

    def series(self, objective_ids: Sequence[int], start: datetime, end: datetime) -> Sequence[Any]:
        """(side, objective_id, bucket_start, good, total, source_id) of the stored buckets
        (side `STORED`, with their provenance) and the secondary's kept values (`SECONDARY`)
        of the objectives with a start in [start, end), in one statement for all of them."""
        ids = sorted(set(objective_ids))
        if not ids or end <= start:
            return []
        stored = select(
            literal(STORED).label("side"),
            SliBucket.objective_id,
            SliBucket.bucket_start,
            SliBucket.good,
            SliBucket.total,
            SliBucket.source_id,
        ).where(
            SliBucket.objective_id.in_(ids),
            SliBucket.bucket_start >= start,
            SliBucket.bucket_start < end,
        )
        secondary = select(
            literal(SECONDARY).label("side"),
            SecondaryBucket.objective_id,
            SecondaryBucket.bucket_start,
            SecondaryBucket.good,
            SecondaryBucket.total,
            SecondaryBucket.source_id,
        ).where(
            SecondaryBucket.objective_id.in_(ids),
            SecondaryBucket.bucket_start >= start,
            SecondaryBucket.bucket_start < end,
        )
        return self.session.execute(union_all(stored, secondary)).all()

    def in_range(
        self, objective_id: int, start: datetime, end: datetime
    ) -> dict[datetime, ReconciliationFinding]:
        """The objective's findings (any status) by bucket start, in [start, end)."""
        rows = self.session.scalars(
            select(ReconciliationFinding).where(
                ReconciliationFinding.objective_id == objective_id,
                ReconciliationFinding.bucket_start >= start,
                ReconciliationFinding.bucket_start < end,
            )
        )
        return {f.bucket_start: f for f in rows}

    def open_in_range(
        self, objective_id: int, start: datetime, end: datetime, limit: int
    ) -> tuple[list[ReconciliationFinding], int]:
        """The first ``limit`` open findings of [start, end) by bucket start, and how many
        there are in all."""
        where = (
            ReconciliationFinding.objective_id == objective_id,
            ReconciliationFinding.status == FindingStatus.OPEN,
            ReconciliationFinding.bucket_start >= start,
            ReconciliationFinding.bucket_start < end,
        )
        total = self.session.scalar(select(func.count()).where(*where)) or 0
        first = self.session.scalars(
            select(ReconciliationFinding)
            .where(*where)
            .order_by(ReconciliationFinding.bucket_start)
            .limit(limit)
        )
        return list(first), int(total)

    def page(
        self, *, objective_id: int, status: FindingStatus | None, after: int | None, limit: int
    ) -> list[ReconciliationFinding]:
        query = (
            select(ReconciliationFinding)
            .where(ReconciliationFinding.objective_id == objective_id)
            .order_by(ReconciliationFinding.id)
            .limit(limit)
        )
        if status is not None:
            query = query.where(ReconciliationFinding.status == status)
        if after is not None:
            query = query.where(ReconciliationFinding.id > after)
        return list(self.session.scalars(query))
