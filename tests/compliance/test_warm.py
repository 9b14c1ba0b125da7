"""Warm counts: a long-running evaluator advances its counts by the new buckets only, and must
judge exactly as a cold pass over the rollups would, at every instant, on both databases.

The scenario mixes what moves differently when time passes: a rolling 2-day window (buckets
leave it at every pass), a rolling 30-day one, a calendar week in Berlin that rolls over during
the passes, a timeslice objective, an approved maintenance window that the passes cross, and
buckets that are missing or carry no traffic.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy.orm import Session

from accord.compliance import service as compliance_service
from accord.compliance.jobs import EvaluationJob
from accord.db.session import Database
from accord.identity.rules import system_actor
from accord.objectives import service as objectives_service
from accord.objectives.enums import BudgetingMethod, CalendarUnit, WindowKind
from accord.telemetry import service as telemetry_service
from accord.telemetry.rules import BucketColumns
from tests.compliance.test_service import approved_maintenance
from tests.factories.objectives import make_objective

# Sunday evening in Berlin: the calendar week rolls over at 23:00 UTC, during the passes.
START = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)
STEP = timedelta(minutes=5)
SYSTEM = system_actor("scheduler")


def objectives(session: Session) -> list[int]:
    made = [
        make_objective(session, service="ledger", window_days=2),
        make_objective(session, service="ledger"),
        make_objective(
            session,
            service="search",
            window_kind=WindowKind.CALENDAR,
            window_days=None,
            calendar_unit=CalendarUnit.WEEK,
            time_zone="Europe/Berlin",
        ),
        make_objective(
            session,
            service="search",
            budgeting_method=BudgetingMethod.TIMESLICES,
            timeslice_seconds=900,
            timeslice_threshold=Decimal("0.97"),
            window_days=2,
        ),
    ]
    return [o.id for o in made]


def store(session: Session, ids: list[int], start: datetime, buckets: int, seed: int) -> None:
    """Random buckets from ``start``: about 5 % missing, some without traffic, errors in bursts."""
    rng = np.random.default_rng(seed)
    starts = start + np.arange(buckets) * STEP
    epochs = np.array([int(s.timestamp()) for s in starts], dtype=np.int64)
    rows = []
    for objective_id in ids:
        total = rng.poisson(80, buckets).astype(np.float64)
        total[rng.random(buckets) < 0.05] = 0.0
        bad = rng.binomial(total.astype(np.int64), np.where(rng.random(buckets) < 0.1, 0.3, 0.002))
        keep = rng.random(buckets) > 0.05
        rows.append(
            BucketColumns(
                objective_id=np.full(int(keep.sum()), objective_id, dtype=np.int64),
                start_epoch=epochs[keep],
                good=(total - bad)[keep],
                total=total[keep],
            )
        )
    telemetry_service.store_buckets(
        session,
        BucketColumns(
            objective_id=np.concatenate([r.objective_id for r in rows]),
            start_epoch=np.concatenate([r.start_epoch for r in rows]),
            good=np.concatenate([r.good for r in rows]),
            total=np.concatenate([r.total for r in rows]),
        ),
    )


def assert_same(
    warm: list[compliance_service.Judgement], cold: list[compliance_service.Judgement]
) -> None:
    assert [w.definition.id for w in warm] == [c.definition.id for c in cold]
    for w, c in zip(warm, cold, strict=True):
        where = f"objective {w.definition.id} at {w.evaluated_at}"
        assert (w.good, w.total) == pytest.approx((c.good, c.total), rel=1e-12), where
        assert w.sli == (None if c.sli is None else pytest.approx(c.sli, rel=1e-12)), where
        assert w.budget_consumed == pytest.approx(c.budget_consumed, rel=1e-9, abs=1e-12), where
        assert w.burn_rates == pytest.approx(c.burn_rates, rel=1e-9, abs=1e-12), where
        assert (w.page_alert, w.ticket_alert, w.at_risk) == (
            c.page_alert,
            c.ticket_alert,
            c.at_risk,
        ), where
        assert w.exhaustion_at == c.exhaustion_at, where
        assert w.data_coverage == pytest.approx(c.data_coverage, rel=1e-12), where
        assert w.period == c.period, where


def judge_both(
    session: Session, warm: compliance_service.WarmCounts, at: datetime
) -> tuple[list[compliance_service.Judgement], list[compliance_service.Judgement]]:
    return (
        compliance_service.judge(session, warm.definitions, at, warm=warm),
        compliance_service.judge(session, objectives_service.definitions(session), at),
    )


def test_passes_after_new_batches_judge_as_a_cold_pass(session: Session) -> None:
    ids = objectives(session)
    store(session, ids, START - timedelta(days=3), 3 * 288, seed=1)
    # Ledger maintenance from 22:40 to 23:20, crossed by the passes below.
    approved_maintenance(
        session, "ledger", START + 8 * STEP, START + 16 * STEP, counts_as_good=False
    )
    warm = compliance_service.warm_counts(session, None, START)
    assert warm.rebuilt
    assert_same(*judge_both(session, warm, START))
    for n in range(1, 25):
        at = START + n * STEP
        store(session, ids, at - STEP, 1, seed=100 + n)
        warm = compliance_service.warm_counts(session, warm, at + timedelta(seconds=40))
        assert not warm.rebuilt, f"pass {n} rebuilt"
        assert warm.stop == at
        assert_same(*judge_both(session, warm, at))
    week = next(p for p in warm.periods.values() if p.start.weekday() == 6)
    assert week.start == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)  # Monday 00:00 in Berlin


def test_a_pass_that_skips_batches_reads_them_all(session: Session) -> None:
    ids = objectives(session)
    store(session, ids, START - timedelta(days=3), 3 * 288, seed=2)
    warm = compliance_service.warm_counts(session, None, START)
    store(session, ids, START, 7, seed=3)
    warm = compliance_service.warm_counts(session, warm, START + 7 * STEP)
    assert not warm.rebuilt
    assert_same(*judge_both(session, warm, START + 7 * STEP))


@pytest.mark.parametrize("change", ["late bucket", "new exclusion", "new objective", "earlier"])
def test_what_the_counts_cannot_follow_rebuilds_them(session: Session, change: str) -> None:
    ids = objectives(session)
    store(session, ids, START - timedelta(days=3), 3 * 288, seed=4)
    warm = compliance_service.warm_counts(session, None, START)
    at = START + STEP
    store(session, ids, START, 1, seed=5)
    if change == "late bucket":
        # A correction of a bucket two hours back, already counted.
        store(session, ids[:1], START - timedelta(hours=2), 1, seed=6)
    elif change == "new exclusion":
        approved_maintenance(
            session,
            "search",
            START - timedelta(hours=3),
            START - timedelta(hours=2),
            counts_as_good=False,
        )
    elif change == "new objective":
        make_objective(session, service="search")
    else:
        at = START - STEP
    warm = compliance_service.warm_counts(session, warm, at)
    assert warm.rebuilt
    assert_same(*judge_both(session, warm, at))


def test_targets_change_without_a_rebuild(session: Session) -> None:
    ids = objectives(session)
    store(session, ids, START - timedelta(days=1), 288, seed=7)
    warm = compliance_service.warm_counts(session, None, START)
    session.execute(
        objectives_service.Objective.__table__.update()
        .where(objectives_service.Objective.id == ids[0])
        .values(target=Decimal("0.95"))
    )
    warm = compliance_service.warm_counts(session, warm, START)
    assert not warm.rebuilt
    assert warm.definitions[0].target == Decimal("0.95")
    assert_same(*judge_both(session, warm, START))


def test_warm_counts_must_match_the_instant_judged(session: Session) -> None:
    objectives(session)
    warm = compliance_service.warm_counts(session, None, START)
    with pytest.raises(ValueError, match="advanced"):
        compliance_service.judge(session, warm.definitions, START + STEP, warm=warm)


def test_the_job_keeps_counts_warm_between_passes(database: Database) -> None:
    with database.unit_of_work() as session:
        ids = objectives(session)
        store(session, ids, START - timedelta(days=3), 3 * 288, seed=8)
    job = EvaluationJob(database, SYSTEM)
    first = job.run(START)
    assert first.rebuilt
    assert first.summary.objectives == 4
    with database.unit_of_work() as session:
        store(session, ids, START, 1, seed=9)
    second = job.run(START + STEP)
    assert not second.rebuilt
    with database.unit_of_work(write=False) as session:
        recorded = {
            r.objective_id: (r.evaluated_at, r.budget_consumed)
            for r in compliance_service.StatusRepository(session).current(
                units=None, objective_ids=None, after=None, limit=10
            )
        }
        cold = compliance_service.judge(
            session, objectives_service.definitions(session), START + STEP
        )
    assert {k: at for k, (at, _) in recorded.items()} == dict.fromkeys(ids, START + STEP)
    assert {k: consumed for k, (_, consumed) in recorded.items()} == pytest.approx(
        {c.definition.id: c.budget_consumed for c in cold}, rel=1e-9
    )


def test_a_failed_pass_drops_the_warm_counts(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with database.unit_of_work() as session:
        ids = objectives(session)
        store(session, ids, START - timedelta(days=1), 288, seed=10)
    job = EvaluationJob(database, SYSTEM)
    job.run(START)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(compliance_service, "evaluate_objectives", broken)
    with pytest.raises(RuntimeError):
        job.run(START + STEP)
    monkeypatch.undo()
    assert job.run(START + STEP).rebuilt


def test_a_cold_job_never_keeps_counts(database: Database) -> None:
    with database.unit_of_work() as session:
        ids = objectives(session)
        store(session, ids, START - timedelta(days=1), 288, seed=11)
    job = EvaluationJob(database, SYSTEM, keep_warm=False)
    assert job.run(START).rebuilt
    assert job.run(START + STEP).rebuilt
