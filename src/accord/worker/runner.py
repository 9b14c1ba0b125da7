"""The worker loop: each job runs on its own interval, one at a time, in its own units of work.

A job that fails is logged and tried again at its next turn; the others carry on. SIGTERM and
SIGINT end the loop after the job in progress (a pass is one transaction, so stopping midway
would only roll it back, but finishing it is cheaper than redoing it).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import FrameType

from accord.kit.time import utc_now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    every_seconds: float
    run: Callable[[datetime], str]
    """Does one turn at the given instant; returns a one-line summary for the log."""


class Worker:
    def __init__(self, jobs: Sequence[ScheduledJob]) -> None:
        if not jobs:
            raise ValueError("a worker needs at least one job")
        self.jobs = list(jobs)
        self.stopping = threading.Event()
        self.turns: dict[str, int] = {job.name: 0 for job in jobs}
        self.failures: dict[str, int] = {job.name: 0 for job in jobs}

    def run(self, *, turns: int | None = None) -> None:
        """Run until stopped (or until every job has had ``turns`` turns)."""
        due = {job.name: time.monotonic() for job in self.jobs}
        while not self.stopping.is_set():
            if turns is not None and all(n >= turns for n in self.turns.values()):
                return
            job = min(self.jobs, key=lambda j: due[j.name])
            wait = due[job.name] - time.monotonic()
            if wait > 0 and self.stopping.wait(wait):
                return
            due[job.name] = time.monotonic() + job.every_seconds
            self._turn(job)

    def _turn(self, job: ScheduledJob) -> None:
        self.turns[job.name] += 1
        begun = time.perf_counter()
        try:
            summary = job.run(utc_now())
        except Exception:
            self.failures[job.name] += 1
            log.exception("job %s failed; it runs again in %.0f s", job.name, job.every_seconds)
            return
        log.info("%s: %s (%.2f s)", job.name, summary, time.perf_counter() - begun)

    def stop_on_signals(self) -> None:
        """SIGTERM and SIGINT stop the loop after the job in progress."""

        def stop(signum: int, frame: FrameType | None) -> None:
            log.info("signal %s: stopping after the current job", signum)
            self.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
