"""Rules of error budget policies (pure), and the policy as the evaluator reads it.

A policy is a ladder of thresholds ("rungs"), each with at least one action. Budget rungs
(``budget_consumed``) climb: each one's ``consumed_at_least`` is above the previous budget
rung's. Alert rungs (``page_alert``, ``ticket_alert``, ``at_risk``) fire on a condition, so each
appears at most once. Every rung is evaluated on its own: a budget consumed at 0.8 crosses the
0.5 and 0.75 rungs alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from accord.kit.errors import RuleViolation
from accord.objectives.enums import PolicyAction, PolicyTrigger
from accord.objectives.policies.schemas import ThresholdAction, ThresholdCreate

ALERT_TRIGGERS = frozenset(PolicyTrigger) - {PolicyTrigger.BUDGET_CONSUMED}


@dataclass(frozen=True)
class Threshold:
    """One live rung: policy events refer to it by ``id``."""

    id: int
    position: int
    """1 for the first rung."""
    trigger: PolicyTrigger
    consumed_at_least: Decimal | None
    """For ``budget_consumed`` only: the share of the budget consumed at which it is crossed."""
    actions: tuple[ThresholdAction, ...]

    def has(self, kind: PolicyAction) -> bool:
        return any(a.kind is kind for a in self.actions)


@dataclass(frozen=True)
class PolicyRules:
    """A live policy with its live rungs, in order."""

    id: int
    name: str
    business_unit_id: int
    thresholds: tuple[Threshold, ...]


def check_thresholds(thresholds: Sequence[ThresholdCreate]) -> None:
    """The ladder's shape; the field named is ``thresholds.<index>.<field>``."""
    previous: Decimal | None = None
    seen: set[PolicyTrigger] = set()
    for index, threshold in enumerate(thresholds):
        if threshold.trigger is PolicyTrigger.BUDGET_CONSUMED:
            level = threshold.consumed_at_least
            assert level is not None  # the schema requires it
            if previous is not None and level <= previous:
                raise RuleViolation(
                    "thresholds-not-increasing",
                    f"budget thresholds climb: {level} does not exceed the previous {previous}",
                    field=f"thresholds.{index}.consumed_at_least",
                )
            previous = level
        elif threshold.trigger in seen:
            raise RuleViolation(
                "duplicate-trigger",
                f"a policy has one {threshold.trigger.value} threshold",
                field=f"thresholds.{index}.trigger",
            )
        seen.add(threshold.trigger)
