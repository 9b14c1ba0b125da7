"""`accord calendars list | show | create | elapsed | add` end to end, on a fresh database of
each backend (the commands commit for real)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from typer.testing import CliRunner, Result

from accord.calendars.models import BusinessCalendarDefinition
from accord.cli import app
from accord.config import DatabaseSettings
from accord.db.session import Database, create_database_engine
from accord.kit.errors import InvalidInput, InvalidTransition, NotFound, RuleViolation
from tests.calendars.documents import body
from tests.conftest import FreshDatabases

pytestmark = pytest.mark.db

BAVARIA = """\
code: business-hours-by
name: Business hours, Bavaria
time_zone: Europe/Berlin
week:
  - [[08:00, 12:00], [13:00, 18:00]]   # unquoted: YAML 1.1 would read 13:00 as 780
  - [[08:00, 18:00]]
  - [[08:00, 18:00]]
  - [[08:00, 18:00]]
  - [[08:00, 16:00]]
  - []
  - []
holiday_country: DE
holiday_subdivision: BY
days:
  - {date: 2026-12-24, segments: [[08:00, 12:00]], note: "[bold]Christmas[/bold] Eve"}
"""


@pytest.fixture
def cli_database(
    backend: str, fresh_databases: FreshDatabases, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Database]:
    url = fresh_databases.url(backend)
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    database = Database(create_database_engine(url, DatabaseSettings()), DatabaseSettings())
    yield database
    database.dispose()


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    from accord.calendars import cli as calendars_cli

    monkeypatch.setattr(calendars_cli.console, "width", 250)


def accord(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def ok(*args: str) -> str:
    result = accord(*args)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def codes(database: Database) -> list[str]:
    with database.unit_of_work(write=False) as session:
        return list(session.scalars(select(BusinessCalendarDefinition.code)))


def test_create_list_show_and_arithmetic(cli_database: Database, tmp_path: Path) -> None:
    document = tmp_path / "bavaria.yaml"
    document.write_text(BAVARIA)
    assert "created calendar business-hours-by (Europe/Berlin)" in ok(
        "calendars", "create", "--file", str(document)
    )
    glpi = tmp_path / "glpi.json"
    glpi.write_text(json.dumps(body(code="glpi-a")))
    ok("calendars", "create", "--file", str(glpi))

    listed = ok("calendars", "list")
    assert listed.index("24x7") < listed.index("business-hours-by") < listed.index("glpi-a")
    assert "(built in)" in listed
    assert "DE-BY" in listed
    assert "Mon 08:00-12:00, 13:00-18:00" in listed

    shown = ok("calendars", "show", "business-hours-by")
    assert "Europe/Berlin" in shown
    assert "2026-12-24" in shown
    assert "[bold]Christmas[/bold] Eve" in shown  # user text is printed, not rendered
    assert "closed" in shown  # the weekend

    elapsed = ok(
        "calendars",
        "elapsed",
        "glpi-a",
        "--start",
        "2019-01-01T00:00Z",
        "--end",
        "2019-01-08T00:00Z",
    )
    assert "216000 business seconds (60 h 00 min 00 s)" in elapsed
    assert (
        ok("calendars", "add", "glpi-a", "--start", "2019-01-04T19:00Z", "--duration", "2h").strip()
        == "2019-01-07T09:00:00Z"
    )
    assert (
        ok(
            "calendars", "add", "glpi-a", "--start", "2019-01-07T09:00Z", "--duration", "-7200"
        ).strip()
        == "2019-01-04T19:00:00Z"
    )
    assert (
        ok(
            "calendars", "add", "24x7", "--start", "2019-01-04T19:00+01:00", "--duration", "90m"
        ).strip()
        == "2019-01-04T19:30:00Z"
    )
    # Epiphany is a Bavarian holiday: Tuesday 6 January 2026 does not count.
    assert "0 business seconds" in ok(
        "calendars",
        "elapsed",
        "business-hours-by",
        "--start",
        "2026-01-06T00:00+01:00",
        "--end",
        "2026-01-07T00:00+01:00",
    )


def test_errors_exit_non_zero_and_write_nothing(cli_database: Database, tmp_path: Path) -> None:
    naive = accord(
        "calendars", "elapsed", "24x7", "--start", "2019-01-01T00:00", "--end", "2019-01-02T00:00Z"
    )
    assert naive.exit_code != 0
    assert "--start" in naive.output
    bad_duration = accord(
        "calendars", "add", "24x7", "--start", "2019-01-01T00:00Z", "--duration", "2d"
    )
    assert bad_duration.exit_code != 0
    assert "--duration" in bad_duration.output

    unknown = accord("calendars", "show", "nowhere")
    assert isinstance(unknown.exception, NotFound)

    built_in = tmp_path / "always.json"
    built_in.write_text(json.dumps(body(code="24x7")))
    refused = accord("calendars", "create", "--file", str(built_in))
    assert isinstance(refused.exception, InvalidTransition)
    assert refused.exception.rule == "calendar-built-in"

    overlapping = tmp_path / "overlapping.json"
    overlapping.write_text(json.dumps(body(week=[[["08:00", "12:00"], ["10:00", "11:00"]]] * 7)))
    refused = accord("calendars", "create", "--file", str(overlapping))
    assert isinstance(refused.exception, RuleViolation)
    assert refused.exception.rule == "segments-overlap"

    invalid = tmp_path / "invalid.yaml"
    invalid.write_text(BAVARIA.replace("Europe/Berlin", "Europe/Nowhere"))
    refused = accord("calendars", "create", "--file", str(invalid))
    assert isinstance(refused.exception, ValidationError)
    assert [e["loc"] for e in refused.exception.errors()] == [("time_zone",)]

    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    refused = accord("calendars", "create", "--file", str(broken))
    assert isinstance(refused.exception, InvalidInput)

    text = tmp_path / "calendar.txt"
    text.write_text("{}")
    assert accord("calendars", "create", "--file", str(text)).exit_code != 0
    assert codes(cli_database) == []
