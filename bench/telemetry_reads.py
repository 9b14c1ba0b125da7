"""Telemetry at scale: bulk loads of SLI buckets, and the window reads the engine makes.

The design goal: 10,000 objectives with 30 days of 5-minute buckets (86.4 M rows) in PostgreSQL,
loaded through the product's storage path (COPY into staging, merge, rollups recomputed in the
same transaction), and read back for evaluation without rescanning raw buckets. This benchmark

1. (re)creates the database ``accord_bench_telemetry`` (or ``--database``) next to the admin URL
   (``ACCORD_BENCH_POSTGRES_URL``, ``--postgres-url``) and builds the schema with the migrations;
   a unit, a service and the objectives are created, plus ``bench_raw_bucket``: a table
   identical to ``sli_bucket`` (same columns, primary key, CHECK and foreign key);
2. loads seeded synthetic buckets one time slice of all objectives at a time (``--chunk-hours``,
   default a day), each slice twice, in random order: through ``telemetry_service.store_buckets``
   in its own unit of work (validation, parent check, lock, COPY, merge, rollups, commit), and as
   a raw binary COPY of the same rows into ``bench_raw_bucket`` (the BASELINE, also committed).
   It reports rows/s of both and their ratio, then times a re-send of one slice;
3. measures the reads, interleaved in random order in every iteration, each in its own read unit
   of work: ``window_counts`` over 30 days for all objectives, ``recent_buckets`` for the last
   6 hours, ``buckets_at`` two instants, ``missing_buckets`` of one objective over 30 days, and
   the same 30-day window summed straight from ``sli_bucket``; every figure is printed as a RATIO
   to the BASELINE ``SELECT objective_id, sum(good), sum(total) FROM sli_bucket GROUP BY
   objective_id`` (all rows) measured in the same iterations. It checks that the window sums
   equal the straight sums, and writes everything to ``bench/results/telemetry_reads-<UTC>.json``.

No timing is asserted anywhere: the machine is shared and noisy; read the ratios first.

    python bench/telemetry_reads.py                               # 10,000 x 30 days (~20 min)
    python bench/telemetry_reads.py --objectives 1000             # 8.64 M buckets, a few minutes
    python bench/telemetry_reads.py --objectives 200 --days 3     # smoke run, seconds
    python bench/telemetry_reads.py --reuse --iterations 10       # reads again, no new load
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import random
import re
import statistics
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from sqlalchemy import Engine, create_engine, event, insert, text
from sqlalchemy.engine import make_url

from accord.catalogue import service as catalogue_service
from accord.catalogue.schemas import ServiceCreate
from accord.config import DatabaseSettings
from accord.db import migrate
from accord.db.session import Database, create_database_engine
from accord.identity import service as identity_service
from accord.identity.rules import system_actor
from accord.identity.schemas import BusinessUnitCreate
from accord.objectives import service as objectives_service
from accord.objectives.models import Objective
from accord.telemetry import rules
from accord.telemetry import service as telemetry_service
from accord.telemetry.rules import BucketColumns

DEFAULT_POSTGRES_URL = os.environ.get(
    "ACCORD_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DEFAULT_DATABASE = "accord_bench_telemetry"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
START = datetime(2026, 5, 1, tzinfo=UTC)
"""The generated history starts here (fixed: a seed always yields the same data)."""
SYSTEM = system_actor("bench")
BASELINE_TABLE = "bench_raw_bucket"
READS = ("window_30d", "recent_6h", "buckets_at_2", "missing_30d", "naive_window_30d")
BASELINE_READ = "group_by_all"

_PG_EPOCH_OFFSET_US = 946_684_800 * 1_000_000
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_COPY_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("l1", ">i4"),
        ("objective_id", ">i8"),
        ("l2", ">i4"),
        ("start_us", ">i8"),
        ("l3", ">i4"),
        ("good", ">f8"),
        ("l4", ">i4"),
        ("total", ">f8"),
    ]
)


# ================================================================================ the data


@dataclass(frozen=True)
class Fleet:
    """Per objective: a traffic level (requests per bucket at the daily peak, log-normal: a few
    busy services, many quiet ones) and a baseline error ratio."""

    ids: np.ndarray
    peak: np.ndarray
    error_ratio: np.ndarray

    @classmethod
    def generate(cls, ids: list[int], seed: int) -> Fleet:
        rng = np.random.default_rng(seed)
        n = len(ids)
        return cls(
            ids=np.array(ids, dtype=np.int64),
            peak=rng.lognormal(np.log(3_000), 1.2, n),
            error_ratio=rng.lognormal(np.log(5e-4), 0.8, n).clip(0, 0.05),
        )


def time_slice(fleet: Fleet, first: int, buckets: int, seed: int) -> BucketColumns:
    """Buckets ``first .. first + buckets`` (indices from START) of every objective, sorted by
    (objective, start); deterministic for (seed, first)."""
    rng = np.random.default_rng([seed, first])
    n = len(fleet.ids)
    index = first + np.arange(buckets)
    starts = rules.epoch_of(START) + index * rules.BUCKET_SECONDS
    hour = (starts % rules.DAY_SECONDS) / rules.HOUR_SECONDS
    shape = 0.15 + 0.85 * (0.5 + 0.5 * np.cos(2 * np.pi * (hour - 14) / 24))
    expected = fleet.peak[:, None] * shape[None, :]
    total = rng.poisson(expected)
    bad = rng.binomial(total, fleet.error_ratio[:, None])
    return BucketColumns(
        objective_id=np.repeat(fleet.ids, buckets),
        start_epoch=np.tile(starts.astype(np.int64), n),
        good=(total - bad).astype(np.float64).ravel(),
        total=total.astype(np.float64).ravel(),
    )


def binary_copy(columns: BucketColumns) -> bytes:
    """The rows as PostgreSQL binary COPY data (the baseline's encoding, numpy-fast like ours)."""
    rows = np.empty(len(columns), dtype=_COPY_ROW)
    rows["fields"] = 4
    rows["l1"] = rows["l2"] = rows["l3"] = rows["l4"] = 8
    rows["objective_id"] = columns.objective_id
    rows["start_us"] = columns.start_epoch * 1_000_000 - _PG_EPOCH_OFFSET_US
    rows["good"] = columns.good
    rows["total"] = columns.total
    return _COPY_HEADER + rows.tobytes() + struct.pack(">h", -1)


# ================================================================================ set-up


def create_objectives(database: Database, count: int) -> list[int]:
    """One unit, one service, ``count`` objectives (rows written directly: the objectives
    service validates one definition at a time, which is not what is measured here)."""
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        identity_service.create_business_unit(
            session, actor=SYSTEM, data=BusinessUnitCreate(code="bench", name="Bench"), now=now
        )
        service = catalogue_service.create_service(
            session,
            actor=SYSTEM,
            data=ServiceCreate(slug="bench-api", name="Bench API", business_unit="bench", tier=2),
            now=now,
        )
        row = session.execute(
            text("SELECT id, business_unit_id FROM service WHERE slug = :slug"),
            {"slug": service.slug},
        ).one()
        common = {
            "service_id": row[0],
            "business_unit_id": row[1],
            "description": "",
            "sli_kind": "availability",
            "target": Decimal("0.999"),
            "budgeting_method": "occurrences",
            "missing_data": "ignore",
            "window_kind": "rolling",
            "window_days": 30,
            "time_zone": "UTC",
            "monitoring_mode": "active",
            "evaluation_interval_seconds": 300,
            "source": "push",
            "queries": {},
            "labels": {},
            "alerting": {},
            "created_by": "bench",
            "created_at": now,
            "updated_at": now,
        }
        session.execute(
            insert(Objective),
            [{**common, "name": f"slo-{i:05d}", "display_name": f"SLO {i}"} for i in range(count)],
        )
        return list(session.scalars(text("SELECT id FROM objective ORDER BY id")))


def create_baseline_table(conninfo: str) -> None:
    """``bench_raw_bucket``: sli_bucket's columns, primary key, CHECK and foreign keys (copied
    from the live table, so ``--ddl`` changes to sli_bucket's constraints carry over)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {BASELINE_TABLE}")
        conn.execute(f"CREATE TABLE {BASELINE_TABLE} (LIKE sli_bucket INCLUDING ALL)")
        foreign_keys = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'sli_bucket'::regclass AND contype = 'f'"
        ).fetchall()
        for (definition,) in foreign_keys:
            conn.execute(f"ALTER TABLE {BASELINE_TABLE} ADD {definition}".encode())


# ================================================================================== the load


@dataclass
class LoadFigures:
    rows: int = 0
    ours_s: list[float] = field(default_factory=list)
    baseline_s: list[float] = field(default_factory=list)
    baseline_rows: int = 0

    def report(self) -> dict[str, Any]:
        ours = self.rows / sum(self.ours_s)
        base = self.baseline_rows / sum(self.baseline_s) if self.baseline_s else None
        return {
            "rows": self.rows,
            "ours_s": round(sum(self.ours_s), 2),
            "ours_rows_per_s": round(ours),
            "baseline_rows": self.baseline_rows,
            "baseline_s": round(sum(self.baseline_s), 2),
            "baseline_rows_per_s": None if base is None else round(base),
            "ours_per_baseline": None if base is None else round(ours / base, 3),
            "ours_chunk_s_median": round(statistics.median(self.ours_s), 3),
            "baseline_chunk_s_median": (
                round(statistics.median(self.baseline_s), 3) if self.baseline_s else None
            ),
        }


def load(database: Database, conninfo: str, fleet: Fleet, args: argparse.Namespace) -> LoadFigures:
    per_chunk = args.chunk_hours * rules.BUCKETS_PER_HOUR
    total_buckets = args.days * rules.BUCKETS_PER_DAY
    order = random.Random(args.seed)
    figures = LoadFigures()
    started = time.monotonic()
    chunks = range(0, total_buckets, per_chunk)
    for number, first in enumerate(chunks):
        columns = time_slice(fleet, first, min(per_chunk, total_buckets - first), args.seed)
        with_baseline = number % args.baseline_every == 0

        def ours(columns: BucketColumns = columns) -> float:
            begun = time.perf_counter()
            with database.unit_of_work() as session:
                telemetry_service.store_buckets(session, columns)
            return time.perf_counter() - begun

        def baseline(columns: BucketColumns = columns) -> float:
            begun = time.perf_counter()
            with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
                with cur.copy(f"COPY {BASELINE_TABLE} FROM STDIN (FORMAT BINARY)") as copy:
                    copy.write(binary_copy(columns))
                conn.commit()
            return time.perf_counter() - begun

        steps: list[Callable[[], float]] = [ours, baseline] if with_baseline else [ours]
        order.shuffle(steps)
        for step in steps:
            seconds = step()
            (figures.ours_s if step is ours else figures.baseline_s).append(seconds)
        figures.rows += len(columns)
        if with_baseline:
            figures.baseline_rows += len(columns)
        if (number + 1) % max(1, len(chunks) // 10) == 0 or number + 1 == len(chunks):
            print(
                f"  {number + 1}/{len(chunks)} slices, {figures.rows:,} buckets "
                f"({time.monotonic() - started:.0f} s)",
                file=sys.stderr,
            )
        del columns
    return figures


def resend(database: Database, fleet: Fleet, args: argparse.Namespace) -> dict[str, Any]:
    """The last slice again: unchanged (an idempotent re-send), then with every count changed."""
    per_chunk = args.chunk_hours * rules.BUCKETS_PER_HOUR
    total_buckets = args.days * rules.BUCKETS_PER_DAY
    first = ((total_buckets - 1) // per_chunk) * per_chunk
    columns = time_slice(fleet, first, total_buckets - first, args.seed)
    changed = BucketColumns(
        columns.objective_id, columns.start_epoch, columns.good * 0 + columns.total, columns.total
    )
    figures = {}
    for label, batch in (("unchanged", columns), ("changed", changed)):
        begun = time.perf_counter()
        with database.unit_of_work() as session:
            telemetry_service.store_buckets(session, batch)
        figures[label] = {
            "rows": len(batch),
            "s": round(time.perf_counter() - begun, 3),
            "rows_per_s": round(len(batch) / (time.perf_counter() - begun)),
        }
    # Put the original counts back: the reads must see the generated data.
    with database.unit_of_work() as session:
        telemetry_service.store_buckets(session, columns)
    return figures


def parent_check_seconds(database: Database, ids: list[int]) -> float:
    """What the parent check of one load (every objective) costs: part of every slice's time."""
    best = float("inf")
    for _ in range(3):
        begun = time.perf_counter()
        with database.unit_of_work(write=False) as session:
            objectives_service.live_units(session, ids)
        best = min(best, time.perf_counter() - begun)
    return best


# ================================================================================= the reads


@dataclass
class Read:
    name: str
    run: Callable[[], Any]
    samples_s: list[float] = field(default_factory=list)
    result: Any = None


def read_cases(database: Database, ids: list[int], end: datetime) -> list[Read]:
    """``end`` is a ragged instant (not on an hour) so every piece of a window plan is read."""
    start_30d = end - timedelta(days=30)

    def window() -> Any:
        with database.unit_of_work(write=False) as session:
            return telemetry_service.window_counts(session, ids, start_30d, end)

    def recent() -> Any:
        with database.unit_of_work(write=False) as session:
            return telemetry_service.recent_buckets(session, ids, end - timedelta(hours=6), end)

    def at_two() -> Any:
        instants = [end - timedelta(minutes=5), end - timedelta(days=30)]
        with database.unit_of_work(write=False) as session:
            return telemetry_service.buckets_at(session, ids, instants)

    def missing() -> Any:
        with database.unit_of_work(write=False) as session:
            return telemetry_service.missing_buckets(session, ids[len(ids) // 2], start_30d, end)

    def naive_window() -> Any:
        with database.unit_of_work(write=False) as session:
            return session.execute(
                text(
                    "SELECT objective_id, sum(good), sum(total) FROM sli_bucket "
                    "WHERE bucket_start >= :lo AND bucket_start < :hi GROUP BY objective_id"
                ),
                {"lo": start_30d, "hi": end},
            ).all()

    def group_by_all() -> Any:
        with database.unit_of_work(write=False) as session:
            return session.execute(
                text(
                    "SELECT objective_id, sum(good), sum(total) FROM sli_bucket "
                    "GROUP BY objective_id"
                )
            ).all()

    runs = {
        "window_30d": window,
        "recent_6h": recent,
        "buckets_at_2": at_two,
        "missing_30d": missing,
        "naive_window_30d": naive_window,
        BASELINE_READ: group_by_all,
    }
    return [Read(name, run) for name, run in runs.items()]


def measure_reads(cases: list[Read], iterations: int, seed: int) -> None:
    """One warm-up round, then ``iterations`` rounds of every case in a fresh random order."""
    order = random.Random(seed)
    gc.collect()
    for i in range(iterations + 1):
        order.shuffle(cases)
        for case in cases:
            begun = time.perf_counter()
            result = case.run()
            elapsed = time.perf_counter() - begun
            if i == 0:
                case.result = result
            else:
                case.samples_s.append(elapsed)
        print(f"  read round {i}/{iterations}", file=sys.stderr)


def check_window(cases: list[Read]) -> bool:
    """The 30-day window sums (from rollups) equal the straight sums over its buckets."""
    by_name = {c.name: c for c in cases}
    counts = by_name["window_30d"].result
    naive = {int(o): (float(g), float(t)) for o, g, t in by_name["naive_window_30d"].result}
    return all(
        naive.get(int(o), (0.0, 0.0)) == (float(g), float(t))
        for o, g, t in zip(counts.objective_ids, counts.good, counts.total, strict=True)
    )


def explain_window(engine: Engine, database: Database, case: Read) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the window statement, captured from a real call."""
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if "UNION ALL" in statement:
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        case.run()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    if not captured:
        return []
    statement, parameters = captured[-1]
    with database.unit_of_work(write=False) as session:
        conn = session.connection()
        lines = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
        # The id list is spelled out in every index condition: shorten it.
        return [re.sub(r"'\{[0-9,]{40,}\}'", "'{ids...}'", row[0]) for row in lines]


# ==================================================================================== main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objectives", type=int, default=10_000, help="default: 10000")
    parser.add_argument("--days", type=int, default=30, help="days of buckets (default: 30)")
    parser.add_argument(
        "--chunk-hours", type=int, default=24, help="hours of all objectives per load (24)"
    )
    parser.add_argument(
        "--baseline-every",
        type=int,
        default=1,
        help="COPY every n-th slice into the baseline table too (default: every slice)",
    )
    parser.add_argument("--iterations", type=int, default=5, help="read rounds (default: 5)")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="an admin URL")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse a kept database of the same size and seed: reads only (implies --keep)",
    )
    parser.add_argument(
        "--ddl",
        action="append",
        default=[],
        metavar="SQL",
        help="run this DDL after the migrations, before the load (e.g. drop a constraint); "
        "repeatable",
    )
    parser.add_argument("--explain", action="store_true", help="print the window query's plan")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if args.chunk_hours < 1 or args.days < 2 or args.objectives < 1:
        parser.error("need at least 1 objective, 2 days and 1-hour slices")
    args.keep = args.keep or args.reuse
    return args


def git_commit() -> str | None:
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        return subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    return None


def marker(args: argparse.Namespace) -> str:
    ddl = "; ".join(args.ddl)
    return f"{args.objectives}x{args.days}d/seed {args.seed}/slices {args.chunk_hours}h/{ddl}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    admin_url = make_url(args.postgres_url)
    url = admin_url.set(database=args.database).render_as_string(hide_password=False)
    conninfo = admin_url.set(drivername="postgresql", database=args.database).render_as_string(
        hide_password=False
    )
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    reuse = False
    if args.reuse:
        with contextlib.suppress(psycopg.Error), psycopg.connect(conninfo) as conn:
            row = conn.execute("SELECT shape FROM bench_meta").fetchone()
            reuse = row is not None and row[0] == marker(args)
        print(f"reusing {args.database}" if reuse else f"no reusable {args.database}: loading")
    if not reuse:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{args.database}"'))
    engine = create_database_engine(url, DatabaseSettings())
    database = Database(engine, DatabaseSettings())
    try:
        return run(args, conninfo, engine, database, reuse=reuse)
    finally:
        database.dispose()
        if args.keep:
            print(f"kept database {args.database} ({url})")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
        admin.dispose()


def run(
    args: argparse.Namespace, conninfo: str, engine: Engine, database: Database, *, reuse: bool
) -> int:
    load_before = [round(x, 2) for x in os.getloadavg()]
    report: dict[str, Any] = {
        "benchmark": "telemetry_reads",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }
    if reuse:
        with database.unit_of_work(write=False) as session:
            ids = list(session.scalars(text("SELECT id FROM objective ORDER BY id")))
    else:
        migrate.upgrade(engine)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            for ddl in args.ddl:
                print(f"extra DDL: {ddl}")
                conn.execute(ddl.encode())
        ids = create_objectives(database, args.objectives)
        create_baseline_table(conninfo)
        fleet = Fleet.generate(ids, args.seed)
        rows = len(ids) * args.days * rules.BUCKETS_PER_DAY
        print(
            f"loading {len(ids):,} objectives x {args.days} days = {rows:,} buckets in "
            f"{args.chunk_hours} h slices (ours and the raw-COPY baseline, interleaved)"
        )
        figures = load(database, conninfo, fleet, args)
        report["load"] = figures.report()
        report["parent_check_s"] = round(parent_check_seconds(database, ids), 3)
        report["resend"] = resend(database, fleet, args)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            begun = time.perf_counter()
            conn.execute("VACUUM (ANALYZE)")
            report["vacuum_analyze_s"] = round(time.perf_counter() - begun, 1)
            conn.execute("CREATE TABLE bench_meta (shape text)")
            conn.execute("INSERT INTO bench_meta VALUES (%s)", (marker(args),))
        print_load(report)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        report["sizes"] = {
            table: conn.execute(
                "SELECT pg_size_pretty(pg_total_relation_size(%s)), "
                "(SELECT reltuples::bigint FROM pg_class WHERE relname = %s)",
                (table, table),
            ).fetchone()
            for table in ("sli_bucket", "sli_hourly", "sli_daily", BASELINE_TABLE)
        }
        report["server"] = {
            s: conn.execute(f"SHOW {s}").fetchone()[0]  # type: ignore[index]
            for s in ("server_version", "shared_buffers", "work_mem", "max_parallel_workers")
        }
    print("sizes: " + ", ".join(f"{t} {s} ({n:,} rows)" for t, (s, n) in report["sizes"].items()))

    end = START + timedelta(days=args.days) - timedelta(minutes=35)
    cases = read_cases(database, ids, end)
    print(f"measuring {len(cases)} reads x {args.iterations} rounds (+1 warm-up), interleaved")
    measure_reads(cases, args.iterations, args.seed)
    report["window_equals_naive"] = check_window(cases)
    report["reads"] = summarise(cases)
    report["load_average"] = {
        "before": load_before,
        "after": [round(x, 2) for x in os.getloadavg()],
    }
    print_reads(report)
    plan = explain_window(engine, database, next(c for c in cases if c.name == "window_30d"))
    report["window_plan"] = plan
    if args.explain:
        print("\n".join(plan))
    args.results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.results_dir / f"telemetry_reads-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    print(f"\nresults: {path}")
    return 0 if report["window_equals_naive"] else 1


def summarise(cases: list[Read]) -> list[dict[str, Any]]:
    base = statistics.median(next(c for c in cases if c.name == BASELINE_READ).samples_s)
    rows = []
    for name in (BASELINE_READ, *READS):
        case = next(c for c in cases if c.name == name)
        median = statistics.median(case.samples_s)
        rows.append(
            {
                "read": name,
                "median_ms": round(median * 1000, 1),
                "min_ms": round(min(case.samples_s) * 1000, 1),
                "max_ms": round(max(case.samples_s) * 1000, 1),
                "per_baseline": round(median / base, 4),
                "items": _items(case.result),
            }
        )
    return rows


def _items(result: Any) -> str:
    if hasattr(result, "shape"):
        return "x".join(str(n) for n in result.shape)
    return str(len(result))


def print_load(report: dict[str, Any]) -> None:
    load = report["load"]
    print(
        f"\nload: {load['rows']:,} buckets in {load['ours_s']} s = "
        f"{load['ours_rows_per_s']:,} rows/s through store_buckets; baseline raw COPY "
        f"{load['baseline_rows_per_s']:,} rows/s -> ours/baseline {load['ours_per_baseline']} "
        f"(median slice: ours {load['ours_chunk_s_median']} s, "
        f"COPY {load['baseline_chunk_s_median']} s)"
    )
    print(
        f"  of every slice, the parent check (live_units of all objectives) takes "
        f"{report['parent_check_s']} s"
    )
    for label, figures in report["resend"].items():
        print(
            f"  re-send of the last slice, {label}: {figures['rows']:,} rows in {figures['s']} s "
            f"({figures['rows_per_s']:,} rows/s)"
        )
    print(f"  VACUUM ANALYZE afterwards: {report['vacuum_analyze_s']} s")


def print_reads(report: dict[str, Any]) -> None:
    print(
        f"\nload average before {report['load_average']['before']}, after "
        f"{report['load_average']['after']} on {os.cpu_count()} CPUs"
    )
    print(f"{'read':<18} {'median ms':>10} {'min ms':>9} {'max ms':>9} {'/baseline':>10}  items")
    for row in report["reads"]:
        print(
            f"{row['read']:<18} {row['median_ms']:>10} {row['min_ms']:>9} {row['max_ms']:>9} "
            f"{row['per_baseline']:>10}  {row['items']}"
        )
    print(
        "/baseline: median time over the median of the baseline (group_by_all: every bucket "
        "summed per objective, server-side), measured interleaved in this run.\n"
        f"window_30d equals the straight sums over its buckets: {report['window_equals_naive']}"
    )


if __name__ == "__main__":
    sys.exit(main())
