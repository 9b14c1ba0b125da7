"""The agreements service on both databases: lifecycle, sign-off, activation and supersession,
expiry, sunset, master/schedule structure, coverage rules, support links, deletion, the terms
hash, and the audit trail every write leaves."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.agreements import rules
from accord.agreements import service as agreements_service
from accord.agreements.approvals import service as approvals_service
from accord.agreements.enums import AgreementKind, SignOffRole, Structure, VersionStatus
from accord.agreements.models import AgreementKeyCounter, SignOff, SupportLink
from accord.agreements.schemas import (
    AgreementCreate,
    AgreementFilter,
    AgreementRead,
    AgreementUpdate,
    SignOffCreate,
    TransitionRequest,
    VersionRead,
    VersionUpdate,
)
from accord.agreements.support import service as support_service
from accord.agreements.support.schemas import AgreementSupport, SupportLinkCreate
from accord.audit import service as audit_service
from accord.catalogue.enums import Lifecycle
from accord.db.session import Database
from accord.identity.enums import Role
from accord.identity.rules import Actor, system_actor
from accord.kit.errors import (
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    RuleViolation,
)
from tests.agreements.helpers import (
    APPROVER,
    AUTHOR,
    World,
    activate,
    agreement_row,
    approve,
    approve_only,
    at,
    audit_count,
    audit_events,
    create,
    deleted_at,
    events_since,
    head_seq,
    make_active,
    new_version,
    refused,
    set_lifecycle,
    sign,
    sign_all,
    submit,
    version_row,
)
from tests.factories.identity import make_principal

REASON = TransitionRequest(reason="because it is time")


def get(session: Session, key: str, number: int = 1, actor: Actor = AUTHOR) -> VersionRead:
    return agreements_service.get_version(session, actor=actor, key=key, number=number)


def status_of(session: Session, key: str, number: int = 1) -> VersionStatus:
    return get(session, key, number).status


def edit(session: Session, key: str, number: int = 1, **changes: object) -> VersionRead:
    current = get(session, key, number)
    return agreements_service.update_version(
        session,
        actor=AUTHOR,
        key=key,
        number=number,
        data=VersionUpdate.model_validate({**changes, "reason": "edit the draft"}),
        expected_revision=current.revision,
        now=at(0.5),
    )


def link(
    session: Session, supported: str, supporting: str, service: str = "payments-api"
) -> AgreementSupport:
    return support_service.add_support_link(
        session,
        actor=AUTHOR,
        key=supported,
        data=SupportLinkCreate(supporting=supporting, service=service, reason="underpinned by"),
        now=at(10),
    )


def sunset(session: Session, key: str, *, now: datetime | None = None) -> AgreementRead:
    return approvals_service.sunset_agreement(
        session, actor=APPROVER, key=key, data=REASON, now=now or at(20)
    )


def delete(session: Session, key: str) -> None:
    agreements_service.delete_agreement(
        session, actor=AUTHOR, key=key, reason="no longer needed", now=at(30)
    )


# ============================================================================== lifecycle


def test_full_lifecycle(session: Session, world: World) -> None:
    created = create(
        session,
        services=["payments-api"],
        terms={
            "fee_amount": Decimal("1200.50"),
            "fee_currency": "EUR",
            "fee_period": "monthly",
            "term_end": date(2027, 12, 31),
        },
    )
    assert created.key == "SLA-0001"
    assert created.status is VersionStatus.DRAFT
    assert created.latest_version == 1
    assert created.active_version is None
    draft = get(session, created.key)
    assert draft.terms.fee_amount == Decimal("1200.50")
    assert draft.terms.services == ["payments-api"]
    assert draft.missing_sign_offs == ["provider_owner", "customer_owner"]
    assert draft.terms_hash is None

    in_review = submit(session, created.key, now=at(1))
    assert in_review.status is VersionStatus.IN_REVIEW
    assert in_review.submitted_at == at(1)
    signed = sign_all(session, created.key, 1, now=at(2))
    assert signed.missing_sign_offs == []
    assert {s.role.value: s.signed_by for s in signed.sign_offs} == {
        "provider_owner": "signer-provider_owner",
        "customer_owner": "signer-customer_owner",
    }
    approved = approve_only(session, created.key, now=at(3))
    assert approved.status is VersionStatus.APPROVED
    assert approved.approved_at == at(3)
    assert approved.approved_by == APPROVER.name
    assert approved.terms_hash is not None

    active = activate(session, created.key, effective_from=at(4), now=at(3.5))
    assert active.status is VersionStatus.ACTIVE
    assert active.effective_from == at(4)
    read = agreements_service.get_agreement(session, actor=AUTHOR, key=created.key)
    assert read.status is VersionStatus.ACTIVE
    assert read.active_version == 1
    assert [e.action for e in audit_events(session, created.key)] == [
        "agreement.created",
        "agreement.version_submitted",
        "agreement.version_signed_off",
        "agreement.version_signed_off",
        "agreement.version_approved",
        "agreement.version_activated",
    ]


def test_keys_are_dense_per_kind(session: Session, world: World) -> None:
    made = [
        create(session).key,
        create(session, kind=AgreementKind.OLA).key,
        create(session).key,
        create(session, kind=AgreementKind.UC).key,
        create(session, kind=AgreementKind.UC).key,
    ]
    assert made == ["SLA-0001", "OLA-0001", "SLA-0002", "UC-0001", "UC-0002"]


def test_parties_must_match_the_kind(session: Session, world: World) -> None:
    with refused(session, error=InvalidInput) as info:
        create(session, kind=AgreementKind.UC, customer="acme")
    assert [p.field for p in info.value.problems] == ["customer"]
    with refused(session, error=InvalidInput) as info:
        create(session, kind=AgreementKind.OLA, consumer_unit="retail")
    assert [p.field for p in info.value.problems] == ["consumer_business_unit"]
    with refused(session, error=InvalidInput) as info:
        create(session, customer="initech-unknown")
    assert [p.field for p in info.value.problems] == ["customer"]


def test_return_to_draft_voids_sign_offs(session: Session, world: World) -> None:
    key = create(session, services=["ledger"]).key
    submit(session, key, now=at(1))
    sign(session, key, 1, "provider_owner", signer="pat", now=at(2))
    sign(session, key, 1, "legal", signer="lee", now=at(2))
    returned = approvals_service.return_version(
        session, actor=AUTHOR, key=key, number=1, data=REASON, now=at(3)
    )
    assert returned.status is VersionStatus.DRAFT
    assert returned.sign_offs == []
    assert returned.submitted_at is None
    assert returned.missing_sign_offs == ["provider_owner", "customer_owner", "legal"]
    version_id = version_row(session, key).id
    assert session.scalar(select(func.count()).where(SignOff.version_id == version_id)) == 0
    # Editable again, and the earlier signatories must sign the new terms afresh.
    edit(session, key, summary="reworded")
    submit(session, key, now=at(4))
    again = sign(session, key, 1, "provider_owner", signer="pat", now=at(5))
    assert [s.signed_by for s in again.sign_offs] == ["pat"]


def test_author_cannot_approve(session: Session, world: World) -> None:
    key = create(session).key
    submit(session, key, now=at(1))
    sign_all(session, key, 1, now=at(2))
    same_name_as_author = system_actor(AUTHOR.name)
    with refused(session, "four-eyes", InvalidTransition):
        approve_only(session, key, now=at(3), approver=same_name_as_author)
    assert status_of(session, key) is VersionStatus.IN_REVIEW
    assert approve_only(session, key, now=at(3)).status is VersionStatus.APPROVED


def test_one_signatory_per_role_and_one_role_per_signatory(session: Session, world: World) -> None:
    key = create(session, services=["ledger"]).key
    submit(session, key, now=at(1))
    sign(session, key, 1, "provider_owner", signer="pat", now=at(2))
    with refused(session, "one-sign-off-per-person", InvalidTransition):
        sign(session, key, 1, "customer_owner", signer="pat", now=at(2))
    with refused(session, "sign-off-given", InvalidTransition):
        sign(session, key, 1, "provider_owner", signer="quinn", now=at(2))
    with refused(session, "sign-off-not-required") as info:
        sign(session, key, 1, "finance", signer="fin", now=at(2))
    assert info.value.status == 422
    assert [s.signed_by for s in get(session, key).sign_offs] == ["pat"]


def test_approve_needs_every_required_sign_off(session: Session, world: World) -> None:
    key = create(session, services=["ledger"]).key
    submit(session, key, now=at(1))
    sign(session, key, 1, "provider_owner", signer="pat", now=at(2))
    sign(session, key, 1, "customer_owner", signer="cory", now=at(2))
    with refused(session, "sign-offs-missing", InvalidTransition) as info:
        approve_only(session, key, now=at(3))
    assert "legal" in info.value.detail
    sign(session, key, 1, "legal", signer="lee", now=at(2))
    assert approve_only(session, key, now=at(3)).status is VersionStatus.APPROVED


@pytest.mark.parametrize(
    ("services", "extras", "expected"),
    [
        (["payments-api"], [], ["provider_owner", "customer_owner"]),
        (["ledger"], [], ["provider_owner", "customer_owner", "legal"]),
        (["reports"], [], ["provider_owner"]),
        (["reports"], ["security"], ["provider_owner", "security"]),
        (
            ["reports", "ledger"],
            ["finance"],
            ["provider_owner", "customer_owner", "legal", "finance"],
        ),
    ],
)
def test_required_sign_offs_are_tier_requirements_plus_extras(
    session: Session,
    world: World,
    services: list[str],
    extras: list[str],
    expected: list[str],
) -> None:
    key = create(session, services=services, terms={"requested_sign_offs": extras}).key
    assert get(session, key).terms.required_sign_offs == expected
    assert submit(session, key, now=at(1)).missing_sign_offs == expected


def test_submit_takes_the_tiers_as_they_are_then(session: Session, world: World) -> None:
    from accord.catalogue import service as catalogue_service
    from accord.catalogue.schemas import TierUpdate

    key = create(session, services=["reports"]).key
    tier4 = catalogue_service.get_tier(session, actor=AUTHOR, level=4)
    catalogue_service.replace_tier(
        session,
        actor=AUTHOR,
        level=4,
        data=TierUpdate.model_validate(
            {
                **tier4.model_dump(include=set(TierUpdate.model_fields)),
                "required_sign_offs": ["provider_owner", "security"],
            }
        ),
        now=at(0.5),
    )
    assert submit(session, key, now=at(1)).missing_sign_offs == ["provider_owner", "security"]


def test_required_sign_offs_follow_a_change_of_services(session: Session, world: World) -> None:
    key = create(session, services=["ledger"]).key
    assert "legal" in get(session, key).terms.required_sign_offs
    changed = edit(session, key, services=["payments-api"])
    assert changed.terms.required_sign_offs == ["provider_owner", "customer_owner"]


@pytest.mark.parametrize(
    ("step", "rule"),
    [
        ("submit", "submit-from-in_review"),
        ("approve", "approve-from-draft"),
        ("sign", "sign-off-from-draft"),
        ("return", "return-from-draft"),
        ("activate", "activate-from-draft"),
    ],
)
def test_transitions_from_the_wrong_status(
    session: Session, world: World, step: str, rule: str
) -> None:
    key = create(session).key
    if step == "submit":
        submit(session, key, now=at(1))
    with refused(session, rule, InvalidTransition):
        if step == "submit":
            submit(session, key, now=at(2))
        elif step == "approve":
            approve_only(session, key, now=at(2))
        elif step == "sign":
            sign(session, key, 1, "provider_owner", signer="pat", now=at(2))
        elif step == "return":
            approvals_service.return_version(
                session, actor=AUTHOR, key=key, number=1, data=REASON, now=at(2)
            )
        else:
            activate(session, key, effective_from=None, now=at(2))


# ============================================================================== editing


def test_update_version_needs_the_current_revision(session: Session, world: World) -> None:
    key = create(session).key
    current = get(session, key)

    def update(revision: int | None) -> VersionRead:
        return agreements_service.update_version(
            session,
            actor=AUTHOR,
            key=key,
            number=1,
            data=VersionUpdate(summary="new words", reason="wording"),
            expected_revision=revision,
            now=at(1),
        )

    with refused(session, error=PreconditionRequired):
        update(None)
    with refused(session, error=PreconditionFailed):
        update(current.revision + 1)
    updated = update(current.revision)
    assert updated.terms.summary == "new words"
    assert updated.revision > current.revision
    with refused(session, error=PreconditionFailed):
        update(current.revision)  # the ETag read before the change is stale now


def test_approved_terms_cannot_be_edited(session: Session, world: World) -> None:
    key = create(session).key
    submit(session, key, now=at(1))
    with refused(session, "edit-from-in_review", InvalidTransition):
        edit(session, key, summary="sneaky")
    sign_all(session, key, 1, now=at(2))
    approve_only(session, key, now=at(3))
    with refused(session, "edit-from-approved", InvalidTransition):
        edit(session, key, summary="sneaky")
    assert get(session, key).terms.summary == ""


def test_invalid_terms_are_refused_by_field(session: Session, world: World) -> None:
    key = create(session).key
    with refused(session, error=InvalidInput) as info:
        edit(session, key, term_end=date(2025, 12, 31))
    assert [p.field for p in info.value.problems] == ["term_end"]
    with refused(session, error=InvalidInput) as info:
        edit(session, key, fee_amount=Decimal("10"))
    assert [p.field for p in info.value.problems] == ["fee_currency"]
    with refused(session, error=InvalidInput) as info:
        edit(session, key, summary=None)
    assert [p.field for p in info.value.problems] == ["summary"]
    with refused(session, error=InvalidInput) as info:
        create(session, terms={"term_end": date(2025, 1, 1)})
    assert [p.field for p in info.value.problems] == ["terms.term_end"]


def test_new_version_starts_from_the_latest_terms(session: Session, world: World) -> None:
    key = create(
        session,
        services=["payments-api", "cards"],
        terms={"summary": "v1 words", "fee_amount": Decimal("10.00"), "fee_currency": "EUR"},
    ).key
    make_active(session, key, now=at(1))
    v2 = new_version(session, key, terms={"summary": "v2 words"}, now=at(5))
    assert v2.number == 2
    assert v2.status is VersionStatus.DRAFT
    assert v2.terms.summary == "v2 words"
    assert v2.terms.services == ["cards", "payments-api"]
    assert v2.terms.fee_amount == Decimal("10.00")
    assert get(session, key, 1).terms.summary == "v1 words"
    with refused(session, "open-version-exists", InvalidTransition):
        new_version(session, key, now=at(6))


def test_update_agreement_title(session: Session, world: World) -> None:
    key = create(session).key
    updated = agreements_service.update_agreement(
        session,
        actor=AUTHOR,
        key=key,
        data=AgreementUpdate(title="Payments for ACME", reason="clearer title"),
        now=at(1),
    )
    assert updated.title == "Payments for ACME"
    assert audit_events(session, key)[-1].action == "agreement.updated"


# ============================================================================== activation


def test_activation_refused_while_another_version_is_active(session: Session, world: World) -> None:
    key = create(session).key
    make_active(session, key, now=at(1))
    new_version(session, key, terms={"summary": "v2"}, now=at(5))
    approve(session, key, 2, now=at(6))
    with refused(session, "already-active", InvalidTransition):
        activate(session, key, 2, effective_from=at(7), now=at(7))
    assert status_of(session, key, 1) is VersionStatus.ACTIVE
    assert status_of(session, key, 2) is VersionStatus.APPROVED


def test_supersede_ends_the_old_version_when_the_new_one_takes_effect(
    session: Session, world: World
) -> None:
    key = create(session).key
    make_active(session, key, now=at(1))  # effective at(2)
    new_version(session, key, terms={"summary": "v2"}, now=at(5))
    approve(session, key, 2, now=at(6))
    seq = head_seq(session)
    new = activate(session, key, 2, effective_from=at(48), now=at(7), supersede=True)
    assert new.status is VersionStatus.ACTIVE
    assert new.effective_from == at(48)
    old = get(session, key, 1)
    assert old.status is VersionStatus.SUPERSEDED
    assert old.ended_at == at(48)
    assert old.effective_from == at(2)
    read = agreements_service.get_agreement(session, actor=AUTHOR, key=key)
    assert read.active_version == 2
    assert read.status is VersionStatus.ACTIVE
    # One event per version changed, both carrying the reason given.
    events = events_since(session, seq)
    assert [e.action for e in events] == [
        "agreement.version_superseded",
        "agreement.version_activated",
    ]
    assert {audit_service.to_read(e).reason for e in events} == {"go live"}


def test_supersede_needs_something_to_supersede(session: Session, world: World) -> None:
    key = create(session).key
    approve(session, key, now=at(1))
    with refused(session, "nothing-to-supersede", InvalidTransition):
        activate(session, key, effective_from=at(2), now=at(2), supersede=True)


def test_supersede_cannot_end_the_old_version_before_it_started(
    session: Session, world: World
) -> None:
    key = create(session).key
    approve(session, key, now=at(1))
    activate(session, key, effective_from=at(100), now=at(2))  # takes effect later
    new_version(session, key, terms={"summary": "v2"}, now=at(5))
    approve(session, key, 2, now=at(6))
    with refused(session, "supersede-before-start") as info:
        activate(session, key, 2, effective_from=at(50), now=at(7), supersede=True)
    assert [p.field for p in info.value.problems] == ["effective_from"]


def test_supersede_by_an_older_version_is_refused(session: Session, world: World) -> None:
    key = create(session).key
    make_active(session, key, now=at(1))
    new_version(session, key, terms={"summary": "v2"}, now=at(5))
    approve(session, key, 2, now=at(6))
    new_version(session, key, terms={"summary": "v3"}, now=at(7))
    approve(session, key, 3, now=at(8))
    activate(session, key, 3, effective_from=at(9), now=at(9), supersede=True)
    # v2 never took effect, and now it never will: it was overtaken by v3.
    v2 = get(session, key, 2)
    assert v2.status is VersionStatus.SUPERSEDED
    assert v2.effective_from is None
    with refused(session, "activate-from-superseded", InvalidTransition):
        activate(session, key, 2, effective_from=at(10), now=at(10), supersede=True)
    assert status_of(session, key, 3) is VersionStatus.ACTIVE


def test_backdating_is_refused(session: Session, world: World) -> None:
    key = create(session).key
    approve(session, key, now=at(5))
    with refused(session, "no-backdating") as info:
        activate(session, key, effective_from=at(4), now=at(6))
    assert info.value.status == 422
    assert [p.field for p in info.value.problems] == ["effective_from"]
    assert status_of(session, key) is VersionStatus.APPROVED
    # Taking effect exactly at approval is not backdating.
    assert activate(session, key, effective_from=at(5), now=at(6)).effective_from == at(5)


def test_activation_defaults_to_now(session: Session, world: World) -> None:
    key = create(session).key
    approve(session, key, now=at(1))
    assert activate(session, key, effective_from=None, now=at(3)).effective_from == at(3)


def test_activating_an_expired_term_is_refused(session: Session, world: World) -> None:
    key = create(session, terms={"term_end": date(2026, 3, 31)}).key
    approve(session, key, now=at(1))
    after_term = at(24 * 31)  # 2026-04-02
    with refused(session, "term-expired", InvalidTransition):
        activate(session, key, effective_from=after_term, now=after_term)
    # Effective inside the term, but the term is over by now: still refused.
    with refused(session, "term-expired", InvalidTransition):
        activate(session, key, effective_from=at(2), now=after_term)
    assert status_of(session, key) is VersionStatus.APPROVED


def test_older_approved_versions_lapse_when_a_newer_one_takes_effect(
    session: Session, world: World
) -> None:
    key = create(session).key
    approve(session, key, now=at(1))
    new_version(session, key, terms={"summary": "v2"}, now=at(2))
    approve(session, key, 2, now=at(3))
    activate(session, key, 2, effective_from=at(4), now=at(4))
    assert status_of(session, key, 1) is VersionStatus.SUPERSEDED
    assert status_of(session, key, 2) is VersionStatus.ACTIVE


# ============================================================================== expiry


def test_expire_due_versions(session: Session, world: World) -> None:
    ending = create(session, terms={"term_end": date(2026, 6, 30)}).key
    later = create(session, terms={"term_end": date(2026, 7, 1)}).key
    evergreen = create(session).key
    for key in (ending, later, evergreen):
        make_active(session, key, now=at(1))
    just_before = rules.term_end_instant(date(2026, 6, 30)) - timedelta(microseconds=1)
    assert approvals_service.expire_due_versions(session, actor=AUTHOR, now=just_before) == []
    seq = head_seq(session)
    now = rules.term_end_instant(date(2026, 6, 30))
    assert approvals_service.expire_due_versions(session, actor=AUTHOR, now=now) == [f"{ending}/v1"]
    expired = get(session, ending)
    assert expired.status is VersionStatus.EXPIRED
    assert expired.ended_at == now
    assert status_of(session, later) is VersionStatus.ACTIVE
    assert status_of(session, evergreen) is VersionStatus.ACTIVE
    events = events_since(session, seq)
    assert [(e.action, e.entity_key) for e in events] == [("agreement.version_expired", ending)]
    assert "2026-06-30" in (audit_service.to_read(events[0]).reason or "")
    # Idempotent: a second run changes nothing and records nothing.
    assert approvals_service.expire_due_versions(session, actor=AUTHOR, now=now) == []
    assert head_seq(session) == seq + 1


def test_expire_needs_org_wide_approval(session: Session, world: World) -> None:
    approver = make_principal(session, "alice", (Role.APPROVER, "retail"))
    with refused(session, error=Forbidden):
        approvals_service.expire_due_versions(session, actor=approver, now=at(1))


# ============================================================================== sunset


def test_sunset_retires_the_active_version(session: Session, world: World) -> None:
    key = create(session).key
    make_active(session, key, now=at(1))
    read = sunset(session, key, now=at(20))
    assert read.status is VersionStatus.SUNSET
    assert read.active_version is None
    assert get(session, key).ended_at == at(20)
    with refused(session, "sunset-without-active", InvalidTransition):
        sunset(session, key)


def test_sunset_refused_while_underpinning_an_active_sla(session: Session, world: World) -> None:
    sla = create(session).key
    uc = create(session, kind=AgreementKind.UC).key
    make_active(session, uc, now=at(1))
    make_active(session, sla, now=at(1))
    link(session, sla, uc)
    with refused(session, "sunset-supporting-active", InvalidTransition) as info:
        sunset(session, uc)
    assert sla in info.value.detail
    assert status_of(session, uc) is VersionStatus.ACTIVE


def test_sunset_of_a_master_refused_while_schedules_are_active(
    session: Session, world: World
) -> None:
    master = create(session, structure=Structure.MASTER, services=None).key
    schedule = create(session, structure=Structure.SCHEDULE, master=master).key
    make_active(session, master, now=at(1))
    make_active(session, schedule, now=at(3))
    with refused(session, "sunset-master-with-schedules", InvalidTransition) as info:
        sunset(session, master)
    assert schedule in info.value.detail
    sunset(session, schedule)
    assert sunset(session, master).status is VersionStatus.SUNSET


# ============================================================================== structure


def test_schedule_needs_a_master_of_the_same_kind_and_parties(
    session: Session, world: World
) -> None:
    master = create(session, structure=Structure.MASTER, services=None).key
    monolithic = create(session).key
    ola_master = create(
        session, kind=AgreementKind.OLA, structure=Structure.MASTER, services=None
    ).key
    with refused(session, error=InvalidInput) as info:
        create(session, structure=Structure.SCHEDULE)
    assert [p.field for p in info.value.problems] == ["master"]
    with refused(session, error=InvalidInput) as info:
        create(session, master=master)  # a monolithic agreement has no master
    assert [p.field for p in info.value.problems] == ["master"]
    with refused(session, error=InvalidInput) as info:
        create(session, structure=Structure.SCHEDULE, master="SLA-0999")
    assert [p.field for p in info.value.problems] == ["master"]
    for wrong in (
        {"master": monolithic},
        {"master": ola_master},
        {"master": master, "customer": "globex"},
    ):
        with refused(session, "schedule-master-mismatch") as info:
            create(session, structure=Structure.SCHEDULE, **wrong)  # type: ignore[arg-type]
        assert [p.field for p in info.value.problems] == ["master"]
    schedule = create(session, structure=Structure.SCHEDULE, master=master)
    assert schedule.master == master
    assert schedule.structure is Structure.SCHEDULE


def test_master_versions_cannot_list_services(session: Session, world: World) -> None:
    master = create(session, structure=Structure.MASTER, services=["payments-api"]).key
    with refused(session, "master-has-no-services"):
        submit(session, master, now=at(1))
    edit(session, master, services=[])
    assert submit(session, master, now=at(1)).status is VersionStatus.IN_REVIEW


def test_monolithic_versions_need_services(session: Session, world: World) -> None:
    key = create(session, services=[]).key
    with refused(session, "services-required"):
        submit(session, key, now=at(1))


def test_schedule_activation_needs_an_active_master(session: Session, world: World) -> None:
    master = create(session, structure=Structure.MASTER, services=None).key
    schedule = create(session, structure=Structure.SCHEDULE, master=master).key
    approve(session, schedule, now=at(1))
    with refused(session, "master-not-active", InvalidTransition):
        activate(session, schedule, effective_from=at(2), now=at(2))
    make_active(session, master, now=at(3))
    assert activate(session, schedule, effective_from=at(5), now=at(5)).status is (
        VersionStatus.ACTIVE
    )


def test_data_residency_needs_the_regions_jurisdiction(session: Session, world: World) -> None:
    key = create(session, region="de-sov", terms={"jurisdiction": "IE"}).key
    with refused(session, "data-residency") as info:
        submit(session, key, now=at(1))
    assert [p.field for p in info.value.problems] == ["jurisdiction"]
    edit(session, key, jurisdiction="DE")
    assert submit(session, key, now=at(1)).status is VersionStatus.IN_REVIEW
    # A region without residency rules constrains nothing.
    free = create(session, region="eu-west", terms={"jurisdiction": "US-NY"}).key
    assert submit(session, free, now=at(1)).status is VersionStatus.IN_REVIEW


# ============================================================================== coverage


def test_services_of_another_unit_are_refused(session: Session, world: World) -> None:
    with refused(session, "service-outside-unit") as info:
        create(session, services=["payments-api", "billing"])
    assert [p.field for p in info.value.problems] == ["terms.services.1"]
    key = create(session).key
    with refused(session, "service-outside-unit") as info:
        edit(session, key, services=["billing"])
    assert [p.field for p in info.value.problems] == ["services.0"]
    # Someone who cannot even see the other unit's service is told it does not exist.
    eddie = make_principal(session, "eddie", (Role.EDITOR, "retail"))
    with refused(session, error=InvalidInput) as info:
        create(session, services=["billing"], actor=eddie)
    assert [p.field for p in info.value.problems] == ["terms.services.0"]


@pytest.mark.parametrize("lifecycle", [Lifecycle.SUNSET, Lifecycle.DECOMMISSIONED])
def test_services_being_retired_cannot_be_newly_covered(
    session: Session, world: World, lifecycle: Lifecycle
) -> None:
    draft = create(session, services=["cards"]).key
    set_lifecycle(session, "cards", lifecycle)
    with refused(session, "service-not-active") as info:
        create(session, services=["payments-api", "cards"])
    assert [p.field for p in info.value.problems] == ["terms.services.1"]
    with refused(session, "service-not-active"):
        submit(session, draft, now=at(1))


# ============================================================================== support


def test_support_link_lifecycle(session: Session, world: World) -> None:
    sla = create(session).key
    uc = create(session, kind=AgreementKind.UC).key
    ola = create(session, kind=AgreementKind.OLA).key
    make_active(session, uc, now=at(1))
    make_active(session, ola, now=at(1))
    support = link(session, sla, uc)
    assert [(s.supporting, s.supporting_kind, s.service) for s in support.supported_by] == [
        (uc, AgreementKind.UC, "payments-api")
    ]
    support = link(session, sla, ola)
    assert [s.supporting for s in support.supported_by] == [uc, ola]
    seen_from_uc = support_service.get_support(session, actor=AUTHOR, key=uc)
    assert [s.supported for s in seen_from_uc.supports] == [sla]
    with refused(session, "support-exists", InvalidTransition):
        link(session, sla, uc)
    link_id = support.supported_by[0].id
    after = support_service.remove_support_link(
        session, actor=AUTHOR, key=sla, link_id=link_id, reason="vendor replaced", now=at(11)
    )
    assert [s.supporting for s in after.supported_by] == [ola]
    assert [e.action for e in audit_events(session, sla)][-3:] == [
        "agreement.support_linked",
        "agreement.support_linked",
        "agreement.support_unlinked",
    ]
    with refused(session, error=NotFound):
        support_service.remove_support_link(
            session, actor=AUTHOR, key=sla, link_id=link_id, reason="again", now=at(12)
        )
    # Once unlinked, the same link may be made again.
    assert [s.supporting for s in link(session, sla, uc).supported_by] == [ola, uc]


def test_support_link_kinds(session: Session, world: World) -> None:
    sla = create(session).key
    other_sla = create(session, customer="globex").key
    uc = create(session, kind=AgreementKind.UC).key
    make_active(session, other_sla, now=at(1))
    make_active(session, uc, now=at(1))
    with refused(session, "support-kinds"):
        link(session, sla, other_sla)  # an SLA underpins nothing
    ola = create(session, kind=AgreementKind.OLA).key
    with refused(session, "support-kinds"):
        link(session, uc, ola)  # a UC is never underpinned
    with refused(session, "support-self"):
        link(session, sla, sla)


def test_support_link_needs_an_active_supporting_agreement(session: Session, world: World) -> None:
    sla = create(session).key
    uc = create(session, kind=AgreementKind.UC).key
    with refused(session, "support-not-active"):
        link(session, sla, uc)
    approve(session, uc, now=at(1))
    with refused(session, "support-not-active"):
        link(session, sla, uc)
    activate(session, uc, effective_from=at(2), now=at(2))
    assert link(session, sla, uc).supported_by


def test_support_link_both_sides_must_cover_the_service(session: Session, world: World) -> None:
    sla = create(session, services=["payments-api", "cards"]).key
    uc = create(session, kind=AgreementKind.UC, services=["payments-api", "ledger"]).key
    make_active(session, uc, now=at(1))
    with refused(session, "support-does-not-cover") as info:
        link(session, sla, uc, service="cards")
    assert [p.field for p in info.value.problems] == ["service"]
    with refused(session, "supported-does-not-cover"):
        link(session, sla, uc, service="ledger")
    with refused(session, error=InvalidInput) as info:
        link(session, sla, uc, service="no-such-service")
    assert [p.field for p in info.value.problems] == ["service.0"]
    with refused(session, error=InvalidInput) as info:
        link(session, sla, "UC-0999")
    assert [p.field for p in info.value.problems] == ["supporting"]


def test_support_link_counts_only_the_supporting_active_version(
    session: Session, world: World
) -> None:
    sla = create(session, services=["payments-api", "cards"]).key
    uc = create(session, kind=AgreementKind.UC, services=["payments-api"]).key
    make_active(session, uc, now=at(1))
    new_version(session, uc, terms={"services": ["payments-api", "cards"]}, now=at(3))
    # v2 of the UC would cover cards, but it is only a draft.
    with refused(session, "support-does-not-cover"):
        link(session, sla, uc, service="cards")


# ============================================================================== deletion


def test_delete_is_soft(session: Session, world: World) -> None:
    key = create(session).key
    other = create(session).key
    seq = head_seq(session)
    delete(session, key)
    row = agreement_row(session, key)
    assert row is not None
    assert row.deleted_at == at(30)
    assert [e.action for e in events_since(session, seq)] == ["agreement.deleted"]
    assert audit_service.to_read(events_since(session, seq)[0]).reason == "no longer needed"
    with refused(session, error=NotFound):
        agreements_service.get_agreement(session, actor=AUTHOR, key=key)
    with refused(session, error=NotFound):
        delete(session, key)
    items, _ = agreements_service.list_agreements(
        session, actor=AUTHOR, filters=AgreementFilter(), after=None, limit=50
    )
    assert [i.key for i in items] == [other]
    # Its version rows stay too (history is never hard-deleted).
    assert version_row(session, key).status is VersionStatus.DRAFT


def test_delete_refused_while_active(session: Session, world: World) -> None:
    key = create(session).key
    make_active(session, key, now=at(1))
    with refused(session, "delete-active", InvalidTransition):
        delete(session, key)
    sunset(session, key)
    delete(session, key)
    assert deleted_at(session, key) is not None


def test_delete_refused_while_underpinning_an_active_agreement(
    session: Session, world: World
) -> None:
    sla = create(session).key
    ola = create(session, kind=AgreementKind.OLA).key
    uc = create(session, kind=AgreementKind.UC, terms={"term_end": date(2026, 6, 30)}).key
    for key in (uc, ola, sla):
        make_active(session, key, now=at(1))
    link(session, sla, uc)
    link(session, ola, uc)
    # The UC's own term ends, so it has no active version; two active agreements still rely
    # on it.
    end = rules.term_end_instant(date(2026, 6, 30))
    assert approvals_service.expire_due_versions(session, actor=AUTHOR, now=end) == [f"{uc}/v1"]
    with refused(session, "delete-supporting-active", InvalidTransition) as info:
        delete(session, uc)
    assert f"{ola}, {sla}" in info.value.detail
    assert deleted_at(session, uc) is None
    sunset(session, sla)
    with refused(session, "delete-supporting-active", InvalidTransition) as info:
        delete(session, uc)
    assert sla not in info.value.detail
    sunset(session, ola)
    delete(session, uc)
    assert deleted_at(session, uc) is not None


def test_delete_of_a_supporting_agreement_takes_its_links_along(
    session: Session, world: World
) -> None:
    sla = create(session).key  # a draft: nothing active depends on the UC
    uc = create(session, kind=AgreementKind.UC).key
    make_active(session, uc, now=at(1))
    link(session, sla, uc)
    sunset(session, uc)
    delete(session, uc)
    assert support_service.get_support(session, actor=AUTHOR, key=sla).supported_by == []
    live = session.scalars(select(SupportLink).where(SupportLink.deleted_at.is_(None))).all()
    assert live == []


def test_delete_refused_while_it_has_schedules(session: Session, world: World) -> None:
    master = create(session, structure=Structure.MASTER, services=None).key
    schedule = create(session, structure=Structure.SCHEDULE, master=master).key
    with refused(session, "delete-master-with-schedules", InvalidTransition) as info:
        delete(session, master)
    assert schedule in info.value.detail
    delete(session, schedule)
    delete(session, master)
    assert deleted_at(session, master) is not None


# ============================================================================== terms hash


def test_terms_hash_is_fixed_at_approval(session: Session, world: World) -> None:
    key = create(
        session,
        services=["payments-api", "cards"],
        terms={
            "summary": "Payments, 99.9 %",
            "scope_inclusions": ["API", "webhooks"],
            "scope_exclusions": ["third-party card networks"],
            "customer_responsibilities": ["report incidents"],
            "jurisdiction": "IE",
            "fee_amount": Decimal("1200.5000"),
            "fee_currency": "EUR",
            "fee_period": "monthly",
            "legal_reference": "LEG-1",
            "procurement_reference": "PO-9",
            "regulatory_tags": ["GDPR", "DORA"],
            "internal_notes": "margin is thin",
            "term_end": date(2027, 12, 31),
        },
    ).key
    assert get(session, key).terms_hash is None
    approved = approve(session, key, now=at(1))
    session.commit()
    session.expire_all()  # read back from the database, not from the identity map
    stored = get(session, key)
    assert stored.terms_hash == approved.terms_hash
    assert stored.terms_hash == rules.terms_hash(stored.terms.model_dump(mode="json"))
    assert stored.terms.fee_amount == Decimal("1200.5000")
    assert str(stored.terms.fee_amount) == "1200.5000"
    activate(session, key, effective_from=at(2), now=at(2))
    assert get(session, key).terms_hash == approved.terms_hash
    new_version(session, key, terms={"summary": "Payments, 99.95 %"}, now=at(3))
    v2 = approve(session, key, 2, now=at(4))
    assert v2.terms_hash not in (None, approved.terms_hash)
    assert v2.terms_hash == rules.terms_hash(v2.terms.model_dump(mode="json"))


# ============================================================================== audit


def test_every_write_appends_exactly_one_event_with_its_reason(
    session: Session, world: World
) -> None:
    uc = create(session, kind=AgreementKind.UC).key
    make_active(session, uc, now=at(0))

    steps = [
        ("agreement.created", lambda: create(session, reason="brand new customer")),
        (
            "agreement.version_updated",
            lambda: agreements_service.update_version(
                session,
                actor=AUTHOR,
                key="SLA-0001",
                number=1,
                data=VersionUpdate(summary="worded", reason="clarify wording"),
                expected_revision=get(session, "SLA-0001").revision,
                now=at(1),
            ),
        ),
        (
            "agreement.updated",
            lambda: agreements_service.update_agreement(
                session,
                actor=AUTHOR,
                key="SLA-0001",
                data=AgreementUpdate(title="Renamed", reason="rename it"),
                now=at(1),
            ),
        ),
        ("agreement.version_submitted", lambda: submit(session, "SLA-0001", now=at(2))),
        (
            "agreement.version_returned",
            lambda: approvals_service.return_version(
                session, actor=AUTHOR, key="SLA-0001", number=1, data=REASON, now=at(2)
            ),
        ),
        ("agreement.version_submitted", lambda: submit(session, "SLA-0001", now=at(3))),
        (
            "agreement.version_signed_off",
            lambda: sign(session, "SLA-0001", 1, "provider_owner", signer="pat", now=at(3)),
        ),
        (
            "agreement.version_signed_off",
            lambda: sign(session, "SLA-0001", 1, "customer_owner", signer="cory", now=at(3)),
        ),
        ("agreement.version_approved", lambda: approve_only(session, "SLA-0001", now=at(4))),
        (
            "agreement.version_activated",
            lambda: activate(session, "SLA-0001", effective_from=at(5), now=at(5)),
        ),
        ("agreement.support_linked", lambda: link(session, "SLA-0001", uc)),
        (
            "agreement.version_created",
            lambda: new_version(session, "SLA-0001", now=at(11), reason="renewal talks"),
        ),
    ]
    for action, step in steps:
        seq = head_seq(session)
        step()
        events = events_since(session, seq)
        assert [e.action for e in events] == [action]
        assert events[0].entity_key == "SLA-0001"
        read = audit_service.to_read(events[0])
        assert read.reason, action
        if action == "agreement.version_signed_off":
            assert "sign-off" in read.reason
        assert read.after is not None


def test_term_changes_record_before_and_after(session: Session, world: World) -> None:
    key = create(session, terms={"summary": "old words"}).key
    edit(session, key, summary="new words")
    event = audit_service.to_read(audit_events(session, key)[-1])
    assert event.reason == "edit the draft"
    assert isinstance(event.before, dict)
    assert isinstance(event.after, dict)
    assert event.before["terms"]["summary"] == "old words"
    assert event.after["terms"]["summary"] == "new words"


def test_a_failure_mid_transaction_leaves_no_partial_agreement(
    session: Session, world: World, database: Database
) -> None:
    counter = select(AgreementKeyCounter.last_number).where(
        AgreementKeyCounter.kind == AgreementKind.SLA
    )
    before_events, before_counter = audit_count(session), session.scalar(counter)
    session.commit()
    # The create gets as far as taking a key and inserting the agreement, then a rule fails.
    with pytest.raises(RuleViolation), database.unit_of_work() as uow:
        agreements_service.create_agreement(
            uow, actor=AUTHOR, data=_create_data(["payments-api", "billing"]), now=at(1)
        )
    assert agreement_row(session, "SLA-0001") is None
    assert audit_count(session) == before_events
    assert session.scalar(counter) == before_counter
    # A failure after the service returned (say, the commit) undoes the agreement and its event.

    def create_then_fail() -> None:
        with database.unit_of_work() as uow:
            agreements_service.create_agreement(
                uow, actor=AUTHOR, data=_create_data(["payments-api"]), now=at(1)
            )
            assert agreement_row(uow, "SLA-0001") is not None
            assert audit_count(uow) == before_events + 1
            raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError, match="disk is full"):
        create_then_fail()
    session.expire_all()
    assert agreement_row(session, "SLA-0001") is None
    assert audit_count(session) == before_events
    # And the key is not burnt: the next agreement still gets SLA-0001.
    assert create(session).key == "SLA-0001"


def _create_data(services: list[str]) -> AgreementCreate:
    return AgreementCreate.model_validate(
        {
            "kind": "sla",
            "title": "Partial",
            "business_unit": "retail",
            "customer": "acme",
            "terms": {"services": services, "term_start": "2026-01-01"},
            "reason": "try it",
        }
    )


# ============================================================================== visibility


def test_other_units_agreements_do_not_exist(session: Session, world: World) -> None:
    key = create(session).key
    outsider = make_principal(session, "wanda", (Role.ADMIN, "wholesale"))
    for attempt in (
        lambda: agreements_service.get_agreement(session, actor=outsider, key=key),
        lambda: agreements_service.get_version(session, actor=outsider, key=key, number=1),
        lambda: support_service.get_support(session, actor=outsider, key=key),
        lambda: submit(session, key, now=at(1), actor=outsider),
        lambda: agreements_service.delete_agreement(
            session, actor=outsider, key=key, reason="not mine", now=at(1)
        ),
    ):
        with refused(session, error=NotFound) as info:
            attempt()
        assert info.value.detail == f"no agreement {key}"
    items, _ = agreements_service.list_agreements(
        session, actor=outsider, filters=AgreementFilter(), after=None, limit=50
    )
    assert items == []


def test_roles_limit_what_a_unit_member_may_do(session: Session, world: World) -> None:
    key = create(session).key
    viewer = make_principal(session, "vic", (Role.VIEWER, "retail"))
    editor = make_principal(session, "eddie", (Role.EDITOR, "retail"))
    assert agreements_service.get_agreement(session, actor=viewer, key=key).key == key
    with refused(session, error=Forbidden):
        submit(session, key, now=at(1), actor=viewer)
    submit(session, key, now=at(1), actor=editor)
    with refused(session, error=Forbidden):
        approvals_service.approve_version(
            session, actor=editor, key=key, number=1, data=REASON, now=at(2)
        )


@pytest.mark.parametrize(
    ("given", "stored"),
    [("1E+3", "1000"), ("1200.50", "1200.50"), ("-0.00", "0.00"), ("0E+2", "0")],
)
def test_fee_amounts_have_one_written_form_on_every_backend(
    session: Session, world: World, given: str, stored: str
) -> None:
    """The amount reads back exactly as it was hashed at approval (PostgreSQL's NUMERIC would
    otherwise turn 1E+3 into 1000, SQLite's text keep it)."""
    key = create(session, terms={"fee_amount": given, "fee_currency": "EUR"}).key
    approved = approve(session, key, now=at(1))
    session.commit()
    session.expire_all()
    read = get(session, key)
    assert str(read.terms.fee_amount) == stored
    assert read.terms.model_dump(mode="json")["fee_amount"] == stored
    assert read.terms_hash == approved.terms_hash
    assert read.terms_hash == rules.terms_hash(read.terms.model_dump(mode="json"))


# ====================================================================== across business units


def test_an_sla_is_underpinned_by_another_units_ola_through_the_dependency_graph(
    session: Session, world: World
) -> None:
    """retail's payments-api depends on platform's identity (through its token service), so the
    platform OLA covering identity may underpin retail's SLA for identity; an unrelated platform
    service may not."""
    from accord.catalogue import service as catalogue_service
    from accord.catalogue.schemas import DependencyCreate
    from tests.factories.catalogue import make_service

    for slug in ("identity", "tokens", "backups"):
        make_service(session, slug, world.platform)
    for service, target in (("payments-api", "tokens"), ("tokens", "identity")):
        catalogue_service.add_dependency(
            session, actor=AUTHOR, slug=service, data=DependencyCreate(depends_on=target), now=at(0)
        )
    sla = create(session, services=["payments-api"]).key
    ola = create(
        session,
        kind=AgreementKind.OLA,
        unit=world.platform,
        consumer_unit=world.unit,
        services=["identity", "backups"],
    ).key
    make_active(session, ola, now=at(1))
    support = link(session, sla, ola, service="identity")
    assert [(s.supporting, s.service) for s in support.supported_by] == [(ola, "identity")]
    with refused(session, "supported-does-not-cover") as info:
        link(session, sla, ola, service="backups")
    assert "nor any service that depends on it" in info.value.detail


def test_an_ola_is_read_by_its_consumer_and_signed_by_it_as_customer(
    session: Session, world: World
) -> None:
    from tests.factories.identity import make_principal

    ola = create(session, kind=AgreementKind.OLA, unit=world.unit, consumer_unit=world.platform).key
    consumer_approver = make_principal(session, "plat-approver", (Role.APPROVER, world.platform))
    provider_approver = make_principal(session, "retail-approver", (Role.APPROVER, world.unit))
    outsider = make_principal(session, "wholesale-viewer", (Role.VIEWER, world.other_unit))

    # both parties read it; nobody else does
    assert agreements_service.get_agreement(session, actor=consumer_approver, key=ola).key == ola
    listed = agreements_service.list_agreements(
        session, actor=consumer_approver, filters=AgreementFilter(), after=None, limit=50
    )[0]
    assert ola in [a.key for a in listed]
    with refused(session, error=NotFound):
        agreements_service.get_agreement(session, actor=outsider, key=ola)
    # only the provider changes it
    with refused(session, error=Forbidden):
        agreements_service.update_agreement(
            session,
            actor=consumer_approver,
            key=ola,
            data=AgreementUpdate(title="Renamed by the consumer", reason="not theirs"),
            now=at(1),
        )
    submit(session, ola, now=at(2))

    # the consumer signs as customer; the provider may not sign for it
    def sign_as(actor: Actor, role: str) -> VersionRead:
        return approvals_service.sign_off_version(
            session,
            actor=actor,
            key=ola,
            number=1,
            data=SignOffCreate(role=SignOffRole(role)),
            now=at(3),
        )

    with refused(session, error=Forbidden):
        sign_as(provider_approver, "customer_owner")
    with refused(session, error=Forbidden):
        sign_as(consumer_approver, "provider_owner")
    signed = sign_as(consumer_approver, "customer_owner")
    assert [(s.role.value, s.signed_by) for s in signed.sign_offs] == [
        ("customer_owner", "plat-approver")
    ]


# ============================================================================== portfolio


def test_portfolio_summary_counts_headline_statuses_in_scope(
    session: Session, world: World
) -> None:
    from tests.factories.identity import make_principal

    active = create(session).key
    make_active(session, active, now=at(1))
    new_version(session, active, now=at(2))  # a draft renewal: still counted as active
    create(session)  # a draft
    create(session, kind=AgreementKind.UC)  # a draft UC
    create(session, unit=world.other_unit, customer=world.other_customer, services=["billing"])
    summary = agreements_service.summarise_portfolio(session, actor=AUTHOR)
    counts = {(c.kind.value, c.status.value): c.count for c in summary.counts}
    assert counts == {("sla", "active"): 1, ("sla", "draft"): 2, ("uc", "draft"): 1}
    assert summary.total == 4
    retail_viewer = make_principal(session, "retail-viewer", (Role.VIEWER, world.unit))
    scoped = agreements_service.summarise_portfolio(session, actor=retail_viewer)
    assert scoped.total == 3


def test_ending_terms_lists_active_versions_ending_soonest_first(
    session: Session, world: World
) -> None:
    late = create(session, terms={"term_end": date(2026, 9, 30)}).key
    soon = create(session, terms={"term_end": date(2026, 3, 31)}).key
    open_ended = create(session).key
    draft_only = create(session, terms={"term_end": date(2026, 2, 28)}).key
    for key in (late, soon, open_ended):
        make_active(session, key, now=at(1))
    ending = agreements_service.list_ending_terms(
        session, actor=AUTHOR, by=date(2026, 12, 31), limit=10
    )
    assert [(e.agreement.key, e.term_end) for e in ending] == [
        (soon, date(2026, 3, 31)),
        (late, date(2026, 9, 30)),
    ]
    assert draft_only not in [e.agreement.key for e in ending]
    assert (
        agreements_service.list_ending_terms(session, actor=AUTHOR, by=date(2026, 6, 30), limit=10)[
            0
        ].agreement.key
        == soon
    )
