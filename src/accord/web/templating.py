"""The portal's Jinja2 environment and filters. No domain knowledge here."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def _when(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def _money(amount: Decimal | None, currency: str | None) -> str:
    if amount is None:
        return "—"
    return f"{amount:,.2f} {currency or ''}".strip()


def _label(value: Any) -> str:
    text = str(getattr(value, "value", value))
    return text.replace("_", " ")


def _pretty_json(value: Any) -> str:
    """Structured data (audit before/after) as indented JSON text; the template escapes it."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def query_url(path: str, params: Mapping[str, Any]) -> str:
    """``path`` with the non-empty ``params`` as its query string (filters plus a cursor)."""
    kept = {
        name: _label_or_text(value) for name, value in params.items() if value not in (None, "")
    }
    return f"{path}?{urlencode(kept)}" if kept else path


def _label_or_text(value: Any) -> str:
    return str(getattr(value, "value", value))


templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
templates.env.filters["when"] = _when
templates.env.filters["money"] = _money
templates.env.filters["label"] = _label
templates.env.filters["pretty_json"] = _pretty_json
templates.env.globals["query_url"] = query_url


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    return templates.TemplateResponse(request, template, context, status_code=status_code)
