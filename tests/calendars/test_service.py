"""Calendar use cases on each database: create, replace and delete with their audit events, the
built-in 24x7, permissions, and what other domains resolve (definition, working time, codes)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit.models import AuditEvent
from accord.calendars import service as calendars_service
from accord.calendars.models import BusinessCalendarDefinition
from accord.calendars.schemas import CalendarCreate, CalendarReplace
from accord.identity import service as identity_service
from accord.identity.rules import Actor
from accord.kit.errors import Conflict, Forbidden, InvalidTransition, NotFound, RuleViolation
from accord.kit.time import utc_now
from tests.calendars.documents import body
from tests.identity.helpers import audit_count, count, last_seq

pytestmark = pytest.mark.db

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def actor(session: Session, name: str) -> Actor:
    principal = identity_service.find_principal(session, name)
    assert principal is not None
    return identity_service.actor_for(session, principal)


def create(session: Session, who: str = "root", **overrides: object) -> str:
    return calendars_service.create_calendar(
        session,
        actor=actor(session, who),
        data=CalendarCreate.model_validate(body(**overrides)),
        now=NOW,
    ).code


def events(session: Session, since: int) -> list[dict[str, object]]:
    rows = session.scalars(
        select(AuditEvent).where(AuditEvent.seq > since).order_by(AuditEvent.seq)
    )
    return [json.loads(row.payload) for row in rows]


def test_create_replace_delete_are_audited(org: Session) -> None:
    root = actor(org, "root")
    seq = last_seq(org)
    created = calendars_service.create_calendar(
        org,
        actor=root,
        data=CalendarCreate.model_validate(
            body(
                days=[
                    {"date": "2026-12-31", "segments": []},
                    {"date": "2026-12-24", "segments": [["08:00", "12:00"]], "note": "Eve"},
                ]
            )
        ),
        now=NOW,
    )
    assert (created.code, created.built_in, created.created_at) == ("office-hours", False, NOW)
    assert [d.date for d in created.days] == [date(2026, 12, 24), date(2026, 12, 31)]

    replaced = calendars_service.replace_calendar(
        org,
        actor=root,
        code="office-hours",
        data=CalendarReplace.model_validate(
            {
                "name": "Berlin office",
                "time_zone": "Europe/Berlin",
                "week": [[["09:00", "17:00"]]] * 5 + [[], []],
                "holiday_country": "DE",
                "holiday_subdivision": "BE",
            }
        ),
        now=NOW,
    )
    assert (replaced.name, replaced.time_zone, replaced.days) == (
        "Berlin office",
        "Europe/Berlin",
        [],
    )
    calendars_service.delete_calendar(org, actor=root, code="office-hours", now=NOW)

    logged = events(org, seq)
    assert [e["action"] for e in logged] == [
        "calendar.created",
        "calendar.replaced",
        "calendar.deleted",
    ]
    assert {(e["entity"]["type"], e["entity"]["key"]) for e in logged} == {  # type: ignore[index]
        ("business_calendar", "office-hours")
    }
    assert logged[0]["before"] is None
    assert logged[0]["after"]["days"][0] == {  # type: ignore[index]
        "date": "2026-12-24",
        "segments": [["08:00", "12:00"]],
        "note": "Eve",
    }
    assert logged[1]["before"]["time_zone"] == "UTC"  # type: ignore[index]
    assert logged[1]["after"]["time_zone"] == "Europe/Berlin"  # type: ignore[index]
    assert logged[1]["after"]["holiday_subdivision"] == "BE"  # type: ignore[index]
    assert logged[2]["before"]["name"] == "Berlin office"  # type: ignore[index]
    assert logged[2]["after"] is None

    row = org.scalars(select(BusinessCalendarDefinition)).one()
    assert row.deleted_at == NOW  # soft: the row stays
    with pytest.raises(NotFound):
        calendars_service.get_calendar(org, actor=root, code="office-hours")
    with pytest.raises(Conflict, match="codes are not reused"):
        create(org)


def test_the_built_in_24x7_is_listed_and_cannot_be_changed(org: Session) -> None:
    root = actor(org, "root")
    create(org)
    listed = calendars_service.list_calendars(org, actor=actor(org, "vera"))
    assert [(c.code, c.built_in) for c in listed] == [("24x7", True), ("office-hours", False)]
    assert listed[0].week == [[("00:00", "24:00")]] * 7
    before = (count(org, BusinessCalendarDefinition), audit_count(org))
    with pytest.raises(InvalidTransition) as raised:
        create(org, code="24x7")
    assert raised.value.rule == "calendar-built-in"
    replacement = CalendarReplace.model_validate({k: v for k, v in body().items() if k != "code"})
    with pytest.raises(InvalidTransition):
        calendars_service.replace_calendar(org, actor=root, code="24x7", data=replacement, now=NOW)
    with pytest.raises(InvalidTransition):
        calendars_service.delete_calendar(org, actor=root, code="24x7", now=NOW)
    assert (count(org, BusinessCalendarDefinition), audit_count(org)) == before


def test_rule_violations_write_nothing(org: Session) -> None:
    before = (count(org, BusinessCalendarDefinition), audit_count(org))
    with pytest.raises(RuleViolation) as raised:
        create(org, week=[[["08:00", "12:00"], ["09:00", "10:00"]]] + [[]] * 6)
    assert raised.value.rule == "segments-overlap"
    with pytest.raises(RuleViolation) as raised:
        create(org, week=[[]] * 7)
    assert raised.value.rule == "calendar-without-working-time"
    create(org)
    with pytest.raises(Conflict):
        create(org, name="Again")
    assert (count(org, BusinessCalendarDefinition), audit_count(org)) == (
        before[0] + 1,
        before[1] + 1,
    )


def test_changing_calendars_needs_catalogue_write_in_every_unit(org: Session) -> None:
    with pytest.raises(Forbidden):
        create(org, "eddie")  # an editor of one unit only
    with pytest.raises(Forbidden):
        create(org, "vera")
    create(org, "keeper")  # an editor of every unit
    with pytest.raises(Forbidden):
        calendars_service.delete_calendar(
            org, actor=actor(org, "eddie"), code="office-hours", now=NOW
        )
    read = calendars_service.get_calendar(org, actor=actor(org, "vera"), code="office-hours")
    assert read.name == "Office hours"


def test_other_domains_resolve_codes(org: Session) -> None:
    create(org)
    create(org, code="closed-soon", name="Closed soon")
    calendars_service.delete_calendar(org, actor=actor(org, "root"), code="closed-soon", now=NOW)
    assert calendars_service.known_codes(org) == {"24x7", "office-hours"}

    office = calendars_service.definition(org, "office-hours")
    assert (office.code, office.time_zone, office.week[0]) == (
        "office-hours",
        "UTC",
        [("08:00", "20:00")],
    )
    assert calendars_service.definition(org, "24x7").time_zone == "UTC"
    with pytest.raises(NotFound):
        calendars_service.definition(org, "no-such-calendar")
    with pytest.raises(NotFound):
        calendars_service.working_time(org, "no-such-calendar", date(2026, 1, 1), date(2026, 1, 2))
    # A deleted calendar is no longer offered to new terms, but agreements that name it are
    # still timed on it.
    assert calendars_service.definition(org, "closed-soon").code == "closed-soon"
    kept = calendars_service.working_time(org, "closed-soon", date(2019, 1, 1), date(2019, 1, 8))
    assert kept.total > 0

    working = calendars_service.working_time(
        org, "office-hours", date(2019, 1, 1), date(2019, 1, 8)
    )
    start = int(datetime(2019, 1, 1, tzinfo=UTC).timestamp())
    assert working.elapsed_between(start, start + 7 * 86_400) == 216_000
    always = calendars_service.working_time(org, "24x7", date(2019, 1, 1), date(2019, 1, 8))
    assert always.elapsed_between(start, start + 7 * 86_400) == 7 * 86_400


def test_a_replaced_calendar_answers_with_its_new_hours(org: Session) -> None:
    """Compiled working time is cached by content: a replacement is never served stale."""
    create(org)
    days = (date(2019, 1, 1), date(2019, 1, 2))
    start = int(datetime(2019, 1, 1, tzinfo=UTC).timestamp())
    assert (
        calendars_service.working_time(org, "office-hours", *days).elapsed_between(
            start, start + 86_400
        )
        == 12 * 3600
    )
    calendars_service.replace_calendar(
        org,
        actor=actor(org, "root"),
        code="office-hours",
        data=CalendarReplace.model_validate(
            {k: v for k, v in body(week=[[["10:00", "12:00"]]] * 7).items() if k != "code"}
        ),
        now=utc_now(),
    )
    assert (
        calendars_service.working_time(org, "office-hours", *days).elapsed_between(
            start, start + 86_400
        )
        == 2 * 3600
    )
