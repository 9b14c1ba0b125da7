"""The evaluation job: judge every objective at an instant, in its own unit of work, keeping
the counts warm between passes when it runs again and again in one process.

A cron-run `accord slo evaluate` makes one cold pass (it reads the rollups); `accord slo
evaluate --every …` (and the worker, when it arrives) runs one `EvaluationJob` whose later
passes only read what is new since the previous one (see `compliance.service.WarmCounts`).
"""

from __future__ import annotations

import gc
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from accord.compliance import service as compliance_service
from accord.compliance.schemas import EvaluationSummary
from accord.db.session import Database
from accord.identity.rules import Actor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PassReport:
    """One pass: what it found, whether the counts were rebuilt, and where the time went."""

    summary: EvaluationSummary
    rebuilt: bool
    """Telemetry was read afresh (a cold pass, or warm counts built or rebuilt)."""
    counts_seconds: float
    """Building or advancing warm counts (0 for a cold pass: it reads while judging)."""
    judge_seconds: float
    """Judging, recording status and history, and policy events (in the same transaction)."""


class EvaluationJob:
    """Evaluation passes sharing warm counts. A pass that fails leaves the counts as they were
    before it (they are replaced only once its transaction has committed)."""

    def __init__(
        self, database: Database, actor: Actor, *, history: bool = True, keep_warm: bool = True
    ) -> None:
        self.database = database
        self.actor = actor
        self.history = history
        self.keep_warm = keep_warm
        """Without it every pass is cold: the rollup reads of a single (cron) pass cost less
        than building counts no later pass would use."""
        self._warm: compliance_service.WarmCounts | None = None

    def run(self, at: datetime) -> PassReport:
        # Advancing changes the counts it is given: if the pass fails they are dropped, and
        # the next pass rebuilds them.
        previous, self._warm = self._warm, None
        # A pass allocates a few objects per objective, and every collection it triggers would
        # walk the heap it started with (objectives, warm counts, modules). Frozen, that heap
        # is skipped until the pass ends (at 2,000 objectives judging took 0.18 s walking it
        # and 0.04 s not); unfrozen afterwards, whatever garbage it holds is collected as usual.
        gc.freeze()
        try:
            return self._run(previous, at)
        finally:
            gc.unfreeze()

    def _run(self, previous: compliance_service.WarmCounts | None, at: datetime) -> PassReport:
        with self.database.unit_of_work() as session:
            begun = time.perf_counter()
            warm = compliance_service.warm_counts(session, previous, at) if self.keep_warm else None
            counted = time.perf_counter()
            summary = compliance_service.evaluate_objectives(
                session, actor=self.actor, at=at, history=self.history, warm=warm
            )
        self._warm = warm
        report = PassReport(
            summary=summary,
            rebuilt=warm is None or warm.rebuilt,
            counts_seconds=counted - begun,
            judge_seconds=time.perf_counter() - counted,
        )
        log.info(
            "evaluated %d objectives at %s (%s counts %.2f s, judging %.2f s)",
            summary.objectives,
            summary.evaluated_at.isoformat(),
            "fresh" if report.rebuilt else "warm",
            report.counts_seconds,
            report.judge_seconds,
        )
        return report
