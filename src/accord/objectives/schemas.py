"""Objective shapes: definitions, windows, source queries and alerting labels."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from accord.kit.errors import FieldValueError
from accord.kit.types import LongText, Name, Reason, Reference, Slug
from accord.objectives import rules
from accord.objectives.enums import (
    BudgetingMethod,
    CalendarUnit,
    MissingData,
    MonitoringMode,
    SliKind,
    SourceKind,
)

ObjectiveName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=rules.OBJECTIVE_NAME_PATTERN),
    Field(description="Unique within its service: letters, digits, `-`, `_`, `.`."),
]
Target = Annotated[
    Decimal,
    Field(gt=0, lt=1, max_digits=12, decimal_places=10, description="A ratio, e.g. `0.999`."),
]
SliceThreshold = Annotated[
    Decimal,
    Field(
        gt=0,
        le=1,
        max_digits=12,
        decimal_places=10,
        description="A slice is good at or above this ratio.",
    ),
]
LabelName = Annotated[
    str,
    StringConstraints(max_length=128, pattern=rules.LABEL_NAME_PATTERN),
    Field(description="A Prometheus label name."),
]
LabelValue = Annotated[str, StringConstraints(max_length=1_000)]
Labels = dict[LabelName, LabelValue]
ObjectiveKey = Annotated[
    str,
    StringConstraints(pattern=rules.OBJECTIVE_KEY_PATTERN),
    Field(description="An objective's key, e.g. `SLO-0042`."),
]


Description = Annotated[LongText, StringConstraints(max_length=2_000)]
"""What an objective is for: at most 2,000 characters (the column's size)."""


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------------- windows


class RollingWindow(Input):
    kind: Literal["rolling"] = "rolling"
    days: int = Field(default=30, ge=1, le=366)


class CalendarWindow(Input):
    kind: Literal["calendar"] = "calendar"
    unit: CalendarUnit
    time_zone: str = Field(default="UTC", description="IANA zone the periods are cut in.")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return rules.check_time_zone(value)


Window = Annotated[RollingWindow | CalendarWindow, Field(discriminator="kind")]


# ------------------------------------------------------------------------------------ alerting


class AlertSpec(Input):
    disable: bool = False
    labels: Labels = Field(default_factory=dict)
    annotations: dict[LabelName, LabelValue] = Field(default_factory=dict)


class Alerting(Input):
    """Names and labels of the burn-rate alerts in exported Prometheus rules (Sloth's shape)."""

    name: Annotated[str, StringConstraints(max_length=200)] = ""
    labels: Labels = Field(default_factory=dict)
    annotations: dict[LabelName, LabelValue] = Field(default_factory=dict)
    page_alert: AlertSpec = Field(default_factory=AlertSpec)
    ticket_alert: AlertSpec = Field(default_factory=AlertSpec)


# ------------------------------------------------------------------------------------- origin


class KubernetesObject(BaseModel):
    """The Kubernetes object a definition was declared in (a Sloth ``PrometheusServiceLevel``):
    exported rules become a ``PrometheusRule`` of the same name, namespace, labels and
    annotations."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(min_length=1, max_length=253)]
    namespace: Annotated[str, StringConstraints(max_length=63)] = ""
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class ObjectiveOrigin(BaseModel):
    """Where an imported objective's definition came from. Set by the importers
    (``accord import sloth|openslo``), never changed afterwards."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    spec: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="The format and version read: `prometheus/v1`, `sloth.slok.dev/v1`, "
        "`openslo/v1alpha` (Sloth specs) or `openslo/v1`."
    )
    service: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="The service as the document named it (Sloth's `sloth_service`), which may "
        "differ from the catalogue service the objective was imported into."
    )
    kubernetes: KubernetesObject | None = None


# ----------------------------------------------------------------------------------- objectives


class TierException(Input):
    reason: Reason


class ObjectiveCreate(Input):
    service: Slug
    name: ObjectiveName
    display_name: Name | None = Field(default=None, description="Defaults to the name.")
    description: Description = ""
    agreement: Reference | None = Field(
        default=None, description="The agreement whose terms include this objective (`SLA-0042`)."
    )
    version: int | None = Field(
        default=None,
        ge=1,
        description="The draft version of that agreement; its terms gain the objective.",
    )
    sli_kind: SliKind
    latency_threshold_ms: Decimal | None = Field(
        default=None, gt=0, max_digits=12, decimal_places=3
    )
    target: Target
    budgeting_method: BudgetingMethod = BudgetingMethod.OCCURRENCES
    timeslice_seconds: int | None = Field(
        default=None,
        description="Slice length for timeslice methods; a multiple of the bucket grain.",
    )
    timeslice_threshold: SliceThreshold | None = None
    missing_data: MissingData = MissingData.IGNORE
    window: Window = Field(default_factory=RollingWindow)
    monitoring_mode: MonitoringMode | None = Field(
        default=None, description="Default: active when the tier requires it, else passive."
    )
    evaluation_interval_seconds: int | None = Field(
        default=None, ge=60, le=86_400, description="Default: the tier's evaluation interval."
    )
    source: SourceKind = SourceKind.PUSH
    queries: dict[str, Annotated[str, StringConstraints(min_length=1, max_length=10_000)]] = Field(
        default_factory=dict,
        description="Prometheus: `error_query` + `total_query`, or `error_ratio_query`.",
    )
    labels: Labels = Field(default_factory=dict)
    alerting: Alerting = Field(default_factory=Alerting)
    provider_owner: Name | None = None
    customer_owner: Name | None = None
    policy: Slug | None = Field(default=None, description="The error budget policy that applies.")
    tier_exception: TierException | None = Field(
        default=None,
        description="Why the target may sit below the tier's minimum; needs agreements:approve.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> ObjectiveCreate:
        rules.check_definition(
            sli_kind=self.sli_kind,
            latency_threshold_ms=self.latency_threshold_ms,
            budgeting_method=self.budgeting_method,
            timeslice_seconds=self.timeslice_seconds,
            timeslice_threshold=self.timeslice_threshold,
            source=self.source,
            queries=self.queries,
        )
        if (self.agreement is None) != (self.version is None):
            raise FieldValueError("version", "agreement and version go together")
        return self


class ObjectiveUpdate(Input):
    """Fields of the definition. A contractual objective whose version is no longer a draft keeps
    its terms (target, SLI, budgeting, window): those change through a new agreement version."""

    display_name: Name | None = None
    description: Description | None = None
    target: Target | None = None
    window: Window | None = None
    monitoring_mode: MonitoringMode | None = None
    evaluation_interval_seconds: int | None = Field(default=None, ge=60, le=86_400)
    queries: (
        dict[str, Annotated[str, StringConstraints(min_length=1, max_length=10_000)]] | None
    ) = None
    labels: Labels | None = None
    alerting: Alerting | None = None
    provider_owner: Name | None = None
    customer_owner: Name | None = None
    policy: Slug | None = None
    tier_exception: TierException | None = None


class ObjectiveFilter(BaseModel):
    service: Slug | None = None
    agreement: Reference | None = None
    monitoring_mode: MonitoringMode | None = None
    source: SourceKind | None = None


class TierExceptionRead(BaseModel):
    reason: str
    approved_by: str
    approved_at: datetime


class ObjectiveRead(BaseModel):
    key: str
    service: str
    business_unit: str
    name: str
    display_name: str
    description: str
    agreement: str | None
    version: int | None
    sli_kind: SliKind
    latency_threshold_ms: Decimal | None
    target: Decimal
    budgeting_method: BudgetingMethod
    timeslice_seconds: int | None
    timeslice_threshold: Decimal | None
    missing_data: MissingData
    window: Window
    monitoring_mode: MonitoringMode
    evaluation_interval_seconds: int
    source: SourceKind
    queries: dict[str, str]
    labels: dict[str, str]
    alerting: Alerting
    provider_owner: str | None
    customer_owner: str | None
    policy: str | None
    tier_exception: TierExceptionRead | None
    origin: ObjectiveOrigin | None
    created_at: datetime
    updated_at: datetime


class ObjectiveDefinition(BaseModel):
    """What the evaluator needs of an objective, without presentation lookups."""

    model_config = ConfigDict(frozen=True)

    id: int
    key: str
    service_id: int
    business_unit_id: int
    target: Decimal
    budgeting_method: BudgetingMethod
    timeslice_seconds: int | None
    timeslice_threshold: Decimal | None
    missing_data: MissingData
    window: Window
    monitoring_mode: MonitoringMode
    evaluation_interval_seconds: int
    policy_id: int | None


class FeedTarget(NamedTuple):
    """An objective as ingestion checks rows against it."""

    business_unit_id: int
    latency_threshold_ms: float | None
    open_since: datetime
    """The first instant of the open window: buckets before it are "too old"."""
