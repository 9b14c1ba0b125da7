"""Concurrent appenders never fork the chain: several processes, each with several threads, each
thread committing its own units of work on the same database (SQLite and PostgreSQL).

Every process also runs the after-commit checkpoint hook into one shared directory, so concurrent
checkpoint writers are exercised too.
"""

from __future__ import annotations

import itertools
import multiprocessing
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from accord.audit import service as audit_service
from accord.audit.models import AuditCheckpoint, AuditEvent
from accord.identity.rules import system_actor
from accord.kit.time import utc_now
from tests.audit.helpers import Keys, make_keys, open_database, verify

if TYPE_CHECKING:  # spawned children import this module: keep their start-up light
    from tests.conftest import FreshDatabases

pytestmark = pytest.mark.slow

PROCESSES = 4
THREADS = 4
UNITS_PER_THREAD = 20
DOUBLE_EVERY = 5
"""Every 5th unit of work appends two events (they must stay adjacent)."""
CHECKPOINT_EVERY = 10


def units_events(unit: int) -> int:
    return 2 if unit % DOUBLE_EVERY == 0 else 1


EVENTS_PER_THREAD = sum(units_events(u) for u in range(UNITS_PER_THREAD))
TOTAL = PROCESSES * THREADS * EVENTS_PER_THREAD


def append_from_process(
    url: str, process: int, keys: Keys, checkpoints: Path, start: Any, timeout: float
) -> None:
    """Runs in a spawned process: its own engine, THREADS threads appending."""
    database = open_database(url)
    audit_service.install_checkpoints(
        database, keys.settings(checkpoints, every_events=CHECKPOINT_EVERY), clock=utc_now
    )
    errors: list[BaseException] = []
    go = threading.Barrier(THREADS)

    def run(thread: int) -> None:
        actor = system_actor(f"p{process}-t{thread}")
        try:
            go.wait(timeout)
            for unit in range(UNITS_PER_THREAD):
                with database.unit_of_work() as session:
                    for part in range(units_events(unit)):
                        audit_service.record_event(
                            session,
                            actor=actor,
                            action="probe.appended",
                            entity_type="probe",
                            entity_key=f"{process}-{thread}-{unit}-{part}",
                            business_unit_id=None,
                            now=utc_now(),
                            after={"process": process, "thread": thread, "unit": unit},
                        )
        except BaseException as exc:
            errors.append(exc)
            raise

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
    start.wait(timeout)  # every process is up: start appending together
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    database.dispose()
    if errors:
        raise SystemExit(f"process {process}: {errors!r}")


def test_concurrent_appenders_keep_one_linear_chain(
    backend: str, fresh_databases: FreshDatabases, tmp_path: Path
) -> None:
    url = fresh_databases.url(backend)
    keys = make_keys(tmp_path / "keys")
    checkpoints = tmp_path / "checkpoints"
    context = multiprocessing.get_context("spawn")
    timeout = 120.0
    start = context.Barrier(PROCESSES)
    processes = [
        context.Process(
            target=append_from_process, args=(url, p, keys, checkpoints, start, timeout)
        )
        for p in range(PROCESSES)
    ]
    began = time.monotonic()
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout)
    elapsed = time.monotonic() - began
    for process in processes:
        if process.is_alive():
            process.kill()
    assert [p.exitcode for p in processes] == [0] * PROCESSES, "a process failed (see stderr)"

    database = open_database(url)
    try:
        with database.unit_of_work(write=False) as session:
            rows = session.execute(
                select(AuditEvent.seq, AuditEvent.entity_key, AuditEvent.prev_hash).order_by(
                    AuditEvent.seq
                )
            ).all()
            distinct_prev = session.scalar(select(func.count(func.distinct(AuditEvent.prev_hash))))
            checkpoint_seqs = list(
                session.scalars(select(AuditCheckpoint.event_seq).order_by(AuditCheckpoint.number))
            )
    finally:
        database.dispose()

    assert len(rows) == TOTAL
    assert [r.seq for r in rows] == list(range(1, TOTAL + 1))
    assert distinct_prev == TOTAL, "two events share a predecessor: the chain forked"
    keys_seen = [r.entity_key for r in rows]
    assert len(set(keys_seen)) == TOTAL
    # Each thread's units appear in its own order; the two events of a unit are adjacent.
    seq_of = {r.entity_key: r.seq for r in rows}
    by_thread: dict[str, list[int]] = defaultdict(list)
    for p in range(PROCESSES):
        for t in range(THREADS):
            for u in range(UNITS_PER_THREAD):
                by_thread[f"{p}-{t}"].append(seq_of[f"{p}-{t}-{u}-0"])
                if units_events(u) == 2:
                    assert seq_of[f"{p}-{t}-{u}-1"] == seq_of[f"{p}-{t}-{u}-0"] + 1
    for seqs in by_thread.values():
        assert seqs == sorted(seqs)
    # The threads really interleaved (otherwise this test proves nothing about concurrency).
    owners = [r.entity_key.rsplit("-", 2)[0] for r in rows]
    switches = sum(1 for a, b in itertools.pairwise(owners) if a != b)
    assert switches > PROCESSES * THREADS

    result = verify(url, keys, checkpoints)
    assert result.ok, result
    assert result.events == TOTAL
    # Checkpoints were written by whichever process committed, one linear sequence of them.
    assert len(checkpoint_seqs) == result.checkpoints_verified >= TOTAL // (CHECKPOINT_EVERY * 2)
    assert checkpoint_seqs == sorted(set(checkpoint_seqs))
    assert len(list(checkpoints.glob("checkpoint-*.json"))) == len(checkpoint_seqs)
    assert elapsed < timeout
