"""What the ticketing adapters (``servicenow``, ``jira``) share: turning display names into
codes, titles, the kind of a state move, and building a validated `TicketEventIn` whose refusal
names the field of the source document the value came from."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from pydantic import ValidationError

from accord.kit.errors import FieldProblem, InvalidInput
from accord.timers.enums import EventKind, TicketState
from accord.timers.schemas import TicketEventIn

TITLE_LENGTH: Final = 200
_FINISHED = frozenset({TicketState.RESOLVED, TicketState.CLOSED})
_OPEN = frozenset(TicketState) - _FINISHED - {TicketState.CANCELLED}

Sourced = tuple[object, str]
"""A value of a generic event and the source field it came from."""


def slug(name: str) -> str:
    """A display name as a code: ``Service Desk (L1)`` → ``service-desk-l1``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def title(text: str | None) -> str | None:
    """Whitespace collapsed, cut to the length Accord keeps."""
    return None if text is None else " ".join(text.split())[:TITLE_LENGTH] or None


def move_kind(before: TicketState | None, after: TicketState) -> EventKind:
    """The kind of event a move to ``after`` is: leaving resolved or closed is a reopening."""
    if after is TicketState.RESOLVED:
        return EventKind.RESOLVED
    if after is TicketState.CLOSED:
        return EventKind.CLOSED
    if before in _FINISHED and after in _OPEN:
        return EventKind.REOPENED
    return EventKind.STATE_CHANGED


def event(where: str, **fields: Sourced | None) -> TicketEventIn:
    """One validated event; a refused value is reported at the source field it came from (or at
    ``where``, the record, body or change, for a value with no single source)."""
    present = {
        name: pair for name, pair in fields.items() if pair is not None and pair[0] is not None
    }
    try:
        return TicketEventIn.model_validate({name: value for name, (value, _) in present.items()})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = error.get("loc") or ("",)
            source = present[str(loc[0])][1] if str(loc[0]) in present else where
            problems.append(FieldProblem(source, str(error.get("msg", "invalid"))))
        first = problems[0]
        raise InvalidInput(f"{first.field}: {first.message}", problems=problems) from exc
