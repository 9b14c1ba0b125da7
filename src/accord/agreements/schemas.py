"""Agreement shapes. Internal reads (`AgreementRead`, `VersionRead`) carry every field; external
reads (`ExternalAgreementRead`) are a separate, smaller type, so an external viewer cannot be
given an internal field by accident."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from accord.agreements.enums import (
    AgreementKind,
    ChangePolicy,
    DurationUnit,
    FeePeriod,
    ReviewCycle,
    SignOffRole,
    Structure,
    TargetMetric,
    TicketState,
    TieBreak,
    VersionStatus,
)
from accord.kit.errors import FieldValueError
from accord.kit.types import (
    Code,
    Instant,
    LongText,
    Name,
    Reason,
    Reference,
    ShortText,
    Slug,
    reject_control_characters_multiline,
)

AgreementKey = Annotated[
    str,
    StringConstraints(pattern=r"^(SLA|OLA|UC)-[0-9]{4,}$"),
    Field(description="e.g. `SLA-0001`"),
]
Currency = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{3}$"), Field(description="ISO 4217 code, e.g. `EUR`.")
]
Jurisdiction = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$"),
    Field(description="Governing law: ISO 3166 country or subdivision, e.g. `DE`, `US-NY`."),
]
CalendarRef = Annotated[
    Code,
    Field(description="Supported-hours calendar: `24x7` or a business calendar's code."),
]

PriorityCode = Annotated[
    str,
    StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"),
    Field(description="A ticket priority as the targets name it, e.g. `P1`."),
]

_DEFAULT_PAUSES: dict[TargetMetric, tuple[TicketState, ...]] = {
    TargetMetric.TIME_TO_OWN: (),  # a response is not extended by pauses unless a term says so
    TargetMetric.TIME_TO_RESOLVE: (TicketState.AWAITING_CUSTOMER,),
}
_DEFAULT_STOPS: dict[TargetMetric, tuple[TicketState, ...]] = {
    TargetMetric.TIME_TO_OWN: tuple(
        s for s in TicketState if s not in (TicketState.NEW, TicketState.ASSIGNED)
    ),
    TargetMetric.TIME_TO_RESOLVE: (
        TicketState.RESOLVED,
        TicketState.CLOSED,
        TicketState.CANCELLED,
    ),
}


class Escalation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    level: int = Field(ge=1, le=9)
    offset_minutes: int = Field(
        ge=-525_600,
        le=525_600,
        description="Business minutes from the deadline: negative before it, positive after.",
    )


class TicketTarget(BaseModel):
    """One time-to-own or time-to-resolve target, keyed like iTop's service level targets by
    (metric, request type, priority, service); an empty key part matches any value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: TargetMetric
    request_type: Code | None = None
    priority: PriorityCode | None = None
    service: Slug | None = None
    amount: int = Field(ge=0, le=100_000, description="How many ``unit``s.")
    unit: DurationUnit
    start_states: list[TicketState] | None = Field(
        default=None,
        description="The timer starts when the ticket first enters one of these (default: at "
        "creation).",
    )
    pause_states: list[TicketState] | None = Field(
        default=None,
        description="Paused while in these (default: none for time to own, `awaiting_customer` "
        "for time to resolve, the customer-responsibility clause).",
    )
    stop_states: list[TicketState] | None = Field(
        default=None,
        description="Stopped in these (default: leaving `new`/`assigned` for time to own; "
        "`resolved`, `closed`, `cancelled` for time to resolve, which a reopen resumes).",
    )
    on_change: ChangePolicy = ChangePolicy.RETROACTIVE
    warnings: list[int] = Field(
        default_factory=lambda: [50, 75, 100], description="Percentages of the target."
    )
    escalations: list[Escalation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.amount == 0 and self.unit is not DurationUnit.END_OF_WORKING_DAY:
            raise FieldValueError("amount", "a target of nothing is only the end of today")
        if any(not 1 <= w <= 1000 for w in self.warnings) or len(set(self.warnings)) != len(
            self.warnings
        ):
            raise FieldValueError("warnings", "distinct percentages between 1 and 1000")
        if len({e.level for e in self.escalations}) != len(self.escalations):
            raise FieldValueError("escalations", "each level once")
        if set(self.effective_pauses) & set(self.effective_stops):
            raise FieldValueError("pause_states", "a state cannot both pause and stop the timer")
        return self

    @property
    def effective_pauses(self) -> tuple[TicketState, ...]:
        found = self.pause_states
        return tuple(found) if found is not None else _DEFAULT_PAUSES[self.metric]

    @property
    def effective_stops(self) -> tuple[TicketState, ...]:
        found = self.stop_states
        return tuple(found) if found is not None else _DEFAULT_STOPS[self.metric]

    @property
    def key(self) -> tuple[TargetMetric, str | None, str | None, str | None]:
        return (self.metric, self.request_type, self.priority, self.service)


class TicketTerms(BaseModel):
    """The agreement's response and resolution targets for tickets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tie_break: TieBreak = Field(
        default=TieBreak.SHORTEST, description="Which target wins when several match."
    )
    targets: list[TicketTarget] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _distinct_keys(self) -> Self:
        keys = [t.key for t in self.targets]
        if len(set(keys)) != len(keys):
            raise FieldValueError(
                "targets", "two targets share metric, request type, priority and service"
            )
        return self


def _fixed_point(value: Decimal) -> Decimal:
    """One written form per amount on every backend: no exponent (``1E+3`` is ``1000``, which
    is what PostgreSQL's NUMERIC gives back) and no negative zero. The scale is kept."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        value = value.quantize(Decimal(1))
    return value.copy_abs() if value.is_zero() else value


Money = Annotated[
    Decimal, Field(ge=0, max_digits=18, decimal_places=4), AfterValidator(_fixed_point)
]


REGULATORY_TAGS = ("GDPR", "HIPAA", "SOX", "PCI-DSS", "ISO-27001", "SOC2", "DORA", "NIS2", "CCPA")
RegulatoryTagName = Annotated[
    str,
    StringConstraints(
        pattern=r"^(" + "|".join(t.replace("-", r"\-") for t in REGULATORY_TAGS) + r")$"
    ),
    Field(description="One of: " + ", ".join(REGULATORY_TAGS)),
]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TermFields(Input):
    """The negotiated terms. Every field is optional here so that PATCH can send only changes."""

    summary: LongText | None = None
    services: list[Slug] | None = Field(default=None, description="Slugs of the services covered.")
    scope_inclusions: list[ShortText] | None = None
    scope_exclusions: list[ShortText] | None = Field(
        default=None, description="e.g. third-party dependencies, force majeure, customer changes"
    )
    supported_hours: CalendarRef | None = None
    customer_responsibilities: list[ShortText] | None = None
    jurisdiction: Jurisdiction | None = None
    review_cycle: ReviewCycle | None = None
    term_start: date | None = None
    term_end: date | None = Field(default=None, description="Null: open-ended (evergreen).")
    fee_amount: Money | None = None
    fee_currency: Currency | None = None
    fee_period: FeePeriod | None = None
    legal_reference: Reference | None = None
    procurement_reference: Reference | None = None
    regulatory_tags: list[RegulatoryTagName] | None = None
    requested_sign_offs: list[SignOffRole] | None = Field(
        default=None,
        description="Sign-offs this agreement demands on top of those its services' tiers demand "
        "(the provider owner always signs).",
    )
    internal_notes: LongText | None = None
    ticket_terms: TicketTerms | None = None

    @model_validator(mode="after")
    def _no_duplicates(self) -> Self:
        for name in ("services", "regulatory_tags", "requested_sign_offs"):
            values = getattr(self, name)
            if values is not None and len(set(values)) != len(values):
                raise ValueError(f"{name} must not repeat an entry")
        return self


class Terms(TermFields):
    """Complete terms for a new agreement (``term_start`` is required)."""

    term_start: date


class AgreementCreate(Input):
    kind: AgreementKind
    structure: Structure = Structure.MONOLITHIC
    master: AgreementKey | None = Field(default=None, description="For a schedule: its master.")
    title: Name
    business_unit: Code = Field(description="Our unit: provider of an SLA/OLA, buyer of a UC.")
    customer: Code | None = Field(default=None, description="SLA only: the customer served.")
    consumer_business_unit: Code | None = Field(default=None, description="OLA only.")
    vendor: Code | None = Field(default=None, description="UC only: the supplier.")
    region: Code | None = Field(default=None, description="Delivery / data-residency region.")
    terms: Terms
    reason: Reason


class AgreementUpdate(Input):
    title: Name
    reason: Reason


class VersionCreate(Input):
    """A new draft, starting from the latest version's terms with ``terms`` applied on top."""

    terms: TermFields = Field(default_factory=TermFields)
    reason: Reason


class VersionUpdate(TermFields):
    reason: Reason


class TransitionRequest(Input):
    reason: Reason


class ActivationRequest(Input):
    effective_from: Instant | None = Field(
        default=None,
        description="When the version takes effect; default now. Never before its approval.",
    )
    reason: Reason


class SignOffCreate(Input):
    role: SignOffRole
    comment: Annotated[
        str,
        StringConstraints(max_length=2_000),
        AfterValidator(reject_control_characters_multiline),
    ] = ""


class AgreementFilter(BaseModel):
    kind: AgreementKind | None = None
    status: VersionStatus | None = Field(
        default=None, description="Agreements having a version in this status."
    )
    service: Slug | None = None
    customer: Code | None = None
    business_unit: Code | None = None
    region: Code | None = None
    vendor: Code | None = None


# ---------------------------------------------------------------------------------------- reads


class TermsRead(BaseModel):
    summary: str
    services: list[str]
    scope_inclusions: list[str]
    scope_exclusions: list[str]
    supported_hours: str
    customer_responsibilities: list[str]
    jurisdiction: str | None
    review_cycle: ReviewCycle
    term_start: date
    term_end: date | None
    fee_amount: Decimal | None
    fee_currency: str | None
    fee_period: FeePeriod | None
    legal_reference: str | None
    procurement_reference: str | None
    regulatory_tags: list[str]
    ticket_terms: TicketTerms
    requested_sign_offs: list[str] = Field(description="What the agreement itself asks for.")
    required_sign_offs: list[str] = Field(
        description="Everything the version needs: requested, its services' tiers', provider owner."
    )
    internal_notes: str


class SignOffRead(BaseModel):
    role: SignOffRole
    signed_by: str
    signed_at: datetime
    comment: str


class VersionSummary(BaseModel):
    number: int
    status: VersionStatus
    approved_at: datetime | None
    effective_from: datetime | None
    ended_at: datetime | None


class VersionRead(BaseModel):
    agreement: str
    number: int
    status: VersionStatus
    revision: int = Field(description="Changes with every write; the ETag is derived from it.")
    terms: TermsRead
    sign_offs: list[SignOffRead]
    missing_sign_offs: list[str]
    created_at: datetime
    created_by: str
    updated_at: datetime
    submitted_at: datetime | None
    approved_at: datetime | None
    approved_by: str | None
    effective_from: datetime | None
    ended_at: datetime | None
    terms_hash: str | None = Field(description="sha256 of the canonical terms, fixed at approval.")


class StatusCount(BaseModel):
    kind: AgreementKind
    status: VersionStatus = Field(description="The headline status (see AgreementRead.status).")
    count: int


class PortfolioSummary(BaseModel):
    total: int
    counts: list[StatusCount] = Field(description="Non-zero counts per kind and headline status.")


class AgreementRead(BaseModel):
    key: str
    kind: AgreementKind
    structure: Structure
    master: str | None
    title: str
    business_unit: str
    customer: str | None
    consumer_business_unit: str | None
    vendor: str | None
    region: str | None
    status: VersionStatus = Field(
        description="The active version's status if there is one, else the latest version's."
    )
    active_version: int | None
    latest_version: int
    versions: list[VersionSummary]
    created_at: datetime
    created_by: str
    updated_at: datetime


class AgreementListItem(BaseModel):
    key: str
    kind: AgreementKind
    structure: Structure
    title: str
    business_unit: str
    customer: str | None
    consumer_business_unit: str | None
    vendor: str | None
    region: str | None
    status: VersionStatus
    active_version: int | None
    latest_version: int


# ----------------------------------------------------------------------------- external reads


class ExternalTerms(BaseModel):
    """What the customer signed: no internal notes, references or sign-off identities."""

    summary: str
    services: list[str]
    scope_inclusions: list[str]
    scope_exclusions: list[str]
    supported_hours: str
    customer_responsibilities: list[str]
    ticket_terms: TicketTerms
    jurisdiction: str | None
    review_cycle: ReviewCycle
    term_start: date
    term_end: date | None
    fee_amount: Decimal | None
    fee_currency: str | None
    fee_period: FeePeriod | None
    regulatory_tags: list[str]


class ExternalVersion(BaseModel):
    number: int
    status: VersionStatus
    effective_from: datetime | None
    ended_at: datetime | None
    terms: ExternalTerms


class ExternalAgreementRead(BaseModel):
    key: str
    title: str
    customer: str
    region: str | None
    status: VersionStatus
    versions: list[ExternalVersion] = Field(
        description="Approved versions only; drafts under negotiation are internal."
    )


class EndingTerm(BaseModel):
    agreement: AgreementListItem
    version: int = Field(description="The active version whose term ends.")
    term_end: date
