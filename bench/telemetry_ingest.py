"""Telemetry ingestion: how fast buckets get in, through the bulk path and the push API.

The goals (the telemetry ingestion issue): the bulk path ``store_buckets`` (upsert, hourly and
daily rollups, write journal) at **at least half** the rate of a raw COPY of the same rows into a
table with the same keys; ``POST /api/v1/telemetry`` end to end (auth, decoding, screening,
storage, rollups, commit) at **100,000 rows/s** or more; on SQLite ``store_buckets`` at **at least
half** a bare ``executemany`` of the same rows into the same table. This benchmark

1. (re)creates ``accord_bench_ingest`` (or ``--database``) next to the admin URL, migrates it,
   creates a unit, a service, ``--objectives`` objectives, a push source with an ingest token and
   ``bench_raw_bucket``: sli_bucket's twin (same columns, primary key, CHECK, foreign key);
2. measures, per batch shape and interleaved in random order in every round, the BASELINE (one
   binary COPY of the batch into ``bench_raw_bucket`` and a commit, on a kept connection)
   against ``store_buckets`` of the same batch into ``sli_bucket`` in a unit of work. Shapes:
   ``bulk`` (every objective x ``--bulk-buckets``), ``fleet`` (``--batch-rows`` objectives x the
   latest bucket: what a fleet pusher sends every 5 minutes), ``backfill`` (100 objectives x 50
   buckets);
3. serves the API (``accord serve --workers 1``, then ``--workers 2``) on a free loopback port and
   pushes pre-encoded JSON batches of the fleet and backfill shapes from ``--clients`` threads
   with the source's token; each round of pushes is followed by a raw COPY round of the same
   batches' shape (the baseline, interleaved);
4. on a SQLite file: ``store_buckets`` against a bare ``executemany`` INSERT of the same rows into
   ``sli_bucket`` in one transaction, interleaved;
5. profiles pushes in-process (``TestClient``): time per section (auth, JSON decode, screening,
   destination lookups, validation, parent check, locks, staging COPY, merge, rollups, journal,
   commit, the rest) and the top of a cProfile;
6. prints rows/s and ratios, estimates a 30-day backfill of 10,000 objectives (86.4 M buckets),
   and writes everything to ``bench/results/telemetry_ingest-<UTC>.json``.

No timing is asserted anywhere: the machine is shared and noisy; read the ratios first.

    python bench/telemetry_ingest.py                                  # the default run, ~10 min
    python bench/telemetry_ingest.py --rounds 2 --http-batches 10     # smoke run, ~2 min
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import platform
import pstats
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import numpy as np
import orjson
import psycopg
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from accord.config import DatabaseSettings, IngestSettings, Settings, TokenSettings
from accord.db import migrate
from accord.db.session import Database, create_database_engine
from accord.identity.rules import system_actor
from accord.objectives.rules import objective_key
from accord.telemetry import rules
from accord.telemetry import service as telemetry_service
from accord.telemetry.rules import BucketColumns
from accord.telemetry.sources import service as sources_service
from accord.telemetry.sources.schemas import SourceCreate, SourceTokenCreate
from agreements_lookup import git_commit, wait_until_ready
from telemetry_reads import BASELINE_TABLE, binary_copy, create_baseline_table, create_objectives

DEFAULT_POSTGRES_URL = os.environ.get(
    "ACCORD_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DEFAULT_DATABASE = "accord_bench_ingest"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
SYSTEM = system_actor("bench")
SOURCE = "bench-pusher"
PUSH = "/api/v1/telemetry"
RATE_LIMIT = "100000/second"
SLOTS = 8_400
"""Bucket slots per objective, ending at the current bucket: 29 days, inside every objective's
open (rolling 30-day) window, so no push is flagged `too-old`."""
BACKFILL_OBJECTIVES, BACKFILL_BUCKETS = 100, 50
FULL_BACKFILL_ROWS = 10_000 * 30 * rules.BUCKETS_PER_DAY
_RAW_COPY = (
    f"COPY {BASELINE_TABLE} (objective_id, bucket_start, good, total) FROM STDIN (FORMAT BINARY)"
)
GOALS = {"bulk_per_copy": 0.5, "http_rows_per_s": 100_000, "sqlite_per_executemany": 0.5}


# ================================================================================ the data


class Slots:
    """Hands out bucket slots so that every batch writes new keys: per objective, the next
    unused slot (slot 0 is ``SLOTS`` buckets before the current one, on an hour)."""

    def __init__(self, count: int) -> None:
        now = int(time.time())
        newest = now - now % rules.HOUR_SECONDS
        self.base = newest - SLOTS * rules.BUCKET_SECONDS
        self.next = np.zeros(count, dtype=np.int64)

    def take(self, members: np.ndarray, buckets: int, *, hour_aligned: bool = False) -> np.ndarray:
        first = int(self.next[members].max())
        if hour_aligned:
            first = -(-first // rules.BUCKETS_PER_HOUR) * rules.BUCKETS_PER_HOUR
        if first + buckets > SLOTS:
            raise RuntimeError("out of bucket slots: fewer rounds or batches, please")
        self.next[members] = first + buckets
        return self.base + (first + np.arange(buckets, dtype=np.int64)) * rules.BUCKET_SECONDS


@dataclass
class Shape:
    name: str
    objectives: int
    buckets: int

    @property
    def rows(self) -> int:
        return self.objectives * self.buckets


class Batches:
    """Seeded batches of a shape, each on fresh slots, sorted by (objective, start) like a
    sender's export; objectives of the small shapes taken group after group."""

    def __init__(self, ids: list[int], seed: int) -> None:
        self.ids = np.array(ids, dtype=np.int64)
        self.slots = Slots(len(ids))
        self.rng = np.random.default_rng(seed)
        self.groups: dict[str, int] = defaultdict(int)

    def next(self, shape: Shape) -> BucketColumns:
        n = len(self.ids)
        groups = max(1, n // shape.objectives)
        group = self.groups[shape.name] % groups
        self.groups[shape.name] += 1
        members = np.arange(group * shape.objectives, (group + 1) * shape.objectives) % n
        starts = self.slots.take(members, shape.buckets, hour_aligned=shape.name == "bulk")
        total = self.rng.poisson(1_000, (len(members), shape.buckets)).astype(np.float64)
        bad = self.rng.binomial(total.astype(np.int64), 0.001).astype(np.float64)
        return BucketColumns(
            objective_id=np.repeat(self.ids[members], shape.buckets),
            start_epoch=np.tile(starts, len(members)),
            good=(total - bad).ravel(),
            total=total.ravel(),
        )


def json_body(columns: BucketColumns) -> bytes:
    """A push body: rows naming their objective by key, epoch-second starts."""
    keys = {oid: objective_key(oid) for oid in np.unique(columns.objective_id).tolist()}
    return orjson.dumps(
        [
            {"objective": keys[o], "start": s, "good": g, "total": t}
            for o, s, g, t in zip(
                columns.objective_id.tolist(),
                columns.start_epoch.tolist(),
                columns.good.tolist(),
                columns.total.tolist(),
                strict=True,
            )
        ]
    )


# ================================================================================== set-up


def create_source(database: Database) -> tuple[int, str]:
    """A push source of the bench unit and an ingest token for it: (source id, token)."""
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        sources_service.create_source(
            session,
            actor=SYSTEM,
            data=SourceCreate(name=SOURCE, kind="push", business_unit="bench"),
            now=now,
        )
        token = sources_service.issue_token(
            session,
            actor=SYSTEM,
            name=SOURCE,
            data=SourceTokenCreate(name="bench"),
            settings=TokenSettings(),
            now=now,
        ).token
        source_id = session.execute(
            text("SELECT id FROM telemetry_source WHERE name = :n"), {"n": SOURCE}
        ).scalar_one()
    return int(source_id), token


# ================================================================================ measuring


@dataclass
class Series:
    """Rows and seconds of one case, one sample per timed unit (a batch, or a round of them)."""

    rows: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def add(self, rows: int, seconds: float) -> None:
        self.rows.append(rows)
        self.seconds.append(seconds)

    @property
    def rate(self) -> float:
        return sum(self.rows) / sum(self.seconds)

    def report(self) -> dict[str, Any]:
        per_sample = [r / s for r, s in zip(self.rows, self.seconds, strict=True)]
        return {
            "rows": sum(self.rows),
            "seconds": round(sum(self.seconds), 3),
            "rows_per_s": round(self.rate),
            "samples": len(self.seconds),
            "sample_rows_per_s_median": round(statistics.median(per_sample)),
            "sample_rows_per_s_min": round(min(per_sample)),
            "sample_rows_per_s_max": round(max(per_sample)),
        }


def raw_copy(conn: psycopg.Connection[Any], columns: BucketColumns) -> float:
    """The BASELINE: the rows as one binary COPY into sli_bucket's twin, committed."""
    begun = time.perf_counter()
    with conn.cursor() as cur, cur.copy(_RAW_COPY) as copy:
        copy.write(binary_copy(columns))
    conn.commit()
    return time.perf_counter() - begun


def store(database: Database, columns: BucketColumns, source_id: int | None) -> float:
    begun = time.perf_counter()
    with database.unit_of_work() as session:
        telemetry_service.store_buckets(
            session, columns, source_id=source_id, received_at=datetime.now(UTC)
        )
    return time.perf_counter() - begun


def measure_bulk(
    database: Database,
    conninfo: str,
    batches: Batches,
    shapes: list[Shape],
    source_id: int,
    args: argparse.Namespace,
) -> dict[str, dict[str, Series]]:
    """Per shape: raw COPY (baseline) and store_buckets of the very same batches (the baseline
    into its own table), in a fresh random order for every batch."""
    order = random.Random(args.seed)
    series: dict[str, dict[str, Series]] = {
        s.name: {"raw_copy": Series(), "store_buckets": Series()} for s in shapes
    }
    with psycopg.connect(conninfo) as conn:
        for number in range(args.rounds):
            for shape in order.sample(shapes, len(shapes)):
                count = 1 if shape.name == "bulk" else args.db_batches
                for _ in range(count):
                    columns = batches.next(shape)
                    steps: list[tuple[str, Callable[[], float]]] = [
                        ("raw_copy", lambda c=columns: raw_copy(conn, c)),
                        ("store_buckets", lambda c=columns: store(database, c, source_id)),
                    ]
                    for name, step in order.sample(steps, 2):
                        series[shape.name][name].add(len(columns), step())
            print(f"  bulk round {number + 1}/{args.rounds}", file=sys.stderr)
    return series


# -------------------------------------------------------------------------------------- HTTP


@contextlib.contextmanager
def serve(database_url: str, workers: int, log_path: Path) -> Iterator[str]:
    """``accord serve --workers N`` in a subprocess on a free loopback port, the rate limit
    raised so it never throttles the benchmark; yields the base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "ACCORD_DATABASE_URL": database_url,
        "ACCORD_LOG_LEVEL": "WARNING",
        "ACCORD_INGEST__RATE_LIMIT": RATE_LIMIT,
    }
    command = [sys.executable, "-m", "accord", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w+b") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(base_url, server, log)
            yield base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


class Pushers:
    """``clients`` threads, each with its own kept-alive connection."""

    def __init__(self, base_url: str, token: str, clients: int) -> None:
        self.local = threading.local()
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.pool = ThreadPoolExecutor(clients)
        self.clients: list[httpx2.Client] = []
        self.lock = threading.Lock()

    def _client(self) -> httpx2.Client:
        client = getattr(self.local, "client", None)
        if client is None:
            client = httpx2.Client(base_url=self.base_url, timeout=300, headers=self.headers)
            self.local.client = client
            with self.lock:
                self.clients.append(client)
        return client

    def _push(self, body: bytes) -> tuple[int, dict[str, Any] | str]:
        response = self._client().post(PUSH, content=body)
        if response.status_code != 200:
            return response.status_code, response.text[:500]
        return 200, response.json()

    def push_all(self, bodies: list[bytes]) -> tuple[float, list[tuple[int, Any]]]:
        begun = time.perf_counter()
        answers = list(self.pool.map(self._push, bodies))
        return time.perf_counter() - begun, answers

    def close(self) -> None:
        self.pool.shutdown()
        for client in self.clients:
            client.close()


def measure_http(
    url: str,
    conninfo: str,
    batches: Batches,
    shapes: list[Shape],
    token: str,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Per worker count: rounds of ``--http-batches`` concurrent pushes of each shape, each
    followed by a raw COPY of as many batches of the same shape (the baseline)."""
    order = random.Random(args.seed + 1)
    results: dict[str, Any] = {}
    for workers in args.workers:
        log = args.results_dir / f"telemetry_ingest-server-{workers}w.log"
        series = {s.name: {"http": Series(), "raw_copy": Series()} for s in shapes}
        failures: list[Any] = []
        with serve(url, workers, log) as base_url, psycopg.connect(conninfo) as conn:
            pushers = Pushers(base_url, token, args.clients)
            try:
                # Warm-up (not measured): every thread's connection, every worker's caches.
                warm = [json_body(batches.next(shapes[0])) for _ in range(args.clients * 2)]
                pushers.push_all(warm)
                for number in range(args.rounds):
                    for shape in order.sample(shapes, len(shapes)):
                        sent = [batches.next(shape) for _ in range(args.http_batches)]
                        bodies = [json_body(c) for c in sent]
                        seconds, answers = pushers.push_all(bodies)
                        bad = [
                            a
                            for a in answers
                            if a[0] != 200 or a[1]["buckets"] != shape.rows or a[1]["quarantined"]
                        ]
                        failures.extend(bad[:3])
                        series[shape.name]["http"].add(shape.rows * len(bodies), seconds)
                        for _ in range(args.http_batches):
                            series[shape.name]["raw_copy"].add(
                                shape.rows, raw_copy(conn, batches.next(shape))
                            )
                    print(
                        f"  http --workers {workers} round {number + 1}/{args.rounds}",
                        file=sys.stderr,
                    )
            finally:
                pushers.close()
        results[f"workers_{workers}"] = {"series": series, "failures": failures}
    return results


# ------------------------------------------------------------------------------------ SQLite


def measure_sqlite(args: argparse.Namespace) -> dict[str, Series]:
    """store_buckets against a bare executemany INSERT of the same rows (6 columns, instants in
    SQLAlchemy's text form, converted from the columns inside the timing) into the same table,
    one transaction each, on a fresh migrated SQLite file."""
    series = {"executemany": Series(), "store_buckets": Series()}
    with tempfile.TemporaryDirectory(prefix="accord_bench_") as tmp:
        url = f"sqlite:///{Path(tmp) / 'ingest.db'}"
        engine = create_database_engine(url, DatabaseSettings())
        database = Database(engine, DatabaseSettings())
        try:
            migrate.upgrade(engine)
            ids = create_objectives(database, args.sqlite_objectives)
            batches = Batches(ids, args.seed + 2)
            shape = Shape("sqlite", len(ids), rules.BUCKETS_PER_HOUR)
            order = random.Random(args.seed + 2)
            for _ in range(args.rounds * 2):
                steps: list[tuple[str, Callable[[BucketColumns], float]]] = [
                    ("executemany", lambda c: bare_executemany(database, c)),
                    ("store_buckets", lambda c: store(database, c, None)),
                ]
                for name, step in order.sample(steps, 2):
                    columns = batches.next(shape)
                    series[name].add(len(columns), step(columns))
        finally:
            database.dispose()
    return series


def bare_executemany(database: Database, columns: BucketColumns) -> float:
    begun = time.perf_counter()
    with database.unit_of_work() as session:
        dbapi = session.connection().connection.dbapi_connection
        stamps = np.datetime_as_string(columns.start_epoch.astype("datetime64[s]"), unit="s")
        instants = [f"{t[:10]} {t[11:]}.000000" for t in stamps.tolist()]
        received = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        cur = dbapi.cursor()
        cur.executemany(
            "INSERT INTO sli_bucket (objective_id, bucket_start, good, total, source_id, "
            "received_at) VALUES (?, ?, ?, ?, NULL, ?)",
            zip(
                columns.objective_id.tolist(),
                instants,
                columns.good.tolist(),
                columns.total.tolist(),
                [received] * len(columns),
                strict=True,
            ),
        )
        cur.close()
    return time.perf_counter() - begun


# --------------------------------------------------------------------------------- profiling


class _Timers:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.active = False

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*a: Any, **k: Any) -> Any:
            begun = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                self.seconds[name] += time.perf_counter() - begun

        return timed


class _TimedCursor:
    """A DBAPI cursor timing each statement of the storage path by what it does."""

    LABELS = (
        ("CREATE TEMP", "store: staging table"),
        ("TRUNCATE", "store: staging table"),
        ("INSERT INTO sli_bucket", "store: merge into sli_bucket"),
        ("INSERT INTO sli_hourly", "store: hourly rollups"),
        ("INSERT INTO sli_daily", "store: daily rollups"),
    )

    def __init__(self, cursor: Any, timers: _Timers) -> None:
        self._cursor, self._timers = cursor, timers

    def __enter__(self) -> _TimedCursor:
        self._cursor.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._cursor.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def execute(self, sql: Any, *params: Any, **kw: Any) -> Any:
        # "in", not "startswith": the hourly statement opens with a WITH clause.
        label = next((n for p, n in self.LABELS if p in str(sql)), "store: other SQL")
        return self._timers.wrap(label, self._cursor.execute)(sql, *params, **kw)

    @contextlib.contextmanager
    def copy(self, sql: Any) -> Iterator[Any]:
        begun = time.perf_counter()
        with self._cursor.copy(sql) as copy:
            yield copy
        self._timers.seconds["store: COPY into staging (encode + send)"] += (
            time.perf_counter() - begun
        )


class _TimedConnection:
    def __init__(self, conn: Any, timers: _Timers) -> None:
        self._conn, self._timers = conn, timers

    def cursor(self) -> _TimedCursor:
        return _TimedCursor(self._conn.cursor(), self._timers)


@contextlib.contextmanager
def _instrumented(timers: _Timers) -> Iterator[None]:
    """Time the push's sections by wrapping the functions it calls (restored afterwards)."""
    from accord.http import metrics
    from accord.identity import service as identity_service
    from accord.telemetry import repository
    from accord.telemetry.ingestion import rules as ingest_rules
    from accord.telemetry.ingestion import service as ingestion_service

    patches = [
        (identity_service, "authenticate", "auth: token lookup"),
        (ingestion_service, "_sending_source", "source of the token"),
        (ingest_rules, "decode_body", "JSON decode (decode_body)"),
        (ingest_rules, "references", "references of the rows"),
        (ingestion_service, "_destinations", "destination lookups (3 queries)"),
        (ingest_rules, "screen", "screening (rules.screen)"),
        (ingestion_service.sources_service, "secondary_for", "secondary mappings query"),
        (telemetry_service, "_validated", "store: validate columns"),
        (telemetry_service, "_objective_units", "store: parent check (live_units)"),
        (telemetry_service.rules, "canonical_columns", "store: canonical columns"),
        (repository.BucketRepository, "lock_objectives", "store: advisory locks"),
        (repository.BucketRepository, "record_write", "store: journal (sli_write)"),
        (ingestion_service, "_hold", "quarantine insert (none held)"),
        (metrics, "record_ingest", "metrics"),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    for owner, name, label in patches:
        setattr(owner, name, timers.wrap(label, getattr(owner, name)))
    original_dbapi = repository.BucketRepository._dbapi
    repository.BucketRepository._dbapi = lambda self: _TimedConnection(  # type: ignore[method-assign]
        original_dbapi(self), timers
    )
    began: dict[int, float] = {}

    def before_commit(session: Session) -> None:
        began[id(session)] = time.perf_counter()

    def after_commit(session: Session) -> None:
        if id(session) in began:
            timers.seconds["commit"] += time.perf_counter() - began.pop(id(session))

    event.listen(Session, "before_commit", before_commit)
    event.listen(Session, "after_commit", after_commit)
    try:
        yield
    finally:
        event.remove(Session, "before_commit", before_commit)
        event.remove(Session, "after_commit", after_commit)
        repository.BucketRepository._dbapi = original_dbapi  # type: ignore[method-assign]
        for owner, name, fn in saved:
            setattr(owner, name, fn)


def profile_pushes(
    url: str,
    database: Database,
    batches: Batches,
    shapes: list[Shape],
    token: str,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Per shape: sections of ``--profile-pushes`` in-process pushes (the median of each), then
    one more push (the use case, in this thread) under cProfile (top functions by cumulative and
    by own time)."""
    from fastapi.testclient import TestClient

    from accord.app import create_app

    settings = Settings(database_url=url, ingest=IngestSettings(rate_limit=RATE_LIMIT))  # type: ignore[arg-type]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    out: dict[str, Any] = {}
    with TestClient(create_app(settings)) as client:
        client.post(PUSH, content=json_body(batches.next(shapes[0])), headers=headers)
        for shape in shapes:
            samples: dict[str, list[float]] = defaultdict(list)
            for _ in range(args.profile_pushes):
                body = json_body(batches.next(shape))
                timers = _Timers()
                with _instrumented(timers):
                    begun = time.perf_counter()
                    response = client.post(PUSH, content=body, headers=headers)
                    total = time.perf_counter() - begun
                assert response.status_code == 200, response.text[:500]
                known = sum(timers.seconds.values())
                for name, seconds in timers.seconds.items():
                    samples[name].append(seconds)
                samples["the rest (HTTP, FastAPI, response, store's own Python)"].append(
                    total - known
                )
                samples["TOTAL (one push, in-process)"].append(total)
            sections = {n: round(statistics.median(v) * 1000, 2) for n, v in samples.items()}
            profiler = _profile_push(database, json_body(batches.next(shape)), token)
            out[shape.name] = {
                "rows": shape.rows,
                "sections_ms_median": sections,
                "cprofile_cumulative": _top(profiler, "cumulative", args.profile_top),
                "cprofile_tottime": _top(profiler, "tottime", args.profile_top),
            }
    return out


def _profile_push(database: Database, body: bytes, token: str) -> cProfile.Profile:
    """One push under cProfile, called in this thread (a TestClient runs the endpoint in a
    worker thread the profiler would not see): authentication, the push use case, the commit."""
    from accord.identity import service as identity_service
    from accord.telemetry.ingestion import service as ingestion_service

    policy = ingestion_service.policy_of(IngestSettings())
    profiler = cProfile.Profile()
    profiler.enable()
    with database.unit_of_work() as session:
        now = datetime.now(UTC)
        actor = identity_service.authenticate(session, token=token, now=now)
        ingestion_service.push(
            session,
            actor=actor,
            body=body,
            content_type="application/json",
            content_encoding=None,
            idempotency_key=None,
            policy=policy,
            max_decompressed_bytes=IngestSettings().max_decompressed_bytes,
            now=now,
        )
    profiler.disable()
    return profiler


def _top(profiler: cProfile.Profile, key: str, count: int) -> str:
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats(key).print_stats(count)
    return stream.getvalue()


# ==================================================================================== main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objectives", type=int, default=5_000, help="default: 5000")
    parser.add_argument(
        "--batch-rows", type=int, default=5_000, help="objectives of a fleet batch (5000)"
    )
    parser.add_argument(
        "--bulk-buckets", type=int, default=60, help="buckets per objective of a bulk batch (60)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds (default: 3)")
    parser.add_argument(
        "--db-batches", type=int, default=10, help="fleet/backfill batches per round (10)"
    )
    parser.add_argument(
        "--http-batches", type=int, default=24, help="pushes per shape and round (24)"
    )
    parser.add_argument("--clients", type=int, default=4, help="pushing threads (default: 4)")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="accord serve --workers (1 2)"
    )
    parser.add_argument("--sqlite-objectives", type=int, default=2_000, help="default: 2000")
    parser.add_argument("--profile-pushes", type=int, default=5, help="per shape (default: 5)")
    parser.add_argument("--profile-top", type=int, default=30, help="cProfile lines (30)")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="an admin URL")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if args.objectives < BACKFILL_OBJECTIVES or args.batch_rows > args.objectives:
        parser.error(f"need >= {BACKFILL_OBJECTIVES} objectives and --batch-rows <= objectives")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    admin_url = make_url(args.postgres_url)
    url = admin_url.set(database=args.database).render_as_string(hide_password=False)
    conninfo = admin_url.set(drivername="postgresql", database=args.database).render_as_string(
        hide_password=False
    )
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{args.database}"'))
    engine = create_database_engine(url, DatabaseSettings())
    database = Database(engine, DatabaseSettings())
    try:
        return run(args, url, conninfo, database)
    finally:
        database.dispose()
        if args.keep:
            print(f"kept database {args.database} ({url})")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
        admin.dispose()


def run(args: argparse.Namespace, url: str, conninfo: str, database: Database) -> int:
    report: dict[str, Any] = {
        "benchmark": "telemetry_ingest",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "goals": GOALS,
    }
    migrate.upgrade(database.bind)
    ids = create_objectives(database, args.objectives)
    create_baseline_table(conninfo)
    source_id, token = create_source(database)
    batches = Batches(ids, args.seed)
    shapes = [
        Shape("bulk", len(ids), args.bulk_buckets),
        Shape("fleet", args.batch_rows, 1),
        Shape("backfill", BACKFILL_OBJECTIVES, BACKFILL_BUCKETS),
    ]
    print(
        f"{len(ids):,} objectives; shapes: "
        + ", ".join(f"{s.name} {s.objectives:,} x {s.buckets} = {s.rows:,} rows" for s in shapes)
    )
    bulk = measure_bulk(database, conninfo, batches, shapes, source_id, args)
    report["bulk"] = {
        name: {
            **{case: s.report() for case, s in cases.items()},
            "store_per_copy": round(cases["store_buckets"].rate / cases["raw_copy"].rate, 3),
        }
        for name, cases in bulk.items()
    }
    print_bulk(report["bulk"])
    push_shapes = shapes[1:]
    if not args.no_profile:
        report["profile"] = profile_pushes(url, database, batches, push_shapes, token, args)
        print_profile(report["profile"])
    if not args.no_http:
        http = measure_http(url, conninfo, batches, push_shapes, token, args)
        report["http"] = {
            workers: {
                "failures": result["failures"],
                **{
                    name: {
                        **{case: s.report() for case, s in cases.items()},
                        "http_per_copy": round(cases["http"].rate / cases["raw_copy"].rate, 3),
                    }
                    for name, cases in result["series"].items()
                },
            }
            for workers, result in http.items()
        }
        print_http(report["http"], args)
    if not args.no_sqlite:
        sqlite = measure_sqlite(args)
        report["sqlite"] = {
            **{case: s.report() for case, s in sqlite.items()},
            "store_per_executemany": round(
                sqlite["store_buckets"].rate / sqlite["executemany"].rate, 3
            ),
        }
        print_sqlite(report["sqlite"])
    with psycopg.connect(conninfo, autocommit=True) as conn:
        report["stored"] = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for t in ("sli_bucket", "sli_hourly", "sli_daily", "sli_write", BASELINE_TABLE)
        }
    report["backfill_estimate"] = estimate(report)
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print_estimate(report)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.results_dir / f"telemetry_ingest-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    print(f"\nresults: {path}")
    failed = any(w["failures"] for w in report.get("http", {}).values())
    return 1 if failed else 0


def estimate(report: dict[str, Any]) -> dict[str, float]:
    """Minutes for 86.4 M buckets (10,000 objectives x 30 days) at the measured rates."""
    rates = {
        f"store_buckets {name}": cases["store_buckets"]["rows_per_s"]
        for name, cases in report["bulk"].items()
    }
    rates["raw COPY bulk"] = report["bulk"]["bulk"]["raw_copy"]["rows_per_s"]
    for workers, shapes in report.get("http", {}).items():
        for name in ("fleet", "backfill"):
            rates[f"HTTP {workers} {name}"] = shapes[name]["http"]["rows_per_s"]
    return {name: round(FULL_BACKFILL_ROWS / rate / 60, 1) for name, rate in rates.items()}


def print_bulk(bulk: dict[str, Any]) -> None:
    print("\nBULK PATH (PostgreSQL), per shape; baseline = raw binary COPY of the same batches")
    print(f"{'shape':<10} {'raw COPY rows/s':>16} {'store_buckets rows/s':>21} {'ratio':>7}")
    for name, cases in bulk.items():
        print(
            f"{name:<10} {cases['raw_copy']['rows_per_s']:>16,} "
            f"{cases['store_buckets']['rows_per_s']:>21,} {cases['store_per_copy']:>7}"
        )
    print(f"goal: store_buckets / raw COPY >= {GOALS['bulk_per_copy']}")


def print_http(http: dict[str, Any], args: argparse.Namespace) -> None:
    print(
        f"\nHTTP API ({args.clients} client threads, pre-encoded JSON), "
        "baseline = raw COPY of as many batches of the shape, after each round"
    )
    print(f"{'server':<11} {'shape':<9} {'HTTP rows/s':>12} {'raw COPY rows/s':>16} {'ratio':>7}")
    for workers, shapes in http.items():
        for name in ("fleet", "backfill"):
            cases = shapes[name]
            print(
                f"{workers:<11} {name:<9} {cases['http']['rows_per_s']:>12,} "
                f"{cases['raw_copy']['rows_per_s']:>16,} {cases['http_per_copy']:>7}"
            )
        if shapes["failures"]:
            print(f"  FAILED pushes ({workers}): {shapes['failures']}")
    print(f"goal: >= {GOALS['http_rows_per_s']:,} rows/s")


def print_sqlite(sqlite: dict[str, Any]) -> None:
    print(
        f"\nSQLITE: executemany {sqlite['executemany']['rows_per_s']:,} rows/s, store_buckets "
        f"{sqlite['store_buckets']['rows_per_s']:,} rows/s -> ratio "
        f"{sqlite['store_per_executemany']} (goal >= {GOALS['sqlite_per_executemany']})"
    )


def print_profile(profile: dict[str, Any]) -> None:
    for name, shape in profile.items():
        sections = shape["sections_ms_median"]
        total = sections["TOTAL (one push, in-process)"]
        print(f"\nPROFILE of one {name} push ({shape['rows']:,} rows), median ms, in-process")
        for section, ms in sorted(sections.items(), key=lambda kv: -kv[1]):
            print(f"  {section:<58} {ms:>9.1f}  {ms / total:>6.1%}")


def print_estimate(report: dict[str, Any]) -> None:
    print(
        f"\n30-DAY BACKFILL of 10,000 objectives ({FULL_BACKFILL_ROWS:,} buckets) at the "
        "measured rates:"
    )
    for name, minutes in report["backfill_estimate"].items():
        print(f"  {name:<28} {minutes:>8.1f} min")
    print(
        f"load average before {report['load_average_before']}, after "
        f"{report['load_average_after']} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    sys.exit(main())
