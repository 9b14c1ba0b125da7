"""Pure identity rules: the token format, scopes of grants, the permission table."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.identity.enums import Role, TokenKind
from accord.identity.rules import (
    NOWHERE,
    ROLE_PERMISSIONS,
    Actor,
    ActorKind,
    Grant,
    Permission,
    Scope,
    new_token,
    system_actor,
    token_hash,
    token_hint,
    token_kind_if_well_formed,
)
from accord.kit.errors import Forbidden

TOKEN_FORMAT = re.compile(r"^acc_(usr|ing)_[0-9A-Za-z]{49}$")
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# ------------------------------------------------------------------------------------- tokens


@pytest.mark.parametrize("kind", list(TokenKind))
def test_token_has_prefix_length_and_base62_body(kind: TokenKind) -> None:
    token = new_token(kind)
    assert token.startswith(f"acc_{kind.value}_")
    assert TOKEN_FORMAT.match(token)
    assert len(token) == len("acc_usr_") + 43 + 6
    assert token_kind_if_well_formed(token) is kind


def test_tokens_carry_at_least_256_random_bits() -> None:
    # 43 base62 characters of secret: 62**43 > 2**256.
    assert 62**43 > 2**256
    bodies = {new_token(TokenKind.USER)[8 : 8 + 43] for _ in range(200)}
    assert len(bodies) == 200
    # Every base62 character shows up somewhere: the body is not a narrower alphabet.
    assert set("".join(bodies)) == set(BASE62)


def test_a_thousand_tokens_are_unique() -> None:
    tokens = [new_token(TokenKind.USER) for _ in range(1000)]
    assert len(set(tokens)) == 1000
    assert len({token_hash(t) for t in tokens}) == 1000
    assert all(token_kind_if_well_formed(t) is TokenKind.USER for t in tokens)


@given(st.data())
def test_any_one_character_change_is_rejected(data: st.DataObject) -> None:
    token = new_token(data.draw(st.sampled_from(list(TokenKind))))
    position = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    replacement = data.draw(st.characters().filter(lambda c: c != token[position]))
    changed = token[:position] + replacement + token[position + 1 :]
    assert token_kind_if_well_formed(changed) is None


@given(st.data())
def test_swapping_two_different_adjacent_characters_is_rejected(data: st.DataObject) -> None:
    token = new_token(TokenKind.USER)
    body_start = len("acc_usr_")
    i = data.draw(st.integers(min_value=body_start, max_value=len(token) - 2))
    if token[i] == token[i + 1]:
        return
    swapped = token[:i] + token[i + 1] + token[i] + token[i + 2 :]
    assert token_kind_if_well_formed(swapped) is None


def test_a_dropped_or_added_character_is_rejected() -> None:
    token = new_token(TokenKind.INGEST)
    assert token_kind_if_well_formed(token[:-1]) is None
    assert token_kind_if_well_formed(token + "a") is None
    assert token_kind_if_well_formed(token[1:]) is None


@pytest.mark.parametrize(
    "token",
    [
        "",
        "acc_usr_",
        "acc_xyz_" + "a" * 49,
        "ACC_usr_" + "a" * 49,
        "acc-usr-" + "a" * 49,
        "acc_usr_" + "a" * 49,  # well shaped, wrong checksum
        "acc_usr_" + "!" * 49,
        "acc_usr_" + "a" * 48 + "_",
        "ghp_" + "a" * 36,
        "Bearer acc_usr_x",
    ],
)
def test_malformed_tokens_are_rejected(token: str) -> None:
    assert token_kind_if_well_formed(token) is None


def test_the_kind_is_not_covered_by_the_checksum_but_needs_three_changes() -> None:
    token = new_token(TokenKind.USER)
    relabelled = "acc_ing_" + token[len("acc_usr_") :]
    # Changing the kind label is a three-character edit; the body stays valid, so the kind
    # returned follows the label. Authentication then fails on the hash lookup instead.
    assert token_kind_if_well_formed(relabelled) is TokenKind.INGEST
    assert token_hash(relabelled) != token_hash(token)


def test_token_hash_is_sha256_hex() -> None:
    token = new_token(TokenKind.USER)
    assert token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", token_hash(token))
    assert token not in token_hash(token)


def test_the_hint_shows_the_prefix_and_only_a_few_secret_characters() -> None:
    token = new_token(TokenKind.USER)
    hint = token_hint(token)
    assert hint.startswith("acc_usr_")
    assert token.startswith(hint.rstrip("…"))
    secret_shown = len(hint.rstrip("…")) - len("acc_usr_")
    assert 0 < secret_shown <= 4  # at most 4 of the 43 secret characters


# --------------------------------------------------------------------------------- scopes


UNIT_A, UNIT_B = 1, 2


def actor(*grants: tuple[Role, int | None]) -> Actor:
    return Actor(
        name="someone",
        kind=ActorKind.USER,
        grants=frozenset(Grant(role, unit) for role, unit in grants),
        principal_id=42,
    )


def test_a_global_grant_holds_everywhere_including_org_wide_objects() -> None:
    editor = actor((Role.EDITOR, None))
    scope = editor.scope(Permission.CATALOGUE_WRITE)
    assert scope.everywhere
    assert scope.unit_filter is None
    assert editor.can(Permission.CATALOGUE_WRITE, UNIT_A)
    assert editor.can(Permission.CATALOGUE_WRITE, UNIT_B)
    assert editor.can(Permission.CATALOGUE_WRITE, None)


def test_a_unit_grant_holds_only_in_its_unit_and_not_org_wide() -> None:
    editor = actor((Role.EDITOR, UNIT_A))
    scope = editor.scope(Permission.CATALOGUE_WRITE)
    assert not scope.everywhere
    assert scope.units == {UNIT_A}
    assert scope.unit_filter == {UNIT_A}
    assert editor.can(Permission.CATALOGUE_WRITE, UNIT_A)
    assert not editor.can(Permission.CATALOGUE_WRITE, UNIT_B)
    assert not editor.can(Permission.CATALOGUE_WRITE, None)
    assert editor.has_anywhere(Permission.CATALOGUE_WRITE)


def test_grants_in_several_units_add_up() -> None:
    someone = actor((Role.EDITOR, UNIT_A), (Role.VIEWER, UNIT_B))
    assert someone.scope(Permission.CATALOGUE_READ).units == {UNIT_A, UNIT_B}
    assert someone.scope(Permission.CATALOGUE_WRITE).units == {UNIT_A}
    assert someone.roles == {Role.EDITOR, Role.VIEWER}


def test_a_global_grant_subsumes_unit_grants() -> None:
    someone = actor((Role.VIEWER, UNIT_A), (Role.VIEWER, None))
    scope = someone.scope(Permission.CATALOGUE_READ)
    assert scope.everywhere
    assert scope.units == frozenset()


def test_a_permission_not_held_is_nowhere() -> None:
    viewer = actor((Role.VIEWER, UNIT_A))
    scope = viewer.scope(Permission.CATALOGUE_WRITE)
    assert scope == NOWHERE
    assert scope.is_empty
    assert not viewer.has_anywhere(Permission.CATALOGUE_WRITE)
    assert not viewer.can(Permission.CATALOGUE_WRITE, UNIT_A)


def test_an_actor_without_grants_can_do_nothing() -> None:
    nobody = actor()
    for permission in Permission:
        assert not nobody.has_anywhere(permission)
    assert not nobody.is_external_only


def test_require_raises_forbidden_naming_the_permission() -> None:
    viewer = actor((Role.VIEWER, UNIT_A))
    viewer.require(Permission.CATALOGUE_READ, UNIT_A)
    with pytest.raises(Forbidden, match="catalogue:write"):
        viewer.require(Permission.CATALOGUE_WRITE, UNIT_A)
    with pytest.raises(Forbidden, match="catalogue:read"):
        viewer.require(Permission.CATALOGUE_READ, UNIT_B)
    with pytest.raises(Forbidden):
        viewer.require(Permission.CATALOGUE_READ, None)
    viewer.require_anywhere(Permission.CATALOGUE_READ)
    with pytest.raises(Forbidden):
        viewer.require_anywhere(Permission.AUDIT_READ)


def test_scope_allows() -> None:
    assert Scope(everywhere=True).allows(None)
    assert Scope(everywhere=True).allows(7)
    assert Scope(everywhere=False, units=frozenset({7})).allows(7)
    assert not Scope(everywhere=False, units=frozenset({7})).allows(8)
    assert not Scope(everywhere=False, units=frozenset({7})).allows(None)


def test_scopes_are_cached_but_not_shared_between_actors() -> None:
    a = actor((Role.EDITOR, UNIT_A))
    b = actor((Role.EDITOR, UNIT_B))
    assert a.scope(Permission.CATALOGUE_WRITE).units == {UNIT_A}
    assert b.scope(Permission.CATALOGUE_WRITE).units == {UNIT_B}
    assert a.scope(Permission.CATALOGUE_WRITE) is a.scope(Permission.CATALOGUE_WRITE)


@given(
    st.lists(
        st.tuples(st.sampled_from(list(Role)), st.none() | st.integers(min_value=1, max_value=4)),
        max_size=6,
    ),
    st.sampled_from(list(Permission)),
    st.none() | st.integers(min_value=1, max_value=5),
)
def test_can_agrees_with_the_grants(
    grants: list[tuple[Role, int | None]], permission: Permission, unit: int | None
) -> None:
    someone = actor(*grants)
    expected = any(
        permission in ROLE_PERMISSIONS[role] and (granted is None or granted == unit)
        for role, granted in grants
    )
    assert someone.can(permission, unit) == expected


def test_external_only() -> None:
    assert actor((Role.EXTERNAL, UNIT_A)).is_external_only
    assert not actor((Role.EXTERNAL, UNIT_A), (Role.VIEWER, UNIT_B)).is_external_only


def test_system_actor_holds_every_internal_permission_everywhere() -> None:
    system = system_actor("cli:root")
    assert system.kind is ActorKind.SYSTEM
    assert system.principal_id is None
    for permission in ROLE_PERMISSIONS[Role.ADMIN]:
        assert system.can(permission, None)


# ----------------------------------------------------------------------------- permission table

INTERNAL_READS = {
    Permission.CATALOGUE_READ,
    Permission.AGREEMENTS_READ,
    Permission.AUDIT_READ,
    Permission.IDENTITY_READ,
}
WRITES = {
    Permission.CATALOGUE_WRITE,
    Permission.AGREEMENTS_WRITE,
    Permission.AGREEMENTS_SIGN_OFF,
    Permission.AGREEMENTS_APPROVE,
    Permission.IDENTITY_ADMIN,
    Permission.TELEMETRY_INGEST,
}


def test_every_role_has_a_row() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)


def test_external_never_has_internal_reads_or_writes() -> None:
    external = ROLE_PERMISSIONS[Role.EXTERNAL]
    assert not external & INTERNAL_READS
    assert not external & WRITES
    assert Permission.AGREEMENTS_READ_EXTERNAL in external


def test_ingest_only_ingests() -> None:
    assert ROLE_PERMISSIONS[Role.INGEST] == {Permission.TELEMETRY_INGEST}


def test_only_ingest_and_admin_may_ingest() -> None:
    holders = {r for r, perms in ROLE_PERMISSIONS.items() if Permission.TELEMETRY_INGEST in perms}
    assert holders == {Role.INGEST, Role.ADMIN}


def test_viewer_and_auditor_are_read_only() -> None:
    assert not ROLE_PERMISSIONS[Role.VIEWER] & WRITES
    assert not ROLE_PERMISSIONS[Role.AUDITOR] & WRITES
    assert Permission.AUDIT_READ in ROLE_PERMISSIONS[Role.AUDITOR]
    assert Permission.AUDIT_READ not in ROLE_PERMISSIONS[Role.VIEWER]


def test_only_admin_administers_identity() -> None:
    holders = {r for r, perms in ROLE_PERMISSIONS.items() if Permission.IDENTITY_ADMIN in perms}
    assert holders == {Role.ADMIN}


def test_editors_write_but_do_not_approve() -> None:
    editor = ROLE_PERMISSIONS[Role.EDITOR]
    assert {Permission.CATALOGUE_WRITE, Permission.AGREEMENTS_WRITE} <= editor
    assert Permission.AGREEMENTS_APPROVE not in editor
    assert Permission.AGREEMENTS_SIGN_OFF not in editor


def test_approvers_approve_but_do_not_edit() -> None:
    approver = ROLE_PERMISSIONS[Role.APPROVER]
    assert {Permission.AGREEMENTS_APPROVE, Permission.AGREEMENTS_SIGN_OFF} <= approver
    assert Permission.AGREEMENTS_WRITE not in approver
    assert Permission.CATALOGUE_WRITE not in approver


def test_admin_has_everything_but_the_external_view() -> None:
    assert ROLE_PERMISSIONS[Role.ADMIN] == set(Permission) - {Permission.AGREEMENTS_READ_EXTERNAL}


def test_every_internal_human_role_reads_the_catalogue_and_owns_tokens() -> None:
    for role in (Role.ADMIN, Role.EDITOR, Role.APPROVER, Role.VIEWER, Role.AUDITOR):
        assert Permission.CATALOGUE_READ in ROLE_PERMISSIONS[role]
        assert Permission.TOKENS_OWN in ROLE_PERMISSIONS[role]
