"""The worked examples of docs/calendars.md are checked row by row: the two calendars (its JSON
blocks) and the cases table are read from the page, then each case is computed through the rules
(no database) and through the API on each database. Editing the page edits these tests."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from accord.calendars import rules
from accord.calendars.schemas import CalendarCreate, CalendarDefinition
from accord.identity.enums import Role
from tests.factories.identity import make_principal
from tests.identity.helpers import bearer

PAGE = Path(__file__).resolve().parents[2] / "docs" / "calendars.md"
INSTANT = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})")


@dataclass(frozen=True)
class Case:
    calendar: str
    operation: str
    start: datetime
    argument: str
    result: str

    def __str__(self) -> str:
        return f"{self.calendar}: {self.operation} {self.start:%a %Y-%m-%d %H:%M} {self.argument}"


def section(text: str, heading: str) -> str:
    """The text under a ``### heading`` up to the next heading."""
    match = re.search(rf"^### {re.escape(heading)}\n(.*?)(?=^#)", text + "\n#", re.M | re.S)
    assert match, f"docs/calendars.md has no section {heading!r}"
    return match.group(1)


def calendars() -> dict[str, dict[str, Any]]:
    text = PAGE.read_text()
    found = {}
    for letter in ("A", "B"):
        block = re.search(r"```json\n(.*?)```", section(text, f"Calendar {letter}"), re.S)
        assert block, f"Calendar {letter} has no JSON block"
        found[letter] = json.loads(block.group(1))
    return found


def instant(text: str) -> datetime:
    match = INSTANT.fullmatch(text.strip())
    assert match, f"not an instant like 'Tue 2019-01-01 07:00': {text!r}"
    parsed = datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}").replace(tzinfo=UTC)
    assert text.strip()[:3] == f"{parsed:%a}", f"{text!r}: wrong weekday"
    return parsed


def cases() -> list[Case]:
    rows = []
    for line in section(PAGE.read_text(), "Cases").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 6 or cells[0] in ("calendar", "---"):
            continue
        calendar, operation, start, argument, result, _why = cells
        rows.append(Case(calendar, operation, instant(start), argument, result))
    return rows


CASES = cases()


MINUS = "\N{MINUS SIGN}"


def signed(text: str, unit: str = "") -> int:
    """``+5 h`` → 5; ``-9 h`` → -9, with the page's typographic minus sign or a hyphen."""
    match = re.fullmatch(rf"([+{MINUS}-])(\d+){re.escape(unit)}", text.replace(" ", ""))
    assert match, f"not a signed number{' of ' + unit if unit else ''}: {text!r}"
    return int(match.group(2)) if match.group(1) == "+" else -int(match.group(2))


def expected(case: Case) -> int | datetime:
    if case.operation == "elapsed":
        match = re.fullmatch(r"([\d,]+) s", case.result)
        assert match, case.result
        return int(match.group(1).replace(",", ""))
    return instant(case.result)


def through_rules(case: Case, definition: CalendarDefinition) -> int | datetime:
    if case.operation == "elapsed":
        end = instant(case.argument.removeprefix("until "))
        return rules.elapsed(definition, case.start, end).seconds
    if case.operation == "add":
        return rules.add(definition, case.start, signed(case.argument, "h") * 3600)
    if case.operation in ("working days", "working days, end of day"):
        return rules.add_working_days(
            definition,
            case.start,
            signed(case.argument),
            end_of_day=case.operation.endswith("end of day"),
        )
    raise AssertionError(f"unknown operation {case.operation!r}")


def through_api(case: Case, client: TestClient, headers: dict[str, str]) -> int | datetime:
    url = f"/api/v1/calendars/{calendars()[case.calendar]['code']}"
    start = case.start.isoformat()
    if case.operation == "elapsed":
        end = instant(case.argument.removeprefix("until ")).isoformat()
        r = client.get(f"{url}/elapsed", headers=headers, params={"start": start, "end": end})
        assert r.status_code == 200, r.text
        return int(r.json()["business_seconds"])
    if case.operation == "add":
        params: dict[str, Any] = {
            "start": start,
            "duration_seconds": signed(case.argument, "h") * 3600,
        }
        r = client.get(f"{url}/add", headers=headers, params=params)
    else:
        params = {
            "start": start,
            "count": signed(case.argument),
            "end_of_day": case.operation.endswith("end of day"),
        }
        r = client.get(f"{url}/working-days", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return datetime.fromisoformat(r.json()["instant"])


def test_the_page_holds_every_glpi_case() -> None:
    # GLPI's 11 cases, and two of Accord's own on counting working days in and out of hours.
    assert len(CASES) == 13
    assert {c.operation for c in CASES} == {
        "elapsed",
        "add",
        "working days",
        "working days, end of day",
    }
    assert {c.calendar for c in CASES} == {"A", "B"}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_case_through_the_rules(case: Case) -> None:
    document = calendars()[case.calendar]
    created = CalendarCreate.model_validate(document)
    rules.check_definition(created)
    definition = CalendarDefinition.model_validate(
        created.model_dump() | {"holiday_country": None, "holiday_subdivision": None}
    )
    assert through_rules(case, definition) == expected(case)


@pytest.mark.db
def test_each_case_through_the_api(client: TestClient, session: Session) -> None:
    make_principal(session, "root", (Role.ADMIN, None))
    headers = bearer(session, "root")
    for document in calendars().values():
        r = client.post("/api/v1/calendars", headers=headers, json=document)
        assert r.status_code == 201, r.text
    failures = [
        f"{case}: got {got}, the page says {want}"
        for case in CASES
        if (got := through_api(case, client, headers)) != (want := expected(case))
    ]
    assert failures == []
