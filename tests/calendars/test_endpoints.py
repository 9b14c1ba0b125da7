"""Business calendars over HTTP: CRUD with audit, the built-in 24x7, bad input as 4xx problems
naming the field with nothing written, permissions, and the arithmetic endpoints (GLPI's known
answers among them)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from accord.calendars.models import BusinessCalendarDefinition
from tests.calendars.documents import body
from tests.identity.helpers import audit_actions, audit_count, bearer, count, last_seq, problem

pytestmark = pytest.mark.db

API = "/api/v1"
CAL = f"{API}/calendars"


def unchanged(session: Session) -> tuple[int, int]:
    return count(session, BusinessCalendarDefinition), audit_count(session)


@pytest.fixture
def root(org: Session) -> dict[str, str]:
    return bearer(org, "root")


def test_create_read_list_replace_delete(client: TestClient, org: Session) -> None:
    keeper, vera = bearer(org, "keeper"), bearer(org, "vera")
    seq = last_seq(org)
    document = body(
        holiday_country="DE",
        holiday_subdivision="BY",
        days=[{"date": "2026-12-24", "segments": [["08:00", "12:00"]], "note": "Christmas Eve"}],
    )
    r = client.post(CAL, headers=keeper, json=document)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"{CAL}/office-hours"
    created = r.json()
    assert created["week"][0] == [["08:00", "20:00"]]
    assert created["days"] == [
        {"date": "2026-12-24", "segments": [["08:00", "12:00"]], "note": "Christmas Eve"}
    ]
    assert (created["holiday_country"], created["holiday_subdivision"]) == ("DE", "BY")
    assert created["built_in"] is False
    assert created["created_at"].endswith("Z")
    assert client.get(f"{CAL}/office-hours", headers=vera).json() == created

    listed = client.get(CAL, headers=vera).json()
    assert [c["code"] for c in listed] == ["24x7", "office-hours"]

    replacement = {k: v for k, v in document.items() if k != "code"} | {"name": "Renamed"}
    r = client.put(f"{CAL}/office-hours", headers=keeper, json=replacement)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Renamed"

    assert client.delete(f"{CAL}/office-hours", headers=keeper).status_code == 204
    problem(client.get(f"{CAL}/office-hours", headers=vera), 404)
    problem(client.delete(f"{CAL}/office-hours", headers=keeper), 404)
    problem(client.post(CAL, headers=keeper, json=document), 409, code="conflict")
    assert [c["code"] for c in client.get(CAL, headers=vera).json()] == ["24x7"]
    assert audit_actions(org, since=seq) == [
        "calendar.created",
        "calendar.replaced",
        "calendar.deleted",
    ]


def test_24x7_is_built_in(client: TestClient, org: Session, root: dict[str, str]) -> None:
    r = client.get(f"{CAL}/24x7", headers=root)
    assert r.status_code == 200
    assert r.json()["built_in"] is True
    assert r.json()["time_zone"] == "UTC"
    before = unchanged(org)
    problem(
        client.post(CAL, headers=root, json=body(code="24x7")),
        409,
        code="invalid-transition",
        rule="calendar-built-in",
    )
    replacement = {k: v for k, v in body().items() if k != "code"}
    problem(
        client.put(f"{CAL}/24x7", headers=root, json=replacement), 409, rule="calendar-built-in"
    )
    problem(client.delete(f"{CAL}/24x7", headers=root), 409, rule="calendar-built-in")
    assert unchanged(org) == before
    r = client.get(
        f"{CAL}/24x7/elapsed",
        headers=root,
        params={"start": "2026-03-28T12:00:00+01:00", "end": "2026-03-30T12:00:00+02:00"},
    )
    assert r.json()["business_seconds"] == 47 * 3600  # wall-clock time, whatever the zone


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"time_zone": "Europe/Atlantis"}, "time_zone"),
        ({"week": [[]] * 8}, "week"),
        ({"week": [[["18:00", "08:00"]]] + [[]] * 6}, "week.0.0"),
        ({"week": [[["24:00", "24:00"]]] + [[]] * 6}, "week.0.0.0"),
        ({"week": [[["08:00", "25:00"]]] + [[]] * 6}, "week.0.0.1"),
        ({"holiday_country": "ZZ"}, "holiday_country"),
        ({"holiday_country": "DE", "holiday_subdivision": "CA"}, "holiday_subdivision"),
        ({"holiday_subdivision": "BY"}, "holiday_subdivision"),
        ({"days": [{"date": "2026-01-02", "segments": []}] * 2}, "days.1.date"),
        ({"days": [{"date": "2026-01-02"}]}, "days.0.segments"),
        ({"days": [{"date": "2026-01-02", "segments": [], "note": "a\u0000b"}]}, "days.0.note"),
        ({"code": "Office Hours"}, "code"),
        ({"name": ""}, "name"),
        ({"built_in": True}, "built_in"),
        ({"created_at": "2026-01-01T00:00:00Z"}, "created_at"),
    ],
)
def test_bad_calendars_are_422_naming_the_field_and_write_nothing(
    client: TestClient, org: Session, root: dict[str, str], overrides: dict[str, Any], field: str
) -> None:
    before = unchanged(org)
    problem(client.post(CAL, headers=root, json=body(**overrides)), 422, field=field)
    assert unchanged(org) == before


@pytest.mark.parametrize(
    ("week", "rule", "field"),
    [
        ([[["08:00", "12:00"], ["11:59", "13:00"]]] + [[]] * 6, "segments-overlap", "week.0"),
        (
            [[], [], [["08:00", "10:00"], ["08:00", "10:00"]]] + [[]] * 4,
            "segments-overlap",
            "week.2",
        ),
        ([[]] * 7, "calendar-without-working-time", "week"),
    ],
)
def test_rule_violations_name_rule_and_field(
    client: TestClient,
    org: Session,
    root: dict[str, str],
    week: list[Any],
    rule: str,
    field: str,
) -> None:
    before = unchanged(org)
    problem(
        client.post(CAL, headers=root, json=body(week=week)),
        422,
        code="rule-violation",
        rule=rule,
        field=field,
    )
    assert unchanged(org) == before


def test_a_bad_replacement_changes_nothing(
    client: TestClient, org: Session, root: dict[str, str]
) -> None:
    assert client.post(CAL, headers=root, json=body()).status_code == 201
    before = (client.get(f"{CAL}/office-hours", headers=root).json(), audit_count(org))
    bad = body(week=[[["08:00", "12:00"], ["10:00", "14:00"]]] * 7)
    del bad["code"]
    problem(client.put(f"{CAL}/office-hours", headers=root, json=bad), 422, rule="segments-overlap")
    problem(
        client.put(f"{CAL}/office-hours", headers=root, json=body()), 422, field="code"
    )  # the code is in the path, not the body
    problem(client.put(f"{CAL}/nowhere", headers=root, json=bad | {"week": body()["week"]}), 404)
    assert (client.get(f"{CAL}/office-hours", headers=root).json(), audit_count(org)) == before


def test_writes_need_catalogue_write_everywhere(client: TestClient, org: Session) -> None:
    eddie, vera = bearer(org, "eddie"), bearer(org, "vera")
    before = unchanged(org)
    problem(client.post(CAL, headers=eddie, json=body()), 403)
    problem(client.post(CAL, headers=vera, json=body()), 403)
    problem(client.delete(f"{CAL}/24x7", headers=eddie), 403)
    problem(client.get(CAL), 401)
    assert unchanged(org) == before
    assert client.get(CAL, headers=vera).status_code == 200


# -------------------------------------------------------------------------------- arithmetic


@pytest.fixture
def glpi(client: TestClient, org: Session, root: dict[str, str]) -> dict[str, str]:
    """GLPI's calendar A (office-hours: Mon-Fri 08:00-20:00 UTC) and calendar B (Monday
    09:00-18:00, Tuesday 08:00-12:00 and 14:00-18:00)."""
    assert client.post(CAL, headers=root, json=body()).status_code == 201
    week_b = [[["09:00", "18:00"]], [["08:00", "12:00"], ["14:00", "18:00"]]] + [[]] * 5
    assert client.post(CAL, headers=root, json=body(code="glpi-b", week=week_b)).status_code == 201
    return bearer(org, "vera")


@pytest.mark.parametrize(
    ("start", "end", "seconds"),
    [
        ("2019-01-01T07:00:00Z", "2019-01-01T09:00:00Z", 3_600),
        ("2019-01-01T00:00:00Z", "2019-01-08T00:00:00Z", 216_000),
        ("2019-01-01T09:00:00Z", "2019-01-01T07:00:00Z", 0),
        ("2019-01-01T08:30:00+01:00", "2019-01-01T10:30:00+01:00", 5_400),  # 07:30Z-09:30Z
    ],
)
def test_elapsed_known_answers(
    client: TestClient, glpi: dict[str, str], start: str, end: str, seconds: int
) -> None:
    r = client.get(f"{CAL}/office-hours/elapsed", headers=glpi, params={"start": start, "end": end})
    assert r.status_code == 200, r.text
    assert r.json()["business_seconds"] == seconds


def test_elapsed_lists_working_intervals(client: TestClient, glpi: dict[str, str]) -> None:
    r = client.get(
        f"{CAL}/office-hours/elapsed",
        headers=glpi,
        params={"start": "2019-01-04T19:00:00Z", "end": "2019-01-07T09:00:00+00:00"},
    )
    assert r.json() == {
        "start": "2019-01-04T19:00:00Z",
        "end": "2019-01-07T09:00:00Z",
        "business_seconds": 7_200,
        "working_intervals": [
            {"start": "2019-01-04T19:00:00Z", "end": "2019-01-04T20:00:00Z"},
            {"start": "2019-01-07T08:00:00Z", "end": "2019-01-07T09:00:00Z"},
        ],
        "intervals_truncated": False,
    }
    r = client.get(
        f"{CAL}/office-hours/elapsed",
        headers=glpi,
        params={"start": "2019-01-01T00:00:00Z", "end": "2024-01-01T00:00:00Z"},
    )
    assert len(r.json()["working_intervals"]) == 1_000
    assert r.json()["intervals_truncated"] is True


@pytest.mark.parametrize(
    ("start", "hours", "instant"),
    [
        ("2019-01-08T10:00:00Z", 5, "2019-01-08T17:00:00Z"),
        ("2019-01-08T07:00:00Z", 3, "2019-01-08T11:00:00Z"),
        ("2019-01-08T13:00:00Z", 2, "2019-01-08T16:00:00Z"),
        ("2019-01-07T18:00:00Z", -9, "2019-01-07T09:00:00Z"),
        ("2019-01-08T17:00:00Z", -5, "2019-01-08T10:00:00Z"),
        ("2019-01-07T14:00:00Z", 4, "2019-01-07T18:00:00Z"),  # a deadline at the close
        ("2019-01-08T12:30:00Z", 0, "2019-01-08T14:00:00Z"),
    ],
)
def test_add_known_answers(
    client: TestClient, glpi: dict[str, str], start: str, hours: int, instant: str
) -> None:
    r = client.get(
        f"{CAL}/glpi-b/add",
        headers=glpi,
        params={"start": start, "duration_seconds": hours * 3600},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"start": start, "duration_seconds": hours * 3600, "instant": instant}


def test_next_working_and_working_days(client: TestClient, glpi: dict[str, str]) -> None:
    r = client.get(
        f"{CAL}/office-hours/next-working", headers=glpi, params={"at": "2019-01-05T10:00:00Z"}
    )
    assert r.json() == {"at": "2019-01-05T10:00:00Z", "instant": "2019-01-07T08:00:00Z"}
    url = f"{CAL}/office-hours/working-days"
    start = "2018-11-19T10:00:00Z"
    for days, end_of_day, instant in (
        (7, False, "2018-11-28T10:00:00Z"),
        (7, True, "2018-11-28T20:00:00Z"),
        (-7, False, "2018-11-08T10:00:00Z"),
    ):
        params = {"start": start, "count": days, "end_of_day": end_of_day}
        r = client.get(url, headers=glpi, params=params)
        assert r.status_code == 200, r.text
        assert r.json() == {
            "start": start,
            "count": days,
            "end_of_day": end_of_day,
            "instant": instant,
        }


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("elapsed", {"start": "2019-01-01T07:00:00", "end": "2019-01-01T09:00:00Z"}, "start"),
        ("elapsed", {"start": "2019-01-01T07:00:00Z"}, "end"),
        ("elapsed", {"start": "2019-01-01T07:00:00Z", "end": "tomorrow"}, "end"),
        ("elapsed", {"start": "1800-01-01T00:00:00Z", "end": "2019-01-01T00:00:00Z"}, "start"),
        ("elapsed", {"start": "1950-01-01T00:00:00Z", "end": "2190-01-01T00:00:00Z"}, "end"),
        ("add", {"start": "2019-01-01T07:00:00Z", "duration_seconds": "1.5"}, "duration_seconds"),
        ("add", {"start": "2019-01-01T07:00:00"}, "start"),
        ("add", {"start": "2019-01-01T07:00:00Z", "duration_seconds": 10**12}, "duration_seconds"),
        ("next-working", {"at": "2019-01-01"}, "at"),
        ("working-days", {"start": "2019-01-01T07:00:00Z", "count": 10**6}, "count"),
    ],
)
def test_bad_queries_name_the_parameter(
    client: TestClient, glpi: dict[str, str], path: str, params: dict[str, Any], field: str
) -> None:
    problem(client.get(f"{CAL}/office-hours/{path}", headers=glpi, params=params), 422, field=field)


def test_answers_beyond_the_search_are_422(
    client: TestClient, org: Session, root: dict[str, str]
) -> None:
    """One hour a week: a century of hours lies beyond the 64 years an addition searches."""
    week = [[["09:00", "10:00"]]] + [[]] * 6
    assert client.post(CAL, headers=root, json=body(code="sparse", week=week)).status_code == 201
    r = client.get(
        f"{CAL}/sparse/add",
        headers=root,
        params={"start": "2019-01-01T00:00:00Z", "duration_seconds": 100 * 53 * 3600},
    )
    problem(r, 422, field="duration_seconds")


def test_unknown_calendars_are_404(client: TestClient, org: Session, root: dict[str, str]) -> None:
    problem(
        client.get(
            f"{CAL}/nowhere/elapsed",
            headers=root,
            params={"start": "2019-01-01T07:00:00Z", "end": "2019-01-01T09:00:00Z"},
        ),
        404,
    )
    problem(client.get(f"{CAL}/nowhere", headers=root), 404)
