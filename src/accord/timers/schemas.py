"""Input and output shapes of tickets and timers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from accord.agreements.enums import ChangePolicy
from accord.agreements.schemas import PriorityCode
from accord.kit.types import Code, Instant, Name, Reference, Slug
from accord.timers.enums import EventKind, TargetMetric, TicketState, TimerStatus

TicketKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/#-]*$"),
    Field(description="The ticket's key in its tool, e.g. `INC0012345`, `SUP-42`."),
]
AgreementRef = Annotated[
    str,
    StringConstraints(pattern=r"^(SLA|OLA|UC)-[0-9]{4,}$"),
    Field(description="e.g. `SLA-0001`"),
]


class TicketEventIn(BaseModel):
    """One thing that happened to a ticket. Fields left out keep their previous value: an event
    carries what changed (a state change names the new ``state``, a handoff the new ``team``)."""

    model_config = ConfigDict(extra="forbid")

    id: Reference = Field(description="The event's id in its source; a re-sent id is ignored.")
    ticket: TicketKey
    kind: EventKind
    occurred_at: Instant = Field(description="When it happened in the tool (not when it arrived).")
    state: TicketState | None = Field(
        default=None, description="The state after the event (implied by created/resolved/…)."
    )
    priority: PriorityCode | None = None
    team: Code | None = Field(default=None, description="The team (assignment group) now on it.")
    request_type: Code | None = Field(
        default=None, description="e.g. `incident`, `service_request`."
    )
    service: Slug | None = None
    customer: Code | None = None
    agreement: AgreementRef | None = Field(
        default=None,
        description="The SLA the ticket is held to; found from service and customer when absent.",
    )
    title: Name | None = None

    @model_validator(mode="after")
    def _kind_carries_its_field(self) -> TicketEventIn:
        if self.kind in (EventKind.ASSIGNED, EventKind.HANDOFF) and self.team is None:
            raise ValueError(f"a {self.kind.value} event names the team it goes to (team)")
        if self.kind is EventKind.PRIORITY_CHANGED and self.priority is None:
            raise ValueError("a priority_changed event names the new priority (priority)")
        if self.kind is EventKind.STATE_CHANGED and self.state is None:
            raise ValueError("a state_changed event names the new state (state)")
        return self


class TicketEventBatch(BaseModel):
    """`POST /api/v1/tickets/events`: events of one source, in any order."""

    model_config = ConfigDict(extra="forbid")

    source: Code = Field(description="The ticketing tool instance, e.g. `servicenow-prod`.")
    events: list[TicketEventIn] = Field(min_length=1, max_length=10_000)


# ---------------------------------------------------------------------------------------- reads


class IngestSummary(BaseModel):
    accepted: int = Field(description="Events stored.")
    duplicates: int = Field(description="Events already stored under the same id (ignored).")
    tickets: int = Field(description="Tickets the stored events belong to.")


class EventRead(BaseModel):
    id: str
    kind: EventKind
    occurred_at: datetime
    state: TicketState | None
    priority: str | None
    team: str | None
    request_type: str | None
    service: str | None
    customer: str | None
    agreement: str | None


class IntervalRead(BaseModel):
    start: datetime
    end: datetime
    business_seconds: int


class ThresholdRead(BaseModel):
    name: str = Field(description="`50%`… for warnings, `level 1`… for escalations.")
    at: datetime | None = Field(
        description="Reached (or projected to be, when `reached` is false)."
    )
    reached: bool


class TimerRead(BaseModel):
    """One timer. Durations are business seconds on ``calendar``."""

    ticket: str
    source: str
    metric: TargetMetric
    agreement: str
    version: int
    team: str | None = Field(description="The team whose OLA/UC this is (handoff timers only).")
    calendar: str
    target: str = Field(
        description="The target as the agreement words it, e.g. `4 business_hours`."
    )
    target_seconds: int
    on_change: ChangePolicy
    status: TimerStatus
    started_at: datetime | None
    stopped_at: datetime | None
    deadline: datetime | None = Field(
        description="When elapsed business time reaches the target (none while paused)."
    )
    elapsed_seconds: int
    remaining_seconds: int
    overrun_seconds: int
    percent: float
    breached: bool
    breach_at: datetime | None
    warnings: list[ThresholdRead]
    escalations: list[ThresholdRead]
    intervals: list[IntervalRead] | None = Field(
        default=None, description="The running intervals (on the ticket's own view)."
    )


class TicketRead(BaseModel):
    source: str
    key: str
    title: str | None
    service: str | None
    customer: str | None
    agreement: str | None = Field(description="The SLA timing the ticket (named or found).")
    request_type: str | None
    priority: str | None
    state: TicketState | None
    team: str | None
    opened_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    last_event_at: datetime


class TicketDetail(TicketRead):
    events: list[EventRead]
    timers: list[TimerRead]
    handoffs: list[TimerRead] = Field(
        description="One resolution timer per stint with a team bound by an OLA or UC."
    )


class TimerFilter(BaseModel):
    service: Slug | None = None
    priority: PriorityCode | None = None
    team: Code | None = None
    source: Code | None = None
    metric: TargetMetric | None = None
    status: TimerStatus | None = None
    breached: bool | None = None
    opened_from: Instant | None = None
    opened_before: Instant | None = None


class ComplianceGroup(StrEnum):
    PRIORITY = "priority"
    SERVICE = "service"
    CUSTOMER = "customer"
    TEAM = "team"
    AGREEMENT = "agreement"


class ComplianceRow(BaseModel):
    metric: TargetMetric
    group: str = Field(description="The value of the grouping field (`-` when empty).")
    met: int
    breached: int
    open: int = Field(description="Not stopped yet and within target so far (not counted).")
    within_target: float | None = Field(
        description="met / (met + breached); none when no timer has finished."
    )


class ComplianceRead(BaseModel):
    period_start: datetime
    period_end: datetime
    group_by: ComplianceGroup
    rule: str = Field(
        description="Which timers count: those of tickets opened in the period; a breached timer "
        "counts as breached even while still open."
    )
    rows: list[ComplianceRow]
    breached_tickets: list[str] = Field(description="`source/key` of tickets with a breach.")


class AlignmentLink(BaseModel):
    agreement: str
    kind: str
    team: str | None
    calendar: str
    target: str | None = Field(description="The matching target; none: the link promises nothing.")


class AlignmentRow(BaseModel):
    """Whether a chain of supporting targets fits inside one SLA target, measured on the SLA's
    calendar from sample starts spread over working hours."""

    sla: str
    metric: TargetMetric
    request_type: str | None
    priority: str | None
    service: str | None
    sla_target: str
    sla_calendar: str
    chain: list[AlignmentLink]
    verdict: str = Field(description="`fits`, `sometimes` or `does-not-fit` (or `no-target`).")
    worst_chain_seconds: int | None = Field(
        description="The longest the chain takes, in the SLA's business seconds."
    )
    sla_seconds: int | None = Field(description="The SLA target in its business seconds.")
    fits_share: float | None = Field(description="Share of sample starts where the chain fits.")
