"""Every query of ingestion: idempotency records and quarantined buckets."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, text

from accord.db.repository import Repository
from accord.telemetry.enums import QuarantineStatus
from accord.telemetry.ingestion.models import IngestRequest, QuarantinedBucket

# (namespace, key) advisory locks in PostgreSQL's two-int key space; telemetry loads use
# another namespace, other domains the one-bigint space.
_IDEMPOTENCY_NAMESPACE = 0x41434944  # "ACID"


class IngestRequestRepository(Repository[IngestRequest]):
    model = IngestRequest

    def claim(self, token_id: int, key: str) -> bool:
        """Hold the key for this transaction; False when another transaction holds it (the
        first request is still in flight).

        PostgreSQL: a transaction-scoped advisory lock, so a request whose process dies
        releases it with its connection, and a retry is never locked out. SQLite: write
        transactions already run one at a time (BEGIN IMMEDIATE), so a retry waits for the
        first to commit and then finds its record.
        """
        if self.session.get_bind().dialect.name != "postgresql":
            return True
        digest = zlib.crc32(f"{token_id}:{key}".encode()) - 2**31
        return bool(
            self.session.execute(
                text("SELECT pg_try_advisory_xact_lock(:namespace, :key)"),
                {"namespace": _IDEMPOTENCY_NAMESPACE, "key": digest},
            ).scalar_one()
        )

    def find(self, token_id: int, key: str) -> IngestRequest | None:
        return self.session.get(IngestRequest, (token_id, key))

    def delete_before(self, instant: datetime) -> int:
        result = self.session.execute(
            delete(IngestRequest).where(IngestRequest.created_at < instant)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class QuarantineRepository(Repository[QuarantinedBucket]):
    model = QuarantinedBucket

    def add_many(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        if not rows:
            return []
        ids = self.session.scalars(
            insert(QuarantinedBucket).returning(QuarantinedBucket.id), list(rows)
        ).all()
        return [int(i) for i in ids]

    def page(
        self,
        *,
        source_ids: Iterable[int] | None,
        status: QuarantineStatus | None,
        after: int | None,
        limit: int,
    ) -> list[QuarantinedBucket]:
        query = select(QuarantinedBucket).order_by(QuarantinedBucket.id).limit(limit)
        if source_ids is not None:
            query = query.where(QuarantinedBucket.source_id.in_(sorted(set(source_ids))))
        if status is not None:
            query = query.where(QuarantinedBucket.status == status)
        if after is not None:
            query = query.where(QuarantinedBucket.id > after)
        return list(self.session.scalars(query))

    def resolve(
        self, entry: QuarantinedBucket, status: QuarantineStatus, by: str, at: datetime
    ) -> None:
        entry.status, entry.resolved_by, entry.resolved_at = status, by, at
        self.session.flush()
