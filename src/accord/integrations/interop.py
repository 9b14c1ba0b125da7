"""What the interop packages (``prometheus``, ``sloth``, ``openslo``) share.

Imports: objectives are created all or nothing, and every problem names the document and the
field it was read from. Exports: objectives are chosen by key or by telemetry source, and every
problem names the objective.

An importer first reads every file and turns each SLO into an `ObjectiveCreate` (a `Planned`
objective), collecting every problem it finds; if there is any, nothing is written and all of
them are reported at once (`nothing_imported`). Then `create_objectives` creates the objectives
through the objectives service (authorisation, tier minimums, audit: one event per objective) in
the caller's unit of work; the first refusal aborts the whole import, named by where it was read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session

from accord.catalogue import service as catalogue_service
from accord.identity.rules import Actor, Permission
from accord.kit.errors import AccordError, FieldProblem, InvalidInput, NotFound
from accord.objectives import service as objectives_service
from accord.objectives.enums import SourceKind
from accord.objectives.schemas import (
    ObjectiveCreate,
    ObjectiveFilter,
    ObjectiveOrigin,
    ObjectiveRead,
    RollingWindow,
)


@dataclass(frozen=True)
class Planned:
    """One objective an import will create, and where its definition was read."""

    where: str
    """The document, e.g. ``slos.yaml (document 1)``."""
    path: str
    """The SLO's place in it, e.g. ``slos[0]``."""
    data: ObjectiveCreate
    origin: ObjectiveOrigin


class ImportFailed(AccordError):
    """The objectives service refused an imported objective: its error (status, code and
    problems kept), prefixed with where the definition was read. Nothing is written."""

    def __init__(self, planned: Planned, error: AccordError) -> None:
        where = f"{planned.where}: {planned.path}"
        super().__init__(f"{where}: {error.detail} (nothing imported)", problems=error.problems)
        self.status, self.code, self.title = error.status, error.code, error.title


def nothing_imported(problems: Sequence[FieldProblem]) -> InvalidInput:
    """One error listing every problem found (each ``field`` is a place in a document)."""
    return _nothing("imported", problems)


def nothing_exported(problems: Sequence[FieldProblem]) -> InvalidInput:
    """One error listing every problem found (each ``field`` an objective's key)."""
    return _nothing("exported", problems)


def _nothing(done: str, problems: Sequence[FieldProblem]) -> InvalidInput:
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    return InvalidInput(f"nothing {done} ({count}):", problems=list(problems))


def require_import(actor: Actor) -> None:
    """Importing writes objectives: refuse early, before reading anything, without the right."""
    actor.require_anywhere(Permission.OBJECTIVES_WRITE)


class Services:
    """Catalogue services by slug, each looked up once; a missing one is a problem to report."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self._known: dict[str, bool] = {}

    def exists(self, slug: str) -> bool:
        if slug not in self._known:
            try:
                catalogue_service.visible_service(self.session, actor=self.actor, slug=slug)
                self._known[slug] = True
            except NotFound:
                self._known[slug] = False
        return self._known[slug]


def plan(
    where: str,
    path: str,
    data: Mapping[str, Any],
    origin: ObjectiveOrigin,
    *,
    fields: Mapping[str, str],
    problems: list[FieldProblem],
) -> Planned | None:
    """The objective ``data`` defines (`ObjectiveCreate`'s fields), read at ``path`` of the
    document ``where``; or None, with its validation problems added to ``problems``. ``fields``
    maps ObjectiveCreate's field names to the source's field paths (``{"target":
    "slos[0].objective"}``), so a problem names what the user wrote."""
    try:
        return Planned(where, path, ObjectiveCreate.model_validate(data), origin)
    except ValidationError as error:
        for item in error.errors():
            loc = [str(part) for part in item["loc"]]
            message = str(item["msg"]).removeprefix("Value error, ")
            if not loc:  # a rule across fields names the one at fault, on the error or in text
                cause = (item.get("ctx") or {}).get("error")
                at = getattr(cause, "field", None)
                named, _, rest = message.partition(": ")
                if isinstance(at, str):
                    loc, message = at.split("."), str(cause)
                elif named in fields:
                    loc, message = [named], rest
            if loc and loc[0] in fields:
                field = ".".join([fields[loc[0]], *loc[1:]])
            else:
                field = ".".join([path, *loc])
            problems.append(FieldProblem(f"{where}: {field}", message))
        return None


def create_objectives(
    session: Session, *, actor: Actor, planned: Iterable[Planned], now: datetime
) -> list[tuple[Planned, ObjectiveRead]]:
    """Create every planned objective in the caller's unit of work, in order; the first refusal
    raises `ImportFailed` (the unit of work then writes nothing)."""
    created = []
    for item in planned:
        try:
            read = objectives_service.create_objective(
                session, actor=actor, data=item.data, now=now, origin=item.origin
            )
        except AccordError as error:
            raise ImportFailed(item, error) from error
        created.append((item, read))
    return created


# ---------------------------------------------------------------------------------- exports


def chosen_objectives(
    session: Session, *, actor: Actor, keys: Sequence[str], sources: frozenset[SourceKind]
) -> tuple[list[ObjectiveRead], list[ObjectiveRead]]:
    """The objectives ``keys`` name (each once, in order), or every live one: those whose
    telemetry source is one of ``sources``, and the others (unnamed ones only when several
    sources are wanted: one is filtered in the query)."""
    if keys:
        found = [
            objectives_service.get_objective(session, actor=actor, key=key)
            for key in dict.fromkeys(keys)
        ]
    else:
        only = next(iter(sources)) if len(sources) == 1 else None
        filters = ObjectiveFilter(source=only)
        found = objectives_service.all_objectives(session, actor=actor, filters=filters)
    return [o for o in found if o.source in sources], [o for o in found if o.source not in sources]


def source_problem(objective: ObjectiveRead, sources: frozenset[SourceKind]) -> FieldProblem:
    """Why an objective named for export is refused: its telemetry source."""
    kinds = " or ".join(sorted(s.value for s in sources))
    return FieldProblem(
        objective.key, f"its telemetry source is {objective.source.value}, not {kinds}"
    )


# ------------------------------------------------------------------------------ for the CLIs


def read_sources(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """(name, text) of each file, named as given; a file that is not UTF-8 is invalid input."""
    sources = []
    for path in paths:
        try:
            sources.append((str(path), path.read_text(encoding="utf-8")))
        except UnicodeDecodeError as error:
            raise InvalidInput.field(str(path), f"not UTF-8 text: {error}") from error
    return sources


def summary(objective: ObjectiveRead) -> str:
    """``svc01/slo1: 99.9% over 30d rolling, ratio_timeslices of 300 s``."""
    window = objective.window
    span = (
        f"{window.days}d rolling"
        if isinstance(window, RollingWindow)
        else f"calendar {window.unit.value} ({window.time_zone})"
    )
    method = objective.budgeting_method.value
    if objective.timeslice_seconds is not None:
        method += f" of {objective.timeslice_seconds} s"
    target = f"{(objective.target * 100).normalize():f}%"
    return f"{objective.service}/{objective.name}: {target} over {span}, {method}"


def write_output(text: str, output: Path | None, err: Console) -> None:
    """An export's ``text`` to the file ``output`` (saying so on ``err``), or to stdout."""
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {escape(str(output))}")
