"""The database itself keeps a version's terms frozen once it leaves draft (triggers of the
initial migration, on SQLite and PostgreSQL alike), even for raw SQL that bypasses the service.

Each refused statement runs inside a savepoint, so the test's transaction survives the error and
can check that the row is unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import bindparam, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from accord.agreements.models import TERM_COLUMNS, AgreementVersion, SignOff
from tests.agreements.helpers import (
    World,
    activate,
    approve,
    at,
    create,
    make_active,
    new_version,
    submit,
    version_row,
)

VERSION = AgreementVersion.__table__
IDENTITY_COLUMNS = ("agreement_id", "number")

FULL_TERMS: dict[str, Any] = {
    "summary": "Payments API, 99.9 % monthly",
    "scope_inclusions": ["REST API"],
    "scope_exclusions": ["third-party card networks"],
    "supported_hours": "24x7",
    "customer_responsibilities": ["report incidents"],
    "jurisdiction": "IE",
    "review_cycle": "annual",
    "term_start": date(2026, 1, 1),
    "term_end": date(2027, 12, 31),
    "fee_amount": Decimal("1200.50"),
    "fee_currency": "EUR",
    "fee_period": "monthly",
    "legal_reference": "LEG-1",
    "procurement_reference": "PO-1",
    "regulatory_tags": ["GDPR"],
    "requested_sign_offs": ["security"],
    "required_sign_offs": ["security"],
    "internal_notes": "margin is thin",
    "ticket_terms": {
        "tie_break": "shortest",
        "targets": [{"metric": "time_to_resolve", "amount": 4, "unit": "business_hours"}],
    },
}


def new_values(other_agreement_id: int) -> dict[str, Any]:
    """A different value of the right type for every frozen column (keeping the CHECK
    constraints satisfied, so only the freeze can refuse it)."""
    return {
        "agreement_id": other_agreement_id,
        "number": 42,
        "summary": "changed",
        "scope_inclusions": ["changed"],
        "scope_exclusions": ["changed"],
        "supported_hours": "business-hours",
        "customer_responsibilities": ["changed"],
        "jurisdiction": "FR",
        "review_cycle": "monthly",
        "term_start": date(2025, 6, 1),
        "term_end": date(2028, 1, 31),
        "fee_amount": Decimal("999.99"),
        "fee_currency": "USD",
        "fee_period": "annual",
        "legal_reference": "LEG-CHANGED",
        "procurement_reference": "PO-CHANGED",
        "regulatory_tags": ["SOX"],
        "requested_sign_offs": ["finance"],
        "required_sign_offs": ["finance"],
        "internal_notes": "changed",
        "ticket_terms": {"tie_break": "longest", "targets": []},
    }


@dataclass
class Target:
    version_id: int
    other_agreement_id: int
    key: str
    number: int


def build(session: Session, status: str) -> Target:
    """A version of SLA-0001 in ``status`` (v2 when ``draft``, so that it can be moved to the
    other agreement, which only has a v1), and another agreement to move it to."""
    # required_sign_offs is derived by the service, not an input
    key = create(
        session, terms={k: v for k, v in FULL_TERMS.items() if k != "required_sign_offs"}
    ).key
    other = create(session, customer="globex").key
    number = 1
    if status == "in_review":
        submit(session, key, now=at(1))
    elif status == "approved":
        approve(session, key, now=at(1))
    elif status == "active":
        make_active(session, key, now=at(1))
    elif status == "superseded":
        make_active(session, key, now=at(1))
        new_version(session, key, terms={"summary": "v2"}, now=at(3))
        approve(session, key, 2, now=at(4))
        activate(session, key, 2, effective_from=at(5), now=at(5), supersede=True)
    else:
        assert status == "draft"
        make_active(session, key, now=at(1))
        new_version(session, key, now=at(3))
        number = 2
    session.commit()
    row = version_row(session, key, number)
    assert row.status.value == status
    return Target(row.id, version_row(session, other).agreement_id, key, number)


def raw(session: Session, column: str, version_id: int) -> Any:
    return session.execute(
        text(f"SELECT {column} FROM agreement_version WHERE id = :id"), {"id": version_id}
    ).scalar_one()


def set_column(session: Session, version_id: int, column: str, value: Any) -> None:
    """A plain SQL UPDATE of one column, bound with the column's own type."""
    statement = text(f"UPDATE agreement_version SET {column} = :value WHERE id = :id").bindparams(
        bindparam("value", type_=VERSION.c[column].type)
    )
    session.execute(statement, {"value": value, "id": version_id})


def service_ids(session: Session) -> dict[str, int]:
    return {row.slug: row.id for row in session.execute(text("SELECT slug, id FROM service"))}


def refused_by_database(session: Session, statement: Callable[[], object], pattern: str) -> None:
    with pytest.raises(DBAPIError) as info, session.begin_nested():
        statement()
    assert isinstance(info.value, IntegrityError), info.value
    assert re.search(pattern, str(info.value.orig)), info.value.orig


FROZEN = "immutable once the version leaves draft"
REOPEN = "cannot go from|cannot make this status change|approval and effective dates are fixed"


def test_every_term_column_has_a_test_value(session: Session, world: World) -> None:
    values = new_values(other_agreement_id=0)
    assert set(values) == set(TERM_COLUMNS) | set(IDENTITY_COLUMNS)
    assert set(FULL_TERMS) == set(TERM_COLUMNS)
    changed = [c for c in TERM_COLUMNS if values[c] == FULL_TERMS[c]]
    assert changed == [], "these test values would not change anything"


@pytest.mark.parametrize("status", ["in_review", "approved", "active", "superseded"])
def test_database_refuses_to_change_terms_once_out_of_draft(
    session: Session, world: World, status: str
) -> None:
    target = build(session, status)
    accepted, refusals = [], {}
    for column, value in new_values(target.other_agreement_id).items():
        before = raw(session, column, target.version_id)
        try:
            with session.begin_nested():
                set_column(session, target.version_id, column, value)
        except IntegrityError as exc:
            refusals[column] = str(exc.orig)
        else:
            accepted.append(column)
        assert raw(session, column, target.version_id) == before, column
    assert accepted == [], f"the database let these {status} columns change: {accepted}"
    assert {c: FROZEN in message for c, message in refusals.items()} == dict.fromkeys(
        refusals, True
    ), refusals


@pytest.mark.parametrize("status", ["approved", "active", "superseded"])
@pytest.mark.parametrize("reopened", ["draft", "in_review"])
def test_an_approved_version_cannot_be_reopened(
    session: Session, world: World, status: str, reopened: str
) -> None:
    target = build(session, status)
    refused_by_database(
        session, lambda: set_column(session, target.version_id, "status", reopened), REOPEN
    )
    assert raw(session, "status", target.version_id) == status


@pytest.mark.parametrize("status", ["approved", "active", "superseded"])
def test_approval_and_its_hash_are_frozen(session: Session, world: World, status: str) -> None:
    target = build(session, status)
    changes = {
        "approved_at": at(-100),
        "approved_by": "mallory",
        "terms_hash": "0" * 64,
    }
    for column, value in changes.items():
        before = raw(session, column, target.version_id)
        assert before is not None
        refused_by_database(
            session, lambda c=column, v=value: set_column(session, target.version_id, c, v), REOPEN
        )
        assert raw(session, column, target.version_id) == before
    for column in changes:  # nor may they be erased
        refused_by_database(
            session, lambda c=column: set_column(session, target.version_id, c, None), REOPEN
        )


@pytest.mark.parametrize("status", ["in_review", "approved", "active"])
def test_the_services_of_a_non_draft_version_are_frozen(
    session: Session, world: World, status: str
) -> None:
    target = build(session, status)
    services = service_ids(session)
    covered = services["payments-api"]
    count = text("SELECT count(*) FROM version_service WHERE version_id = :v")
    assert session.execute(count, {"v": target.version_id}).scalar_one() == 1
    insert = text(
        "INSERT INTO version_service (version_id, agreement_id, service_id) "
        "SELECT :v, agreement_id, :s FROM agreement_version WHERE id = :v"
    )
    refused_by_database(
        session,
        lambda: session.execute(insert, {"v": target.version_id, "s": services["cards"]}),
        "services of a version are immutable",
    )
    refused_by_database(
        session,
        lambda: session.execute(
            text("DELETE FROM version_service WHERE version_id = :v"), {"v": target.version_id}
        ),
        "services of a version are immutable",
    )
    refused_by_database(
        session,
        lambda: session.execute(
            text("UPDATE version_service SET service_id = :s WHERE version_id = :v"),
            {"v": target.version_id, "s": services["cards"]},
        ),
        "services of a version are immutable",
    )
    assert session.execute(count, {"v": target.version_id}).scalar_one() == 1
    assert (
        session.execute(
            text("SELECT service_id FROM version_service WHERE version_id = :v"),
            {"v": target.version_id},
        ).scalar_one()
        == covered
    )


@pytest.mark.parametrize("status", ["in_review", "approved", "active", "superseded"])
def test_a_non_draft_version_cannot_be_deleted(session: Session, world: World, status: str) -> None:
    target = build(session, status)
    refused_by_database(
        session,
        lambda: session.execute(
            text("DELETE FROM agreement_version WHERE id = :id"), {"id": target.version_id}
        ),
        "only drafts can be deleted|only draft agreement versions can be deleted",
    )
    assert raw(session, "number", target.version_id) == target.number


def test_orm_writes_are_refused_too(session: Session, world: World) -> None:
    target = build(session, "approved")
    row = session.get(AgreementVersion, target.version_id)
    assert row is not None
    row.summary = "edited behind the service's back"
    with pytest.raises(IntegrityError), session.begin_nested():
        session.flush()
    session.rollback()
    assert raw(session, "summary", target.version_id) == FULL_TERMS["summary"]


def test_the_same_statements_succeed_on_a_draft(session: Session, world: World) -> None:
    target = build(session, "draft")
    for column, value in new_values(target.other_agreement_id).items():
        nested = session.begin_nested()
        if column == "agreement_id":
            # its covered services name the agreement too (composite foreign key): a draft can
            # change agreement only once it covers nothing
            session.execute(
                text("DELETE FROM version_service WHERE version_id = :v"), {"v": target.version_id}
            )
        set_column(session, target.version_id, column, value)
        after = raw(session, column, target.version_id)
        assert after is not None, column
        nested.rollback()
    # Status may move on (submit) and back (return) while terms change in draft.
    with session.begin_nested() as nested:
        set_column(session, target.version_id, "status", "in_review")
        set_column(session, target.version_id, "status", "draft")
        nested.rollback()
    services = service_ids(session)
    with session.begin_nested() as nested:
        session.execute(
            text(
                "INSERT INTO version_service (version_id, agreement_id, service_id) "
                "SELECT :v, agreement_id, :s FROM agreement_version WHERE id = :v"
            ),
            {"v": target.version_id, "s": services["cards"]},
        )
        session.execute(
            text("DELETE FROM version_service WHERE version_id = :v"), {"v": target.version_id}
        )
        session.execute(
            text("DELETE FROM agreement_version WHERE id = :id"), {"id": target.version_id}
        )
        assert (
            session.execute(
                text("SELECT count(*) FROM agreement_version WHERE id = :id"),
                {"id": target.version_id},
            ).scalar_one()
            == 0
        )
        nested.rollback()


def test_a_draft_accepts_each_change_and_keeps_it(session: Session, world: World) -> None:
    """The draft case in detail: each new value is really stored (read back with its type)."""
    target = build(session, "draft")
    values = new_values(target.other_agreement_id)
    values.pop("agreement_id")
    nested = session.begin_nested()
    for column, value in values.items():
        set_column(session, target.version_id, column, value)
    session.expire_all()
    row = session.get(AgreementVersion, target.version_id)
    assert row is not None
    assert {c: getattr(row, c) for c in values} == values
    nested.rollback()


@pytest.mark.parametrize("status", ["approved", "active", "superseded"])
def test_sign_offs_of_a_decided_version_are_frozen(
    session: Session, world: World, status: str
) -> None:
    target = build(session, status)
    count = text("SELECT count(*) FROM sign_off WHERE version_id = :v")
    signed = session.execute(count, {"v": target.version_id}).scalar_one()
    assert signed >= 1
    refused_by_database(
        session,
        lambda: session.execute(
            text("DELETE FROM sign_off WHERE version_id = :v"), {"v": target.version_id}
        ),
        "only while the version is in review",
    )
    refused_by_database(
        session,
        lambda: session.execute(
            text("UPDATE sign_off SET signed_by = 'mallory' WHERE version_id = :v"),
            {"v": target.version_id},
        ),
        "cannot be changed",
    )
    refused_by_database(
        session,
        lambda: session.execute(
            text(
                "INSERT INTO sign_off (version_id, role, signed_by, signed_at, comment) "
                "VALUES (:v, 'finance', 'mallory', :t, '')"
            ).bindparams(bindparam("t", type_=SignOff.__table__.c.signed_at.type)),
            {"v": target.version_id, "t": at(0)},
        ),
        "only while the version is in review",
    )
    assert session.execute(count, {"v": target.version_id}).scalar_one() == signed


@pytest.mark.parametrize(
    ("status", "move"),
    [("active", "approved"), ("superseded", "active"), ("approved", "expired")],
)
def test_only_lifecycle_moves_are_possible(
    session: Session, world: World, status: str, move: str
) -> None:
    target = build(session, status)
    refused_by_database(
        session, lambda: set_column(session, target.version_id, "status", move), REOPEN
    )
    assert raw(session, "status", target.version_id) == status


@pytest.mark.parametrize("status", ["in_review", "approved", "active"])
def test_the_author_is_frozen(session: Session, world: World, status: str) -> None:
    target = build(session, status)
    author = raw(session, "created_by", target.version_id)
    refused_by_database(
        session,
        lambda: set_column(session, target.version_id, "created_by", "someone-else"),
        "terms are immutable",
    )
    assert raw(session, "created_by", target.version_id) == author


@pytest.mark.parametrize("status", ["active", "superseded"])
def test_the_effective_date_is_frozen(session: Session, world: World, status: str) -> None:
    target = build(session, status)
    refused_by_database(
        session,
        lambda: set_column(session, target.version_id, "effective_from", at(-400)),
        REOPEN,
    )
