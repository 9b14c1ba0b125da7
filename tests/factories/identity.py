from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from accord.config import TokenSettings
from accord.identity import service as identity_service
from accord.identity.enums import PrincipalKind, Role
from accord.identity.rules import Actor, system_actor
from accord.identity.schemas import BusinessUnitCreate, GrantCreate, PrincipalCreate, TokenCreate
from accord.kit.time import utc_now

SYSTEM = system_actor("test-system")


def make_unit(session: Session, code: str, *, now: datetime | None = None) -> str:
    identity_service.create_business_unit(
        session,
        actor=SYSTEM,
        data=BusinessUnitCreate(code=code, name=code.replace("-", " ").title()),
        now=now or utc_now(),
    )
    return code


def make_principal(
    session: Session,
    name: str,
    *grants: tuple[Role, str | None],
    kind: PrincipalKind = PrincipalKind.USER,
) -> Actor:
    """A principal holding ``grants`` ((role, unit code or None for every unit)); returns it as
    an Actor, the way it would be authenticated."""
    now = utc_now()
    identity_service.create_principal(
        session,
        actor=SYSTEM,
        data=PrincipalCreate(name=name, display_name=name.title(), kind=kind),
        now=now,
    )
    for role, unit in grants:
        identity_service.grant_role(
            session,
            actor=SYSTEM,
            name=name,
            data=GrantCreate(role=role, business_unit=unit),
            now=now,
        )
    principal = identity_service.find_principal(session, name)
    assert principal is not None
    return identity_service.actor_for(session, principal)


def make_token(session: Session, principal: str, *, days: int | None = None) -> str:
    created = identity_service.create_token(
        session,
        actor=SYSTEM,
        data=TokenCreate(name="test", principal=principal, expires_in_days=days),
        settings=TokenSettings(),
        now=utc_now(),
    )
    return created.token
