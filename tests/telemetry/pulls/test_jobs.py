"""The pull job against a real Prometheus (the scenario of the adapter's tests: counters whose
every 5-minute bucket is known): buckets stored with their provenance, a source that is down
backs off and, once back, the backlog is fetched; on both databases."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db.session import Database
from accord.identity.service import local_operator
from accord.integrations.prometheus.query import PrometheusSource
from accord.kit.time import utc_now
from accord.objectives.enums import SourceKind
from accord.objectives.rules import objective_key
from accord.telemetry.models import SliBucket
from accord.telemetry.pulls.jobs import PullJob
from accord.telemetry.pulls.models import PullState
from accord.telemetry.pulls.rules import PullPolicy
from accord.telemetry.pulls.service import PullTask
from accord.telemetry.rules import BUCKET_SECONDS, epoch_of
from accord.telemetry.sources import service as sources_service
from accord.telemetry.sources.models import SourceMapping, TelemetrySource
from accord.telemetry.sources.schemas import MappingCreate, SourceCreate
from tests.factories.objectives import make_objective
from tests.integrations.prometheus.live import (
    TimestampedExporter,
    free_port,
    prometheus_binary,
    running_prometheus,
)
from tests.integrations.prometheus.test_query import (
    BUCKETS,
    FAILED,
    GOOD,
    SHARD_A,
    SHARD_B,
    STEPS_PER_BUCKET,
    TOTAL,
    frames,
)

pytestmark = [pytest.mark.db, pytest.mark.slow, pytest.mark.xdist_group("prometheus-live")]


@dataclass(frozen=True)
class Served:
    url: str
    s0: int
    good: list[float]
    total: list[float]

    @property
    def end(self) -> int:
        return self.s0 + BUCKETS * BUCKET_SECONDS


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    prometheus_binary()
    now = int(time.time())
    s0 = now - now % BUCKET_SECONDS - 600 - BUCKETS * BUCKET_SECONDS
    with (
        TimestampedExporter(frames(s0)) as exporter,
        running_prometheus(tmp_path_factory.mktemp("prometheus"), exporter.target) as prometheus,
    ):
        exporter.wait_drained(timeout=120)
        total = [float(STEPS_PER_BUCKET * (a + b)) for a, b in zip(SHARD_A, SHARD_B, strict=True)]
        good = [t - STEPS_PER_BUCKET * f for t, f in zip(total, FAILED, strict=True)]
        yield Served(prometheus.url, s0, good, total)


def register(session: Session, url: str) -> int:
    """A Prometheus source with one mapping (primary) for a new objective; its id."""
    objective = make_objective(session, service="checkout", unit="retail")
    sources_service.create_source(
        session,
        actor=local_operator(),
        data=SourceCreate(
            name="prom", kind=SourceKind.PROMETHEUS, business_unit="retail", base_url=url
        ),
        now=utc_now(),
    )
    sources_service.create_mapping(
        session,
        actor=local_operator(),
        source="prom",
        data=MappingCreate(
            objective=objective_key(objective.id),
            good_query=f"sum(increase({GOOD}[{{{{.window}}}}]))",
            total_query=f"sum(increase({TOTAL}[{{{{.window}}}}]))",
        ),
        now=utc_now(),
    )
    session.commit()
    return objective.id


def stored(session: Session, objective_id: int) -> dict[int, tuple[float, float, int | None]]:
    session.expire_all()
    rows = session.execute(
        select(SliBucket.bucket_start, SliBucket.good, SliBucket.total, SliBucket.source_id).where(
            SliBucket.objective_id == objective_id
        )
    )
    return {epoch_of(s): (g, t, src) for s, g, t, src in rows}


def test_pulled_buckets_equal_what_the_exporter_served(
    served: Served, database: Database, session: Session
) -> None:
    objective = register(session, served.url)
    policy = PullPolicy(settle_seconds=0, backfill_seconds=BUCKETS * BUCKET_SECONDS)
    job = PullJob(database, lambda task: PrometheusSource(task.base_url), policy=policy)

    report = job.run(datetime.fromtimestamp(served.end, UTC))

    assert report.failed == []
    assert [p.buckets for p in report.pulled] == [BUCKETS]
    source = session.scalars(select(TelemetrySource.id)).one()
    assert stored(session, objective) == {
        served.s0 + i * BUCKET_SECONDS: (served.good[i], served.total[i], source)
        for i in range(BUCKETS)
    }
    # Nothing new has settled: the next turn asks for nothing.
    assert job.run(datetime.fromtimestamp(served.end + 60, UTC)).pulled == []


def test_a_source_that_is_down_backs_off_then_its_backlog_is_fetched(
    served: Served, database: Database, session: Session
) -> None:
    objective = register(session, served.url)
    policy = PullPolicy(
        settle_seconds=0,
        backfill_seconds=BUCKETS * BUCKET_SECONDS,
        max_span_seconds=2 * BUCKET_SECONDS,  # the backlog comes two buckets per pull
        retry_base_seconds=30,
    )
    dead = f"http://127.0.0.1:{free_port()}"
    up = {"url": dead}
    pulled_by: list[PullTask] = []

    def source(task: PullTask) -> PrometheusSource:
        pulled_by.append(task)
        return PrometheusSource(up["url"], timeout=5)

    job = PullJob(database, source, policy=policy)
    first = datetime.fromtimestamp(served.end, UTC)
    report = job.run(first)
    assert [(t.mapping_id > 0, e.startswith("unavailable")) for t, e in report.failed] == [
        (True, True)
    ]
    state = session.scalars(select(PullState)).one()
    assert (state.attempts, state.complete_until) == (1, None)
    assert state.retry_at == first + timedelta(seconds=30)
    assert stored(session, objective) == {}
    # Backing off: nothing is tried before retry_at.
    assert job.run(first + timedelta(seconds=29)).pulled == []
    assert len(pulled_by) == 1

    up["url"] = served.url
    later = first + timedelta(seconds=30)
    turns = [job.run(later + timedelta(seconds=n)) for n in range(3)]
    assert [[p.buckets for p in t.pulled] for t in turns] == [[2], [2], [2]]
    assert sorted(stored(session, objective)) == [
        served.s0 + i * BUCKET_SECONDS for i in range(BUCKETS)
    ]
    assert [v[:2] for _, v in sorted(stored(session, objective).items())] == list(
        zip(served.good, served.total, strict=True)
    )
    session.expire_all()
    state = session.scalars(select(PullState)).one()
    assert (state.attempts, state.retry_at, state.last_error) == (0, None, None)


def test_a_source_answering_impossible_counts_is_a_failed_pull_and_nothing_is_kept(
    served: Served, database: Database, session: Session
) -> None:
    objective = register(session, served.url)
    mapping = session.scalars(select(SourceMapping)).one()
    # A wrong good query: twice the requests are "good", more than there were.
    mapping.good_query = f"sum(increase({TOTAL}[{{{{.window}}}}])) * 2"
    session.commit()
    policy = PullPolicy(settle_seconds=0, backfill_seconds=BUCKETS * BUCKET_SECONDS)
    job = PullJob(database, lambda task: PrometheusSource(task.base_url), policy=policy)

    report = job.run(datetime.fromtimestamp(served.end, UTC))

    assert report.pulled == []
    assert [e.split(":")[0] for _, e in report.failed] == ["invalid data"]
    assert stored(session, objective) == {}
    session.expire_all()
    state = session.scalars(select(PullState)).one()
    assert (state.attempts, state.complete_until) == (1, None)
    assert "good" in (state.last_error or "")
