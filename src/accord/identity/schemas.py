"""Identity shapes: business units, principals, role grants, tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from accord.identity.enums import PrincipalKind, Role, TokenKind
from accord.kit.types import Code, Email, LongText, Name


class Input(BaseModel):
    """Request bodies: unknown (or read-only) fields are refused, with their name."""

    model_config = ConfigDict(extra="forbid")


class BusinessUnitCreate(Input):
    code: Code
    name: Name
    description: LongText = ""


class BusinessUnitUpdate(Input):
    name: Name | None = None
    description: LongText | None = None


class BusinessUnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    description: str
    created_at: datetime
    updated_at: datetime


class GrantCreate(Input):
    role: Role
    business_unit: Code | None = Field(
        default=None, description="Code of the unit the role applies in; null: every unit."
    )


class GrantRead(BaseModel):
    id: int
    role: Role
    business_unit: str | None


class PrincipalCreate(Input):
    name: Code = Field(description="Login name, e.g. `alice` or `prometheus-eu`.")
    display_name: Name
    email: Email | None = None
    kind: PrincipalKind = PrincipalKind.USER


class PrincipalUpdate(Input):
    display_name: Name | None = None
    email: Email | None = None
    is_active: bool | None = None


class PrincipalRead(BaseModel):
    name: str
    display_name: str
    email: str | None
    kind: PrincipalKind
    is_active: bool
    grants: list[GrantRead]
    created_at: datetime


class TokenCreate(Input):
    name: Name = Field(description="What the token is for, e.g. `ci-pipeline`.")
    principal: Code | None = Field(
        default=None, description="Whose token; default: the caller. Others need identity:admin."
    )
    expires_in_days: int | None = Field(
        default=None, ge=1, description="Lifetime; default and maximum are set by the operator."
    )


class TokenRead(BaseModel):
    id: int
    name: str
    principal: str
    kind: TokenKind
    hint: str = Field(description="The first characters, to recognise the token.")
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="The secret. Shown only in this response: store it now.")


class Me(BaseModel):
    name: str
    kind: str
    grants: list[GrantRead]
    permissions: dict[str, list[str]] = Field(
        description="Permission → business unit codes where it holds (`*`: every unit)."
    )
