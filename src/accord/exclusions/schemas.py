"""Exclusion window shapes: declare, decide, read, filter."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from accord.exclusions.enums import ExclusionKind, ExclusionStatus
from accord.kit.types import Instant, Reason
from accord.objectives.schemas import ObjectiveKey


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExclusionCreate(Input):
    kind: ExclusionKind = Field(
        description="`maintenance` and `exception` leave the SLI (or count as good) once "
        "approved; `peak` stays in the SLI and is left out of baselines."
    )
    objective: ObjectiveKey | None = Field(
        default=None,
        description="Only this objective of the service (`SLO-0042`); every objective if absent.",
    )
    starts_at: Instant
    ends_at: Instant = Field(description="Exclusive; after `starts_at`.")
    reason: Reason
    counts_as_good: bool = Field(
        default=False,
        description="The agreement counts the period as good instead of leaving it out "
        "(maintenance and exceptions only).",
    )

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @field_validator("ends_at")
    @classmethod
    def _after_start(cls, value: datetime, info: ValidationInfo) -> datetime:
        starts_at = info.data.get("starts_at")
        if starts_at is not None and value <= starts_at:
            raise ValueError("must be after starts_at")
        return value

    @field_validator("counts_as_good")
    @classmethod
    def _peaks_are_counted(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("kind") is ExclusionKind.PEAK:
            raise ValueError("a peak stays in the SLI as measured")
        return value


class ExclusionDecision(Input):
    reason: Reason


class ExclusionFilter(BaseModel):
    status: ExclusionStatus | None = None
    kind: ExclusionKind | None = None
    ends_after: Instant | None = Field(
        default=None, description="Windows still running at or after this instant."
    )
    starts_before: Instant | None = Field(
        default=None, description="Windows that began before this instant."
    )


class ExclusionRead(BaseModel):
    id: int
    service: str
    objective: str | None
    business_unit: str
    kind: ExclusionKind
    status: ExclusionStatus
    starts_at: datetime
    ends_at: datetime
    reason: str
    counts_as_good: bool
    created_by: str
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime
    updated_at: datetime
