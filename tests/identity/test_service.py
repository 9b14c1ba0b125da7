"""Identity use cases against real databases: authentication, tokens, grants, units, /me."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit.models import AuditEvent
from accord.config import TokenSettings
from accord.identity import service as identity_service
from accord.identity.enums import PrincipalKind, Role, TokenKind
from accord.identity.models import ApiToken, BusinessUnit, Principal, RoleGrant
from accord.identity.rules import Actor, ActorKind, Permission
from accord.identity.schemas import (
    BusinessUnitCreate,
    BusinessUnitUpdate,
    GrantCreate,
    PrincipalCreate,
    PrincipalUpdate,
    TokenCreate,
)
from accord.kit.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from accord.kit.time import utc_now
from tests.factories.identity import SYSTEM, make_principal, make_unit
from tests.identity.helpers import audit_actions, audit_count, count, last_seq

pytestmark = pytest.mark.db

SETTINGS = TokenSettings()


def create_token(
    session: Session,
    actor: Actor,
    *,
    principal: str | None = None,
    days: int | None = None,
    settings: TokenSettings = SETTINGS,
    now_offset: timedelta = timedelta(0),
) -> str:
    created = identity_service.create_token(
        session,
        actor=actor,
        data=TokenCreate(name="test token", principal=principal, expires_in_days=days),
        settings=settings,
        now=utc_now() + now_offset,
    )
    return created.token


def reason_of(exc: pytest.ExceptionInfo[Unauthenticated]) -> tuple[int, str, str]:
    return exc.value.status, exc.value.code, exc.value.detail


# ------------------------------------------------------------------------------ authentication


def test_a_valid_token_authenticates_as_its_principal(session: Session) -> None:
    make_unit(session, "retail")
    alice = make_principal(session, "alice", (Role.EDITOR, "retail"), (Role.VIEWER, None))
    token = create_token(session, SYSTEM, principal="alice")
    actor = identity_service.authenticate(session, token=token, now=utc_now())
    assert actor.name == "alice"
    assert actor.kind is ActorKind.USER
    assert actor.principal_id == alice.principal_id
    assert actor.token_id is not None
    assert actor.grants == alice.grants
    assert actor.can(Permission.CATALOGUE_READ, None)
    assert not actor.can(Permission.CATALOGUE_WRITE, None)


def test_every_refused_token_looks_the_same(session: Session) -> None:
    make_principal(session, "alice", (Role.VIEWER, None))
    make_principal(session, "gone", (Role.VIEWER, None))
    now = utc_now()
    valid = create_token(session, SYSTEM, principal="alice")
    expired = create_token(
        session, SYSTEM, principal="alice", days=1, now_offset=-timedelta(days=2)
    )
    revoked = create_token(session, SYSTEM, principal="alice")
    revoked_id = session.scalars(select(ApiToken.id).order_by(ApiToken.id.desc())).first()
    assert revoked_id is not None
    identity_service.revoke_token(session, actor=SYSTEM, token_id=revoked_id, now=now)
    deactivated = create_token(session, SYSTEM, principal="gone")
    identity_service.update_principal(
        session, actor=SYSTEM, name="gone", data=PrincipalUpdate(is_active=False), now=now
    )
    unknown = identity_service.rules.new_token(TokenKind.USER)  # well formed, never issued
    tampered = valid[:-1] + ("A" if valid[-1] != "A" else "B")

    outcomes = set()
    for token in (expired, revoked, deactivated, unknown, tampered, "garbage", ""):
        with pytest.raises(Unauthenticated) as raised:
            identity_service.authenticate(session, token=token, now=now)
        outcomes.add(reason_of(raised))
    assert len(outcomes) == 1
    status, code, _ = outcomes.pop()
    assert (status, code) == (401, "unauthenticated")
    # And the valid one still works.
    assert identity_service.authenticate(session, token=valid, now=now).name == "alice"


def test_a_token_expires_exactly_at_its_expiry(session: Session) -> None:
    make_principal(session, "alice", (Role.VIEWER, None))
    token = create_token(session, SYSTEM, principal="alice", days=1)
    stored = session.scalars(select(ApiToken)).one()
    just_before = stored.expires_at - timedelta(microseconds=1)
    assert identity_service.authenticate(session, token=token, now=just_before).name == "alice"
    with pytest.raises(Unauthenticated):
        identity_service.authenticate(session, token=token, now=stored.expires_at)


def test_a_soft_deleted_principal_cannot_authenticate(session: Session) -> None:
    make_principal(session, "alice", (Role.VIEWER, None))
    token = create_token(session, SYSTEM, principal="alice")
    principal = session.scalars(select(Principal).where(Principal.name == "alice")).one()
    principal.deleted_at = utc_now()
    session.flush()
    with pytest.raises(Unauthenticated):
        identity_service.authenticate(session, token=token, now=utc_now())


def test_reactivating_a_principal_restores_its_tokens(session: Session) -> None:
    make_principal(session, "alice", (Role.VIEWER, None))
    token = create_token(session, SYSTEM, principal="alice")
    now = utc_now()
    for active in (False, True):
        identity_service.update_principal(
            session, actor=SYSTEM, name="alice", data=PrincipalUpdate(is_active=active), now=now
        )
    assert identity_service.authenticate(session, token=token, now=now).name == "alice"


def test_grants_are_read_at_authentication_time(session: Session) -> None:
    make_unit(session, "retail")
    make_principal(session, "alice", (Role.VIEWER, "retail"))
    token = create_token(session, SYSTEM, principal="alice")
    before = identity_service.authenticate(session, token=token, now=utc_now())
    assert not before.has_anywhere(Permission.CATALOGUE_WRITE)
    identity_service.grant_role(
        session,
        actor=SYSTEM,
        name="alice",
        data=GrantCreate(role=Role.EDITOR, business_unit="retail"),
        now=utc_now(),
    )
    after = identity_service.authenticate(session, token=token, now=utc_now())
    assert after.has_anywhere(Permission.CATALOGUE_WRITE)


# --------------------------------------------------------------------------------------- tokens


def test_the_secret_is_never_stored_only_its_sha256(session: Session) -> None:
    make_principal(session, "alice", (Role.VIEWER, None))
    created = identity_service.create_token(
        session,
        actor=SYSTEM,
        data=TokenCreate(name="ci", principal="alice"),
        settings=SETTINGS,
        now=utc_now(),
    )
    secret = created.token
    body = secret[len("acc_usr_") :]
    assert "token" not in created.model_dump(exclude={"token"})
    row = session.scalars(select(ApiToken)).one()
    assert row.token_hash == identity_service.rules.token_hash(secret)
    stored_text = " ".join(str(getattr(row, c.key)) for c in ApiToken.__table__.columns)
    assert body[4:] not in stored_text  # beyond the 4 characters the hint shows
    assert body not in stored_text
    payloads = list(session.scalars(select(AuditEvent.payload)))
    assert payloads
    for payload in payloads:
        assert body[4:] not in payload
        assert row.token_hash not in payload
    event = json.loads(
        session.scalars(
            select(AuditEvent.payload).where(AuditEvent.action == "token.created")
        ).one()
    )
    assert event["after"]["hint"] == row.hint
    assert "token" not in event["after"]


def test_tokens_of_a_source_are_ingest_tokens(session: Session) -> None:
    make_unit(session, "retail")
    make_principal(session, "prom", (Role.INGEST, "retail"), kind=PrincipalKind.SOURCE)
    token = create_token(session, SYSTEM, principal="prom")
    assert token.startswith("acc_ing_")
    actor = identity_service.authenticate(session, token=token, now=utc_now())
    assert actor.kind is ActorKind.SOURCE
    assert actor.roles == {Role.INGEST}


def test_anyone_with_tokens_own_creates_their_own_token(session: Session) -> None:
    make_unit(session, "retail")
    viewer = make_principal(session, "vera", (Role.VIEWER, "retail"))
    external = make_principal(session, "ext", (Role.EXTERNAL, "retail"))
    for actor in (viewer, external):
        token = create_token(session, actor)
        assert identity_service.authenticate(session, token=token, now=utc_now()).name == actor.name


def test_a_token_for_someone_else_needs_identity_admin_everywhere(session: Session) -> None:
    make_unit(session, "retail")
    make_principal(session, "alice", (Role.VIEWER, None))
    editor = make_principal(session, "eddie", (Role.EDITOR, None))
    unit_admin = make_principal(session, "una", (Role.ADMIN, "retail"))
    admin = make_principal(session, "root", (Role.ADMIN, None))
    tokens_before = count(session, ApiToken)
    for actor in (editor, unit_admin):
        with pytest.raises(Forbidden, match="identity:admin"):
            create_token(session, actor, principal="alice")
    assert count(session, ApiToken) == tokens_before
    token = create_token(session, admin, principal="alice")
    assert identity_service.authenticate(session, token=token, now=utc_now()).name == "alice"


def test_an_actor_without_tokens_own_cannot_create_even_its_own(session: Session) -> None:
    make_unit(session, "retail")
    source = make_principal(session, "prom", (Role.INGEST, "retail"), kind=PrincipalKind.SOURCE)
    with pytest.raises(Forbidden):
        create_token(session, source)


def test_lifetime_default_and_maximum(session: Session) -> None:
    make_principal(session, "alice", (Role.VIEWER, None))
    settings = TokenSettings(default_ttl_days=7, max_ttl_days=30)
    now = utc_now()
    default = identity_service.create_token(
        session,
        actor=SYSTEM,
        data=TokenCreate(name="d", principal="alice"),
        settings=settings,
        now=now,
    )
    assert default.expires_at == now + timedelta(days=7)
    longest = identity_service.create_token(
        session,
        actor=SYSTEM,
        data=TokenCreate(name="m", principal="alice", expires_in_days=30),
        settings=settings,
        now=now,
    )
    assert longest.expires_at == now + timedelta(days=30)
    tokens = count(session, ApiToken)
    with pytest.raises(InvalidInput) as raised:
        create_token(session, SYSTEM, principal="alice", days=31, settings=settings)
    assert [p.field for p in raised.value.problems] == ["expires_in_days"]
    assert count(session, ApiToken) == tokens


def test_no_token_for_a_deactivated_or_unknown_principal(session: Session) -> None:
    make_principal(session, "alice", (Role.VIEWER, None))
    identity_service.update_principal(
        session, actor=SYSTEM, name="alice", data=PrincipalUpdate(is_active=False), now=utc_now()
    )
    with pytest.raises(InvalidInput) as raised:
        create_token(session, SYSTEM, principal="alice")
    assert raised.value.problems[0].field == "principal"
    with pytest.raises(NotFound):
        create_token(session, SYSTEM, principal="nobody")


def test_listing_tokens(session: Session) -> None:
    alice = make_principal(session, "alice", (Role.VIEWER, None))
    make_principal(session, "bob", (Role.VIEWER, None))
    first = create_token(session, alice)
    create_token(session, alice)
    create_token(session, SYSTEM, principal="bob")
    mine = identity_service.list_tokens(session, actor=alice, principal=None, include_revoked=False)
    assert [t.principal for t in mine] == ["alice", "alice"]
    assert all(t.hint.startswith("acc_usr_") for t in mine)
    assert mine[0].hint == identity_service.rules.token_hint(first)
    identity_service.revoke_token(session, actor=alice, token_id=mine[0].id, now=utc_now())
    live = identity_service.list_tokens(session, actor=alice, principal=None, include_revoked=False)
    assert [t.id for t in live] == [mine[1].id]
    every = identity_service.list_tokens(
        session, actor=alice, principal="alice", include_revoked=True
    )
    assert [t.id for t in every] == [mine[0].id, mine[1].id]
    assert every[0].revoked_at is not None
    with pytest.raises(Forbidden):
        identity_service.list_tokens(session, actor=alice, principal="bob", include_revoked=False)
    assert (
        len(
            identity_service.list_tokens(
                session, actor=SYSTEM, principal="bob", include_revoked=False
            )
        )
        == 1
    )


def test_revoking_own_token_and_others_tokens(session: Session) -> None:
    make_unit(session, "retail")
    alice = make_principal(session, "alice", (Role.VIEWER, None))
    bob = make_principal(session, "bob", (Role.EDITOR, None))
    unit_admin = make_principal(session, "una", (Role.ADMIN, "retail"))
    admin = make_principal(session, "root", (Role.ADMIN, None))
    token = create_token(session, alice)
    token_id = identity_service.list_tokens(
        session, actor=alice, principal=None, include_revoked=False
    )[0].id
    # Someone else's token is invisible to non-admins: the same 404 as a token that never was.
    for other in (bob, unit_admin):
        with pytest.raises(NotFound) as raised:
            identity_service.revoke_token(session, actor=other, token_id=token_id, now=utc_now())
        with pytest.raises(NotFound) as missing:
            identity_service.revoke_token(session, actor=other, token_id=999_999, now=utc_now())
        assert raised.value.detail.replace(str(token_id), "N") == missing.value.detail.replace(
            "999999", "N"
        )
    assert identity_service.authenticate(session, token=token, now=utc_now()).name == "alice"
    seq = last_seq(session)
    read = identity_service.revoke_token(session, actor=admin, token_id=token_id, now=utc_now())
    assert read.revoked_at is not None
    assert audit_actions(session, since=seq) == ["token.revoked"]
    with pytest.raises(Unauthenticated):
        identity_service.authenticate(session, token=token, now=utc_now())
    # Revoking again changes nothing and records nothing.
    again = identity_service.revoke_token(session, actor=alice, token_id=token_id, now=utc_now())
    assert again.revoked_at == read.revoked_at
    assert audit_actions(session, since=seq) == ["token.revoked"]


def test_revoking_an_out_of_range_id_is_not_found(session: Session) -> None:
    for token_id in (0, -1, 2**63, 10**30):
        with pytest.raises(NotFound):
            identity_service.revoke_token(session, actor=SYSTEM, token_id=token_id, now=utc_now())


# --------------------------------------------------------------------------------------- grants


def grant(session: Session, name: str, role: Role, unit: str | None) -> None:
    identity_service.grant_role(
        session,
        actor=SYSTEM,
        name=name,
        data=GrantCreate(role=role, business_unit=unit),
        now=utc_now(),
    )


def test_ingest_is_only_for_sources_and_sources_only_ingest(session: Session) -> None:
    make_unit(session, "retail")
    make_principal(session, "alice")
    make_principal(session, "prom", kind=PrincipalKind.SOURCE)
    grants = count(session, RoleGrant)
    with pytest.raises(InvalidInput) as raised:
        grant(session, "alice", Role.INGEST, "retail")
    assert raised.value.problems[0].field == "role"
    for role in (Role.VIEWER, Role.ADMIN, Role.EXTERNAL):
        with pytest.raises(InvalidInput) as raised:
            grant(session, "prom", role, "retail")
        assert raised.value.problems[0].field == "role"
    assert count(session, RoleGrant) == grants
    grant(session, "prom", Role.INGEST, "retail")
    assert count(session, RoleGrant) == grants + 1


@pytest.mark.parametrize(
    ("role", "kind"), [(Role.EXTERNAL, PrincipalKind.USER), (Role.INGEST, PrincipalKind.SOURCE)]
)
def test_external_and_ingest_must_name_a_unit(
    session: Session, role: Role, kind: PrincipalKind
) -> None:
    make_unit(session, "retail")
    make_principal(session, "who", kind=kind)
    with pytest.raises(InvalidInput) as raised:
        grant(session, "who", role, None)
    assert raised.value.problems[0].field == "business_unit"
    grant(session, "who", role, "retail")


def test_grant_names_a_real_unit_and_is_not_repeated(session: Session) -> None:
    make_unit(session, "retail")
    make_principal(session, "alice")
    with pytest.raises(InvalidInput) as raised:
        grant(session, "alice", Role.VIEWER, "nowhere")
    assert raised.value.problems[0].field == "business_unit"
    grant(session, "alice", Role.VIEWER, "retail")
    grant(session, "alice", Role.VIEWER, None)  # global is a different grant
    with pytest.raises(Conflict):
        grant(session, "alice", Role.VIEWER, "retail")
    with pytest.raises(Conflict):
        grant(session, "alice", Role.VIEWER, None)
    with pytest.raises(NotFound):
        grant(session, "nobody", Role.VIEWER, "retail")


def test_granting_and_revoking_need_identity_admin_everywhere(session: Session) -> None:
    make_unit(session, "retail")
    make_principal(session, "alice")
    unit_admin = make_principal(session, "una", (Role.ADMIN, "retail"))
    with pytest.raises(Forbidden):
        identity_service.grant_role(
            session,
            actor=unit_admin,
            name="alice",
            data=GrantCreate(role=Role.ADMIN, business_unit=None),
            now=utc_now(),
        )


def test_revoking_a_grant(session: Session) -> None:
    make_unit(session, "retail")
    make_principal(session, "alice", (Role.EDITOR, "retail"))
    make_principal(session, "bob", (Role.EDITOR, "retail"))
    alice = identity_service.get_principal(session, actor=SYSTEM, name="alice")
    bob = identity_service.get_principal(session, actor=SYSTEM, name="bob")
    with pytest.raises(NotFound):  # bob's grant through alice's name
        identity_service.revoke_grant(
            session, actor=SYSTEM, name="alice", grant_id=bob.grants[0].id, now=utc_now()
        )
    seq = last_seq(session)
    read = identity_service.revoke_grant(
        session, actor=SYSTEM, name="alice", grant_id=alice.grants[0].id, now=utc_now()
    )
    assert read.grants == []
    assert audit_actions(session, since=seq) == ["principal.role_revoked"]
    event = json.loads(
        session.scalars(select(AuditEvent.payload).where(AuditEvent.seq > seq)).one()
    )
    assert event["before"]["grants"] == [
        {"id": alice.grants[0].id, "role": "editor", "business_unit": "retail"}
    ]
    assert event["after"]["grants"] == []


# ----------------------------------------------------------------------------------------- /me


def test_me_lists_permissions_by_unit(session: Session) -> None:
    make_unit(session, "retail")
    make_unit(session, "wholesale")
    actor = make_principal(
        session, "alice", (Role.EDITOR, "retail"), (Role.VIEWER, "wholesale"), (Role.AUDITOR, None)
    )
    me = identity_service.me(session, actor=actor)
    assert me.name == "alice"
    assert me.kind == "user"
    assert sorted((g.role.value, g.business_unit) for g in me.grants) == [
        ("auditor", None),
        ("editor", "retail"),
        ("viewer", "wholesale"),
    ]
    assert me.permissions["catalogue:read"] == ["*"]
    assert me.permissions["catalogue:write"] == ["retail"]
    assert me.permissions["audit:read"] == ["*"]
    assert "identity:admin" not in me.permissions
    assert "telemetry:ingest" not in me.permissions


# ------------------------------------------------------------------------------- business units


def test_business_unit_lifecycle_and_audit(session: Session) -> None:
    seq = last_seq(session)
    now = utc_now()
    created = identity_service.create_business_unit(
        session,
        actor=SYSTEM,
        data=BusinessUnitCreate(code="retail", name="Retail", description="Shops"),
        now=now,
    )
    assert created.code == "retail"
    assert created.created_at == now
    updated = identity_service.update_business_unit(
        session,
        actor=SYSTEM,
        code="retail",
        data=BusinessUnitUpdate(name="Retail banking"),
        now=now + timedelta(seconds=1),
    )
    assert updated.name == "Retail banking"
    assert updated.description == "Shops"
    assert updated.updated_at > updated.created_at
    assert audit_actions(session, since=seq) == ["business_unit.created", "business_unit.updated"]
    unit_id = session.scalars(select(BusinessUnit.id).where(BusinessUnit.code == "retail")).one()
    events = session.scalars(select(AuditEvent).where(AuditEvent.seq > seq)).all()
    assert {e.business_unit_id for e in events} == {unit_id}
    assert {e.entity_key for e in events} == {"retail"}
    last = json.loads(events[-1].payload)
    assert last["before"]["name"] == "Retail"
    assert last["after"]["name"] == "Retail banking"


def test_business_unit_codes_are_unique_even_after_soft_delete(session: Session) -> None:
    make_unit(session, "retail")
    events = audit_count(session)
    with pytest.raises(Conflict):
        make_unit(session, "retail")
    unit = session.scalars(select(BusinessUnit).where(BusinessUnit.code == "retail")).one()
    unit.deleted_at = utc_now()
    session.flush()
    with pytest.raises(Conflict):
        make_unit(session, "retail")
    assert audit_count(session) == events
    with pytest.raises(NotFound):
        identity_service.get_business_unit(session, actor=SYSTEM, code="retail")
    assert "retail" not in [
        u.code for u in identity_service.list_business_units(session, actor=SYSTEM)
    ]


def test_business_unit_writes_need_identity_admin_everywhere(session: Session) -> None:
    make_unit(session, "retail")
    unit_admin = make_principal(session, "una", (Role.ADMIN, "retail"))
    editor = make_principal(session, "eddie", (Role.EDITOR, None))
    for actor in (unit_admin, editor):
        with pytest.raises(Forbidden):
            identity_service.create_business_unit(
                session, actor=actor, data=BusinessUnitCreate(code="new", name="New"), now=utc_now()
            )
        with pytest.raises(Forbidden):
            identity_service.update_business_unit(
                session,
                actor=actor,
                code="retail",
                data=BusinessUnitUpdate(name="Mine"),
                now=utc_now(),
            )
    assert identity_service.get_business_unit(session, actor=editor, code="retail").name == "Retail"


def test_business_unit_update_refuses_null(session: Session) -> None:
    make_unit(session, "retail")
    with pytest.raises(InvalidInput) as raised:
        identity_service.update_business_unit(
            session,
            actor=SYSTEM,
            code="retail",
            data=BusinessUnitUpdate(name=None),
            now=utc_now(),
        )
    assert raised.value.problems[0].field == "name"


# ----------------------------------------------------------------------------------- principals


def test_principal_names_are_unique(session: Session) -> None:
    make_principal(session, "alice")
    with pytest.raises(Conflict):
        make_principal(session, "alice")


def test_principal_writes_are_audited(session: Session) -> None:
    make_unit(session, "retail")
    seq = last_seq(session)
    now = utc_now()
    identity_service.create_principal(
        session,
        actor=SYSTEM,
        data=PrincipalCreate(name="alice", display_name="Alice", email="alice@example.com"),
        now=now,
    )
    grant(session, "alice", Role.VIEWER, "retail")
    identity_service.update_principal(
        session, actor=SYSTEM, name="alice", data=PrincipalUpdate(email=None), now=now
    )
    create_token(session, SYSTEM, principal="alice")
    assert audit_actions(session, since=seq) == [
        "principal.created",
        "principal.role_granted",
        "principal.updated",
        "token.created",
    ]
    assert identity_service.get_principal(session, actor=SYSTEM, name="alice").email is None


def test_principal_update_refuses_null_except_email(session: Session) -> None:
    make_principal(session, "alice")
    for field in ("display_name", "is_active"):
        with pytest.raises(InvalidInput) as raised:
            identity_service.update_principal(
                session,
                actor=SYSTEM,
                name="alice",
                data=PrincipalUpdate.model_validate({field: None}),
                now=utc_now(),
            )
        assert raised.value.problems[0].field == field


def test_principals_page_through_by_cursor(session: Session) -> None:
    names = [f"user-{i:02d}" for i in range(7)]
    for name in names:
        make_principal(session, name)
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        rows, after = identity_service.list_principals(session, actor=SYSTEM, after=after, limit=3)
        seen.extend(p.name for p in rows)
        pages += 1
        if after is None:
            break
    assert seen == names
    assert pages == 3


def test_reading_a_principal_needs_identity_read(session: Session) -> None:
    """Everyone sees themselves through /me; principals are read with identity:read."""
    make_unit(session, "retail")
    make_principal(session, "bob")
    viewer = make_principal(session, "vera", (Role.VIEWER, "retail"))
    auditor = make_principal(session, "audrey", (Role.AUDITOR, "retail"))
    for name in ("vera", "bob"):
        with pytest.raises(Forbidden):
            identity_service.get_principal(session, actor=viewer, name=name)
    assert identity_service.get_principal(session, actor=auditor, name="bob").name == "bob"
    assert identity_service.me(session, actor=viewer).name == "vera"


def test_local_operator_is_a_system_actor() -> None:
    operator = identity_service.local_operator()
    assert operator.kind is ActorKind.SYSTEM
    assert operator.name.startswith("cli:")
    assert operator.can(Permission.IDENTITY_ADMIN, None)
