"""Every query of the source registry."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from accord.db.repository import Repository
from accord.telemetry.enums import MappingRole
from accord.telemetry.sources.models import SourceMapping, TelemetrySource


class SourceRepository(Repository[TelemetrySource]):
    model = TelemetrySource

    def by_name(self, name: str) -> TelemetrySource | None:
        return self.session.scalars(self.live().where(TelemetrySource.name == name)).first()

    def of_principal(self, principal_id: int) -> TelemetrySource | None:
        return self.session.scalars(
            self.live().where(TelemetrySource.principal_id == principal_id)
        ).first()

    def name_taken(self, name: str) -> bool:
        """Names stay reserved after deletion: provenance and audit events refer to them."""
        found = self.session.scalar(select(TelemetrySource.id).where(TelemetrySource.name == name))
        return found is not None

    def visible(self, units: frozenset[int] | None) -> list[TelemetrySource]:
        query = self.live().order_by(TelemetrySource.name)
        if units is not None:
            query = query.where(TelemetrySource.business_unit_id.in_(units))
        return list(self.session.scalars(query))


class MappingRepository(Repository[SourceMapping]):
    model = SourceMapping

    def of_source(self, source_id: int) -> list[SourceMapping]:
        return list(
            self.session.scalars(
                self.live().where(SourceMapping.source_id == source_id).order_by(SourceMapping.id)
            )
        )

    def of_objective(self, objective_id: int, role: MappingRole) -> SourceMapping | None:
        return self.session.scalars(
            self.live().where(
                SourceMapping.objective_id == objective_id, SourceMapping.role == role
            )
        ).first()

    def by_metrics(self, source_id: int, metrics: Iterable[str]) -> dict[str, int]:
        """metric name → objective id, for the source's push mappings among ``metrics``."""
        names = sorted(set(metrics))
        if not names:
            return {}
        rows = self.session.execute(
            select(SourceMapping.metric, SourceMapping.objective_id).where(
                SourceMapping.source_id == source_id,
                self.member_of(SourceMapping.metric, names),
                SourceMapping.deleted_at.is_(None),
            )
        ).all()
        return {str(m): int(o) for m, o in rows}

    def feeding(self, objective_ids: Iterable[int]) -> dict[int, set[int]]:
        """objective id → the sources mapped to it (either role); objectives without any
        mapping are absent."""
        ids = sorted(set(objective_ids))
        if not ids:
            return {}
        rows = self.session.execute(
            select(SourceMapping.objective_id, SourceMapping.source_id).where(
                self.member_of(SourceMapping.objective_id, ids), SourceMapping.deleted_at.is_(None)
            )
        ).all()
        feeding: dict[int, set[int]] = {}
        for objective_id, source_id in rows:
            feeding.setdefault(int(objective_id), set()).add(int(source_id))
        return feeding

    def secondary_role(self, source_id: int, objective_ids: Iterable[int]) -> set[int]:
        """The objectives among ``objective_ids`` this source feeds as their secondary."""
        ids = sorted(set(objective_ids))
        if not ids:
            return set()
        rows = self.session.scalars(
            select(SourceMapping.objective_id).where(
                SourceMapping.source_id == source_id,
                SourceMapping.role == MappingRole.SECONDARY,
                self.member_of(SourceMapping.objective_id, ids),
                SourceMapping.deleted_at.is_(None),
            )
        ).all()
        return {int(o) for o in rows}
