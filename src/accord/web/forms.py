"""GET-form input for portal pages: query parameters → a Pydantic schema.

A filter form submits every field, empty ones included (``?kind=&status=active``); an empty field
means "no filter". Invalid values become `InvalidInput` with the field named, which the error
handler renders as the portal's error page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from accord.kit.errors import FieldProblem, InvalidInput, located

M = TypeVar("M", bound=BaseModel)


def form_values(params: Mapping[str, str], fields: Iterable[str]) -> dict[str, str]:
    """The named fields that were filled in, stripped of surrounding blanks."""
    values = {}
    for name in fields:
        value = params.get(name, "").strip()
        if value:
            values[name] = value
    return values


def parse_form(schema: type[M], params: Mapping[str, str], fields: Iterable[str]) -> M:
    try:
        return schema.model_validate(form_values(params, fields))
    except ValidationError as exc:
        problems = [
            FieldProblem(".".join(location) or "query", message)
            for location, message in map(located, exc.errors())
        ]
        detail = "; ".join(f"{p.field}: {p.message}" for p in problems)
        raise InvalidInput(detail, problems=problems) from exc
