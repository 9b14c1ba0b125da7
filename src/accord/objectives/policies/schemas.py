"""Error budget policy shapes: policies, thresholds and the actions a threshold calls for."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from accord.kit.types import Code, LongText, Name, ShortText, Slug
from accord.objectives.enums import PolicyAction, PolicyTrigger
from accord.objectives.policies.enums import EscalationRole, NotifyChannel

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s/?#@]+[^\s]*$")

Recipient = Annotated[str, Field(min_length=3, max_length=2_000)]
DeadlineHours = Annotated[int, Field(ge=1, le=24 * 90, description="Hours to respond in.")]
ConsumedShare = Annotated[
    Decimal,
    Field(
        gt=0,
        le=10,
        max_digits=8,
        decimal_places=4,
        description="Share of the error budget consumed, e.g. `0.5`; `1` is all of it and more "
        "than 1 an overspent budget.",
    ),
]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------------- actions


class Action(BaseModel):
    """An action a threshold calls for. Frozen: the evaluator reads them as values."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NotifyAction(Action):
    """Tell people (delivery is a later issue; for now the crossing is recorded)."""

    kind: Literal[PolicyAction.NOTIFY]
    channel: NotifyChannel
    recipients: tuple[Recipient, ...] = Field(
        default=(),
        validate_default=True,
        max_length=50,
        description="E-mail addresses for `email`, http(s) URLs for `webhook`, none for `record`.",
    )

    @field_validator("recipients")
    @classmethod
    def _fit_channel(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        channel = info.data.get("channel")
        if channel is None:  # invalid itself, and reported as such
            return value
        if channel is NotifyChannel.RECORD:
            if value:
                raise ValueError("a record notification has no recipients")
            return value
        if not value:
            raise ValueError(f"{channel.value} notifications need at least one recipient")
        pattern, what = (
            (_EMAIL, "an e-mail address")
            if channel is NotifyChannel.EMAIL
            else (_URL, "an http(s) URL")
        )
        for position, recipient in enumerate(value):
            if pattern.fullmatch(recipient) is None or not recipient.isprintable():
                raise ValueError(f"item {position} is not {what}")
        if len(set(value)) != len(value):
            raise ValueError("recipients must not repeat")
        return value


class EscalateAction(Action):
    """Hand the problem to someone who must respond, with what they must produce."""

    kind: Literal[PolicyAction.ESCALATE]
    role: EscalationRole
    deadline_hours: DeadlineHours
    documentation_required: tuple[ShortText, ...] = Field(
        default=(),
        max_length=20,
        description='What the response must include, e.g. `["incident report", "RCA"]`.',
    )

    @field_validator("documentation_required")
    @classmethod
    def _unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len({v.casefold() for v in value}) != len(value):
            raise ValueError("documents must not repeat")
        return value


class FreezeReleasesAction(Action):
    """No releases of the service while the threshold stays crossed (the release gate)."""

    kind: Literal[PolicyAction.FREEZE_RELEASES]
    exempt: tuple[ShortText, ...] = Field(
        default=(),
        max_length=20,
        description='Changes still allowed, e.g. `["security fixes", "reliability fixes"]`.',
    )


class RequireReviewAction(Action):
    """A review of the service's reliability before the budget recovers."""

    kind: Literal[PolicyAction.REQUIRE_REVIEW]
    review: Name = Field(default="reliability review", description="What kind of review.")
    deadline_hours: DeadlineHours | None = None


ThresholdAction = Annotated[
    NotifyAction | EscalateAction | FreezeReleasesAction | RequireReviewAction,
    Field(discriminator="kind"),
]


# ---------------------------------------------------------------------------------- thresholds


class ThresholdCreate(Input):
    trigger: PolicyTrigger
    consumed_at_least: ConsumedShare | None = Field(
        default=None,
        validate_default=True,
        description="For `budget_consumed` (required) and only for it.",
    )
    actions: list[ThresholdAction] = Field(min_length=1, max_length=20)

    @field_validator("consumed_at_least")
    @classmethod
    def _only_for_budget(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        trigger = info.data.get("trigger")
        if trigger is PolicyTrigger.BUDGET_CONSUMED and value is None:
            raise ValueError("required for a budget_consumed threshold")
        if (
            trigger is not None
            and trigger is not PolicyTrigger.BUDGET_CONSUMED
            and value is not None
        ):
            raise ValueError(f"only for budget_consumed thresholds, not {trigger}")
        return value


Thresholds = Annotated[
    list[ThresholdCreate],
    Field(min_length=1, max_length=20, description="The rungs, in order."),
]


class ThresholdsReplace(Input):
    thresholds: Thresholds


class ThresholdRead(BaseModel):
    id: int = Field(description="Policy events refer to the rung by this id.")
    position: int = Field(description="1 for the first rung.")
    trigger: PolicyTrigger
    consumed_at_least: Decimal | None
    actions: list[ThresholdAction]


# ------------------------------------------------------------------------------------ policies

PolicyName = Annotated[Slug, Field(description="Unique, e.g. `standard-99-9`.")]


class PolicyCreate(Input):
    name: PolicyName
    title: Name
    description: LongText = ""
    business_unit: Code = Field(description="The unit that owns the policy.")
    thresholds: Thresholds


class PolicyRead(BaseModel):
    name: str
    title: str
    description: str
    business_unit: str
    thresholds: list[ThresholdRead]
    created_by: str
    created_at: datetime
    updated_at: datetime
