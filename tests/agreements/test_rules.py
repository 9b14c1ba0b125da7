"""The pure rules of agreements (no database): keys, sign-offs, activation, expiry, headline
status, submission, approval and support links."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.agreements import rules
from accord.agreements.enums import AgreementKind, SignOffRole, Structure, VersionStatus
from accord.kit.errors import InvalidTransition, RuleViolation

Check = Callable[[], None]

ROLES = [r.value for r in SignOffRole]
KEY_PATTERN = re.compile(r"^(SLA|OLA|UC)-[0-9]{4,}$")  # AgreementKey in schemas.py

aware_datetimes = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from(
        [
            UTC,
            timezone(timedelta(hours=-11)),
            timezone(timedelta(hours=5, minutes=30)),
            timezone(timedelta(hours=14)),
        ]
    ),
)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
role_lists = st.lists(st.sampled_from(ROLES), max_size=8)


def broken_rule(check: Check) -> str | None:
    """The rule ``check`` raises, or None when it passes."""
    try:
        check()
    except RuleViolation as exc:
        return exc.rule
    return None


# ------------------------------------------------------------------------------------- keys


@pytest.mark.parametrize(
    ("kind", "number", "key"),
    [
        (AgreementKind.SLA, 1, "SLA-0001"),
        (AgreementKind.OLA, 42, "OLA-0042"),
        (AgreementKind.UC, 9999, "UC-9999"),
        (AgreementKind.SLA, 12345, "SLA-12345"),
    ],
)
def test_agreement_key_known_answers(kind: AgreementKind, number: int, key: str) -> None:
    assert rules.agreement_key(kind, number) == key


@given(st.sampled_from(list(AgreementKind)), st.integers(min_value=1, max_value=10**7))
def test_agreement_key_round_trips_and_matches_the_api_pattern(
    kind: AgreementKind, number: int
) -> None:
    key = rules.agreement_key(kind, number)
    assert KEY_PATTERN.match(key), key
    prefix, digits = key.split("-")
    assert prefix == kind.value.upper()
    assert int(digits) == number


@given(
    st.sampled_from(list(AgreementKind)),
    st.integers(1, 10**6),
    st.sampled_from(list(AgreementKind)),
    st.integers(1, 10**6),
)
def test_agreement_keys_are_unique_per_kind_and_number(
    k1: AgreementKind, n1: int, k2: AgreementKind, n2: int
) -> None:
    same = rules.agreement_key(k1, n1) == rules.agreement_key(k2, n2)
    assert same == ((k1, n1) == (k2, n2))


def test_status_sets_partition_the_lifecycle() -> None:
    assert frozenset(VersionStatus) == rules.OPEN_STATUSES | rules.APPROVED_OR_LATER
    assert not rules.OPEN_STATUSES & rules.APPROVED_OR_LATER
    assert rules.ENDED_STATUSES < rules.APPROVED_OR_LATER
    assert VersionStatus.ACTIVE in rules.APPROVED_OR_LATER - rules.ENDED_STATUSES
    assert VersionStatus.APPROVED in rules.APPROVED_OR_LATER - rules.ENDED_STATUSES


# -------------------------------------------------------------------------------- sign-offs


def test_required_sign_offs_is_the_union_in_canonical_order() -> None:
    tier1 = ["provider_owner", "customer_owner", "legal"]
    tier4 = ["provider_owner"]
    assert rules.required_sign_offs([tier4, tier1], ["security", "legal"]) == [
        "provider_owner",
        "customer_owner",
        "legal",
        "security",
    ]
    assert rules.required_sign_offs([], []) == ["provider_owner"]
    assert rules.required_sign_offs([], ["finance"]) == ["provider_owner", "finance"]
    assert rules.required_sign_offs([tier4], []) == ["provider_owner"]


@given(st.lists(role_lists, max_size=5), role_lists)
def test_required_sign_offs_properties(tiers: list[list[str]], requested: list[str]) -> None:
    result = rules.required_sign_offs(tiers, requested)
    assert set(result) == {r for t in tiers for r in t} | set(requested) | {"provider_owner"}
    assert len(result) == len(set(result))
    assert result == sorted(result, key=ROLES.index)


def test_missing_sign_offs_known_answers() -> None:
    required = ["provider_owner", "customer_owner", "legal"]
    assert rules.missing_sign_offs(required, []) == required
    assert rules.missing_sign_offs(required, ["legal"]) == ["provider_owner", "customer_owner"]
    assert rules.missing_sign_offs(required, ["finance", *required]) == []


@given(role_lists, role_lists)
def test_missing_sign_offs_properties(required: list[str], collected: list[str]) -> None:
    missing = rules.missing_sign_offs(required, collected)
    assert not set(missing) & set(collected)
    assert set(missing) | (set(required) & set(collected)) == set(required)
    assert missing == [r for r in required if r in missing]  # keeps the required order


def test_check_sign_off_accepts_a_required_role_by_a_new_signatory() -> None:
    rules.check_sign_off(
        role=SignOffRole.LEGAL,
        required=["provider_owner", "legal"],
        signer="lee",
        existing={"provider_owner": "pat"},
    )


def test_check_sign_off_refuses_a_role_that_is_not_required() -> None:
    with pytest.raises(RuleViolation) as info:
        rules.check_sign_off(
            role=SignOffRole.FINANCE, required=["provider_owner"], signer="fin", existing={}
        )
    assert not isinstance(info.value, InvalidTransition)
    assert info.value.rule == "sign-off-not-required"
    assert [p.field for p in info.value.problems] == ["role"]


def test_check_sign_off_refuses_a_second_sign_off_of_the_same_role() -> None:
    with pytest.raises(InvalidTransition) as info:
        rules.check_sign_off(
            role=SignOffRole.LEGAL,
            required=["legal"],
            signer="other",
            existing={"legal": "lee"},
        )
    assert info.value.rule == "sign-off-given"
    assert "lee" in info.value.detail


def test_check_sign_off_one_role_per_signatory() -> None:
    with pytest.raises(InvalidTransition) as info:
        rules.check_sign_off(
            role=SignOffRole.CUSTOMER_OWNER,
            required=["provider_owner", "customer_owner"],
            signer="pat",
            existing={"provider_owner": "pat"},
        )
    assert info.value.rule == "one-sign-off-per-person"


@given(
    st.dictionaries(st.sampled_from(ROLES), st.sampled_from(["a", "b", "c", "d"]), max_size=4),
    st.sampled_from(ROLES),
    st.sampled_from(["a", "b", "c", "d", "e"]),
    role_lists,
)
def test_check_sign_off_decision_table(
    existing: dict[str, str], role: str, signer: str, required: list[str]
) -> None:
    expected = (
        "sign-off-not-required"
        if role not in required
        else "sign-off-given"
        if role in existing
        else "one-sign-off-per-person"
        if signer in existing.values()
        else None
    )
    rule = broken_rule(
        lambda: rules.check_sign_off(
            role=SignOffRole(role), required=required, signer=signer, existing=existing
        )
    )
    assert rule == expected


def test_four_eyes() -> None:
    rules.check_approver(approver="alice", author="eddie")
    with pytest.raises(InvalidTransition) as info:
        rules.check_approver(approver="eddie", author="eddie")
    assert info.value.rule == "four-eyes"


# -------------------------------------------------------------------------------- lifecycle


@pytest.mark.parametrize("status", sorted(set(VersionStatus) - {VersionStatus.DRAFT}))
def test_require_status_names_the_transition(status: VersionStatus) -> None:
    with pytest.raises(InvalidTransition) as info:
        rules.require_status(status, [VersionStatus.DRAFT], operation="edit")
    assert info.value.rule == f"edit-from-{status.value}"
    assert info.value.status == 409
    rules.require_status(VersionStatus.DRAFT, [VersionStatus.DRAFT], operation="edit")


def test_check_submittable_master_lists_no_services() -> None:
    with pytest.raises(RuleViolation) as info:
        rules.check_submittable(
            structure=Structure.MASTER,
            service_count=1,
            region_residency_jurisdiction=None,
            jurisdiction=None,
        )
    assert info.value.rule == "master-has-no-services"
    assert [p.field for p in info.value.problems] == ["services"]  # as for services-required
    rules.check_submittable(
        structure=Structure.MASTER,
        service_count=0,
        region_residency_jurisdiction=None,
        jurisdiction=None,
    )


@pytest.mark.parametrize("structure", [Structure.MONOLITHIC, Structure.SCHEDULE])
def test_check_submittable_needs_services_outside_masters(structure: Structure) -> None:
    with pytest.raises(RuleViolation) as info:
        rules.check_submittable(
            structure=structure,
            service_count=0,
            region_residency_jurisdiction=None,
            jurisdiction="DE",
        )
    assert info.value.rule == "services-required"
    assert [p.field for p in info.value.problems] == ["services"]
    rules.check_submittable(
        structure=structure, service_count=2, region_residency_jurisdiction=None, jurisdiction=None
    )


@pytest.mark.parametrize("jurisdiction", [None, "IE", "DE-BY", "US"])
def test_check_submittable_data_residency(jurisdiction: str | None) -> None:
    with pytest.raises(RuleViolation) as info:
        rules.check_submittable(
            structure=Structure.MONOLITHIC,
            service_count=1,
            region_residency_jurisdiction="DE",
            jurisdiction=jurisdiction,
        )
    assert info.value.rule == "data-residency"
    assert [p.field for p in info.value.problems] == ["jurisdiction"]
    assert "DE" in info.value.detail


def test_check_submittable_residency_satisfied_or_absent() -> None:
    rules.check_submittable(
        structure=Structure.MONOLITHIC,
        service_count=1,
        region_residency_jurisdiction="DE",
        jurisdiction="DE",
    )
    rules.check_submittable(
        structure=Structure.MONOLITHIC,
        service_count=1,
        region_residency_jurisdiction=None,
        jurisdiction="FR",
    )


# ------------------------------------------------------------------------------- activation

APPROVED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_check_activation_refuses_backdating_naming_effective_from() -> None:
    with pytest.raises(RuleViolation) as info:
        rules.check_activation(
            approved_at=APPROVED,
            effective_from=APPROVED - timedelta(microseconds=1),
            term_end=None,
        )
    assert not isinstance(info.value, InvalidTransition)
    assert info.value.rule == "no-backdating"
    assert [p.field for p in info.value.problems] == ["effective_from"]
    assert info.value.status == 422


def test_check_activation_at_the_approval_instant_is_allowed() -> None:
    rules.check_activation(approved_at=APPROVED, effective_from=APPROVED, term_end=None)


def test_check_activation_compares_instants_not_wall_clocks() -> None:
    # 10:30+02:00 is 08:30Z, i.e. before the approval at 09:00Z although its wall clock is later.
    plus2 = timezone(timedelta(hours=2))
    with pytest.raises(RuleViolation) as info:
        rules.check_activation(
            approved_at=APPROVED,
            effective_from=datetime(2026, 3, 2, 10, 30, tzinfo=plus2),
            term_end=None,
        )
    assert info.value.rule == "no-backdating"
    # 05:30-04:00 is 09:30Z: after the approval, though its wall clock is earlier.
    rules.check_activation(
        approved_at=APPROVED,
        effective_from=datetime(2026, 3, 2, 5, 30, tzinfo=timezone(timedelta(hours=-4))),
        term_end=None,
    )


def test_check_activation_refuses_an_expired_term() -> None:
    with pytest.raises(InvalidTransition) as info:
        rules.check_activation(
            approved_at=APPROVED,
            effective_from=datetime(2026, 4, 1, tzinfo=UTC),
            term_end=date(2026, 3, 31),
        )
    assert info.value.rule == "term-expired"
    assert info.value.status == 409
    # The last day of the term is still inside it.
    rules.check_activation(
        approved_at=APPROVED,
        effective_from=datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC),
        term_end=date(2026, 3, 31),
    )


def test_check_activation_term_end_is_measured_in_utc_like_expiry() -> None:
    """A term ends at the UTC midnight after its last day (`term_end_instant`), whatever the
    offset the effective date was written in: activation and the expiry job must agree."""
    term_end = date(2026, 12, 31)
    minus5 = timezone(timedelta(hours=-5))
    late = datetime(2026, 12, 31, 23, 30, tzinfo=minus5)  # 2027-01-01T04:30Z: term is over
    assert rules.is_expired(term_end, late)
    with pytest.raises(InvalidTransition) as info:
        rules.check_activation(approved_at=APPROVED, effective_from=late, term_end=term_end)
    assert info.value.rule == "term-expired"
    plus2 = timezone(timedelta(hours=2))
    early = datetime(2027, 1, 1, 1, 0, tzinfo=plus2)  # 2026-12-31T23:00Z: last hour of the term
    assert not rules.is_expired(term_end, early)
    rules.check_activation(approved_at=APPROVED, effective_from=early, term_end=term_end)


def test_check_activation_refuses_a_term_that_has_already_ended_now() -> None:
    """Activating after the term is over is refused even if effective_from lies inside it."""
    with pytest.raises(InvalidTransition) as info:
        rules.check_activation(
            approved_at=APPROVED,
            effective_from=APPROVED + timedelta(days=1),
            term_end=date(2026, 3, 31),
            now=datetime(2026, 4, 2, tzinfo=UTC),
        )
    assert info.value.rule == "term-expired"
    rules.check_activation(
        approved_at=APPROVED,
        effective_from=APPROVED + timedelta(days=1),
        term_end=date(2026, 3, 31),
        now=datetime(2026, 3, 31, 12, tzinfo=UTC),
    )


@given(aware_datetimes, st.integers(0, 10**9), st.one_of(st.none(), dates))
def test_check_activation_property(
    approved_at: datetime, seconds_later: int, term_end: date | None
) -> None:
    effective_from = approved_at + timedelta(seconds=seconds_later)
    expired = term_end is not None and effective_from >= rules.term_end_instant(term_end)
    rule = broken_rule(
        lambda: rules.check_activation(
            approved_at=approved_at, effective_from=effective_from, term_end=term_end
        )
    )
    assert rule == ("term-expired" if expired else None)


@given(aware_datetimes, st.integers(1, 10**9))
def test_backdating_is_always_refused(approved_at: datetime, seconds_before: int) -> None:
    with pytest.raises(RuleViolation) as info:
        rules.check_activation(
            approved_at=approved_at,
            effective_from=approved_at - timedelta(seconds=seconds_before),
            term_end=None,
        )
    assert info.value.rule == "no-backdating"


# ----------------------------------------------------------------------------------- expiry


def test_term_end_instant_is_the_next_utc_midnight() -> None:
    assert rules.term_end_instant(date(2026, 12, 31)) == datetime(2027, 1, 1, tzinfo=UTC)
    assert rules.term_end_instant(date(2028, 2, 28)) == datetime(2028, 2, 29, tzinfo=UTC)


def test_is_expired_boundaries() -> None:
    end = date(2026, 6, 30)
    instant = datetime(2026, 7, 1, tzinfo=UTC)
    assert not rules.is_expired(None, datetime(2099, 1, 1, tzinfo=UTC))
    assert not rules.is_expired(end, instant - timedelta(microseconds=1))
    assert rules.is_expired(end, instant)
    assert rules.is_expired(end, instant + timedelta(days=400))
    # The same instant in another offset gives the same answer.
    assert rules.is_expired(end, datetime(2026, 6, 30, 20, tzinfo=timezone(timedelta(hours=-4))))
    assert not rules.is_expired(end, datetime(2026, 7, 1, 1, tzinfo=timezone(timedelta(hours=2))))


@given(dates, aware_datetimes)
def test_is_expired_property(term_end: date, now: datetime) -> None:
    instant = datetime.combine(term_end + timedelta(days=1), time(0), tzinfo=UTC)
    assert rules.term_end_instant(term_end) == instant
    assert rules.is_expired(term_end, now) == (now >= instant)
    # Monotone: once expired, always expired.
    if rules.is_expired(term_end, now):
        assert rules.is_expired(term_end, now + timedelta(days=1))


# ---------------------------------------------------------------------------------- headline


def test_headline_status_prefers_the_active_version() -> None:
    assert (
        rules.headline_status({1: VersionStatus.ACTIVE, 2: VersionStatus.DRAFT})
        is VersionStatus.ACTIVE
    )
    assert (
        rules.headline_status({1: VersionStatus.SUPERSEDED, 2: VersionStatus.ACTIVE})
        is VersionStatus.ACTIVE
    )


def test_headline_status_else_the_latest_version() -> None:
    assert rules.headline_status({1: VersionStatus.DRAFT}) is VersionStatus.DRAFT
    assert (
        rules.headline_status({2: VersionStatus.IN_REVIEW, 1: VersionStatus.EXPIRED})
        is VersionStatus.IN_REVIEW
    )
    assert (
        rules.headline_status({1: VersionStatus.SUPERSEDED, 3: VersionStatus.SUNSET})
        is VersionStatus.SUNSET
    )


@given(st.dictionaries(st.integers(1, 50), st.sampled_from(list(VersionStatus)), min_size=1))
def test_headline_status_property(statuses: dict[int, VersionStatus]) -> None:
    headline = rules.headline_status(statuses)
    if VersionStatus.ACTIVE in statuses.values():
        assert headline is VersionStatus.ACTIVE
    else:
        assert headline is statuses[max(statuses)]


# ------------------------------------------------------------------------------- terms hash


def test_terms_hash_is_canonical() -> None:
    terms = {"summary": "s", "services": ["a", "b"], "fee_amount": "10.00"}
    reordered = {"fee_amount": "10.00", "services": ["a", "b"], "summary": "s"}
    digest = rules.terms_hash(terms)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert rules.terms_hash(reordered) == digest
    assert rules.terms_hash({**terms, "fee_amount": "10.0"}) != digest  # exact digits matter
    assert rules.terms_hash({**terms, "services": ["b", "a"]}) != digest


@given(st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=5), st.text(max_size=5))
def test_terms_hash_changes_with_any_value(terms: dict[str, str], extra: str) -> None:
    changed = {**terms, "summary": terms.get("summary", "") + "x" + extra}
    assert rules.terms_hash(changed) != rules.terms_hash(terms)


# ----------------------------------------------------------------------------- support links


def _link(**overrides: object) -> None:
    arguments: dict[str, object] = {
        "supported_key": "SLA-0001",
        "supported_kind": AgreementKind.SLA,
        "supporting_key": "UC-0001",
        "supporting_kind": AgreementKind.UC,
        "supporting_is_active": True,
        "supporting_covers_service": True,
        "supported_relies_on_service": True,
        "service": "payments-api",
    }
    arguments.update(overrides)
    rules.check_support_link(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("supported", "supporting"),
    [
        (AgreementKind.SLA, AgreementKind.UC),
        (AgreementKind.SLA, AgreementKind.OLA),
        (AgreementKind.OLA, AgreementKind.UC),
        (AgreementKind.OLA, AgreementKind.OLA),
    ],
)
def test_support_link_allowed_kinds(supported: AgreementKind, supporting: AgreementKind) -> None:
    _link(
        supported_kind=supported,
        supported_key=f"{supported.value.upper()}-0001",
        supporting_kind=supporting,
        supporting_key=f"{supporting.value.upper()}-0002",
    )


@pytest.mark.parametrize(
    ("overrides", "rule", "field"),
    [
        (
            {"supporting_key": "SLA-0001", "supporting_kind": AgreementKind.SLA},
            "support-self",
            "supporting",
        ),
        ({"supported_key": "UC-0009", "supported_kind": AgreementKind.UC}, "support-kinds", None),
        (
            {"supporting_key": "SLA-0002", "supporting_kind": AgreementKind.SLA},
            "support-kinds",
            "supporting",
        ),
        (
            {"supporting_is_active": False, "supporting_covers_service": False},
            "support-not-active",
            "supporting",
        ),
        ({"supporting_covers_service": False}, "support-does-not-cover", "service"),
        ({"supported_relies_on_service": False}, "supported-does-not-cover", "service"),
    ],
)
def test_support_link_refusals(overrides: dict[str, object], rule: str, field: str | None) -> None:
    with pytest.raises(RuleViolation) as info:
        _link(**overrides)
    assert info.value.rule == rule
    assert [p.field for p in info.value.problems] == ([field] if field else [])


def test_support_link_messages_name_the_agreements_and_service() -> None:
    with pytest.raises(RuleViolation) as info:
        _link(supporting_covers_service=False)
    assert "UC-0001" in info.value.detail
    assert "payments-api" in info.value.detail
    with pytest.raises(RuleViolation) as info:
        _link(supported_key="UC-0007", supported_kind=AgreementKind.UC)
    assert "UC-0007" in info.value.detail
