"""Policy shapes and the ladder's rules, without a database: thresholds and their triggers, the
discriminated actions, and the frozen values the evaluator reads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from accord.kit.errors import RuleViolation
from accord.objectives.enums import PolicyAction, PolicyTrigger
from accord.objectives.policies.enums import EscalationRole, NotifyChannel
from accord.objectives.policies.rules import Threshold, check_thresholds
from accord.objectives.policies.schemas import (
    EscalateAction,
    FreezeReleasesAction,
    ThresholdAction,
    ThresholdCreate,
)

FREEZE: dict[str, Any] = {"kind": "freeze_releases"}
ACTIONS = TypeAdapter(list[ThresholdAction])


def rung(trigger: str, at: str | None = None, *actions: dict[str, Any]) -> ThresholdCreate:
    return ThresholdCreate.model_validate(
        {"trigger": trigger, "consumed_at_least": at, "actions": list(actions) or [FREEZE]}
    )


def refused(*rungs: ThresholdCreate) -> RuleViolation:
    with pytest.raises(RuleViolation) as raised:
        check_thresholds(list(rungs))
    return raised.value


def test_a_climbing_ladder_with_one_rung_per_alert_is_accepted() -> None:
    check_thresholds(
        [
            rung("ticket_alert"),
            rung("budget_consumed", "0.5"),
            rung("page_alert"),
            rung("budget_consumed", "0.75"),
            rung("at_risk"),
            rung("budget_consumed", "1"),
            rung("budget_consumed", "1.5"),  # an overspent budget
        ]
    )


@pytest.mark.parametrize("second", ["0.5", "0.4999"])
def test_budget_rungs_climb_strictly(second: str) -> None:
    error = refused(
        rung("budget_consumed", "0.5"), rung("page_alert"), rung("budget_consumed", second)
    )
    assert error.rule == "thresholds-not-increasing"
    assert error.problems[0].field == "thresholds.2.consumed_at_least"


@pytest.mark.parametrize("trigger", ["page_alert", "ticket_alert", "at_risk"])
def test_an_alert_trigger_appears_once(trigger: str) -> None:
    error = refused(rung(trigger), rung("budget_consumed", "0.5"), rung(trigger))
    assert (error.rule, error.problems[0].field) == ("duplicate-trigger", "thresholds.2.trigger")


@pytest.mark.parametrize(
    ("payload", "location"),
    [
        ({"trigger": "budget_consumed"}, ("consumed_at_least",)),
        ({"trigger": "page_alert", "consumed_at_least": "0.5"}, ("consumed_at_least",)),
        ({"trigger": "budget_consumed", "consumed_at_least": "0"}, ("consumed_at_least",)),
        ({"trigger": "budget_consumed", "consumed_at_least": "10.5"}, ("consumed_at_least",)),
        ({"trigger": "budget_consumed", "consumed_at_least": "0.12345"}, ("consumed_at_least",)),
        ({"trigger": "page_alert", "actions": []}, ("actions",)),
        ({"trigger": "burned"}, ("trigger",)),
        ({"trigger": "page_alert", "actions": [{"kind": "reboot"}]}, ("actions", 0)),
        ({"trigger": "page_alert", "actions": [{"channel": "email"}]}, ("actions", 0)),
        ({"trigger": "page_alert", "position": 3}, ("position",)),
    ],
)
def test_threshold_shapes_are_refused_naming_the_field(
    payload: dict[str, Any], location: tuple[Any, ...]
) -> None:
    with pytest.raises(ValidationError) as raised:
        ThresholdCreate.model_validate({"actions": [FREEZE]} | payload)
    assert [e["loc"] for e in raised.value.errors()] == [location]


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ({"kind": "notify", "channel": "email"}, "recipients"),
        ({"kind": "notify", "channel": "email", "recipients": ["not-an-address"]}, "recipients"),
        ({"kind": "notify", "channel": "email", "recipients": ["a@x.io", "a@x.io"]}, "recipients"),
        ({"kind": "notify", "channel": "webhook", "recipients": ["ftp://x.io/hook"]}, "recipients"),
        ({"kind": "notify", "channel": "record", "recipients": ["a@x.io"]}, "recipients"),
        ({"kind": "notify", "channel": "pager", "recipients": ["a@x.io"]}, "channel"),
        ({"kind": "escalate", "role": "ceo", "deadline_hours": 4}, "role"),
        ({"kind": "escalate", "role": "sre_lead", "deadline_hours": 0}, "deadline_hours"),
        ({"kind": "escalate", "role": "sre_lead"}, "deadline_hours"),
        (
            {
                "kind": "escalate",
                "role": "sre_lead",
                "deadline_hours": 4,
                "documentation_required": ["RCA", "rca"],
            },
            "documentation_required",
        ),
        (
            {
                "kind": "escalate",
                "role": "sre_lead",
                "deadline_hours": 4,
                "documentation_required": ["RCA\n"],
            },
            "documentation_required",
        ),
        ({"kind": "freeze_releases", "until": "never"}, "until"),
        ({"kind": "require_review", "review": ""}, "review"),
    ],
)
def test_actions_are_validated_by_kind(action: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        ACTIONS.validate_python([action])
    locations = [e["loc"] for e in raised.value.errors()]
    assert len(locations) == 1
    assert locations[0][:2] == (0, action["kind"])
    assert locations[0][2] == field


def test_actions_round_trip_as_typed_frozen_values() -> None:
    stored = [
        {"kind": "notify", "channel": "email", "recipients": ["sre@bank.example"]},
        {"kind": "notify", "channel": "webhook", "recipients": ["https://hooks.example/slo"]},
        {"kind": "notify", "channel": "record"},
        {
            "kind": "escalate",
            "role": "service_owner",
            "deadline_hours": 48,
            "documentation_required": ["incident report", "RCA"],
        },
        {"kind": "freeze_releases", "exempt": ["security fixes"]},
        {"kind": "require_review"},
    ]
    actions = ACTIONS.validate_python(stored)
    assert [a.kind for a in actions] == [
        PolicyAction.NOTIFY,
        PolicyAction.NOTIFY,
        PolicyAction.NOTIFY,
        PolicyAction.ESCALATE,
        PolicyAction.FREEZE_RELEASES,
        PolicyAction.REQUIRE_REVIEW,
    ]
    assert actions[0].kind is PolicyAction.NOTIFY  # the member itself, for `is` comparisons
    escalate = actions[3]
    assert isinstance(escalate, EscalateAction)
    assert escalate.role is EscalationRole.SERVICE_OWNER
    assert escalate.documentation_required == ("incident report", "RCA")
    assert ACTIONS.validate_python(ACTIONS.dump_python(actions, mode="json")) == actions
    assert ACTIONS.dump_python(actions, mode="json")[2] == {
        "kind": "notify",
        "channel": NotifyChannel.RECORD.value,
        "recipients": [],
    }
    assert ACTIONS.dump_python(actions, mode="json")[5]["review"] == "reliability review"
    with pytest.raises(ValidationError):
        escalate.deadline_hours = 1  # type: ignore[misc]


def test_threshold_values_say_what_they_call_for() -> None:
    threshold = Threshold(
        id=7,
        position=2,
        trigger=PolicyTrigger.BUDGET_CONSUMED,
        consumed_at_least=Decimal("0.75"),
        actions=(FreezeReleasesAction(kind=PolicyAction.FREEZE_RELEASES),),
    )
    assert threshold.has(PolicyAction.FREEZE_RELEASES)
    assert not threshold.has(PolicyAction.ESCALATE)
    with pytest.raises(AttributeError):
        threshold.position = 1  # type: ignore[misc]
