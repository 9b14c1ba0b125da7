"""Queries of objectives."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, String, cast, func, literal, select

from accord.db.repository import MAX_ID, Repository
from accord.objectives.enums import MonitoringMode, SourceKind
from accord.objectives.models import ErrorBudgetPolicy, Objective

_DEFINITION_COLUMNS: tuple[Any, ...] = (
    Objective.id, Objective.service_id, Objective.business_unit_id, Objective.target,
    Objective.budgeting_method, Objective.timeslice_seconds, Objective.timeslice_threshold,
    Objective.missing_data, Objective.window_kind, Objective.window_days,
    Objective.calendar_unit, Objective.time_zone, Objective.monitoring_mode,
    Objective.evaluation_interval_seconds, Objective.policy_id,
)  # fmt: skip
"""What the evaluator reads of an objective (`ObjectiveDefinition`)."""


class ObjectiveRepository(Repository[Objective]):
    model = Objective

    def by_service_and_name(self, service_id: int, name: str) -> Objective | None:
        return self.find_by(service_id=service_id, name=name)

    def page(
        self,
        *,
        units: frozenset[int] | None,
        service_id: int | None,
        agreement_id: int | None,
        monitoring_mode: MonitoringMode | None,
        source: SourceKind | None,
        after: int | None,
        limit: int,
    ) -> list[Objective]:
        stmt = self.live().order_by(Objective.id).limit(limit)
        if units is not None:
            stmt = stmt.where(Objective.business_unit_id.in_(units))
        if service_id is not None:
            stmt = stmt.where(Objective.service_id == service_id)
        if agreement_id is not None:
            stmt = stmt.where(Objective.agreement_id == agreement_id)
        if monitoring_mode is not None:
            stmt = stmt.where(Objective.monitoring_mode == monitoring_mode)
        if source is not None:
            stmt = stmt.where(Objective.source == source)
        if after is not None:
            stmt = stmt.where(Objective.id > after)
        return list(self.session.scalars(stmt))

    def all_live(
        self, *, units: frozenset[int] | None = None, ids: Iterable[int] | None = None
    ) -> list[Objective]:
        stmt = self.live().order_by(Objective.id)
        if units is not None:
            stmt = stmt.where(Objective.business_unit_id.in_(units))
        if ids is not None:
            stmt = stmt.where(Objective.id.in_(set(ids)))
        return list(self.session.scalars(stmt))

    def live_units(self, ids: Iterable[int]) -> dict[int, int]:
        wanted = {i for i in ids if 0 < i <= MAX_ID}
        if not wanted:
            return {}
        stmt = select(Objective.id, Objective.business_unit_id).where(
            self.member_of(Objective.id, sorted(wanted)), Objective.deleted_at.is_(None)
        )
        return {row[0]: row[1] for row in self.session.execute(stmt)}

    def feed_rows(self, ids: Iterable[int]) -> list[Any]:
        """(id, unit, latency threshold, window kind, days, calendar unit, zone) of the live
        objectives among ``ids``: what ingestion checks rows against, without whole rows."""
        wanted = {i for i in ids if 0 < i <= MAX_ID}
        if not wanted:
            return []
        stmt = select(
            Objective.id,
            Objective.business_unit_id,
            Objective.latency_threshold_ms,
            Objective.window_kind,
            Objective.window_days,
            Objective.calendar_unit,
            Objective.time_zone,
        ).where(self.member_of(Objective.id, sorted(wanted)), Objective.deleted_at.is_(None))
        return list(self.session.execute(stmt).all())

    def definition_lines(self) -> list[str]:
        """`definition_rows` of every live objective as one text line each, in id order."""
        text = literal(",")
        line: Any = None
        for column in _DEFINITION_COLUMNS:
            value = func.coalesce(cast(column, String), "")
            line = value if line is None else line + text + value
        stmt = select(line).where(Objective.deleted_at.is_(None)).order_by(Objective.id)
        return list(self.session.scalars(stmt))

    def definition_rows(
        self, *, units: frozenset[int] | None = None, ids: Iterable[int] | None = None
    ) -> Sequence[Row[Any]]:
        """What the evaluator needs of every live objective (or the given ones), as plain
        rows: an evaluation pass reads all of them, without their documents (queries,
        labels, alerting) or ORM identity."""
        stmt = (
            select(*_DEFINITION_COLUMNS)
            .where(Objective.deleted_at.is_(None))
            .order_by(Objective.id)
        )
        if units is not None:
            stmt = stmt.where(Objective.business_unit_id.in_(units))
        if ids is not None:
            stmt = stmt.where(Objective.id.in_(set(ids)))
        return self.session.execute(stmt).all()

    def of_services(self, service_ids: Iterable[int]) -> list[Objective]:
        wanted = set(service_ids)
        if not wanted:
            return []
        stmt = self.live().where(Objective.service_id.in_(wanted)).order_by(Objective.id)
        return list(self.session.scalars(stmt))

    def using_policy(self, policy_id: int) -> bool:
        stmt = select(Objective.id).where(
            Objective.policy_id == policy_id, Objective.deleted_at.is_(None)
        )
        return self.session.scalar(stmt.limit(1)) is not None


class PolicyNameRepository(Repository[ErrorBudgetPolicy]):
    """Policy lookups objectives need (policies themselves live in ``objectives.policies``)."""

    model = ErrorBudgetPolicy

    def by_name(self, name: str) -> ErrorBudgetPolicy | None:
        return self.find_by(name=name)
