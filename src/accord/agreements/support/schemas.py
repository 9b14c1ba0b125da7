"""Shapes of support links."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from accord.agreements.enums import AgreementKind
from accord.agreements.schemas import AgreementKey, Input
from accord.kit.types import Reason, Slug


class SupportLinkCreate(Input):
    supporting: AgreementKey = Field(description="The OLA or UC that underpins this agreement.")
    service: Slug = Field(description="The service it underpins.")
    reason: Reason


class SupportLinkRead(BaseModel):
    id: int
    supported: str
    supporting: str
    supporting_kind: AgreementKind
    service: str
    created_at: datetime
    created_by: str


class AgreementSupport(BaseModel):
    agreement: str
    supported_by: list[SupportLinkRead] = Field(description="OLAs and UCs underpinning it.")
    supports: list[SupportLinkRead] = Field(description="Agreements it underpins.")
