"""Pushes survive crashes: ``accord serve`` killed with SIGKILL under load, and PostgreSQL
stopped and started again under load.

DESIGN.md: "a 2xx means committed", and re-sending a batch never double-counts. Both are
checked against a real server process, on both databases: every row of every acknowledged
batch is stored with its value; re-sending every batch (acknowledged or not) twice leaves
exactly one copy of each; the hourly and daily rollups and `window_counts` equal the naive sums
of the buckets. While the database is down a push answers 503 with ``Retry-After`` (retry),
never a 2xx and never a 500, and pushes are accepted again once it is back.

The long run of the same harness (hundreds of kills) is ``bench/crash_ingest.py``.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, FreshDatabases, missing_service
from tests.telemetry.crash_harness import (
    CrashRun,
    Dealer,
    Figures,
    Ledger,
    PrivateCluster,
    Senders,
    Server,
    check_acknowledged,
    check_model,
    resend_everything,
    set_up,
    wait_for,
)

pytestmark = pytest.mark.slow

KILLS = int(os.environ.get("ACCORD_CRASH_KILLS", "5"))
"""SIGKILLs per database; the long run (bench/crash_ingest.py) makes hundreds."""

PG_BIN = Path(os.environ.get("ACCORD_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


def assert_clean(figures: Figures, log_tail: str = "") -> None:
    assert figures.failures == [], "\n".join(figures.failures)
    assert figures.acknowledged_rows_missing == 0, figures
    assert figures.rows_double_counted == 0, figures
    assert figures.rows_wrong == 0, figures
    assert figures.replays_differing == 0, figures
    assert figures.rollup_mismatches == 0, figures
    assert figures.window_mismatches == 0, figures
    assert not figures.statuses.get(500), log_tail


@pytest.mark.parametrize("backend", BACKENDS)
def test_acknowledged_pushes_survive_sigkill(
    backend: str, fresh_databases: FreshDatabases, tmp_path: Path
) -> None:
    figures = CrashRun(
        fresh_databases.url(backend), backend, tmp_path, kills=KILLS, seed=KILLS
    ).run()

    assert_clean(figures)
    assert figures.kills == KILLS, "the key pool ran dry before the last kill"
    # The run proved something only if batches were acknowledged, lost mid-flight and resent.
    assert figures.acknowledged_batches > KILLS
    assert figures.acknowledged_rows > 0
    assert set(figures.resend_answers) <= {200, 409, 503, None}


# ------------------------------------------------------------------- PostgreSQL goes away


@pytest.fixture
def private_cluster() -> Iterator[PrivateCluster]:
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        missing_service(f"PostgreSQL server binaries (initdb, pg_ctl) in {PG_BIN}")
    # Not pytest's tmp_path: when we are root the cluster runs as ``postgres``, which cannot
    # enter root's private pytest directory.
    directory = Path(tempfile.mkdtemp(prefix="accord-crash-pg-"))
    cluster = PrivateCluster(PG_BIN, directory)
    try:
        with cluster.running_cluster():
            yield cluster
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.postgres
def test_pushes_answer_503_while_postgresql_is_down_and_resume(
    private_cluster: PrivateCluster, tmp_path: Path
) -> None:
    url = private_cluster.url
    subprocess.run(
        [sys.executable, "-m", "accord", "db", "upgrade"],
        env={**os.environ, "ACCORD_DATABASE_URL": url},
        check=True,
        capture_output=True,
        timeout=180,
    )
    world = set_up(url, objectives=5)
    rng = random.Random(7)
    dealer = Dealer(world, days=7, rows=(50, 200), rng=rng)
    ledger = Ledger()
    figures = Figures("postgresql")
    server = Server(url, tmp_path / "server.log")
    server.start()
    try:
        with Senders(server, world, dealer, ledger, count=4, abandon=0.0, seed=11) as senders:
            wait_for(lambda: ledger.acked() >= 5, timeout=60, what="pushes before the outage")

            private_cluster.stop("immediate")
            down = time.monotonic()  # the cluster is gone: every push sent from now is refused
            wait_for(
                lambda: sum(a.sent > down for a in ledger.answers) >= 12,
                timeout=60,
                what="pushes answered during the outage",
            )
            up_begins = time.monotonic()
            private_cluster.start()
            up = time.monotonic()
            wait_for(
                lambda: any(a.sent > up and a.status == 200 for a in ledger.answers),
                timeout=30,
                what="a 2xx after PostgreSQL came back",
            )
            before = ledger.acked()
            wait_for(lambda: ledger.acked() >= before + 5, timeout=60, what="pushes after it")
        assert senders.failures == [], senders.failures

        during = [a for a in ledger.answers if a.sent > down and a.answered < up_begins]
        assert len(during) >= 12
        assert {a.status for a in during} == {503}, server.log_tail()
        assert all(a.retry_after and a.retry_after.isdigit() for a in during)
        assert all((a.content_type or "").startswith("application/problem+json") for a in during)
        assert b"Traceback" not in b"".join(a.body for a in during)
        assert not ledger.statuses().get(500), server.log_tail()

        check_acknowledged(url, dealer, ledger, figures)
        resend_everything(server, world, dealer, ledger, figures, rng=rng)
        check_model(url, dealer, figures)
    finally:
        server.stop()
    assert_clean(figures, server.log_tail())
    assert figures.acknowledged_rows > 0
