"""Crash harness of the push API: a real ``accord serve`` process killed with SIGKILL (or its
PostgreSQL cluster stopped) while several senders push, then a check that nothing acknowledged
was lost and that re-sending everything double-counts nothing.

Shared by ``tests/telemetry/test_crash.py`` (a few kills, in CI) and ``bench/crash_ingest.py``
(the long run, hundreds of kills). Nothing here is mocked: the server is the product's CLI in
its own process, the senders speak HTTP to it, and the checks read the database directly.

The expected model is exact because every batch writes its own (objective, bucket) keys: keys
are dealt out of one shuffled pool, so no bucket is written by two batches, and the value of
every stored bucket must be the one value any batch ever sent for it. A bucket stored twice by
a non-idempotent path would show as a value that differs (doubled), never as a coincidence.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import httpx2
import numpy as np
import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.db.session import Database
from accord.identity.service import local_operator
from accord.kit.time import utc_now
from accord.objectives.enums import SourceKind
from accord.objectives.rules import objective_key
from accord.telemetry import rules
from accord.telemetry import service as telemetry_service
from accord.telemetry.models import SliBucket
from accord.telemetry.sources import service as sources_service
from accord.telemetry.sources.schemas import SourceCreate, SourceTokenCreate
from tests.factories.objectives import make_objective
from tests.telemetry.conftest import naive_sums, stored_rollups

PUSH = "/api/v1/telemetry"
UNIT = "crash"
SOURCE = "crash-pusher"

Row = tuple[int, int, int, int]
"""objective id, bucket start (epoch seconds), good, total."""
Key = tuple[int, int]
Value = tuple[float, float]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ===================================================================================== world


@dataclass(frozen=True)
class World:
    objectives: tuple[int, ...]
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def set_up(database_url: str, *, objectives: int) -> World:
    """A unit with ``objectives`` objectives (99.9 % availability, rolling 30 days) and a push
    source with an ingest token, created through the sources service by the local operator and
    committed, in the database the server will serve."""
    database = Database.from_settings(Settings(database_url=database_url))
    try:
        with database.unit_of_work() as session:
            ids = tuple(
                make_objective(session, service="crash-checkout", unit=UNIT).id
                for _ in range(objectives)
            )
            now = utc_now()
            operator = local_operator()
            sources_service.create_source(
                session,
                actor=operator,
                data=SourceCreate(name=SOURCE, kind=SourceKind.PUSH, business_unit=UNIT),
                now=now,
            )
            token = sources_service.issue_token(
                session,
                actor=operator,
                name=SOURCE,
                data=SourceTokenCreate(name="crash"),
                settings=Settings().tokens,
                now=now,
            ).token
    finally:
        database.dispose()
    return World(objectives=ids, token=token)


# =================================================================================== batches


@dataclass(frozen=True)
class Batch:
    number: int
    key: str
    """Its Idempotency-Key, unique per batch and reused on every retry and re-send."""
    rows: tuple[Row, ...]
    body: bytes


class Dealer:
    """Hands out batches of disjoint bucket keys: a shuffled pool of (objective, bucket start)
    over the last ``days`` whole days (inside the objectives' 30-day open window, never in the
    future), dealt without replacement. Thread-safe."""

    def __init__(
        self, world: World, *, days: int, rows: tuple[int, int], rng: random.Random
    ) -> None:
        now = int(datetime.now(UTC).timestamp())
        last = now - now % rules.BUCKET_SECONDS - rules.BUCKET_SECONDS  # a bucket already over
        starts = [last - i * rules.BUCKET_SECONDS for i in range(days * rules.BUCKETS_PER_DAY)]
        self._pool = [(o, s) for o in world.objectives for s in starts]
        rng.shuffle(self._pool)
        self._rows = rows
        self._rng = rng
        self._lock = threading.Lock()
        self.batches: list[Batch] = []

    @property
    def left(self) -> int:
        return len(self._pool)

    def deal(self) -> Batch | None:
        """The next batch, or None when the pool cannot fill one more."""
        with self._lock:
            size = self._rng.randint(*self._rows)
            if size > len(self._pool):
                return None
            keys, self._pool = self._pool[:size], self._pool[size:]
            rows = []
            for objective, start in keys:
                total = self._rng.randint(1, 100_000)
                rows.append((objective, start, self._rng.randint(0, total), total))
            number = len(self.batches)
            body = orjson.dumps(
                [
                    {"objective": objective_key(o), "start": s, "good": g, "total": t}
                    for o, s, g, t in rows
                ]
            )
            batch = Batch(number, f"crash-{number}-{uuid.uuid4().hex}", tuple(rows), body)
            self.batches.append(batch)
            return batch


# ==================================================================================== server


class Server:
    """``accord serve`` in its own process on a fixed loopback port, restartable; its output
    (warnings and tracebacks) is appended to ``log_path`` across restarts."""

    def __init__(self, database_url: str, log_path: Path, **env: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {
            **os.environ,
            "ACCORD_DATABASE_URL": database_url,
            "ACCORD_LOG_LEVEL": "WARNING",
            # The senders are the load, not abuse: the per-token limit must not shape the run.
            "ACCORD_INGEST__RATE_LIMIT": "100000/second",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, *, timeout: float = 90) -> None:
        command = [sys.executable, "-m", "accord", "serve", "--host", "127.0.0.1"]
        with self.log_path.open("ab") as log:
            log.write(f"\n----- start {self.starts + 1} -----\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [*command, "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        with httpx2.Client(base_url=self.base_url, timeout=5) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited on start:\n{self.log_tail()}")
                with contextlib.suppress(httpx2.TransportError):
                    if client.get("/readyz").status_code == 200:
                        return
                time.sleep(0.1)
        raise RuntimeError(f"the server was not ready within {timeout} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, no rollback runs in the server."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self, chars: int = 6000) -> str:
        text = self.log_path.read_text(errors="replace")
        return text[-chars:]


# =================================================================================== senders


@dataclass(frozen=True)
class Answer:
    """One HTTP exchange of a sender: when it was sent and answered (monotonic clock, used
    only to order answers against an outage, never to judge speed) and what came back."""

    sent: float
    answered: float
    status: int | None
    """None: no HTTP answer (connection refused, reset or closed mid-response)."""
    retry_after: str | None = None
    """The Retry-After header; "0" for a refused connection (nothing was sent)."""
    content_type: str | None = None
    body: bytes = b""


@dataclass
class Ledger:
    """What the senders saw: the first 2xx body of every acknowledged batch and every answer."""

    acknowledged: dict[int, bytes] = field(default_factory=dict)
    answers: list[Answer] = field(default_factory=list)
    abandoned: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)

    def statuses(self) -> Counter[int | None]:
        with self.lock:
            return Counter(a.status for a in self.answers)

    def acked(self) -> int:
        with self.lock:
            return len(self.acknowledged)


RETRIED = {409, 429, 503}
"""Statuses a sender retries (the documented retryable answers)."""


def exchange(client: httpx2.Client, world: World, batch: Batch, ledger: Ledger) -> Answer:
    sent = time.monotonic()
    try:
        response = client.post(
            PUSH,
            content=batch.body,
            headers={
                **world.auth,
                "Content-Type": "application/json",
                "Idempotency-Key": batch.key,
            },
        )
    except httpx2.ConnectError:
        # Never reached a server (down or restarting): the sender knows nothing was sent.
        answer = Answer(sent, time.monotonic(), None, retry_after="0")
    except httpx2.TransportError:
        answer = Answer(sent, time.monotonic(), None)
    else:
        answer = Answer(
            sent,
            time.monotonic(),
            response.status_code,
            response.headers.get("retry-after"),
            response.headers.get("content-type"),
            response.content,
        )
    ledger.record(answer)
    return answer


def pause_for(answer: Answer) -> float:
    """How long to wait before a retry: the server's Retry-After, capped at half a second (a
    sender in a hurry; the server must cope with that), else a short back-off."""
    if answer.status is not None and answer.retry_after and answer.retry_after.isdigit():
        return min(float(answer.retry_after), 0.5)
    return 0.05


class Senders:
    """``count`` threads, each pushing fresh batches from the dealer until stopped. A batch is
    retried on a retryable status; on a lost connection the sender gives it up with probability
    ``abandon`` (its fate unknown to it: maybe committed, maybe not) and otherwise retries.
    Unexpected answers (500, 4xx other than the retryable ones) are collected as failures."""

    def __init__(
        self,
        server: Server,
        world: World,
        dealer: Dealer,
        ledger: Ledger,
        *,
        count: int,
        abandon: float,
        seed: int,
    ) -> None:
        self.server, self.world, self.dealer, self.ledger = server, world, dealer, ledger
        self.abandon = abandon
        self.stopping = threading.Event()
        self.failures: list[str] = []
        self.exhausted = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(random.Random(seed + i),), daemon=True)
            for i in range(count)
        ]

    def __enter__(self) -> Senders:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self, timeout: float = 120) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=timeout)
            if thread.is_alive():
                self.failures.append("a sender did not stop within its timeout")

    def _run(self, rng: random.Random) -> None:
        with httpx2.Client(base_url=self.server.base_url, timeout=60) as client:
            while not self.stopping.is_set():
                batch = self.dealer.deal()
                if batch is None:
                    self.exhausted.set()
                    return
                self._send(client, batch, rng)

    def _send(self, client: httpx2.Client, batch: Batch, rng: random.Random) -> None:
        while not self.stopping.is_set():
            answer = exchange(client, self.world, batch, self.ledger)
            if answer.status is not None and 200 <= answer.status < 300:
                with self.ledger.lock:
                    self.ledger.acknowledged[batch.number] = answer.body
                return
            if answer.status is None:
                # Sent, then the connection died: committed or not, the sender cannot tell.
                if answer.retry_after is None and rng.random() < self.abandon:
                    with self.ledger.lock:
                        self.ledger.abandoned += 1
                    return
                time.sleep(pause_for(answer))
                continue
            if answer.status in RETRIED:
                time.sleep(pause_for(answer))
                continue
            self.failures.append(
                f"batch {batch.number}: HTTP {answer.status}: {answer.body[:500]!r}"
            )
            return


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; a generous timeout turns a hang into a failure."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


# ==================================================================================== killer


def _acknowledges_more(ledger: Ledger, senders: Senders) -> Callable[[], bool]:
    """A condition: a batch was acknowledged after now (or there is nothing more to send)."""
    before = ledger.acked()
    return lambda: ledger.acked() > before or senders.exhausted.is_set()


def kill_loop(
    server: Server,
    ledger: Ledger,
    senders: Senders,
    *,
    kills: int,
    rng: random.Random,
    max_delay: float = 0.6,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Kill and restart the server ``kills`` times. Before each kill, wait until the restarted
    server has acknowledged at least one batch (load is flowing, so kills land among requests
    in every stage: reading, storing, committing, answering), then a random delay."""
    done = 0
    for _ in range(kills):
        if senders.exhausted.is_set():
            break
        wait_for(
            _acknowledges_more(ledger, senders),
            timeout=120,
            what="an acknowledged batch after a restart",
        )
        time.sleep(rng.uniform(0, max_delay))
        server.kill()
        done += 1
        if progress is not None:
            progress(done)
        server.start()
    return done


# ================================================================================ the checks


def stored_buckets(database_url: str) -> dict[Key, Value]:
    database = Database.from_settings(Settings(database_url=database_url))
    try:
        with database.unit_of_work(write=False) as session:
            rows = session.execute(
                select(
                    SliBucket.objective_id, SliBucket.bucket_start, SliBucket.good, SliBucket.total
                )
            )
            return {(o, rules.epoch_of(s)): (g, t) for o, s, g, t in rows}
    finally:
        database.dispose()


def expected_of(batches: list[Batch]) -> dict[Key, Value]:
    expected: dict[Key, Value] = {}
    for batch in batches:
        for o, s, g, t in batch.rows:
            assert (o, s) not in expected, "the dealer gave a key twice"
            expected[(o, s)] = (float(g), float(t))
    return expected


@dataclass
class Figures:
    backend: str
    kills: int = 0
    batches_sent: int = 0
    acknowledged_batches: int = 0
    acknowledged_rows: int = 0
    abandoned_batches: int = 0
    cut_requests: int = 0
    """Requests sent whose connection died before an answer: the kills that landed mid-request."""
    acknowledged_rows_missing: int = 0
    """Rows of acknowledged batches not stored with the value sent."""
    resend_answers: Counter[int | None] = field(default_factory=Counter)
    replays_differing: int = 0
    """Acknowledged batches whose re-send did not replay the first 2xx body byte for byte."""
    rows_double_counted: int = 0
    """Stored buckets above the value sent (added to instead of replaced) after the re-send."""
    rows_wrong: int = 0
    """Stored buckets missing, unexpected or otherwise different after the re-send."""
    rollup_mismatches: int = 0
    window_mismatches: int = 0
    statuses: Counter[int | None] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def clean(self) -> bool:
        return not (
            self.acknowledged_rows_missing
            or self.rows_double_counted
            or self.rows_wrong
            or self.replays_differing
            or self.rollup_mismatches
            or self.window_mismatches
            or self.failures
            or self.statuses.get(500)
        )


def check_acknowledged(database_url: str, dealer: Dealer, ledger: Ledger, figures: Figures) -> None:
    """(a) Every row of every acknowledged batch is stored with its value."""
    stored = stored_buckets(database_url)
    figures.batches_sent = len(dealer.batches)
    figures.acknowledged_batches = len(ledger.acknowledged)
    figures.abandoned_batches = ledger.abandoned
    figures.cut_requests = sum(a.status is None and a.retry_after is None for a in ledger.answers)
    for number in ledger.acknowledged:
        for o, s, g, t in dealer.batches[number].rows:
            figures.acknowledged_rows += 1
            if stored.get((o, s)) != (float(g), float(t)):
                figures.acknowledged_rows_missing += 1


def resend_everything(
    server: Server,
    world: World,
    dealer: Dealer,
    ledger: Ledger,
    figures: Figures,
    *,
    rng: random.Random,
    threads: int = 4,
    timeout: float = 120,
) -> None:
    """(b) Re-send every batch, acknowledged or not, twice, in random order, with its key, over
    ``threads`` connections; each until it gets a 2xx (retryable answers are retried)."""
    order = [b for b in dealer.batches for _ in range(2)]
    rng.shuffle(order)
    lock = threading.Lock()
    resend = Ledger()

    def work(share: list[Batch]) -> None:
        with httpx2.Client(base_url=server.base_url, timeout=60) as client:
            for batch in share:
                deadline = time.monotonic() + timeout
                while True:
                    answer = exchange(client, world, batch, resend)
                    if answer.status is not None and 200 <= answer.status < 300:
                        break
                    if answer.status not in RETRIED | {None} or time.monotonic() > deadline:
                        with lock:
                            figures.failures.append(
                                f"re-send of batch {batch.number}: {answer.status}: "
                                f"{answer.body[:500]!r}"
                            )
                        break
                    time.sleep(pause_for(answer))
                first = ledger.acknowledged.get(batch.number)
                if first is not None and answer.body != first:
                    with lock:
                        figures.replays_differing += 1

    workers = [
        threading.Thread(target=work, args=(order[i::threads],), daemon=True)
        for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    figures.resend_answers = resend.statuses()


def check_model(database_url: str, dealer: Dealer, figures: Figures) -> None:
    """After the re-send the stored buckets are exactly every batch's values, and the hourly and
    daily rollups and `window_counts` equal the naive sums of the stored buckets."""
    expected = expected_of(dealer.batches)
    stored = stored_buckets(database_url)
    for key in expected.keys() | stored.keys():
        want, got = expected.get(key), stored.get(key)
        if want == got:
            continue
        if want is not None and got is not None and got[0] >= want[0] and got[1] > want[1]:
            figures.rows_double_counted += 1
        else:
            figures.rows_wrong += 1

    database = Database.from_settings(Settings(database_url=database_url))
    try:
        with database.unit_of_work(write=False) as session:
            for grain in (rules.HOUR_SECONDS, rules.DAY_SECONDS):
                want_rollups = naive_sums(stored, grain)
                got_rollups = stored_rollups(session, grain)
                for key in want_rollups.keys() | got_rollups.keys():
                    a, b = want_rollups.get(key), got_rollups.get(key)
                    if a is None or b is None or a[:3] != b[:3] or not np.isclose(a[3], b[3]):
                        figures.rollup_mismatches += 1
            figures.window_mismatches += _window_mismatches(session, stored)
    finally:
        database.dispose()


def _window_mismatches(session: Session, stored: dict[Key, Value]) -> int:
    """`window_counts` over the whole span and over ragged sub-windows (not on hour or day
    boundaries, so buckets, hours and days are all read) against summing the buckets (with
    numpy: the long run holds hundreds of thousands)."""
    if not stored:
        return 0
    keys = np.array(list(stored.keys()), dtype=np.int64)
    values = np.array(list(stored.values()), dtype=np.float64)
    oid, start, good, total = keys[:, 0], keys[:, 1], values[:, 0], values[:, 1]
    ratio = np.divide(good, total, out=np.zeros_like(good), where=total > 0)
    objectives = sorted(set(oid.tolist()))
    first = int(start.min())
    after = int(start.max()) + rules.BUCKET_SECONDS
    rng = random.Random(len(stored))
    windows = [(first, after)]
    for _ in range(5):
        lo = rng.randrange(first, after, rules.BUCKET_SECONDS)
        hi = rng.randrange(lo + rules.BUCKET_SECONDS, after + 1, rules.BUCKET_SECONDS)
        windows.append((lo, hi))
    mismatches = 0
    for lo, hi in windows:
        counts = telemetry_service.window_counts(
            session,
            objectives,
            rules.instant_of(lo),
            rules.instant_of(hi),
        )
        for i, objective in enumerate(counts.objective_ids.tolist()):
            inside = (oid == objective) & (start >= lo) & (start < hi)
            want = (float(good[inside].sum()), float(total[inside].sum()))
            with_data = inside & (total > 0)
            got = (float(counts.good[i]), float(counts.total[i]))
            if (
                got != want
                or int(counts.buckets[i]) != int(with_data.sum())
                or not np.isclose(counts.ratio_sum[i], ratio[with_data].sum())
            ):
                mismatches += 1
    return mismatches


# ================================================================================== one run


@dataclass
class CrashRun:
    """The kill scenario end to end on one migrated database; ``figures`` says what happened."""

    database_url: str
    backend: str
    work_dir: Path
    kills: int
    senders: int = 4
    objectives: int = 10
    days: int = 28
    """The pool of keys spans this many days (inside the 30-day open window). Only the batches
    dealt are re-sent at the end, so a deep pool costs nothing; a shallow one ran dry before
    the last kill on a fast run (7 days: 3 of 5 kills)."""
    rows: tuple[int, int] = (50, 200)
    abandon: float = 0.5
    seed: int = 0
    progress: Callable[[str], None] | None = None

    def run(self) -> Figures:
        rng = random.Random(self.seed)
        figures = Figures(self.backend)
        world = set_up(self.database_url, objectives=self.objectives)
        dealer = Dealer(world, days=self.days, rows=self.rows, rng=random.Random(self.seed + 1))
        ledger = Ledger()
        server = Server(self.database_url, self.work_dir / f"server-{self.backend}.log")
        server.start()
        try:
            with Senders(
                server,
                world,
                dealer,
                ledger,
                count=self.senders,
                abandon=self.abandon,
                seed=self.seed + 100,
            ) as senders:
                figures.kills = kill_loop(
                    server,
                    ledger,
                    senders,
                    kills=self.kills,
                    rng=rng,
                    progress=self._each_kill,
                )
                # Some load against the last restart too, then stop sending.
                wait_for(
                    _acknowledges_more(ledger, senders),
                    timeout=120,
                    what="an acknowledged batch after the last restart",
                )
            figures.failures.extend(senders.failures)
            if dealer.left == 0 or senders.exhausted.is_set():
                self._say("the key pool ran dry: raise --days or --objectives")
            self._say(f"{self.backend}: {figures.kills} kills done; checking what was acknowledged")
            check_acknowledged(self.database_url, dealer, ledger, figures)
            self._say(f"{self.backend}: re-sending {len(dealer.batches)} batches twice")
            resend_everything(server, world, dealer, ledger, figures, rng=rng)
            self._say(f"{self.backend}: comparing buckets, rollups and windows with the model")
            check_model(self.database_url, dealer, figures)
            figures.statuses = ledger.statuses()
            if figures.statuses.get(500) or figures.resend_answers.get(500):
                figures.failures.append(f"HTTP 500 answered; server log:\n{server.log_tail()}")
        finally:
            server.stop()
        return figures

    def _each_kill(self, done: int) -> None:
        if done % 10 == 0 or self.kills < 10:
            self._say(f"{self.backend}: {done}/{self.kills} kills")

    def _say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)


# ================================================================= a private PostgreSQL cluster


class PrivateCluster:
    """A PostgreSQL cluster of its own (initdb into ``directory``, trust auth, loopback on a free
    port, socket in the directory), so a test may stop it without touching the machine's shared
    one. Run as the ``postgres`` user when we are root (initdb refuses root)."""

    def __init__(self, bin_dir: Path, directory: Path) -> None:
        self.bin_dir = bin_dir
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.user: str | None = "postgres" if os.geteuid() == 0 else None
        if self.user is not None:
            os.chown(directory, *_ids_of(self.user))

    def _run(self, *args: str, log: IO[bytes] | None = None) -> None:
        subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            check=True,
            stdout=log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if log else subprocess.PIPE,
            user=self.user,
            cwd=self.directory,
            env={**os.environ, "LC_ALL": "C"},
            timeout=120,
        )

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-k {self.directory} -c listen_addresses=127.0.0.1 -p {self.port}"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.directory / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "immediate") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    @contextlib.contextmanager
    def running_cluster(self) -> Iterator[PrivateCluster]:
        self.init()
        self.start()
        try:
            yield self
        finally:
            if self.running():
                with contextlib.suppress(subprocess.SubprocessError):
                    self.stop("fast")


def _ids_of(user: str) -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid
