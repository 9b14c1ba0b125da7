"""Evaluation from stored telemetry on both databases, with figures worked by hand.

The scenario: a 99.9 % availability objective over a rolling 30 days. Its service sent one day
of buckets, 100 events every 5 minutes (288 buckets, 28,800 events), all good except the last
hour, where 10 of every 100 failed (12 buckets, 120 bad events).

- SLI = 1 - 120/28,800 = 0.995833...; consumed = 120 / (0.001 * 28,800) = 4.1666...
- 1 h and 5 m burn = 0.1 / 0.001 = 100 > 14.4 → page
- 6 h burn = (120/7,200) / 0.001 = 16.67 > 6, 30 m burn = 100 → page
- 1 d burn = (120/28,800) / 0.001 = 4.1667 > 3, 2 h burn = 50 → ticket
- coverage = 288 / 8,640 buckets of the window
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy.orm import Session

from accord.compliance import service as compliance_service
from accord.compliance.enums import PolicyEventState
from accord.exclusions import service as exclusions_service
from accord.exclusions.enums import ExclusionKind
from accord.exclusions.schemas import ExclusionCreate, ExclusionDecision
from accord.identity.enums import Role
from accord.identity.rules import system_actor
from accord.objectives import service as objectives_service
from accord.objectives.enums import BudgetingMethod, CalendarUnit, PolicyTrigger, WindowKind
from accord.objectives.policies import service as policies_service
from accord.objectives.policies.schemas import PolicyCreate
from accord.objectives.rules import objective_key
from accord.objectives.schemas import ObjectiveUpdate
from accord.telemetry import service as telemetry_service
from accord.telemetry.rules import BucketColumns
from tests.factories.identity import make_principal
from tests.factories.objectives import make_objective

NOW = datetime(2026, 11, 26, 12, 2, tzinfo=UTC)
STOP = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SYSTEM = system_actor("scheduler")


def store_day(session: Session, objective_id: int, *, bad_last_hour: float = 10.0) -> None:
    """288 buckets ending at STOP with 100 events each; the last 12 with ``bad_last_hour`` bad."""
    starts = STOP - timedelta(days=1) + np.arange(288) * timedelta(minutes=5)
    epochs = np.array([int(s.timestamp()) for s in starts], dtype=np.int64)
    total = np.full(288, 100.0)
    good = total.copy()
    good[-12:] -= bad_last_hour
    telemetry_service.store_buckets(
        session,
        BucketColumns(
            objective_id=np.full(288, objective_id, dtype=np.int64),
            start_epoch=epochs,
            good=good,
            total=total,
        ),
    )


def judge_one(
    session: Session, objective_id: int, at: datetime = NOW
) -> compliance_service.Judgement:
    definitions = objectives_service.definitions(session, ids=[objective_id])
    [judged] = compliance_service.judge(session, definitions, at)
    return judged


def test_known_answer(session: Session) -> None:
    objective = make_objective(session)
    store_day(session, objective.id)
    j = judge_one(session, objective.id)
    assert j.total == 28_800
    assert j.good == 28_680
    assert j.sli == pytest.approx(1 - 120 / 28_800)
    assert j.budget_consumed == pytest.approx(120 / (0.001 * 28_800))
    assert j.burn_rates["1h"] == pytest.approx(100)
    assert j.burn_rates["5m"] == pytest.approx(100)
    assert j.burn_rates["6h"] == pytest.approx(120 / 7_200 / 0.001)
    assert j.burn_rates["1d"] == pytest.approx(120 / 28_800 / 0.001)
    assert j.page_alert is True
    assert j.ticket_alert is True
    assert j.at_risk is True
    assert j.exhaustion_at == STOP  # already overspent
    assert j.data_coverage == pytest.approx(288 / 8_640)
    assert j.period.start == STOP - timedelta(days=30)


def test_quiet_objective_has_no_sli_and_spends_nothing(session: Session) -> None:
    objective = make_objective(session)
    j = judge_one(session, objective.id)
    assert j.sli is None
    assert j.budget_consumed == 0
    assert j.page_alert is False
    assert j.ticket_alert is False
    assert j.at_risk is False
    assert j.exhaustion_at is None
    assert j.data_coverage == 0


def test_healthy_objective_is_not_at_risk(session: Session) -> None:
    objective = make_objective(session)
    store_day(session, objective.id, bad_last_hour=0.0)
    j = judge_one(session, objective.id)
    assert j.sli == 1.0
    assert j.burn_rates == dict.fromkeys(["5m", "30m", "1h", "2h", "6h", "1d", "3d"], 0.0)
    assert j.page_alert is False
    assert j.ticket_alert is False
    assert j.at_risk is False


def approved_maintenance(
    session: Session, service: str, start: datetime, end: datetime, *, counts_as_good: bool
) -> None:
    declared = exclusions_service.declare_exclusion(
        session,
        actor=system_actor("alice"),
        service=service,
        data=ExclusionCreate(
            kind=ExclusionKind.MAINTENANCE,
            starts_at=start,
            ends_at=end,
            reason="database upgrade",
            counts_as_good=counts_as_good,
        ),
        now=start - timedelta(days=2),
    )
    exclusions_service.approve_exclusion(
        session,
        actor=system_actor("bob"),
        exclusion_id=declared.id,
        data=ExclusionDecision(reason="planned and announced"),
        now=start - timedelta(days=1),
    )


@pytest.mark.parametrize("counts_as_good", [False, True])
def test_approved_maintenance_over_the_bad_hour(session: Session, counts_as_good: bool) -> None:
    objective = make_objective(session, service="ledger")
    store_day(session, objective.id)
    approved_maintenance(
        session, "ledger", STOP - timedelta(hours=1), STOP, counts_as_good=counts_as_good
    )
    j = judge_one(session, objective.id)
    assert j.budget_consumed == 0
    assert j.sli == 1.0
    assert j.page_alert is False
    assert j.ticket_alert is False
    # Left out: the hour's 1,200 events leave the window; counted as good: they stay, all good.
    assert j.total == (28_800 if counts_as_good else 27_600)


def test_maintenance_not_covering_whole_buckets_excludes_nothing(session: Session) -> None:
    objective = make_objective(session, service="ledger")
    store_day(session, objective.id)
    # 11:53 to 11:59: no bucket lies wholly inside, so none is taken out.
    approved_maintenance(
        session,
        "ledger",
        STOP - timedelta(minutes=7),
        STOP - timedelta(minutes=1),
        counts_as_good=False,
    )
    assert judge_one(session, objective.id).budget_consumed == pytest.approx(120 / 28.8)


def test_timeslices_count_bad_slices(session: Session) -> None:
    objective = make_objective(
        session,
        budgeting_method=BudgetingMethod.TIMESLICES,
        timeslice_seconds=300,
        timeslice_threshold=Decimal("0.95"),
    )
    store_day(session, objective.id)
    j = judge_one(session, objective.id)
    # 288 slices with data, the last 12 at 90 % < 95 %: 276 good slices.
    assert j.sli == pytest.approx(276 / 288)
    assert j.budget_consumed == pytest.approx((12 / 288) / 0.001)


def test_ratio_timeslices_is_the_mean_of_bucket_ratios(session: Session) -> None:
    objective = make_objective(
        session, budgeting_method=BudgetingMethod.RATIO_TIMESLICES, timeslice_seconds=600
    )
    store_day(session, objective.id)
    j = judge_one(session, objective.id)
    # 144 ten-minute slices; 6 of them at 0.9, the rest at 1.
    assert j.sli == pytest.approx((138 + 6 * 0.9) / 144)


def test_calendar_month_in_a_zone(session: Session) -> None:
    objective = make_objective(
        session,
        window_kind=WindowKind.CALENDAR,
        window_days=None,
        calendar_unit=CalendarUnit.MONTH,
        time_zone="Europe/Berlin",
    )
    store_day(session, objective.id)
    j = judge_one(session, objective.id)
    assert j.period.start == datetime(2026, 10, 31, 23, tzinfo=UTC)  # 1 Nov, CET
    assert j.period.end == datetime(2026, 11, 30, 23, tzinfo=UTC)
    assert j.total == 28_800
    # Coverage is of the part of the month that has passed.
    elapsed = (STOP - j.period.start) // timedelta(minutes=5)
    assert j.data_coverage == pytest.approx(288 / elapsed)


def _policy(session: Session, unit: str = "retail") -> None:
    policies_service.create_policy(
        session,
        actor=SYSTEM,
        data=PolicyCreate.model_validate(
            {
                "name": "standard",
                "title": "Standard error budget policy",
                "business_unit": unit,
                "thresholds": [
                    {
                        "trigger": "budget_consumed",
                        "consumed_at_least": "0.5",
                        "actions": [{"kind": "notify", "channel": "record"}],
                    },
                    {
                        "trigger": "budget_consumed",
                        "consumed_at_least": "1",
                        "actions": [{"kind": "freeze_releases"}],
                    },
                    {
                        "trigger": "page_alert",
                        "actions": [
                            {
                                "kind": "escalate",
                                "role": "service_owner",
                                "deadline_hours": 4,
                                "documentation_required": ["incident report"],
                            }
                        ],
                    },
                ],
            }
        ),
        now=NOW - timedelta(days=40),
    )


def test_policy_events_open_once_and_recover(session: Session) -> None:
    objective = make_objective(session, service="checkout", unit="retail")
    _policy(session)
    objectives_service.update_objective(
        session,
        actor=SYSTEM,
        key=objective_key(objective.id),
        data=ObjectiveUpdate(policy="standard"),
        now=NOW - timedelta(days=40),
    )
    store_day(session, objective.id)

    first = compliance_service.evaluate_objectives(session, actor=SYSTEM, at=NOW)
    assert first.policy_events_opened == 3
    events, _ = compliance_service.list_policy_events(
        session, actor=SYSTEM, key=objective_key(objective.id), state=None, after=None, limit=50
    )
    by_trigger = {e.trigger: e for e in events}
    assert set(by_trigger) == {PolicyTrigger.BUDGET_CONSUMED, PolicyTrigger.PAGE_ALERT}
    page = by_trigger[PolicyTrigger.PAGE_ALERT]
    assert page.escalate_to == "service_owner"
    assert page.respond_by == STOP + timedelta(hours=4)
    gate = compliance_service.release_gate(session, actor=SYSTEM, slug="checkout", now=NOW)
    assert gate.frozen is True
    assert [r.objective for r in gate.reasons] == [objective_key(objective.id)]

    # Five minutes later everything is still crossed: no new events.
    again = compliance_service.evaluate_objectives(
        session, actor=SYSTEM, at=NOW + timedelta(minutes=5)
    )
    assert again.policy_events_opened == 0
    assert again.policy_events_recovered == 0

    # 31 days on, the bad hour has left the window: every rung recovers, the gate opens.
    later = compliance_service.evaluate_objectives(
        session, actor=SYSTEM, at=NOW + timedelta(days=31)
    )
    assert later.policy_events_recovered == 3
    open_events, _ = compliance_service.list_policy_events(
        session, actor=SYSTEM, key=None, state=PolicyEventState.OPEN, after=None, limit=50
    )
    assert open_events == []
    assert not compliance_service.release_gate(
        session, actor=SYSTEM, slug="checkout", now=NOW
    ).frozen


def test_history_keeps_one_snapshot_per_instant(session: Session) -> None:
    objective = make_objective(session)
    store_day(session, objective.id)
    compliance_service.evaluate_objectives(session, actor=SYSTEM, at=NOW)
    compliance_service.evaluate_objectives(session, actor=SYSTEM, at=NOW)  # same instant again
    compliance_service.evaluate_objectives(session, actor=SYSTEM, at=NOW - timedelta(hours=1))
    history, _ = compliance_service.list_history(
        session,
        actor=SYSTEM,
        key=objective_key(objective.id),
        since=None,
        until=None,
        after=None,
        limit=10,
    )
    assert [h.evaluated_at for h in history] == [STOP, STOP - timedelta(hours=1)]
    # An hour earlier the bad hour had not happened.
    assert history[1].budget_consumed == 0
    current, _ = compliance_service.list_current(
        session, actor=SYSTEM, service=None, after=None, limit=10
    )
    assert [c.evaluated_at for c in current] == [STOP - timedelta(hours=1)]


def test_history_keeps_the_target_each_evaluation_was_judged_against(session: Session) -> None:
    objective = make_objective(session)
    store_day(session, objective.id)
    compliance_service.evaluate_objectives(session, actor=SYSTEM, at=NOW - timedelta(hours=1))
    objective.target = Decimal("0.95")
    session.flush()
    compliance_service.evaluate_objectives(session, actor=SYSTEM, at=NOW)
    history, _ = compliance_service.list_history(
        session,
        actor=SYSTEM,
        key=objective_key(objective.id),
        since=None,
        until=None,
        after=None,
        limit=10,
    )
    assert [(h.evaluated_at, h.target) for h in history] == [
        (STOP, Decimal("0.95")),
        (STOP - timedelta(hours=1), Decimal("0.999")),
    ]
    [current], _ = compliance_service.list_current(
        session, actor=SYSTEM, service=None, after=None, limit=10
    )
    assert (current.target, current.service) == (Decimal("0.95"), "checkout")
    assert current.budget_consumed == pytest.approx(120 / (0.05 * 28_800))


def test_status_at_an_instant_is_not_recorded(session: Session) -> None:
    objective = make_objective(session)
    store_day(session, objective.id)
    status = compliance_service.get_status(
        session, actor=SYSTEM, key=objective_key(objective.id), at=NOW, now=NOW
    )
    assert status.budget_remaining == pytest.approx(1 - 120 / 28.8)
    current, _ = compliance_service.list_current(
        session, actor=SYSTEM, service=None, after=None, limit=10
    )
    assert current == []


def test_cached_current_status_pages_follow_every_recorded_pass(session: Session) -> None:
    cache = compliance_service.CurrentStatusCache()
    ids = [make_objective(session).id for _ in range(5)]
    store_day(session, ids[0])

    def page(after: int | None, limit: int) -> tuple[list[str], int | None]:
        items, last = compliance_service.list_current(
            session, actor=SYSTEM, service=None, after=after, limit=limit, cache=cache
        )
        uncached = compliance_service.list_current(
            session, actor=SYSTEM, service=None, after=after, limit=limit
        )
        assert (items, last) == uncached
        return [i.objective for i in items], last

    assert page(None, 10) == ([], None)
    compliance_service.evaluate_objectives(session, actor=SYSTEM, at=NOW - timedelta(hours=1))
    first, cursor = page(None, 2)
    assert first == [objective_key(i) for i in ids[:2]]
    assert cursor == ids[1]
    assert page(cursor, 10) == ([objective_key(i) for i in ids[2:]], None)
    assert page(cursor, 3) == ([objective_key(i) for i in ids[2:]], None)
    # A new pass (the bad hour now in view) is served at once, not the cached one.
    compliance_service.evaluate_objectives(session, actor=SYSTEM, at=NOW)
    items, _ = compliance_service.list_current(
        session, actor=SYSTEM, service=None, after=None, limit=1, cache=cache
    )
    assert items[0].evaluated_at == STOP
    assert items[0].page_alert is True
    # So is forgetting a deleted objective's status.
    compliance_service.StatusRepository(session).forget([ids[4]])
    assert page(None, 10)[0] == [objective_key(i) for i in ids[:4]]


def test_cached_current_status_is_scoped_to_what_the_caller_may_see(session: Session) -> None:
    cache = compliance_service.CurrentStatusCache()
    mine = make_objective(session, service="checkout", unit="retail")
    theirs = make_objective(session, service="ledger", unit="wholesale")
    compliance_service.evaluate_objectives(session, actor=SYSTEM, at=NOW)
    retail_viewer = make_principal(session, "vera", (Role.VIEWER, "retail"))
    for actor, expected in ((SYSTEM, [mine.id, theirs.id]), (retail_viewer, [mine.id])):
        items, _ = compliance_service.list_current(
            session, actor=actor, service=None, after=None, limit=10, cache=cache
        )
        assert [i.objective for i in items] == [objective_key(i) for i in expected]
    items, _ = compliance_service.list_current(
        session, actor=SYSTEM, service="ledger", after=None, limit=10, cache=cache
    )
    assert [i.objective for i in items] == [objective_key(theirs.id)]
