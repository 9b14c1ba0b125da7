"""Cursor (keyset) pagination: opaque cursors that encode the last key seen."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from accord.kit.errors import InvalidInput

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
FLEET_MAX_LIMIT = 10_000
"""Lists of small, fixed-size rows that dashboards read whole (the current status of every
objective): one page of the fleet rather than twenty round trips."""
_MAX_POSITION = 2**63 - 1
_URLSAFE_BASE64 = re.compile(r"[A-Za-z0-9_-]+")


class Page(BaseModel, Generic[T]):
    """One page of results. ``next_cursor`` is absent on the last page."""

    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to fetch the next page; null on the last page."
    )


def encode_cursor(position: int) -> str:
    raw = json.dumps({"position": position}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The position (usually the last id seen) the next page continues from; None: first page."""
    if cursor is None or cursor == "":
        return None
    if not _URLSAFE_BASE64.fullmatch(cursor):  # the decoder would silently skip other characters
        raise InvalidInput.field("cursor", "not a cursor returned by this API")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = data["position"]
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError) as exc:
        raise InvalidInput.field("cursor", "not a cursor returned by this API") from exc
    # Positions are row keys: a BIGINT at most (a larger number would overflow SQLite's binding).
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= _MAX_POSITION:
        raise InvalidInput.field("cursor", "not a cursor returned by this API")
    return after
