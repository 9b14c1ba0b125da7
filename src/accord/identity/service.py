"""Use cases of identity: authenticate, business units, principals and grants, API tokens."""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from accord.audit import service as audit_service
from accord.config import TokenSettings
from accord.identity import rules
from accord.identity.enums import PrincipalKind, Role, TokenKind
from accord.identity.models import ApiToken, BusinessUnit, Principal, RoleGrant
from accord.identity.repository import (
    BusinessUnitRepository,
    PrincipalRepository,
    TokenRepository,
)
from accord.identity.rules import Actor, ActorKind, Grant, Permission
from accord.identity.schemas import (
    BusinessUnitCreate,
    BusinessUnitRead,
    BusinessUnitUpdate,
    GrantCreate,
    GrantRead,
    Me,
    PrincipalCreate,
    PrincipalRead,
    PrincipalUpdate,
    TokenCreate,
    TokenCreated,
    TokenRead,
)
from accord.kit.errors import Conflict, FieldProblem, InvalidInput, NotFound, Unauthenticated

_INVALID_TOKEN = "the token is invalid, expired or revoked"


# ------------------------------------------------------------------------------ authentication


def authenticate(session: Session, *, token: str, now: datetime) -> Actor:
    """The actor behind a bearer token. Unknown, expired and revoked tokens look the same."""
    if rules.token_kind_if_well_formed(token) is None:
        raise Unauthenticated(_INVALID_TOKEN)
    stored = TokenRepository(session).by_hash(rules.token_hash(token))
    if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
        raise Unauthenticated(_INVALID_TOKEN)
    principal = PrincipalRepository(session).get(stored.principal_id)
    if principal is None or principal.deleted_at is not None or not principal.is_active:
        raise Unauthenticated(_INVALID_TOKEN)
    return actor_for(session, principal, token_id=stored.id)


def actor_for(session: Session, principal: Principal, *, token_id: int | None = None) -> Actor:
    grants = PrincipalRepository(session).grants_of([principal.id])
    return Actor(
        name=principal.name,
        kind=ActorKind(principal.kind.value),
        grants=frozenset(Grant(g.role, g.business_unit_id) for g in grants),
        principal_id=principal.id,
        token_id=token_id,
    )


def local_operator() -> Actor:
    """The person at the shell running `accord …`: whoever can run the CLI against the database
    controls it anyway, so the operator acts as a system actor named after the OS user."""
    return rules.system_actor(f"cli:{getpass.getuser()}")


def me(session: Session, *, actor: Actor) -> Me:
    codes = unit_codes(session, (g.business_unit_id for g in actor.grants))
    permissions: dict[str, list[str]] = {}
    for permission in Permission:
        scope = actor.scope(permission)
        if scope.everywhere:
            permissions[permission.value] = ["*"]
        elif scope.units:
            permissions[permission.value] = sorted(codes[u] for u in scope.units)
    return Me(
        name=actor.name,
        kind=actor.kind.value,
        grants=[
            GrantRead(id=0, role=g.role, business_unit=codes.get(g.business_unit_id or 0))
            for g in sorted(actor.grants, key=lambda g: (g.role.value, g.business_unit_id or 0))
        ],
        permissions=permissions,
    )


# ------------------------------------------------------------------------------ business units


def list_business_units(session: Session, *, actor: Actor) -> list[BusinessUnitRead]:
    actor.require_anywhere(Permission.CATALOGUE_READ)
    return [BusinessUnitRead.model_validate(u) for u in BusinessUnitRepository(session).all_live()]


def get_business_unit(session: Session, *, actor: Actor, code: str) -> BusinessUnitRead:
    actor.require_anywhere(Permission.CATALOGUE_READ)
    return BusinessUnitRead.model_validate(_unit_by_code(session, code))


def create_business_unit(
    session: Session, *, actor: Actor, data: BusinessUnitCreate, now: datetime
) -> BusinessUnitRead:
    actor.require(Permission.IDENTITY_ADMIN, None)
    repo = BusinessUnitRepository(session)
    if repo.code_taken(data.code):
        raise Conflict(f"business unit {data.code!r} exists already")
    unit = repo.add(
        BusinessUnit(
            code=data.code,
            name=data.name,
            description=data.description,
            created_at=now,
            updated_at=now,
        )
    )
    read = BusinessUnitRead.model_validate(unit)
    audit_service.record_event(
        session,
        actor=actor,
        action="business_unit.created",
        entity_type="business_unit",
        entity_key=unit.code,
        business_unit_id=unit.id,
        after=read.model_dump(mode="json"),
        now=now,
    )
    return read


def update_business_unit(
    session: Session, *, actor: Actor, code: str, data: BusinessUnitUpdate, now: datetime
) -> BusinessUnitRead:
    unit = _unit_by_code(session, code)
    actor.require(Permission.IDENTITY_ADMIN, None)
    before = BusinessUnitRead.model_validate(unit).model_dump(mode="json")
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is None:
            raise InvalidInput.field(name, "may not be null")
        setattr(unit, name, value)
    unit.updated_at = now
    session.flush()
    read = BusinessUnitRead.model_validate(unit)
    audit_service.record_event(
        session,
        actor=actor,
        action="business_unit.updated",
        entity_type="business_unit",
        entity_key=unit.code,
        business_unit_id=unit.id,
        before=before,
        after=read.model_dump(mode="json"),
        now=now,
    )
    return read


def unit_codes(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Business unit id → code, for presenting rows that refer to units."""
    return BusinessUnitRepository(session).labels_by_ids(ids, "code")


def unit_id(session: Session, code: str, *, field: str) -> int:
    """The id of the live unit with this code; an unknown code is invalid input on ``field``."""
    unit = BusinessUnitRepository(session).by_code(code)
    if unit is None:
        raise InvalidInput.field(field, f"no business unit {code!r}")
    return unit.id


def _unit_by_code(session: Session, code: str) -> BusinessUnit:
    unit = BusinessUnitRepository(session).by_code(code)
    if unit is None:
        raise NotFound(f"no business unit {code!r}")
    return unit


# ---------------------------------------------------------------------------------- principals


def list_principals(
    session: Session, *, actor: Actor, after: int | None, limit: int
) -> tuple[list[PrincipalRead], int | None]:
    actor.require_anywhere(Permission.IDENTITY_READ)
    rows = PrincipalRepository(session).page(after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return _present_principals(session, rows), rows[-1].id if more and rows else None


def get_principal(session: Session, *, actor: Actor, name: str) -> PrincipalRead:
    """Needs identity:read (everyone sees themselves through /me)."""
    actor.require_anywhere(Permission.IDENTITY_READ)
    return _present_principals(session, [_principal_by_name(session, name)])[0]


def find_principal(session: Session, name: str) -> Principal | None:
    return PrincipalRepository(session).by_name(name)


def principal_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    return PrincipalRepository(session).labels_by_ids(ids, "name")


def create_principal(
    session: Session, *, actor: Actor, data: PrincipalCreate, now: datetime
) -> PrincipalRead:
    actor.require(Permission.IDENTITY_ADMIN, None)
    repo = PrincipalRepository(session)
    if repo.name_taken(data.name):
        raise Conflict(f"principal {data.name!r} exists already")
    principal = repo.add(
        Principal(
            name=data.name,
            display_name=data.display_name,
            email=data.email,
            kind=data.kind,
            is_active=True,
            created_at=now,
            updated_at=now,
        )
    )
    read = _present_principals(session, [principal])[0]
    _audit_principal(session, actor, "principal.created", principal, None, read, now)
    return read


def update_principal(
    session: Session, *, actor: Actor, name: str, data: PrincipalUpdate, now: datetime
) -> PrincipalRead:
    actor.require(Permission.IDENTITY_ADMIN, None)
    principal = _principal_by_name(session, name)
    before = _present_principals(session, [principal])[0]
    for field_name, value in data.model_dump(exclude_unset=True).items():
        if value is None and field_name != "email":
            raise InvalidInput.field(field_name, "may not be null")
        setattr(principal, field_name, value)
    principal.updated_at = now
    session.flush()
    read = _present_principals(session, [principal])[0]
    _audit_principal(session, actor, "principal.updated", principal, before, read, now)
    return read


def grant_role(
    session: Session, *, actor: Actor, name: str, data: GrantCreate, now: datetime
) -> PrincipalRead:
    actor.require(Permission.IDENTITY_ADMIN, None)
    principal = _principal_by_name(session, name)
    unit = (
        None
        if data.business_unit is None
        else unit_id(session, data.business_unit, field="business_unit")
    )
    _check_grant_fits_kind(principal, data.role, unit)
    repo = PrincipalRepository(session)
    if repo.find_grant(principal.id, data.role.value, unit) is not None:
        raise Conflict(f"{name} already holds {data.role.value} there")
    before = _present_principals(session, [principal])[0]
    repo.add_grant(
        RoleGrant(principal_id=principal.id, role=data.role, business_unit_id=unit, created_at=now)
    )
    read = _present_principals(session, [principal])[0]
    _audit_principal(session, actor, "principal.role_granted", principal, before, read, now)
    return read


def revoke_grant(
    session: Session, *, actor: Actor, name: str, grant_id: int, now: datetime
) -> PrincipalRead:
    actor.require(Permission.IDENTITY_ADMIN, None)
    principal = _principal_by_name(session, name)
    repo = PrincipalRepository(session)
    grant = repo.grant(grant_id)
    if grant is None or grant.principal_id != principal.id:
        raise NotFound(f"{name} holds no grant {grant_id}")
    before = _present_principals(session, [principal])[0]
    repo.delete_grant(grant)
    read = _present_principals(session, [principal])[0]
    _audit_principal(session, actor, "principal.role_revoked", principal, before, read, now)
    return read


def _check_grant_fits_kind(principal: Principal, role: Role, unit: int | None) -> None:
    if principal.kind is PrincipalKind.SOURCE and role is not Role.INGEST:
        raise InvalidInput.field("role", "machine sources can only hold the ingest role")
    if principal.kind is PrincipalKind.USER and role is Role.INGEST:
        raise InvalidInput.field("role", "the ingest role is for machine sources")
    if role in (Role.EXTERNAL, Role.INGEST) and unit is None:
        raise InvalidInput.field("business_unit", f"the {role.value} role must name one unit")


def _principal_by_name(session: Session, name: str) -> Principal:
    principal = PrincipalRepository(session).by_name(name)
    if principal is None:
        raise NotFound(f"no principal {name!r}")
    return principal


def _present_principals(session: Session, principals: list[Principal]) -> list[PrincipalRead]:
    grants = PrincipalRepository(session).grants_of([p.id for p in principals])
    codes = unit_codes(session, (g.business_unit_id for g in grants))
    by_principal: dict[int, list[GrantRead]] = {}
    for g in grants:
        by_principal.setdefault(g.principal_id, []).append(
            GrantRead(
                id=g.id,
                role=g.role,
                business_unit=codes.get(g.business_unit_id) if g.business_unit_id else None,
            )
        )
    return [
        PrincipalRead(
            name=p.name,
            display_name=p.display_name,
            email=p.email,
            kind=p.kind,
            is_active=p.is_active,
            grants=by_principal.get(p.id, []),
            created_at=p.created_at,
        )
        for p in principals
    ]


def _audit_principal(
    session: Session,
    actor: Actor,
    action: str,
    principal: Principal,
    before: PrincipalRead | None,
    after: PrincipalRead,
    now: datetime,
) -> None:
    audit_service.record_event(
        session,
        actor=actor,
        action=action,
        entity_type="principal",
        entity_key=principal.name,
        business_unit_id=None,
        before=before.model_dump(mode="json") if before else None,
        after=after.model_dump(mode="json"),
        now=now,
    )


# -------------------------------------------------------------------------------------- tokens


def create_token(
    session: Session, *, actor: Actor, data: TokenCreate, settings: TokenSettings, now: datetime
) -> TokenCreated:
    owner_name = data.principal or actor.name
    if owner_name == actor.name and actor.principal_id is not None:
        actor.require_anywhere(Permission.TOKENS_OWN)
    else:
        actor.require(Permission.IDENTITY_ADMIN, None)
    owner = _principal_by_name(session, owner_name)
    return _issue_token(session, actor, owner, data, settings, now)


def issue_source_token(
    session: Session,
    *,
    actor: Actor,
    principal_id: int,
    data: TokenCreate,
    settings: TokenSettings,
    now: datetime,
) -> TokenCreated:
    """An ingest token for a telemetry source's machine principal. The telemetry domain
    authorises the caller (who manages that source); this issues and audits it."""
    owner = PrincipalRepository(session).get(principal_id)
    if owner is None or owner.kind is not PrincipalKind.SOURCE:
        raise NotFound(f"no source principal {principal_id}")
    return _issue_token(session, actor, owner, data, settings, now)


def _issue_token(
    session: Session,
    actor: Actor,
    owner: Principal,
    data: TokenCreate,
    settings: TokenSettings,
    now: datetime,
) -> TokenCreated:
    if not owner.is_active:
        raise InvalidInput.field("principal", f"{owner.name} is deactivated")
    days = data.expires_in_days or settings.default_ttl_days
    if days > settings.max_ttl_days:
        raise InvalidInput.field(
            "expires_in_days", f"at most {settings.max_ttl_days} days (operator's limit)"
        )
    kind = TokenKind.INGEST if owner.kind is PrincipalKind.SOURCE else TokenKind.USER
    secret = rules.new_token(kind)
    token = TokenRepository(session).add(
        ApiToken(
            principal_id=owner.id,
            name=data.name,
            kind=kind,
            token_hash=rules.token_hash(secret),
            hint=rules.token_hint(secret),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    read = _present_token(token, owner.name)
    audit_service.record_event(
        session,
        actor=actor,
        action="token.created",
        entity_type="api_token",
        entity_key=str(token.id),
        business_unit_id=None,
        after=read.model_dump(mode="json"),  # the secret itself never enters the audit trail
        now=now,
    )
    return TokenCreated(**read.model_dump(), token=secret)


def create_source_principal(
    session: Session,
    *,
    actor: Actor,
    name: str,
    display_name: str,
    business_unit_id: int,
    now: datetime,
) -> int:
    """The machine principal of a telemetry source, holding only the ``ingest`` role in the
    source's unit. The telemetry domain authorises the caller; this creates and audits it."""
    repo = PrincipalRepository(session)
    if repo.name_taken(name):
        raise Conflict(
            f"principal {name!r} exists already", problems=[FieldProblem("name", "taken")]
        )
    principal = repo.add(
        Principal(
            name=name,
            display_name=display_name,
            email=None,
            kind=PrincipalKind.SOURCE,
            is_active=True,
            created_at=now,
            updated_at=now,
        )
    )
    repo.add_grant(
        RoleGrant(
            principal_id=principal.id,
            role=Role.INGEST,
            business_unit_id=business_unit_id,
            created_at=now,
        )
    )
    read = _present_principals(session, [principal])[0]
    _audit_principal(session, actor, "principal.created", principal, None, read, now)
    return principal.id


def list_tokens(
    session: Session, *, actor: Actor, principal: str | None, include_revoked: bool
) -> list[TokenRead]:
    owner_name = principal or actor.name
    if owner_name != actor.name:
        actor.require(Permission.IDENTITY_ADMIN, None)
    else:
        actor.require_anywhere(Permission.TOKENS_OWN)
    owner = _principal_by_name(session, owner_name)
    tokens = TokenRepository(session).of_principal(owner.id, include_revoked=include_revoked)
    return [_present_token(t, owner.name) for t in tokens]


def revoke_token(session: Session, *, actor: Actor, token_id: int, now: datetime) -> TokenRead:
    token = TokenRepository(session).get(token_id)
    owner = PrincipalRepository(session).get(token.principal_id) if token else None
    if token is None or owner is None:
        raise NotFound(f"no token {token_id}")
    if owner.id != actor.principal_id:
        if not actor.can(Permission.IDENTITY_ADMIN, None):
            raise NotFound(f"no token {token_id}")  # others' tokens are not even visible
    else:
        actor.require_anywhere(Permission.TOKENS_OWN)
    if token.revoked_at is not None:
        return _present_token(token, owner.name)
    before = _present_token(token, owner.name)
    token.revoked_at = now
    session.flush()
    read = _present_token(token, owner.name)
    audit_service.record_event(
        session,
        actor=actor,
        action="token.revoked",
        entity_type="api_token",
        entity_key=str(token.id),
        business_unit_id=None,
        before=before.model_dump(mode="json"),
        after=read.model_dump(mode="json"),
        now=now,
    )
    return read


def _present_token(token: ApiToken, owner: str) -> TokenRead:
    return TokenRead(
        id=token.id,
        name=token.name,
        principal=owner,
        kind=token.kind,
        hint=token.hint,
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
    )
