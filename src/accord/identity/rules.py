"""Pure rules of identity: permissions per role, the acting principal, token format.

One permission table (`ROLE_PERMISSIONS`) decides every authorisation; the route-by-role matrix
test is generated from it and from the routes' declared permissions.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import zlib
from dataclasses import dataclass, field
from enum import StrEnum

from accord.identity.enums import Role, TokenKind
from accord.kit.errors import Forbidden


class Permission(StrEnum):
    CATALOGUE_READ = "catalogue:read"
    CATALOGUE_WRITE = "catalogue:write"
    AGREEMENTS_READ = "agreements:read"
    """Read agreements with their internal fields."""
    AGREEMENTS_READ_EXTERNAL = "agreements:read-external"
    """Read the customer-facing view of one's own customers' SLAs."""
    AGREEMENTS_WRITE = "agreements:write"
    AGREEMENTS_SIGN_OFF = "agreements:sign-off"
    AGREEMENTS_APPROVE = "agreements:approve"
    """Approve, activate, supersede and sunset versions."""
    AUDIT_READ = "audit:read"
    IDENTITY_READ = "identity:read"
    IDENTITY_ADMIN = "identity:admin"
    TOKENS_OWN = "tokens:own"
    """Create, list and revoke one's own API tokens."""
    TELEMETRY_INGEST = "telemetry:ingest"
    TELEMETRY_MANAGE = "telemetry:manage"
    """Register telemetry sources and mappings, issue their ingest tokens, release or discard
    quarantined buckets, resolve reconciliation findings."""
    OBJECTIVES_READ = "objectives:read"
    """Read objectives, their status, history, policies, policy events and exclusions."""
    OBJECTIVES_WRITE = "objectives:write"
    """Define objectives, error budget policies and exclusion windows (approval is
    ``agreements:approve``: exceptions below a tier's minimum, maintenance windows)."""


_READ_INTERNAL = {
    Permission.CATALOGUE_READ,
    Permission.AGREEMENTS_READ,
    Permission.OBJECTIVES_READ,
    Permission.TOKENS_OWN,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission) - {Permission.AGREEMENTS_READ_EXTERNAL},
    Role.EDITOR: frozenset(
        _READ_INTERNAL
        | {
            Permission.CATALOGUE_WRITE,
            Permission.AGREEMENTS_WRITE,
            Permission.OBJECTIVES_WRITE,
            Permission.TELEMETRY_MANAGE,
            Permission.IDENTITY_READ,
        }
    ),
    Role.APPROVER: frozenset(
        _READ_INTERNAL
        | {
            Permission.AGREEMENTS_SIGN_OFF,
            Permission.AGREEMENTS_APPROVE,
            Permission.IDENTITY_READ,
        }
    ),
    Role.VIEWER: frozenset(_READ_INTERNAL),
    Role.AUDITOR: frozenset(_READ_INTERNAL | {Permission.AUDIT_READ, Permission.IDENTITY_READ}),
    Role.INGEST: frozenset({Permission.TELEMETRY_INGEST}),
    Role.EXTERNAL: frozenset({Permission.AGREEMENTS_READ_EXTERNAL, Permission.TOKENS_OWN}),
}


@dataclass(frozen=True)
class Scope:
    """The business units in which an actor holds a permission."""

    everywhere: bool
    units: frozenset[int] = frozenset()

    def allows(self, business_unit_id: int | None) -> bool:
        """Org-wide objects (``business_unit_id`` None) need the permission everywhere."""
        if self.everywhere:
            return True
        return business_unit_id is not None and business_unit_id in self.units

    @property
    def is_empty(self) -> bool:
        return not self.everywhere and not self.units

    @property
    def unit_filter(self) -> frozenset[int] | None:
        """For queries: None means "no restriction", otherwise the allowed units."""
        return None if self.everywhere else self.units


NOWHERE = Scope(everywhere=False)


@dataclass(frozen=True)
class Grant:
    role: Role
    business_unit_id: int | None
    """None: the role holds in every business unit."""


class ActorKind(StrEnum):
    USER = "user"
    SOURCE = "source"
    SYSTEM = "system"
    """The local operator using the CLI, or the system itself (migrations, jobs)."""


@dataclass(frozen=True)
class Actor:
    """Who is acting, with every grant they hold. Passed explicitly to every service call."""

    name: str
    kind: ActorKind
    grants: frozenset[Grant]
    principal_id: int | None = None
    token_id: int | None = None
    _scopes: dict[Permission, Scope] = field(default_factory=dict, compare=False, repr=False)

    def scope(self, permission: Permission) -> Scope:
        cached = self._scopes.get(permission)
        if cached is not None:
            return cached
        everywhere = False
        units: set[int] = set()
        for grant in self.grants:
            if permission in ROLE_PERMISSIONS[grant.role]:
                if grant.business_unit_id is None:
                    everywhere = True
                else:
                    units.add(grant.business_unit_id)
        scope = Scope(everywhere=everywhere, units=frozenset() if everywhere else frozenset(units))
        self._scopes[permission] = scope
        return scope

    def can(self, permission: Permission, business_unit_id: int | None = None) -> bool:
        return self.scope(permission).allows(business_unit_id)

    def has_anywhere(self, permission: Permission) -> bool:
        return not self.scope(permission).is_empty

    def require(self, permission: Permission, business_unit_id: int | None = None) -> None:
        """Raise Forbidden unless the permission holds in that unit (None: org-wide)."""
        if not self.can(permission, business_unit_id):
            raise Forbidden(f"{permission.value} is required for this operation")

    def require_anywhere(self, permission: Permission) -> None:
        if not self.has_anywhere(permission):
            raise Forbidden(f"{permission.value} is required for this operation")

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(g.role for g in self.grants)

    @property
    def is_external_only(self) -> bool:
        """Every grant is the external role: such actors only ever see customer-facing data."""
        return bool(self.grants) and all(g.role is Role.EXTERNAL for g in self.grants)


def system_actor(name: str) -> Actor:
    """The local operator (CLI) or the system: holds every permission, has no principal row."""
    return Actor(name=name, kind=ActorKind.SYSTEM, grants=frozenset({Grant(Role.ADMIN, None)}))


# --------------------------------------------------------------------------------------- tokens

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SECRET_CHARS = 43  # 62**43 > 2**256
_CHECKSUM_CHARS = 6  # 62**6 > 2**32


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        chars.append(_BASE62[rem])
    return "".join(reversed(chars))


def new_token(kind: TokenKind) -> str:
    """``acc_<kind>_<43 base62 chars: 256 random bits><6 base62 chars: CRC32>``.

    The fixed prefix and checksum let secret scanners recognise a leaked token, and let us reject
    a mistyped one without a database lookup (the GitHub token scheme).
    """
    body = _base62(secrets.randbits(256), _SECRET_CHARS)
    return f"acc_{kind.value}_{body}{_base62(zlib.crc32(body.encode()), _CHECKSUM_CHARS)}"


def token_kind_if_well_formed(token: str) -> TokenKind | None:
    parts = token.split("_")
    if len(parts) != 3 or parts[0] != "acc":
        return None
    try:
        kind = TokenKind(parts[1])
    except ValueError:
        return None
    rest = parts[2]
    if len(rest) != _SECRET_CHARS + _CHECKSUM_CHARS or any(c not in _BASE62 for c in rest):
        return None
    body, checksum = rest[:_SECRET_CHARS], rest[_SECRET_CHARS:]
    expected = _base62(zlib.crc32(body.encode()), _CHECKSUM_CHARS)
    return kind if hmac.compare_digest(checksum, expected) else None


def token_hash(token: str) -> str:
    """Tokens carry 256 random bits, so a plain SHA-256 is enough (no slow hash needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_hint(token: str) -> str:
    """What lists show to recognise a token: its prefix and the first characters."""
    return token[:12] + "…"
