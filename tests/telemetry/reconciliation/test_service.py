"""Reconciliation on both databases: a day of two sources that mostly agree, with a gap the
secondary filled and a few disagreements; tolerance edges, idempotent runs, resolution (the
secondary's value stored, rollups exact), audit events with their reasons, and who may do it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit.models import AuditEvent
from accord.identity.enums import Role
from accord.identity.rules import Actor
from accord.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from accord.objectives.enums import SourceKind
from accord.objectives.rules import objective_key
from accord.telemetry import rules
from accord.telemetry import service as telemetry_service
from accord.telemetry.enums import MappingRole
from accord.telemetry.models import SliBucket
from accord.telemetry.reconciliation import service as reconciliation_service
from accord.telemetry.reconciliation.enums import FindingStatus, Use
from accord.telemetry.reconciliation.models import ReconciliationFinding
from accord.telemetry.reconciliation.schemas import ReconciliationReport
from accord.telemetry.sources import service as sources_service
from accord.telemetry.sources.schemas import MappingCreate, SourceCreate
from tests.factories.identity import SYSTEM, make_principal
from tests.factories.objectives import make_objective
from tests.identity.helpers import count
from tests.telemetry.conftest import assert_rollups_match, columns, naive_window

pytestmark = pytest.mark.db

DAY = datetime(2026, 11, 1, tzinfo=UTC)
E = rules.epoch_of(DAY)
STEP = rules.BUCKET_SECONDS
NOW = DAY + timedelta(days=2)
GAP = range(100, 106)
"""Buckets the primary never sent (half an hour): the secondary fills them."""
SKEWED = {10: 0.005, 50: 0.02, 200: 0.30}
"""Bucket → how much fewer requests the secondary counted (relative): within 1 %, beyond."""


@dataclass
class World:
    objective: int
    foreign: int
    primary: int
    secondary: int
    operator: Actor
    viewer: Actor
    stranger: Actor

    @property
    def key(self) -> str:
        return objective_key(self.objective)


def traffic(n: int) -> tuple[np.ndarray, np.ndarray]:
    """A realistic day: a diurnal request curve with a 0.1-0.4 % error rate (whole counts)."""
    i = np.arange(n)
    total = np.round(2_000 + 1_500 * np.sin(2 * np.pi * i / n)).astype(float)
    good = total - np.round(total * (0.001 + 0.003 * ((i * 7) % 10) / 10))
    return good, total


def map_sources(session: Session, objective: int, unit: str, prefix: str) -> tuple[int, int]:
    ids = []
    for role in MappingRole:
        name = f"{prefix}-{role.value}"
        sources_service.create_source(
            session,
            actor=SYSTEM,
            data=SourceCreate(name=name, kind=SourceKind.PUSH, business_unit=unit),
            now=DAY,
        )
        sources_service.create_mapping(
            session,
            actor=SYSTEM,
            source=name,
            data=MappingCreate(
                objective=objective_key(objective), role=role, metric=f"{prefix}_requests"
            ),
            now=DAY,
        )
        ids.append(sources_service.visible_source(session, actor=SYSTEM, name=name).id)
    return ids[0], ids[1]


def load_day(session: Session, world: World) -> None:
    """The primary sends the day but the gap; the secondary sends all of it, equal but for the
    skewed buckets."""
    good, total = traffic(rules.BUCKETS_PER_DAY)
    oid = world.objective
    primary = [(oid, E + i * STEP, good[i], total[i]) for i in range(len(total)) if i not in GAP]
    secondary = []
    for i in range(len(total)):
        t = total[i] - round(total[i] * SKEWED.get(i, 0.0))
        secondary.append((oid, E + i * STEP, min(good[i], t), t))
    telemetry_service.store_buckets(
        session, columns(primary), source_id=world.primary, received_at=DAY
    )
    telemetry_service.store_secondary_buckets(
        session, columns(secondary), source_id=world.secondary, received_at=DAY
    )


@pytest.fixture
def world(session: Session) -> World:
    objective = make_objective(session, service="checkout", unit="retail").id
    foreign = make_objective(session, service="ledger", unit="wholesale").id
    primary, secondary = map_sources(session, objective, "retail", "checkout")
    map_sources(session, foreign, "wholesale", "ledger")
    built = World(
        objective=objective,
        foreign=foreign,
        primary=primary,
        secondary=secondary,
        operator=make_principal(session, "olga", (Role.EDITOR, "retail")),
        viewer=make_principal(session, "vera", (Role.VIEWER, "retail")),
        stranger=make_principal(session, "walt", (Role.EDITOR, "wholesale")),
    )
    load_day(session, built)
    return built


def run(
    session: Session, world: World, tolerance: float = 0.01, actor: Actor | None = None
) -> ReconciliationReport:
    return reconciliation_service.reconcile(
        session,
        actor=actor or world.operator,
        objective_key=world.key,
        start=DAY,
        end=DAY + timedelta(days=1),
        tolerance=tolerance,
        now=NOW,
    )


def stored(session: Session, objective: int, index: int) -> tuple[float, float, int | None]:
    session.expire_all()
    row = session.execute(
        select(SliBucket.good, SliBucket.total, SliBucket.source_id).where(
            SliBucket.objective_id == objective,
            SliBucket.bucket_start == rules.instant_of(E + index * STEP),
        )
    ).one()
    return row[0], row[1], row[2]


# ------------------------------------------------------------------------------------ reports


def test_a_day_is_classified_and_disagreements_become_open_findings(
    session: Session, world: World
) -> None:
    report = run(session, world)
    c = report.counts
    assert report.buckets == rules.BUCKETS_PER_DAY
    assert (report.primary_source, report.secondary_source) == (
        "checkout-primary",
        "checkout-secondary",
    )
    # Bucket 10 differs by 0.5 % (within), 50 by 2 % and 200 by 30 % (beyond 1 %).
    assert (c.agree, c.within, c.disagree) == (288 - 6 - 3, 1, 2)
    assert (c.primary_only, c.secondary_only, c.filled, c.neither) == (0, 6, 6, 0)
    assert c.other_provenance == 0
    assert (report.opened, report.updated, report.reopened, report.open_findings) == (2, 0, 0, 2)
    starts = [f.bucket_start for f in report.findings]
    assert starts == [rules.instant_of(E + 50 * STEP), rules.instant_of(E + 200 * STEP)]
    beyond = report.findings[1]
    assert beyond.status is FindingStatus.OPEN
    assert beyond.relative_difference == pytest.approx(0.30, abs=1e-3)
    assert beyond.primary_total > beyond.secondary_total
    assert beyond.tolerance == 0.01


def difference(index: int) -> float:
    """The skewed bucket's relative difference as the data has it (whole requests)."""
    good, total = traffic(rules.BUCKETS_PER_DAY)
    t = total[index] - round(total[index] * SKEWED[index])
    g = min(good[index], t)
    return float(max(abs(good[index] - g) / good[index], abs(total[index] - t) / total[index]))


@pytest.mark.parametrize(
    ("edge", "within", "disagree"),
    [("zero", 0, 3), ("at-10", 1, 2), ("below-10", 0, 3), ("at-50", 2, 1), ("half", 3, 0)],
)
def test_tolerance_edges(
    session: Session, world: World, edge: str, within: int, disagree: int
) -> None:
    # A tolerance equal to a bucket's difference accepts it; the next float below does not.
    tolerance = {
        "zero": 0.0,
        "at-10": difference(10),
        "below-10": float(np.nextafter(difference(10), 0)),
        "at-50": difference(50),
        "half": 0.5,
    }[edge]
    report = run(session, world, tolerance)
    assert (report.counts.within, report.counts.disagree) == (within, disagree)
    assert report.open_findings == disagree
    assert count(session, ReconciliationFinding) == disagree


def test_runs_are_idempotent_and_update_changed_open_findings(
    session: Session, world: World
) -> None:
    first = run(session, world)
    audits = count(session, AuditEvent)
    again = run(session, world)
    assert (again.opened, again.updated, again.reopened, again.open_findings) == (0, 0, 0, 2)
    assert count(session, ReconciliationFinding) == 2
    assert count(session, AuditEvent) == audits  # nothing changed, nothing audited
    # The secondary re-sends bucket 200 with other (still disagreeing) counts.
    telemetry_service.store_secondary_buckets(
        session,
        columns([(world.objective, E + 200 * STEP, 100.0, 100.0)]),
        source_id=world.secondary,
        received_at=NOW,
    )
    third = run(session, world)
    assert (third.opened, third.updated, third.open_findings) == (0, 1, 2)
    finding = next(f for f in third.findings if f.id == first.findings[1].id)
    assert (finding.secondary_good, finding.secondary_total) == (100.0, 100.0)
    assert finding.updated_at == NOW
    assert count(session, AuditEvent) == audits + 1


def test_a_run_needs_both_sources_and_a_sane_range(session: Session, world: World) -> None:
    lonely = make_objective(session, service="checkout", unit="retail").id
    with pytest.raises(InvalidInput) as missing:
        reconciliation_service.reconcile(
            session,
            actor=world.operator,
            objective_key=objective_key(lonely),
            start=DAY,
            end=DAY + timedelta(days=1),
            tolerance=0.01,
            now=NOW,
        )
    assert missing.value.problems[0].field == "objective"
    for tolerance in (-0.1, 1.0, float("nan")):
        with pytest.raises(InvalidInput) as bad:
            run(session, world, tolerance)
        assert bad.value.problems[0].field == "tolerance"
    with pytest.raises(InvalidInput) as long:
        reconciliation_service.reconcile(
            session,
            actor=world.operator,
            objective_key=world.key,
            start=DAY,
            end=DAY + timedelta(days=40),
            tolerance=0.01,
            now=NOW,
        )
    assert long.value.problems[0].field == "end"
    assert count(session, ReconciliationFinding) == 0


def test_who_may_run(session: Session, world: World) -> None:
    with pytest.raises(Forbidden):
        run(session, world, actor=world.viewer)
    with pytest.raises(NotFound):
        run(session, world, actor=world.stranger)
    assert count(session, ReconciliationFinding) == 0


# --------------------------------------------------------------------------------- resolution


def test_using_the_secondary_stores_its_value_and_the_rollups_follow(
    session: Session, world: World
) -> None:
    finding = run(session, world).findings[1]
    before = telemetry_service.window_counts(
        session, [world.objective], DAY, DAY + timedelta(days=1)
    )
    resolved = reconciliation_service.resolve(
        session,
        actor=world.operator,
        finding_id=finding.id,
        use=Use.SECONDARY,
        reason="the load balancer logs match the secondary",
        now=NOW,
    )
    assert resolved.status is FindingStatus.USED_SECONDARY
    assert (resolved.resolved_by, resolved.resolved_at) == ("olga", NOW)
    assert stored(session, world.objective, 200) == (
        finding.secondary_good,
        finding.secondary_total,
        world.secondary,
    )
    assert_rollups_match(session)
    after = telemetry_service.window_counts(
        session, [world.objective], DAY, DAY + timedelta(days=1)
    )
    assert after.total[0] == before.total[0] - finding.primary_total + finding.secondary_total
    buckets = {
        (o, rules.epoch_of(s)): (g, t)
        for o, s, g, t in session.execute(
            select(SliBucket.objective_id, SliBucket.bucket_start, SliBucket.good, SliBucket.total)
        )
    }
    naive = naive_window(buckets, world.objective, E, E + rules.DAY_SECONDS)
    assert (after.good[0], after.total[0], int(after.buckets[0])) == naive[:3]
    # The bucket now holds the secondary's value: a new run counts it as filled, not again.
    again = run(session, world)
    assert (again.counts.disagree, again.counts.filled, again.open_findings) == (1, 7, 1)


def test_keeping_the_primary_changes_nothing_stored_and_is_audited(
    session: Session, world: World
) -> None:
    finding = run(session, world).findings[0]
    kept = stored(session, world.objective, 50)
    reconciliation_service.resolve(
        session,
        actor=world.operator,
        finding_id=finding.id,
        use=Use.PRIMARY,
        reason="the secondary lost a scrape",
        now=NOW,
    )
    assert stored(session, world.objective, 50) == kept
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (event.action, event.entity_type, event.entity_key) == (
        "reconciliation.kept_primary",
        "reconciliation_finding",
        str(finding.id),
    )
    payload = json.loads(event.payload)
    assert payload["reason"] == "the secondary lost a scrape"
    assert payload["after"]["status"] == "kept-primary"
    # Decided on these values: the next run leaves it alone; new values reopen it.
    assert run(session, world).reopened == 0
    telemetry_service.store_buckets(
        session,
        columns([(world.objective, E + 50 * STEP, 1.0, 10.0)]),
        source_id=world.primary,
        received_at=NOW,
    )
    reopened = run(session, world)
    assert (reopened.reopened, reopened.open_findings) == (1, 2)
    again = next(f for f in reopened.findings if f.id == finding.id)
    assert (again.status, again.reason, again.primary_good) == (FindingStatus.OPEN, None, 1.0)


def test_used_secondary_is_audited_with_its_reason(session: Session, world: World) -> None:
    finding = run(session, world).findings[0]
    reconciliation_service.resolve(
        session,
        actor=world.operator,
        finding_id=finding.id,
        use=Use.SECONDARY,
        reason="primary exporter restarted mid-bucket",
        now=NOW,
    )
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert event.action == "reconciliation.used_secondary"
    payload = json.loads(event.payload)
    assert payload["reason"] == "primary exporter restarted mid-bucket"
    assert payload["before"]["status"] == "open"
    assert payload["after"]["secondary_total"] == repr(finding.secondary_total)


def test_a_finding_is_resolved_once(session: Session, world: World) -> None:
    finding = run(session, world).findings[0]
    reconciliation_service.resolve(
        session,
        actor=world.operator,
        finding_id=finding.id,
        use=Use.PRIMARY,
        reason="primary is right",
        now=NOW,
    )
    with pytest.raises(Conflict):
        reconciliation_service.resolve(
            session,
            actor=world.operator,
            finding_id=finding.id,
            use=Use.SECONDARY,
            reason="changed my mind",
            now=NOW,
        )
    assert stored(session, world.objective, 50)[2] == world.primary


def test_who_may_resolve_and_list(session: Session, world: World) -> None:
    finding = run(session, world).findings[0]
    with pytest.raises(Forbidden):
        reconciliation_service.resolve(
            session,
            actor=world.viewer,
            finding_id=finding.id,
            use=Use.SECONDARY,
            reason="not mine to decide",
            now=NOW,
        )
    for missing in (finding.id, 999_999):
        with pytest.raises(NotFound):
            reconciliation_service.resolve(
                session,
                actor=world.stranger,
                finding_id=missing,
                use=Use.SECONDARY,
                reason="not my unit",
                now=NOW,
            )
    listed, last = reconciliation_service.list_findings(
        session,
        actor=world.viewer,
        objective_key=world.key,
        status=FindingStatus.OPEN,
        after=None,
        limit=1,
    )
    assert [f.id for f in listed] == [finding.id]
    assert last == finding.id
    with pytest.raises(NotFound):
        reconciliation_service.list_findings(
            session, actor=world.stranger, objective_key=world.key, status=None, after=None, limit=5
        )
    assert session.get(ReconciliationFinding, finding.id).status is FindingStatus.OPEN  # type: ignore[union-attr]
