"""Catalogue shapes: regions, tiers, customers, vendors, services, dependencies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from accord.catalogue.enums import Criticality, DependencyKind, Lifecycle
from accord.kit.types import Code, Email, LongText, Name, Reference, ShortText, Slug

Jurisdiction = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$"),
    Field(description="ISO 3166-1 alpha-2 country, optionally with a subdivision: `DE`, `US-NY`."),
]
Target = Annotated[
    Decimal,
    Field(gt=0, lt=1, max_digits=12, decimal_places=8, description="A ratio, e.g. `0.999`."),
]
SignOffName = Annotated[
    str,
    StringConstraints(
        pattern=r"^(provider_owner|customer_owner|legal|procurement|finance|security)$"
    ),
]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------------ regions


class RegionCreate(Input):
    code: Code
    name: Name
    jurisdiction: Jurisdiction
    data_residency: bool = Field(
        default=False, description="Data of agreements in this region must stay in it."
    )


class RegionUpdate(Input):
    name: Name | None = None
    jurisdiction: Jurisdiction | None = None
    data_residency: bool | None = None


class RegionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    jurisdiction: str
    data_residency: bool


# -------------------------------------------------------------------------------------- tiers


class TierUpdate(Input):
    name: Name
    min_target: Target
    evaluation_interval_seconds: int = Field(ge=10, le=86_400)
    active_monitoring_required: bool
    required_sign_offs: list[SignOffName] = Field(min_length=1)

    @field_validator("required_sign_offs")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("sign-off roles must not repeat")
        return value


class TierRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    level: int
    name: str
    min_target: Decimal
    evaluation_interval_seconds: int
    active_monitoring_required: bool
    required_sign_offs: list[str]


# ---------------------------------------------------------------------------------- customers


class CustomerCreate(Input):
    code: Code
    name: Name
    business_unit: Code = Field(description="The unit that owns the customer relationship.")
    region: Code | None = None
    contact_email: Email | None = None


class CustomerUpdate(Input):
    name: Name | None = None
    region: Code | None = None
    contact_email: Email | None = None


class CustomerRead(BaseModel):
    code: str
    name: str
    business_unit: str
    region: str | None
    contact_email: str | None
    contacts: list[str] = Field(description="External principals who may read its agreements.")
    created_at: datetime
    updated_at: datetime


class ContactCreate(Input):
    principal: Code


# ------------------------------------------------------------------------------------ vendors


class VendorCreate(Input):
    code: Code
    name: Name
    contact_email: Email | None = None


class VendorUpdate(Input):
    name: Name | None = None
    contact_email: Email | None = None


class VendorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    contact_email: str | None
    created_at: datetime
    updated_at: datetime


# ----------------------------------------------------------------------------------- services


class ServiceCreate(Input):
    slug: Slug
    name: Name
    description: LongText = ""
    business_unit: Code
    tier: int = Field(ge=1, le=4)
    owner: Code | None = Field(default=None, description="Login name of the accountable owner.")
    criticality: Criticality = Criticality.MEDIUM
    cmdb_ci_id: Reference | None = Field(default=None, description="The CMDB configuration item.")


class ServiceUpdate(Input):
    name: Name | None = None
    description: LongText | None = None
    tier: int | None = Field(default=None, ge=1, le=4)
    owner: Code | None = None
    criticality: Criticality | None = None
    lifecycle: Lifecycle | None = None
    cmdb_ci_id: Reference | None = None


class ServiceRead(BaseModel):
    slug: str
    name: str
    description: str
    business_unit: str
    tier: int
    owner: str | None
    criticality: Criticality
    lifecycle: Lifecycle
    cmdb_ci_id: str | None
    created_at: datetime
    updated_at: datetime


class ServiceFilter(BaseModel):
    business_unit: Code | None = None
    tier: int | None = Field(default=None, ge=1, le=4)
    lifecycle: Lifecycle | None = None
    criticality: Criticality | None = None
    owner: Code | None = None


class DependencyCreate(Input):
    depends_on: Slug = Field(description="Slug of the service this one depends on.")
    kind: DependencyKind = DependencyKind.HARD
    description: ShortText | None = None


class DependencyRead(BaseModel):
    service: str
    depends_on: str
    kind: DependencyKind
    description: str


class ServiceDependencies(BaseModel):
    service: str
    depends_on: list[DependencyRead] = Field(description="What this service needs.")
    dependents: list[DependencyRead] = Field(description="What needs this service.")
