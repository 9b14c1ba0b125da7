"""Who may do what, where: business units (the RBAC scopes), principals, role grants, API tokens.

Business units live here rather than in the catalogue because they are the scope of every
permission: identity sits below every other domain, and everything else refers to units.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.db.base import Base, HasId, SoftDeleted, Timestamped
from accord.db.types import Identifier, enum_type
from accord.identity.enums import PrincipalKind, Role, TokenKind


class BusinessUnit(HasId, Timestamped, SoftDeleted, Base):
    __tablename__ = "business_unit"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(20_000), default="")


class Principal(HasId, Timestamped, SoftDeleted, Base):
    __tablename__ = "principal"

    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    kind: Mapped[PrincipalKind] = mapped_column(enum_type(PrincipalKind, "kind"))
    is_active: Mapped[bool] = mapped_column(default=True)


class RoleGrant(HasId, Base):
    """A role held by a principal in one business unit, or in all of them (unit NULL)."""

    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("principal_id", "role", "business_unit_id"),)

    principal_id: Mapped[int] = mapped_column(Identifier, ForeignKey("principal.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"))
    business_unit_id: Mapped[int | None] = mapped_column(
        Identifier, ForeignKey("business_unit.id"), index=True
    )
    created_at: Mapped[datetime]


class ApiToken(HasId, Base):
    """A bearer token. Only its SHA-256 is stored; the secret is shown once, at creation."""

    __tablename__ = "api_token"
    __table_args__ = (Index("ix_api_token_principal_id_revoked_at", "principal_id", "revoked_at"),)

    principal_id: Mapped[int] = mapped_column(Identifier, ForeignKey("principal.id"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[TokenKind] = mapped_column(enum_type(TokenKind, "kind"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
