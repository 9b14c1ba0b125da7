"""Error budget policies on both databases: defined per unit and scoped by it, thresholds
replaced with the old rungs kept (retired), deletion refused while objectives use a policy, the
audit trail, and the values the evaluator reads."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from accord.audit.models import AuditEvent
from accord.identity.rules import Actor
from accord.kit.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    RuleViolation,
)
from accord.kit.time import utc_now
from accord.objectives import service as objectives_service
from accord.objectives.enums import PolicyAction, PolicyTrigger
from accord.objectives.models import ErrorBudgetPolicy, PolicyThreshold
from accord.objectives.policies import service as policies_service
from accord.objectives.policies.enums import EscalationRole
from accord.objectives.policies.schemas import (
    EscalateAction,
    PolicyCreate,
    PolicyRead,
    ThresholdsReplace,
)
from accord.objectives.schemas import ObjectiveUpdate
from tests.factories.identity import SYSTEM
from tests.identity.helpers import audit_actions, count, last_seq
from tests.objectives.policies.conftest import Org

pytestmark = pytest.mark.db

LADDER: list[dict[str, Any]] = [
    {
        "trigger": "budget_consumed",
        "consumed_at_least": "0.5",
        "actions": [{"kind": "notify", "channel": "email", "recipients": ["sre@bank.example"]}],
    },
    {"trigger": "page_alert", "actions": [{"kind": "notify", "channel": "record"}]},
    {
        "trigger": "budget_consumed",
        "consumed_at_least": "0.755",
        "actions": [
            {
                "kind": "escalate",
                "role": "sre_lead",
                "deadline_hours": 24,
                "documentation_required": ["incident report", "RCA"],
            }
        ],
    },
    {
        "trigger": "budget_consumed",
        "consumed_at_least": "1",
        "actions": [
            {"kind": "freeze_releases", "exempt": ["security fixes"]},
            {"kind": "require_review"},
        ],
    },
]


def policy(name: str = "standard", unit: str = "retail", ladder: Any = None) -> PolicyCreate:
    return PolicyCreate.model_validate(
        {
            "name": name,
            "title": name.title(),
            "description": "What happens as the budget burns.",
            "business_unit": unit,
            "thresholds": LADDER if ladder is None else ladder,
        }
    )


def create(org: Org, who: Actor | None = None, data: PolicyCreate | None = None) -> PolicyRead:
    return policies_service.create_policy(
        org.session, actor=who or org.eddie, data=data or policy(), now=utc_now()
    )


def replace(
    org: Org, name: str, ladder: list[dict[str, Any]], who: Actor | None = None
) -> PolicyRead:
    return policies_service.replace_thresholds(
        org.session,
        actor=who or org.eddie,
        name=name,
        data=ThresholdsReplace.model_validate({"thresholds": ladder}),
        now=utc_now(),
    )


def use(org: Org, name: str | None) -> None:
    objectives_service.update_objective(
        org.session, actor=SYSTEM, key=org.slo, data=ObjectiveUpdate(policy=name), now=utc_now()
    )


def test_create_reads_back_in_order_with_exact_levels(org: Org) -> None:
    seq = last_seq(org.session)
    read = create(org)
    assert (read.name, read.business_unit, read.created_by) == ("standard", "retail", "eddie")
    assert [t.position for t in read.thresholds] == [1, 2, 3, 4]
    assert [t.trigger for t in read.thresholds] == [
        PolicyTrigger.BUDGET_CONSUMED,
        PolicyTrigger.PAGE_ALERT,
        PolicyTrigger.BUDGET_CONSUMED,
        PolicyTrigger.BUDGET_CONSUMED,
    ]
    org.session.expire_all()
    again = policies_service.get_policy(org.session, actor=org.vera, name="standard")
    assert again == read
    assert [t.consumed_at_least for t in again.thresholds] == [
        Decimal("0.5"),
        None,
        Decimal("0.755"),
        Decimal("1"),
    ]
    escalate = again.thresholds[2].actions[0]
    assert isinstance(escalate, EscalateAction)
    assert escalate.documentation_required == ("incident report", "RCA")
    event = org.session.scalars(select(AuditEvent).where(AuditEvent.seq > seq)).one()
    assert (event.action, event.entity_type, event.entity_key) == (
        "policy.created",
        "error_budget_policy",
        "standard",
    )
    assert json.loads(event.payload)["after"]["thresholds"][3]["actions"] == [
        {"kind": "freeze_releases", "exempt": ["security fixes"]},
        {"kind": "require_review", "review": "reliability review", "deadline_hours": None},
    ]


def test_policies_are_scoped_to_their_unit(org: Org) -> None:
    create(org)
    create(org, org.wendy, policy("wholesale-default", "wholesale"))
    with pytest.raises(NotFound) as outside:
        policies_service.get_policy(org.session, actor=org.vera, name="wholesale-default")
    with pytest.raises(NotFound) as missing:
        policies_service.get_policy(org.session, actor=org.vera, name="nothing")
    assert outside.value.detail.replace("wholesale-default", "X") == missing.value.detail.replace(
        "nothing", "X"
    )

    def names(who: Actor, unit: str | None = None) -> list[str]:
        rows, _ = policies_service.list_policies(
            org.session, actor=who, business_unit=unit, after=None, limit=50
        )
        return [p.name for p in rows]

    assert names(org.vera) == ["standard"]
    assert names(org.wendy) == ["wholesale-default"]
    assert names(SYSTEM) == ["standard", "wholesale-default"]
    assert names(SYSTEM, "wholesale") == ["wholesale-default"]
    with pytest.raises(InvalidInput) as raised:
        names(SYSTEM, "nowhere")
    assert raised.value.problems[0].field == "business_unit"


def test_writes_need_objectives_write_in_the_unit_and_leave_nothing_when_refused(
    org: Org,
) -> None:
    seq = last_seq(org.session)
    with pytest.raises(Forbidden):
        create(org, org.eddie, policy("xy", "wholesale"))
    with pytest.raises(Forbidden):
        create(org, org.vera)
    with pytest.raises(InvalidInput) as raised:
        create(org, org.eddie, policy("xy", "nowhere"))
    assert raised.value.problems[0].field == "business_unit"
    with pytest.raises(RuleViolation) as violated:
        create(org, org.eddie, policy(ladder=[LADDER[2], LADDER[0]]))
    assert violated.value.rule == "thresholds-not-increasing"
    assert (count(org.session, ErrorBudgetPolicy), count(org.session, PolicyThreshold)) == (0, 0)
    assert last_seq(org.session) == seq
    create(org)
    with pytest.raises(Forbidden):
        replace(org, "standard", LADDER, org.vera)
    with pytest.raises(NotFound):
        replace(org, "standard", LADDER, org.wendy)
    with pytest.raises(NotFound):
        policies_service.delete_policy(org.session, actor=org.wendy, name="standard", now=utc_now())


def test_names_are_unique_for_good(org: Org) -> None:
    create(org)
    with pytest.raises(Conflict):
        create(org, org.wendy, policy("standard", "wholesale"))
    policies_service.delete_policy(org.session, actor=org.eddie, name="standard", now=utc_now())
    with pytest.raises(Conflict):
        create(org)


def test_replacing_thresholds_retires_the_old_rungs(org: Org) -> None:
    old = create(org)
    seq = last_seq(org.session)
    new = replace(
        org,
        "standard",
        [
            {"trigger": "at_risk", "actions": [{"kind": "require_review", "deadline_hours": 72}]},
            {
                "trigger": "budget_consumed",
                "consumed_at_least": "0.9",
                "actions": [{"kind": "freeze_releases"}],
            },
        ],
    )
    assert [(t.position, t.trigger) for t in new.thresholds] == [
        (1, PolicyTrigger.AT_RISK),
        (2, PolicyTrigger.BUDGET_CONSUMED),
    ]
    old_ids = {t.id for t in old.thresholds}
    assert old_ids.isdisjoint({t.id for t in new.thresholds})
    rows = org.session.scalars(select(PolicyThreshold).order_by(PolicyThreshold.id)).all()
    assert len(rows) == 6  # the old rungs stay, retired, for the events that refer to them
    assert {r.id for r in rows if r.deleted_at is not None} == old_ids
    events = org.session.scalars(select(AuditEvent).where(AuditEvent.seq > seq)).all()
    assert [e.action for e in events] == ["policy.thresholds_replaced"]
    payload = json.loads(events[0].payload)
    assert len(payload["before"]["thresholds"]) == 4
    assert len(payload["after"]["thresholds"]) == 2

    with pytest.raises(RuleViolation) as violated:
        replace(org, "standard", [LADDER[1], LADDER[1]])
    assert (violated.value.rule, violated.value.problems[0].field) == (
        "duplicate-trigger",
        "thresholds.1.trigger",
    )
    assert count(org.session, PolicyThreshold) == 6
    assert audit_actions(org.session, since=seq) == ["policy.thresholds_replaced"]


def test_a_policy_in_use_is_not_deleted(org: Org) -> None:
    create(org)
    use(org, "standard")
    seq = last_seq(org.session)
    with pytest.raises(InvalidTransition) as raised:
        policies_service.delete_policy(org.session, actor=org.eddie, name="standard", now=utc_now())
    assert raised.value.rule == "policy-in-use"
    assert last_seq(org.session) == seq
    use(org, None)
    seq = last_seq(org.session)
    policies_service.delete_policy(org.session, actor=org.eddie, name="standard", now=utc_now())
    assert audit_actions(org.session, since=seq) == ["policy.deleted"]
    with pytest.raises(NotFound):
        policies_service.get_policy(org.session, actor=org.eddie, name="standard")
    with pytest.raises(NotFound):
        replace(org, "standard", LADDER)
    assert org.session.scalars(select(ErrorBudgetPolicy.deleted_at)).one() is not None


def test_a_deleted_objective_does_not_hold_its_policy(org: Org) -> None:
    create(org)
    use(org, "standard")
    objectives_service.delete_objective(org.session, actor=SYSTEM, key=org.slo, now=utc_now())
    policies_service.delete_policy(org.session, actor=org.eddie, name="standard", now=utc_now())


def test_the_evaluator_reads_live_policies_and_rungs(org: Org) -> None:
    standard = create(org)
    other = create(org, org.wendy, policy("other", "wholesale", ladder=[LADDER[1]]))
    create(org, data=policy("gone"))
    policies_service.delete_policy(org.session, actor=org.eddie, name="gone", now=utc_now())
    replace(org, "other", [LADDER[0]], org.wendy)
    ids = dict(org.session.execute(select(ErrorBudgetPolicy.name, ErrorBudgetPolicy.id)).all())

    found = policies_service.policy_for_objectives(
        org.session, {ids["standard"], ids["other"], ids["gone"], 424242}
    )
    assert set(found) == {ids["standard"], ids["other"]}
    rules = found[ids["standard"]]
    assert (rules.name, rules.id) == ("standard", ids["standard"])
    assert [t.id for t in rules.thresholds] == [t.id for t in standard.thresholds]
    assert [t.position for t in rules.thresholds] == [1, 2, 3, 4]
    third = rules.thresholds[2]
    assert (third.trigger, third.consumed_at_least) == (
        PolicyTrigger.BUDGET_CONSUMED,
        Decimal("0.755"),
    )
    escalate = third.actions[0]
    assert escalate.kind is PolicyAction.ESCALATE
    assert isinstance(escalate, EscalateAction)
    assert (escalate.role, escalate.deadline_hours) == (EscalationRole.SRE_LEAD, 24)
    assert rules.thresholds[3].has(PolicyAction.FREEZE_RELEASES)
    replaced = found[ids["other"]]
    assert [t.trigger for t in replaced.thresholds] == [PolicyTrigger.BUDGET_CONSUMED]
    assert replaced.thresholds[0].id not in {t.id for t in other.thresholds}
    assert policies_service.policy_for_objectives(org.session, []) == {}
    assert isinstance(policies_service.Threshold, type)  # re-exported for the evaluator
