"""Every query of telemetry: bucket upserts with their rollups, and the window reads.

Written for volume: buckets move as numpy columns and SQL (core text or the DBAPI itself), never
as ORM objects. The two backends differ where speed lives:

- PostgreSQL: a load COPYs binary rows into a temporary staging table and merges them into
  ``sli_bucket`` with one ``INSERT … SELECT … ON CONFLICT``; the touched hourly rows are then
  recomputed from their buckets and the touched daily rows from their hours, server-side. Large
  reads come back as one bytea of binary records, parsed by numpy without a Python object per
  row.
- SQLite: ``executemany`` upserts and per-period recomputation on the same connection.

Rollups are *recomputed* from the rows beneath them, never incremented: a re-sent bucket then
leaves them exactly as if it had been sent once. Nothing here commits.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import repeat
from typing import Any

import numpy as np
from sqlalchemy import select, text, type_coerce

from accord.db.repository import Repository
from accord.telemetry import rules
from accord.telemetry.models import SliBucket, SliWrite
from accord.telemetry.rules import BucketColumns, FloatArray, Int64Array

# Advisory locks of telemetry loads: (namespace, stripe) in PostgreSQL's two-int key space, which
# never meets the one-bigint keys other domains use. Objectives are striped so a load touching
# 10,000 objectives takes at most LOCK_STRIPES locks (each one is a slot in the shared lock table,
# sized max_locks_per_transaction * max_connections, 6,400 by default).
_LOCK_NAMESPACE = 0x41435442  # "ACTB"
LOCK_STRIPES = 256

_PG_EPOCH_OFFSET_US = 946_684_800 * 1_000_000
"""PostgreSQL's binary timestamps count microseconds from 2000-01-01 UTC."""
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_COPY_TRAILER = struct.pack(">h", -1)
# One bucket as a binary COPY tuple: 4 fields, each a length and a big-endian value.
_COPY_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("len_objective", ">i4"),
        ("objective_id", ">i8"),
        ("len_start", ">i4"),
        ("start_us", ">i8"),
        ("len_good", ">i4"),
        ("good", ">f8"),
        ("len_total", ">i4"),
        ("total", ">f8"),
    ]
)
_RECORD = np.dtype(
    [("objective_id", ">i8"), ("start_us", ">i8"), ("good", ">f8"), ("total", ">f8")]
)
"""One bucket as the reads receive it (see `BucketRepository._bucket_rows`)."""
_COPY_CHUNK_ROWS = 1_000_000
"""Rows per COPY write: bounds the memory of the encoded payload (50 bytes a row)."""

_STAGING = "telemetry_staging"

_SQLITE_INSTANT = "%Y-%m-%d %H:%M:%S.000000"
"""How SQLAlchemy's DateTime stores an instant on SQLite (UTC wall time, microseconds always
written): bucket keys written by raw SQL must be the very same text."""

_ROLLUP_SET = (
    "good = excluded.good, total = excluded.total, "
    "buckets = excluded.buckets, ratio_sum = excluded.ratio_sum"
)


class BucketRepository(Repository[SliBucket]):
    model = SliBucket

    @property
    def _postgresql(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def _dbapi(self) -> Any:
        """The DBAPI connection of the session's transaction (begun if it was not)."""
        return self.session.connection().connection.dbapi_connection

    @contextmanager
    def _without_jit(self) -> Iterator[None]:
        """JIT off for the statements inside, then back to what it was for the rest of the
        transaction (PostgreSQL; nothing to do on SQLite).

        The bulk statements here are simple scans, index probes, sums and upserts: JIT gains
        nothing on them, but their estimates (a staging table has no statistics; a window of
        10,000 objectives reads a few hundred thousand rollup rows) pass the JIT thresholds,
        and compiling costs 0.1-0.3 s per statement: measured, more than a day's rollups of
        1,000 objectives, and 10-25 % of a 30-day window of 10,000 objectives.
        """
        if not self._postgresql:
            yield
            return
        previous = self.session.execute(text("SELECT current_setting('jit')")).scalar_one()
        self.session.execute(text("SELECT set_config('jit', 'off', true)"))
        yield
        # Not after an error: the transaction is aborted then, and its rollback undoes it.
        self.session.execute(text("SELECT set_config('jit', :value, true)"), {"value": previous})

    # -------------------------------------------------------------------------------- writes

    def record_write(self, columns: BucketColumns, *, source_id: int | None = None) -> None:
        """Journal a write of canonical columns (see `SliWrite`), in the write's transaction."""
        self.session.execute(
            text(
                "INSERT INTO sli_write (written_at, first_bucket, last_bucket, buckets, "
                f"objectives, source_id) VALUES ({self._database_clock()}, :first, :last, "
                ":buckets, :objectives, :source_id)"
            ),
            {
                "source_id": source_id,
                "first": self._instant(int(columns.start_epoch.min())),
                "last": self._instant(int(columns.start_epoch.max())),
                "buckets": len(columns),
                "objectives": len(np.unique(columns.objective_id)),
            },
        )

    def writes_since(self, since: datetime) -> list[tuple[int, datetime]]:
        """(id, first bucket) of the journalled writes the database stamped after ``since``."""
        rows = self.session.execute(
            select(SliWrite.id, SliWrite.first_bucket).where(SliWrite.written_at > since)
        ).all()
        return [(int(i), first) for i, first in rows]

    def database_now(self) -> datetime:
        """The database's clock, the one `SliWrite.written_at` is stamped with."""
        value = self.session.execute(
            select(type_coerce(text(self._database_clock()), SliWrite.written_at.type))
        ).scalar_one()
        assert isinstance(value, datetime)
        return value

    def _database_clock(self) -> str:
        # SQLite's own clock, written in the layout SQLAlchemy stores instants in, so stamps
        # compare as text with bound instants.
        return "now()" if self._postgresql else "strftime('%Y-%m-%d %H:%M:%f000', 'now')"

    def lock_objectives(self, objective_ids: Int64Array) -> None:
        """Serialise loads of the same objectives until the end of the transaction.

        Two loads of one objective must not interleave their rollup recomputation: each would
        recompute the hour from the buckets it can see (its own and committed ones), and the
        later commit would overwrite the hour with a sum that misses the other's buckets. With
        the lock, the second load's statements start after the first committed and see its
        buckets. Stripes are locked in ascending order, so two loads never deadlock.
        SQLite needs nothing: write transactions begin IMMEDIATE and hold the one write lock.
        """
        if not self._postgresql or len(objective_ids) == 0:
            return
        stripes = np.unique(np.asarray(objective_ids, dtype=np.int64) % LOCK_STRIPES)
        # Volatile functions in the select list are evaluated after the ORDER BY sort.
        self.session.execute(
            text(
                "SELECT pg_advisory_xact_lock(:namespace, stripe) "
                "FROM unnest(CAST(:stripes AS integer[])) AS stripe ORDER BY stripe"
            ),
            {"namespace": _LOCK_NAMESPACE, "stripes": [int(s) for s in stripes]},
        )

    def store(
        self,
        columns: BucketColumns,
        *,
        source_id: int | None = None,
        received_at: datetime | None = None,
        fill_only: bool = False,
    ) -> tuple[int, int]:
        """Upsert canonical columns (validated, sorted, one entry per key) stamped with their
        provenance, and recompute the hourly and daily rows they touch. ``fill_only``: keep
        every bucket already stored (a secondary source filling the primary's gaps). Returns
        (hourly rows, daily rows) recomputed."""
        if len(columns) == 0:
            return 0, 0
        self.session.flush()
        if self._postgresql:
            return self._store_postgresql(columns, source_id, received_at, fill_only)
        return self._store_sqlite(columns, source_id, received_at, fill_only)

    def _store_postgresql(
        self,
        columns: BucketColumns,
        source_id: int | None,
        received_at: datetime | None,
        fill_only: bool,
    ) -> tuple[int, int]:
        conn = self._dbapi()
        with self._without_jit(), conn.cursor() as cur:
            # ON COMMIT DELETE ROWS: the staged rows never outlive the load's transaction, and a
            # pooled connection keeps the (empty) table for its next load.
            cur.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {_STAGING} ("
                "objective_id bigint NOT NULL, bucket_start timestamptz NOT NULL, "
                "good double precision NOT NULL, total double precision NOT NULL"
                ") ON COMMIT DELETE ROWS"
            )
            # A second load in the same transaction must not see the first one's rows.
            cur.execute(f"TRUNCATE {_STAGING}")
            with cur.copy(
                f"COPY {_STAGING} (objective_id, bucket_start, good, total) FROM STDIN "
                "(FORMAT BINARY)"
            ) as copy:
                for payload in _binary_copy_payloads(columns):
                    copy.write(payload)
            # Sorted input (canonical columns) walks the primary key in order. Unchanged
            # re-sends are skipped rather than rewritten (no dead tuples, no WAL).
            # Provenance is one value per load: bound once, not copied per row.
            cur.execute(
                "INSERT INTO sli_bucket "
                "(objective_id, bucket_start, good, total, source_id, received_at) "
                "SELECT objective_id, bucket_start, good, total, %s, %s "
                f"FROM {_STAGING} ON CONFLICT (objective_id, bucket_start) "
                + (
                    "DO NOTHING"
                    if fill_only
                    else "DO UPDATE SET good = excluded.good, total = excluded.total, "
                    "source_id = excluded.source_id, received_at = excluded.received_at "
                    "WHERE (sli_bucket.good, sli_bucket.total, sli_bucket.source_id) "
                    "IS DISTINCT FROM (excluded.good, excluded.total, excluded.source_id)"
                ),
                (source_id, received_at),
            )
            # Hours and days are UTC periods: date_bin counts fixed intervals from a UTC origin
            # and the intervals are in hours, so the session's TimeZone (and its DST) cannot
            # shift them (date_trunc with a zone does the same at three times the cost).
            # An hour whose 12 buckets were all just upserted holds exactly the staged values,
            # so it is summed from the staging table; any other touched hour (or any hour of a
            # fill-only load, which keeps stored buckets) is summed from its stored buckets,
            # LATERAL making that one index range scan of its 12 buckets. A bulk load is
            # mostly whole hours: this halves what it reads back.
            whole = 0 if fill_only else rules.BUCKETS_PER_HOUR
            cur.execute(
                "WITH touched AS ("
                f"SELECT objective_id, {_utc_bin('1 hour')} AS hour_start, count(*) AS staged, "
                "sum(good) AS good, sum(total) AS total, "
                "count(*) FILTER (WHERE total > 0) AS buckets, "
                "coalesce(sum(good / total) FILTER (WHERE total > 0), 0) AS ratio_sum "
                f"FROM {_STAGING} GROUP BY 1, 2) "
                "INSERT INTO sli_hourly "
                "(objective_id, hour_start, good, total, buckets, ratio_sum) "
                "SELECT objective_id, hour_start, good, total, buckets, ratio_sum "
                "FROM touched WHERE staged = %(whole)s "
                "UNION ALL "
                "SELECT t.objective_id, t.hour_start, s.good, s.total, s.buckets, s.ratio_sum "
                "FROM touched AS t CROSS JOIN LATERAL ("
                "SELECT sum(b.good) AS good, sum(b.total) AS total, "
                "count(*) FILTER (WHERE b.total > 0) AS buckets, "
                "coalesce(sum(b.good / b.total) FILTER (WHERE b.total > 0), 0) AS ratio_sum "
                "FROM sli_bucket AS b WHERE b.objective_id = t.objective_id "
                "AND b.bucket_start >= t.hour_start "
                "AND b.bucket_start < t.hour_start + interval '1 hour') AS s "
                "WHERE t.staged <> %(whole)s "
                f"ON CONFLICT (objective_id, hour_start) DO UPDATE SET {_ROLLUP_SET}",
                {"whole": whole},
            )
            hours = cur.rowcount
            cur.execute(
                "INSERT INTO sli_daily "
                "(objective_id, day_start, good, total, buckets, ratio_sum) "
                "SELECT t.objective_id, t.day_start, s.good, s.total, s.buckets, s.ratio_sum "
                "FROM (SELECT DISTINCT objective_id, "
                f"{_utc_bin('24 hours')} AS day_start FROM {_STAGING}) AS t "
                "CROSS JOIN LATERAL ("
                "SELECT sum(h.good) AS good, sum(h.total) AS total, "
                "sum(h.buckets) AS buckets, sum(h.ratio_sum) AS ratio_sum "
                "FROM sli_hourly AS h WHERE h.objective_id = t.objective_id "
                "AND h.hour_start >= t.day_start "
                "AND h.hour_start < t.day_start + interval '24 hours') AS s "
                f"ON CONFLICT (objective_id, day_start) DO UPDATE SET {_ROLLUP_SET}"
            )
            days = cur.rowcount
        return hours, days

    def _store_sqlite(
        self,
        columns: BucketColumns,
        source_id: int | None,
        received_at: datetime | None,
        fill_only: bool,
    ) -> tuple[int, int]:
        conn = self._dbapi()
        cur = conn.cursor()
        try:
            received = None if received_at is None else _sqlite_text(received_at)
            cur.executemany(
                "INSERT INTO sli_bucket "
                "(objective_id, bucket_start, good, total, source_id, received_at) "
                "VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (objective_id, bucket_start) "
                + (
                    "DO NOTHING"
                    if fill_only
                    else "DO UPDATE SET good = excluded.good, total = excluded.total, "
                    "source_id = excluded.source_id, received_at = excluded.received_at "
                    "WHERE good IS NOT excluded.good OR total IS NOT excluded.total "
                    "OR source_id IS NOT excluded.source_id"
                ),
                zip(
                    columns.objective_id.tolist(),
                    _sqlite_instants(columns.start_epoch),
                    columns.good.tolist(),
                    columns.total.tolist(),
                    repeat(source_id),
                    repeat(received),
                ),
            )
            hour_ids, hour_starts = rules.touched_periods(columns, rules.HOUR_SECONDS)
            cur.executemany(
                "INSERT INTO sli_hourly "
                "(objective_id, hour_start, good, total, buckets, ratio_sum) "
                "SELECT ?1, ?2, sum(good), sum(total), sum(total > 0), "
                "coalesce(sum(CASE WHEN total > 0 THEN good / total END), 0.0) "
                "FROM sli_bucket WHERE objective_id = ?1 AND bucket_start >= ?2 "
                "AND bucket_start < ?3 HAVING count(*) > 0 "
                f"ON CONFLICT (objective_id, hour_start) DO UPDATE SET {_ROLLUP_SET}",
                _period_params(hour_ids, hour_starts, rules.HOUR_SECONDS),
            )
            day_ids, day_starts = rules.touched_periods(columns, rules.DAY_SECONDS)
            cur.executemany(
                "INSERT INTO sli_daily "
                "(objective_id, day_start, good, total, buckets, ratio_sum) "
                "SELECT ?1, ?2, sum(good), sum(total), sum(buckets), sum(ratio_sum) "
                "FROM sli_hourly WHERE objective_id = ?1 AND hour_start >= ?2 "
                "AND hour_start < ?3 HAVING count(*) > 0 "
                f"ON CONFLICT (objective_id, day_start) DO UPDATE SET {_ROLLUP_SET}",
                _period_params(day_ids, day_starts, rules.DAY_SECONDS),
            )
        finally:
            cur.close()
        return len(hour_ids), len(day_ids)

    def store_secondary(
        self, columns: BucketColumns, *, source_id: int, received_at: datetime
    ) -> None:
        """Upsert a secondary source's buckets beside the stored ones (for reconciliation)."""
        if len(columns) == 0:
            return
        received = received_at if self._postgresql else _sqlite_text(received_at)
        self.session.execute(
            text(
                "INSERT INTO secondary_bucket "
                "(objective_id, bucket_start, good, total, source_id, received_at) "
                "VALUES (:oid, :start, :good, :total, :source, :received) "
                "ON CONFLICT (objective_id, bucket_start) DO UPDATE SET good = excluded.good, "
                "total = excluded.total, source_id = excluded.source_id, "
                "received_at = excluded.received_at"
            ),
            [
                {
                    "oid": oid,
                    "start": self._instant(start),
                    "good": good,
                    "total": total,
                    "source": source_id,
                    "received": received,
                }
                for oid, start, good, total in zip(
                    columns.objective_id.tolist(),
                    columns.start_epoch.tolist(),
                    columns.good.tolist(),
                    columns.total.tolist(),
                    strict=True,
                )
            ],
        )

    # --------------------------------------------------------------------------------- reads

    def window_sums(
        self, objective_ids: Int64Array, plan: rules.WindowPlan
    ) -> tuple[Int64Array, FloatArray, FloatArray, Int64Array, FloatArray]:
        """(objective, good, total, buckets, ratio_sum) summed over the plan's pieces, one row
        per objective that has rows in them, in one statement for all objectives."""
        if plan.is_empty or len(objective_ids) == 0:
            return _empty_sums()
        params: dict[str, Any] = {"ids": self._ids_param(objective_ids.tolist())}
        in_ids = self._in_ids()
        branches = []
        pieces = (
            [("sli_bucket", "bucket_start", r) for r in plan.buckets]
            + [("sli_hourly", "hour_start", r) for r in plan.hours]
            + [("sli_daily", "day_start", r) for r in plan.days]
        )
        for n, (table, column, (lo, hi)) in enumerate(pieces):
            params[f"lo{n}"], params[f"hi{n}"] = self._instant(lo), self._instant(hi)
            counts = (
                "CASE WHEN total > 0 THEN 1 ELSE 0 END AS buckets, "
                "CASE WHEN total > 0 THEN good / total ELSE 0.0 END AS ratio_sum"
                if table == "sli_bucket"
                else "buckets, ratio_sum"
            )
            branches.append(
                f"SELECT objective_id, good, total, {counts} FROM {table} "
                f"WHERE objective_id {in_ids} AND {column} >= :lo{n} AND {column} < :hi{n}"
            )
        with self._without_jit():
            rows = self._window_rows(branches, params)
        if not rows:
            return _empty_sums()
        oid, good, total, buckets, ratio_sum = zip(*rows, strict=True)
        return (
            np.array(oid, dtype=np.int64),
            np.array(good, dtype=np.float64),
            np.array(total, dtype=np.float64),
            np.array(buckets, dtype=np.int64),
            np.array(ratio_sum, dtype=np.float64),
        )

    def _window_rows(self, branches: list[str], params: dict[str, Any]) -> Sequence[Any]:
        return self.session.execute(
            text(
                "SELECT objective_id, sum(good), sum(total), sum(buckets), sum(ratio_sum) "
                "FROM (" + " UNION ALL ".join(branches) + ") AS pieces GROUP BY objective_id"
            ),
            params,
        ).all()

    def buckets_between(
        self, objective_ids: Int64Array, start_epoch: int, end_epoch: int
    ) -> BucketColumns:
        """The stored buckets of the objectives with a start in [start_epoch, end_epoch)."""
        if len(objective_ids) == 0 or end_epoch <= start_epoch:
            return _empty_columns()
        return self._bucket_rows(
            "bucket_start >= :lo AND bucket_start < :hi",
            objective_ids,
            {"lo": self._instant(start_epoch), "hi": self._instant(end_epoch)},
        )

    def buckets_at(self, objective_ids: Int64Array, starts: Int64Array) -> BucketColumns:
        """The stored buckets of the objectives starting at exactly the given instants."""
        if len(objective_ids) == 0 or len(starts) == 0:
            return _empty_columns()
        instants: Any = (
            [rules.instant_of(int(e)) for e in starts]
            if self._postgresql
            else json.dumps(_sqlite_instants(starts))
        )
        return self._bucket_rows(
            f"bucket_start {self._in_list('starts')}", objective_ids, {"starts": instants}
        )

    def starts_between(self, objective_id: int, start_epoch: int, end_epoch: int) -> Int64Array:
        """Sorted starts of one objective's stored buckets in [start_epoch, end_epoch)."""
        rows = self.buckets_between(
            np.array([objective_id], dtype=np.int64), start_epoch, end_epoch
        )
        return np.sort(rows.start_epoch)

    # ------------------------------------------------------------------------------ plumbing

    def _bucket_rows(
        self, condition: str, objective_ids: Int64Array, params: dict[str, Any]
    ) -> BucketColumns:
        """The objectives' bucket rows matching ``condition``, as columns.

        PostgreSQL packs them server-side into one bytea of fixed-width binary records (ids,
        timestamps, floats: the types' own send functions), which numpy decodes in one pass: a
        6-hour matrix of 10,000 objectives is 720,000 rows, and one Python tuple per row (or
        one COPY message per row) would cost several times the query itself.
        """
        params = {**params, "ids": self._ids_param(objective_ids.tolist())}
        where = f"WHERE objective_id {self._in_ids()} AND {condition}"
        if self._postgresql:
            with self._without_jit():
                blob = self.session.execute(
                    text(
                        "SELECT string_agg(int8send(objective_id) "
                        "|| timestamptz_send(bucket_start) || float8send(good) "
                        f"|| float8send(total), ''::bytea) FROM sli_bucket {where}"
                    ),
                    params,
                ).scalar_one()
            return _empty_columns() if blob is None else _decode_records(bytes(blob))
        rows = self.session.execute(
            text(
                "SELECT objective_id, CAST(strftime('%s', bucket_start) AS INTEGER), good, total "
                f"FROM sli_bucket {where}"
            ),
            params,
        ).all()
        if not rows:
            return _empty_columns()
        oid, start, good, total = zip(*rows, strict=True)
        return BucketColumns(
            np.array(oid, dtype=np.int64),
            np.array(start, dtype=np.int64),
            np.array(good, dtype=np.float64),
            np.array(total, dtype=np.float64),
        )

    def _in_ids(self) -> str:
        return self._in_list("ids")

    def _in_list(self, name: str) -> str:
        """A membership test against one list parameter, whatever its length: an array on
        PostgreSQL, a JSON array on SQLite (no limit on host parameters either way)."""
        if self._postgresql:
            return f"= ANY(:{name})"
        return f"IN (SELECT value FROM json_each(:{name}))"

    def _ids_param(self, ids: Sequence[int]) -> Any:
        return list(ids) if self._postgresql else json.dumps(list(ids))

    def _instant(self, epoch: int) -> datetime | str:
        return rules.instant_of(epoch) if self._postgresql else _sqlite_instant(epoch)


# ------------------------------------------------------------------------------------ encoding


def _utc_bin(interval: str) -> str:
    return f"date_bin('{interval}', bucket_start, timestamptz '2000-01-01 00:00:00+00')"


def _binary_copy_payloads(columns: BucketColumns) -> list[bytes]:
    """The columns as PostgreSQL binary COPY data, in chunks of `_COPY_CHUNK_ROWS` rows."""
    n = len(columns)
    payloads = []
    for lo in range(0, n, _COPY_CHUNK_ROWS):
        hi = min(lo + _COPY_CHUNK_ROWS, n)
        rows = np.empty(hi - lo, dtype=_COPY_ROW)
        rows["fields"] = 4
        rows["len_objective"] = rows["len_start"] = rows["len_good"] = rows["len_total"] = 8
        rows["objective_id"] = columns.objective_id[lo:hi]
        rows["start_us"] = columns.start_epoch[lo:hi] * 1_000_000 - _PG_EPOCH_OFFSET_US
        rows["good"] = columns.good[lo:hi]
        rows["total"] = columns.total[lo:hi]
        head = _COPY_HEADER if lo == 0 else b""
        tail = _COPY_TRAILER if hi == n else b""
        payloads.append(head + rows.tobytes() + tail)
    return payloads


def _decode_records(data: bytes) -> BucketColumns:
    """Records of (int8, timestamptz, float8, float8) in PostgreSQL's binary send formats."""
    rows = np.frombuffer(data, dtype=_RECORD)
    return BucketColumns(
        rows["objective_id"].astype(np.int64),
        (rows["start_us"].astype(np.int64) + _PG_EPOCH_OFFSET_US) // 1_000_000,
        rows["good"].astype(np.float64),
        rows["total"].astype(np.float64),
    )


def _sqlite_instant(epoch: int) -> str:
    return rules.instant_of(epoch).strftime(_SQLITE_INSTANT)


def _sqlite_text(instant: datetime) -> str:
    """An aware instant as SQLAlchemy stores it on SQLite (UTC wall time, microseconds)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_instants(epochs: Int64Array) -> list[str]:
    """Many instants in SQLAlchemy's SQLite text form, vectorised (a load may hold millions)."""
    text_ = np.datetime_as_string(np.asarray(epochs, dtype="datetime64[s]"), unit="s")
    return [f"{t[:10]} {t[11:]}.000000" for t in text_.tolist()]


def _period_params(
    objective_ids: Int64Array, starts: Int64Array, grain: int
) -> list[tuple[int, str, str]]:
    return list(
        zip(
            objective_ids.tolist(),
            _sqlite_instants(starts),
            _sqlite_instants(starts + grain),
            strict=True,
        )
    )


def _empty_columns() -> BucketColumns:
    return BucketColumns(
        np.empty(0, dtype=np.int64),
        np.empty(0, dtype=np.int64),
        np.empty(0, dtype=np.float64),
        np.empty(0, dtype=np.float64),
    )


def _empty_sums() -> tuple[Int64Array, FloatArray, FloatArray, Int64Array, FloatArray]:
    return (
        np.empty(0, dtype=np.int64),
        np.empty(0, dtype=np.float64),
        np.empty(0, dtype=np.float64),
        np.empty(0, dtype=np.int64),
        np.empty(0, dtype=np.float64),
    )
