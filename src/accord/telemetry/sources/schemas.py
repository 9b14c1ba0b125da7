"""Source registry shapes: sources, their mappings and ingest tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from accord.kit.errors import FieldValueError
from accord.kit.types import Code, Name, Slug
from accord.objectives import rules as objectives_rules
from accord.objectives.enums import SourceKind
from accord.objectives.schemas import ObjectiveKey
from accord.telemetry.enums import MappingRole
from accord.telemetry.sources import rules

LATENCY_UNITS = ("ns", "us", "µs", "μs", "ms", "s", "min", "h")
"""Units a latency may be sent in (normalised to milliseconds before storage)."""

Query = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
MetricName = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceCreate(Input):
    name: Slug
    display_name: Name | None = Field(default=None, description="Defaults to the name.")
    kind: SourceKind
    business_unit: Code = Field(description="The unit whose objectives the source may feed.")
    owner: Name | None = Field(default=None, description="The principal answerable for it.")
    expected_interval_seconds: int = Field(
        default=300, ge=10, le=86_400, description="How often data is expected (gap detection)."
    )
    time_zone: str | None = Field(
        default=None,
        description="IANA zone of timestamps sent without an offset; unset: they are refused.",
    )
    latency_unit: str | None = Field(
        default=None, description=f"Unit of latency samples that name none: {LATENCY_UNITS}."
    )
    base_url: Annotated[str, StringConstraints(max_length=2_000)] | None = Field(
        default=None, description="Prometheus or Datadog API address (pulled sources)."
    )
    naming_pattern: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        default=None, description="The organisation's naming convention for metric names (regex)."
    )

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else objectives_rules.check_time_zone(value)

    @field_validator("latency_unit")
    @classmethod
    def _unit(cls, value: str | None) -> str | None:
        if value is not None and value not in LATENCY_UNITS:
            raise ValueError(f"unknown unit {value!r}; one of {', '.join(LATENCY_UNITS)}")
        return value

    @field_validator("naming_pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        return None if value is None else rules.checked_pattern(value)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise FieldValueError("base_url", "an http:// or https:// address")
        return value


class SourceRead(BaseModel):
    name: str
    display_name: str
    kind: SourceKind
    business_unit: str
    owner: str | None
    principal: str = Field(description="The machine principal its ingest tokens belong to.")
    expected_interval_seconds: int
    time_zone: str | None
    latency_unit: str | None
    base_url: str | None
    naming_pattern: str | None
    created_at: datetime
    updated_at: datetime


class MappingCreate(Input):
    objective: ObjectiveKey
    role: MappingRole = MappingRole.PRIMARY
    metric: MetricName | None = Field(default=None, description="Push: the metric name sent.")
    good_query: Query | None = None
    error_query: Query | None = None
    total_query: Query | None = None
    per_second: bool = Field(
        default=False, description="The queries return per-second rates (Sloth's convention)."
    )


class MappingRead(BaseModel):
    id: int
    source: str
    objective: str
    role: MappingRole
    metric: str | None
    good_query: str | None
    error_query: str | None
    total_query: str | None
    per_second: bool
    created_at: datetime


class SourceTokenCreate(Input):
    name: Name = Field(description="What the token is for, e.g. `prod-pusher`.")
    expires_in_days: int | None = Field(default=None, ge=1)
