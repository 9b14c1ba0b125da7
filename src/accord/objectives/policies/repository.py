"""Every query of error budget policies and their thresholds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update

from accord.db.repository import MAX_ID, Repository
from accord.objectives.models import ErrorBudgetPolicy, PolicyThreshold


class PolicyRepository(Repository[ErrorBudgetPolicy]):
    model = ErrorBudgetPolicy

    def by_name(self, name: str, *, lock: bool = False) -> ErrorBudgetPolicy | None:
        """The live policy. ``lock``: held against concurrent changes until the transaction
        ends (PostgreSQL ``FOR UPDATE``; SQLite write transactions hold the write lock)."""
        stmt = self.live().where(ErrorBudgetPolicy.name == name)
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(stmt).first()

    def name_taken(self, name: str) -> bool:
        """Also by a deleted policy: names are unique for good (events and reports name them)."""
        stmt = select(ErrorBudgetPolicy.id).where(ErrorBudgetPolicy.name == name)
        return self.session.scalar(stmt) is not None

    def page(
        self,
        *,
        units: frozenset[int] | None,
        business_unit_id: int | None,
        after: int | None,
        limit: int,
    ) -> list[ErrorBudgetPolicy]:
        stmt = self.live().order_by(ErrorBudgetPolicy.id).limit(limit)
        if units is not None:
            stmt = stmt.where(ErrorBudgetPolicy.business_unit_id.in_(units))
        if business_unit_id is not None:
            stmt = stmt.where(ErrorBudgetPolicy.business_unit_id == business_unit_id)
        if after is not None:
            stmt = stmt.where(ErrorBudgetPolicy.id > after)
        return list(self.session.scalars(stmt))

    def live_by_ids(self, ids: Iterable[int]) -> list[ErrorBudgetPolicy]:
        wanted = {i for i in ids if 0 < i <= MAX_ID}
        if not wanted:
            return []
        stmt = self.live().where(ErrorBudgetPolicy.id.in_(wanted)).order_by(ErrorBudgetPolicy.id)
        return list(self.session.scalars(stmt))


class ThresholdRepository(Repository[PolicyThreshold]):
    model = PolicyThreshold

    def live_of(self, policy_ids: Iterable[int]) -> dict[int, list[PolicyThreshold]]:
        """Live rungs per policy, in position order (every given policy has an entry)."""
        wanted = set(policy_ids)
        found: dict[int, list[PolicyThreshold]] = {i: [] for i in wanted}
        if not wanted:
            return found
        stmt = self.live().where(PolicyThreshold.policy_id.in_(wanted))
        for row in self.session.scalars(
            stmt.order_by(PolicyThreshold.policy_id, PolicyThreshold.position)
        ):
            found[row.policy_id].append(row)
        return found

    def add_all(self, rows: list[PolicyThreshold]) -> None:
        self.session.add_all(rows)
        self.session.flush()

    def retire(self, policy_id: int, now: datetime) -> None:
        """Soft-delete the live rungs: events recorded against them keep their meaning."""
        self.session.execute(
            update(PolicyThreshold)
            .where(PolicyThreshold.policy_id == policy_id, PolicyThreshold.deleted_at.is_(None))
            .values(deleted_at=now)
            .execution_options(synchronize_session="fetch")
        )
        self.session.flush()
