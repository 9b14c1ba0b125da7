"""The long crash run of the push API: ``accord serve`` SIGKILLed at hundreds of random moments
while several senders push, on SQLite and on PostgreSQL.

The same harness as ``tests/telemetry/test_crash.py`` (``tests/telemetry/crash_harness.py``),
with more kills and bigger batches. Per database it

1. creates a fresh migrated database (a SQLite file in a temporary directory; a PostgreSQL
   database ``accord_bench_crash_<random>`` next to the admin URL, dropped at the end unless
   ``--keep``), a unit, objectives and a push source with an ingest token;
2. starts ``accord serve`` in a subprocess; ``--senders`` threads push batches of
   ``--rows`` bucket rows (disjoint keys, each batch with its own Idempotency-Key) and keep a
   ledger of what got a 2xx; a sender whose connection dies mid-request gives the batch up half
   the time (its fate unknown to it), otherwise retries; 409/429/503 are retried;
3. ``--kills`` times: waits until the restarted server has acknowledged a batch, waits a random
   0-0.6 s, SIGKILLs it and starts it again;
4. checks (a) every row of every acknowledged batch is stored with its value; (b) re-sends every
   batch, acknowledged or not, twice in random order with its key, then compares the stored
   buckets with every batch's values (missing, double-counted, other differences), acknowledged
   batches' replays with their first answer byte for byte, and the hourly/daily rollups and
   ``window_counts`` with the naive sums of the buckets.

It prints the figures and writes them to ``bench/results/crash_ingest-<UTC time>.json``; the
exit status is 1 when anything acknowledged was lost or anything was double-counted. No timing
is measured: this is a correctness run.

    python bench/crash_ingest.py                          # 100 kills on each database
    python bench/crash_ingest.py --kills 300 --backends postgresql
    ACCORD_CRASH_KILLS=20 python bench/crash_ingest.py    # the environment sets the default
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# The harness lives with the tests (it is their code too); run from a checkout.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.telemetry.crash_harness import CrashRun, Figures  # noqa: E402

from accord.config import DatabaseSettings  # noqa: E402
from accord.db import migrate  # noqa: E402
from accord.db.session import create_database_engine  # noqa: E402

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--kills", type=int, default=int(os.environ.get("ACCORD_CRASH_KILLS", "100"))
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--rows", default="50-500", help="rows per batch, min-max")
    parser.add_argument("--objectives", type=int, default=80)
    parser.add_argument("--days", type=int, default=28, help="days of buckets (at most 28)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("ACCORD_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="an admin URL; the run's database is created next to it",
    )
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results")
    return parser.parse_args()


def fresh_database(backend: str, args: argparse.Namespace, work: Path) -> tuple[str, str | None]:
    """A migrated database; its URL and, for PostgreSQL, its name (to drop)."""
    name = f"accord_bench_crash_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        url, created = f"sqlite:///{work / (name + '.db')}", None
    else:
        admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
        created = name
    engine = create_database_engine(url, DatabaseSettings())
    migrate.upgrade(engine)
    engine.dispose()
    return url, created


def drop(args: argparse.Namespace, name: str) -> None:
    admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def say(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def report(figures: Figures, seconds: float) -> dict[str, Any]:
    row = {
        "backend": figures.backend,
        "kills": figures.kills,
        "batches sent": figures.batches_sent,
        "acknowledged batches": figures.acknowledged_batches,
        "acknowledged rows": figures.acknowledged_rows,
        "abandoned batches": figures.abandoned_batches,
        "requests cut by a kill": figures.cut_requests,
        "acknowledged rows missing": figures.acknowledged_rows_missing,
        "rows double-counted after the re-send": figures.rows_double_counted,
        "rows otherwise wrong after the re-send": figures.rows_wrong,
        "replays differing from the first answer": figures.replays_differing,
        "rollup rows differing from naive sums": figures.rollup_mismatches,
        "window_counts differing from naive sums": figures.window_mismatches,
        "answers while pushing": {str(k): v for k, v in sorted(figures.statuses.items(), key=str)},
        "answers to the re-send": {
            str(k): v for k, v in sorted(figures.resend_answers.items(), key=str)
        },
        "failures": figures.failures,
        "seconds": round(seconds),
        "clean": figures.clean(),
    }
    print()
    for label, value in row.items():
        if label != "failures":
            print(f"  {label:<42} {value}")
    for failure in figures.failures:
        print(f"  FAILURE: {failure[:2000]}")
    print(flush=True)
    return row


def main() -> int:
    args = parse_args()
    low, high = (int(n) for n in args.rows.split("-"))
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="accord-crash-") as tmp:
        work = Path(tmp)
        for backend in args.backends.split(","):
            say(f"{backend}: {args.kills} kills, {args.senders} senders, rows {low}-{high}")
            url, created = fresh_database(backend, args, work)
            began = time.monotonic()
            try:
                figures = CrashRun(
                    url,
                    backend,
                    work,
                    kills=args.kills,
                    senders=args.senders,
                    objectives=args.objectives,
                    days=args.days,
                    rows=(low, high),
                    seed=args.seed,
                    progress=say,
                ).run()
            finally:
                if created is not None and not args.keep:
                    drop(args, created)
            results.append(report(figures, time.monotonic() - began))
            log = work / f"server-{backend}.log"
            args.results_dir.mkdir(parents=True, exist_ok=True)
            stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
            (args.results_dir / f"crash_ingest-{stamp}-{backend}-server.log").write_bytes(
                log.read_bytes()
            )
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    out = args.results_dir / f"crash_ingest-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "when": stamp,
                "machine": platform.platform(),
                "cpus": os.cpu_count(),
                "args": {k: str(v) for k, v in vars(args).items() if k != "postgres_url"},
                "results": results,
                "harness": [f.name for f in dataclasses.fields(Figures)],
            },
            indent=2,
        )
    )
    say(f"written to {out}")
    return 0 if all(r["clean"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
