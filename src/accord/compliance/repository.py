"""Queries of compliance: current status, snapshots and policy events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, text
from sqlalchemy.dialects import sqlite

from accord.compliance.enums import PolicyEventState
from accord.compliance.models import EvaluationPass, ObjectiveStatus, PolicyEvent, StatusSnapshot
from accord.db.repository import Repository

_STAGING = "status_staging"
_SNAPSHOT_COLUMNS = tuple(c.name for c in StatusSnapshot.__table__.columns if c.name != "id")
_EVALUATION_COLUMNS = tuple(
    c.name for c in ObjectiveStatus.__table__.columns if c.name != "objective_id"
)


class StatusRepository(Repository[ObjectiveStatus]):
    model = ObjectiveStatus

    def record(self, rows: Sequence[dict[str, Any]], *, history: bool) -> None:
        """Upsert the current status of each objective and, with ``history``, keep the same
        rows as snapshots (replacing a snapshot of the same instant, never duplicating it).
        ``rows`` hold every column of ``ObjectiveStatus``, all for one instant."""
        if not rows:
            return
        # Only a re-evaluation of an instant has snapshots to replace.
        again = self._recorded_before(rows[0]["evaluated_at"])
        self.session.add(EvaluationPass(evaluated_at=rows[0]["evaluated_at"], objectives=len(rows)))
        if self.session.get_bind().dialect.name == "postgresql":
            self._record_postgresql(rows, history=history, again=again)
            return
        upsert = sqlite.insert(ObjectiveStatus)
        self.session.execute(
            upsert.on_conflict_do_update(
                index_elements=["objective_id"],
                set_={name: upsert.excluded[name] for name in _EVALUATION_COLUMNS},
            ),
            list(rows),
        )
        if history and again:
            self.session.execute(
                delete(StatusSnapshot).where(
                    StatusSnapshot.evaluated_at == rows[0]["evaluated_at"],
                    StatusSnapshot.objective_id.in_({r["objective_id"] for r in rows}),
                )
            )
        if history:
            self.session.execute(insert(StatusSnapshot), list(rows))

    def _record_postgresql(
        self, rows: Sequence[dict[str, Any]], *, history: bool, again: bool
    ) -> None:
        """A pass over 10,000 objectives writes 20,000 rows: COPY them once into a staging
        table and upsert / insert from there in two statements."""
        columns = [c.name for c in ObjectiveStatus.__table__.columns]
        listed = ", ".join(columns)
        execute = self.session.execute
        execute(
            text(
                f"CREATE TEMP TABLE IF NOT EXISTS {_STAGING} (LIKE objective_status) "
                "ON COMMIT DELETE ROWS"
            )
        )
        execute(text(f"TRUNCATE {_STAGING}"))
        self.copy_rows(_STAGING, columns, ([r[c] for c in columns] for r in rows))
        updates = ", ".join(f"{c} = excluded.{c}" for c in _EVALUATION_COLUMNS)
        execute(
            text(
                f"INSERT INTO objective_status ({listed}) SELECT {listed} FROM {_STAGING} "
                f"ON CONFLICT (objective_id) DO UPDATE SET {updates}"
            )
        )
        if history and again:
            execute(
                text(
                    f"DELETE FROM status_snapshot AS s USING {_STAGING} AS t "
                    "WHERE s.objective_id = t.objective_id AND s.evaluated_at = t.evaluated_at"
                )
            )
        if history:
            kept = ", ".join(_SNAPSHOT_COLUMNS)
            execute(text(f"INSERT INTO status_snapshot ({kept}) SELECT {kept} FROM {_STAGING}"))

    def current(
        self,
        *,
        units: frozenset[int] | None,
        objective_ids: Iterable[int] | None,
        after: int | None,
        limit: int | None,
    ) -> Sequence[Row[Any]]:
        """A page of current statuses as plain rows of their columns: a fleet-wide page is
        thousands of rows, read for presentation only (no ORM identity or change tracking)."""
        stmt = select(*ObjectiveStatus.__table__.columns).order_by(ObjectiveStatus.objective_id)
        if limit is not None:
            stmt = stmt.limit(limit)
        if objective_ids is not None:
            stmt = stmt.where(ObjectiveStatus.objective_id.in_(set(objective_ids)))
        if units is not None:
            stmt = stmt.where(ObjectiveStatus.business_unit_id.in_(units))
        if after is not None:
            stmt = stmt.where(ObjectiveStatus.objective_id > after)
        return self.session.execute(stmt).all()

    def _recorded_before(self, evaluated_at: datetime) -> bool:
        earlier = select(EvaluationPass.id).where(EvaluationPass.evaluated_at == evaluated_at)
        return self.session.scalar(earlier.limit(1)) is not None

    def generation(self) -> tuple[int, int]:
        """(latest recorded pass, statuses held): current statuses change only with a new pass
        or when statuses of deleted objectives are forgotten."""
        latest = self.session.scalar(select(func.max(EvaluationPass.id))) or 0
        held = self.session.scalar(select(func.count()).select_from(ObjectiveStatus)) or 0
        return latest, held

    def forget(self, objective_ids: Iterable[int]) -> None:
        """Drop the current status of objectives that are gone (history stays)."""
        wanted = set(objective_ids)
        if wanted:
            self.session.execute(
                delete(ObjectiveStatus).where(ObjectiveStatus.objective_id.in_(wanted))
            )

    def known_ids(self) -> set[int]:
        return set(self.session.scalars(select(ObjectiveStatus.objective_id)))

    def history(
        self,
        objective_id: int,
        *,
        since: datetime | None,
        until: datetime | None,
        after: int | None,
        limit: int,
    ) -> list[StatusSnapshot]:
        stmt = (
            select(StatusSnapshot)
            .where(StatusSnapshot.objective_id == objective_id)
            .order_by(StatusSnapshot.evaluated_at.desc(), StatusSnapshot.id.desc())
            .limit(limit)
        )
        if since is not None:
            stmt = stmt.where(StatusSnapshot.evaluated_at >= since)
        if until is not None:
            stmt = stmt.where(StatusSnapshot.evaluated_at < until)
        if after is not None:
            stmt = stmt.where(StatusSnapshot.id < after)
        return list(self.session.scalars(stmt))


class PolicyEventRepository(Repository[PolicyEvent]):
    model = PolicyEvent

    def open_of(self, objective_ids: Iterable[int]) -> list[PolicyEvent]:
        wanted = set(objective_ids)
        if not wanted:
            return []
        stmt = select(PolicyEvent).where(
            PolicyEvent.objective_id.in_(wanted), PolicyEvent.state == PolicyEventState.OPEN
        )
        return list(self.session.scalars(stmt))

    def open_freezes(self, service_id: int) -> list[PolicyEvent]:
        stmt = (
            select(PolicyEvent)
            .where(
                PolicyEvent.service_id == service_id,
                PolicyEvent.state == PolicyEventState.OPEN,
                PolicyEvent.freezes_releases.is_(True),
            )
            .order_by(PolicyEvent.opened_at)
        )
        return list(self.session.scalars(stmt))

    def page(
        self,
        *,
        objective_id: int | None,
        units: frozenset[int] | None,
        state: PolicyEventState | None,
        after: int | None,
        limit: int,
    ) -> list[PolicyEvent]:
        stmt = select(PolicyEvent).order_by(PolicyEvent.id.desc()).limit(limit)
        if objective_id is not None:
            stmt = stmt.where(PolicyEvent.objective_id == objective_id)
        if units is not None:
            stmt = stmt.where(PolicyEvent.business_unit_id.in_(units))
        if state is not None:
            stmt = stmt.where(PolicyEvent.state == state)
        if after is not None:
            stmt = stmt.where(PolicyEvent.id < after)
        return list(self.session.scalars(stmt))
