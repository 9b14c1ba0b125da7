"""`accord calendars …`: business calendars and business-time arithmetic from the shell.

Commands act as the local operator. Instants are ISO 8601 with their offset (``2026-11-26T12:00Z``).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from accord.calendars import service as calendars_service
from accord.calendars.schemas import CalendarCreate, CalendarRead
from accord.db.session import CommandDatabase
from accord.identity import service as identity_service
from accord.kit.errors import InvalidInput
from accord.kit.time import parse_aware, utc_now

console = Console(soft_wrap=True)  # never break paths and tokens across lines
app = typer.Typer(
    help="Business calendars: working hours, holidays and business-time arithmetic.",
    no_args_is_help=True,
)

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DOCUMENT_SUFFIXES = {".json": "JSON", ".yaml": "YAML", ".yml": "YAML"}
_DURATION = re.compile(r"^([+-]?)(\d+)([smh]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600}


class _Loader(yaml.SafeLoader):
    """YAML 1.1 reads an unquoted ``10:00`` as the base-60 number 600: here integers are
    decimal only, so times of day stay text."""


_INT = "tag:yaml.org,2002:int"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _INT]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _INT, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*|0x[0-9a-fA-F_]+|0o?[0-7_]+)$"), list("-+0123456789")
)

CodeArgument = Annotated[str, typer.Argument(help="The calendar's code (24x7 is built in)")]
StartOption = Annotated[str, typer.Option(help="ISO 8601 instant with its offset")]


@app.command("list")
def list_calendars(ctx: typer.Context) -> None:
    """Every calendar, the built-in 24x7 first."""
    with CommandDatabase.of(ctx.obj).unit_of_work(write=False) as session:
        rows = calendars_service.list_calendars(session, actor=identity_service.local_operator())
    table = Table("code", "name", "zone", "week", "holidays", "custom days")
    for c in rows:
        table.add_row(
            escape(c.code),
            escape(c.name) + (" [dim](built in)[/dim]" if c.built_in else ""),
            c.time_zone,
            escape(_week_summary(c)),
            _holidays(c),
            str(len(c.days)),
        )
    console.print(table)


@app.command("show")
def show(ctx: typer.Context, code: CodeArgument) -> None:
    """One calendar: its week, holiday source and custom days."""
    with CommandDatabase.of(ctx.obj).unit_of_work(write=False) as session:
        c = calendars_service.get_calendar(
            session, actor=identity_service.local_operator(), code=code
        )
    console.print(f"[bold]{escape(c.code)}[/bold]: {escape(c.name)} ({c.time_zone})")
    console.print(f"holidays: {_holidays(c)}")
    week = Table("day", "working hours")
    for day, segments in zip(WEEKDAYS, c.week, strict=True):
        week.add_row(day, _segments(segments) or "[dim]closed[/dim]")
    console.print(week)
    if c.days:
        days = Table("date", "working hours", "note")
        for d in c.days:
            days.add_row(
                d.date.isoformat(), _segments(d.segments) or "closed", escape(d.note or "")
            )
        console.print(days)


@app.command("create")
def create(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Option(
            "--file",
            exists=True,
            dir_okay=False,
            readable=True,
            help="A calendar document (.json, .yaml or .yml) with the API's create fields",
        ),
    ],
) -> None:
    """Define a calendar from a JSON or YAML document (checked whole before writing)."""
    data = CalendarCreate.model_validate(_read_document(file))
    with CommandDatabase.of(ctx.obj).unit_of_work() as session:
        c = calendars_service.create_calendar(
            session, actor=identity_service.local_operator(), data=data, now=utc_now()
        )
    console.print(f"created calendar [bold]{escape(c.code)}[/bold] ({c.time_zone})")


@app.command("elapsed")
def elapsed(
    ctx: typer.Context,
    code: CodeArgument,
    start: StartOption,
    end: Annotated[str, typer.Option(help="ISO 8601 instant with its offset (exclusive)")],
) -> None:
    """Business seconds between two instants."""
    begin, finish = _instant(start, "--start"), _instant(end, "--end")
    with CommandDatabase.of(ctx.obj).unit_of_work(write=False) as session:
        result = calendars_service.elapsed(
            session, actor=identity_service.local_operator(), code=code, start=begin, end=finish
        )
    console.print(f"{result.business_seconds} business seconds ({_hours(result.business_seconds)})")


@app.command("add")
def add(
    ctx: typer.Context,
    code: CodeArgument,
    start: StartOption,
    duration: Annotated[
        str,
        typer.Option(
            help="Business time to add: seconds, or with a unit (90m, 5h); negative counts back"
        ),
    ],
) -> None:
    """The instant a business duration after (or before) a start."""
    begin, seconds = _instant(start, "--start"), _duration(duration)
    with CommandDatabase.of(ctx.obj).unit_of_work(write=False) as session:
        result = calendars_service.add(
            session,
            actor=identity_service.local_operator(),
            code=code,
            start=begin,
            duration_seconds=seconds,
        )
    console.print(result.instant.isoformat().replace("+00:00", "Z"))


# ---------------------------------------------------------------------------------- helpers


def _instant(value: str, option: str) -> datetime:
    try:
        return parse_aware(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint=option) from None


def _duration(value: str) -> int:
    match = _DURATION.match(value.strip())
    if match is None:
        raise typer.BadParameter(
            f"{value!r}: give seconds or a number with s, m or h (e.g. 3600, 90m, -5h)",
            param_hint="--duration",
        )
    sign, number, unit = match.groups()
    seconds = int(number) * _UNIT_SECONDS[unit]
    return -seconds if sign == "-" else seconds


def _read_document(path: Path) -> dict[str, Any]:
    kind = DOCUMENT_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise typer.BadParameter(
            f"{path.name}: expected a .json, .yaml or .yml file", param_hint="--file"
        )
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text) if kind == "JSON" else yaml.load(text, Loader=_Loader)
    except (UnicodeDecodeError, ValueError, yaml.YAMLError) as error:
        raise InvalidInput.field("file", f"not valid {kind}: {error}") from error
    if not isinstance(document, dict):
        raise InvalidInput.field("file", f"expected one calendar (a {kind} mapping)")
    return document


def _segments(segments: list[tuple[str, str]]) -> str:
    return ", ".join(f"{start}-{end}" for start, end in segments)


def _week_summary(c: CalendarRead) -> str:
    return "; ".join(
        f"{day} {_segments(segments)}"
        for day, segments in zip(WEEKDAYS, c.week, strict=True)
        if segments
    )


def _holidays(c: CalendarRead) -> str:
    if c.holiday_country is None:
        return "none"
    return c.holiday_country + (f"-{c.holiday_subdivision}" if c.holiday_subdivision else "")


def _hours(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min {secs:02d} s"
