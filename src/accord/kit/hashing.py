"""Canonical JSON and content hashes.

The canonical form is what gets hashed *and stored verbatim*: keys sorted, no insignificant
whitespace, UTF-8 (not ASCII-escaped). Values must already be JSON-native (str, int, bool, None,
list, dict); callers turn Decimals and datetimes into strings first (see `to_jsonable`) so that a
round trip through any database cannot change the text that was hashed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from accord.kit.time import isoformat_utc

JsonValue = str | int | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


def to_jsonable(value: Any) -> JsonValue:
    """Convert domain values to JSON-native ones with one fixed textual form per value.

    Decimals keep their exact digits (``Decimal("0.9990")`` stays ``"0.9990"``); datetimes become
    UTC with microseconds; floats are refused because their text is not stable across databases.
    """
    if isinstance(value, Enum):  # first: a StrEnum is a str, but its text is its value
        return to_jsonable(value.value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return isoformat_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        encoded: dict[str, JsonValue] = {}
        for k, v in value.items():
            key = _key_text(k)
            if key in encoded:
                raise ValueError(f"two keys are both encoded as {key!r}")
            encoded[key] = to_jsonable(v)
        return encoded
    if isinstance(value, bytes | bytearray | memoryview):
        raise TypeError("cannot encode bytes canonically; encode them as text first")
    if isinstance(value, Sequence | set | frozenset):
        items = [to_jsonable(v) for v in value]
        return sorted(items, key=canonical_json) if isinstance(value, set | frozenset) else items
    raise TypeError(f"cannot encode {type(value).__name__} canonically")


def _key_text(key: Any) -> str:
    """Object keys are text: strings as they are, integers in decimal, enums by value, dates
    and instants in their canonical form; anything else (bool, None, float) is refused."""
    text = to_jsonable(key)
    if isinstance(text, str):
        return text
    if isinstance(text, int) and not isinstance(text, bool):
        return str(text)
    raise TypeError(f"cannot use {type(key).__name__} as an object key canonically")


def floats_as_text(value: Any) -> Any:
    """``value`` with every float (in dicts and lists too) as its shortest exact decimal text:
    what `to_jsonable` accepts in place of a float, so a hashed document (an audit event) reads
    what was computed, digit for digit."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {k: floats_as_text(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [floats_as_text(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    return json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(value: Any) -> str:
    """sha256 of the canonical JSON of ``value``."""
    return sha256_hex(canonical_json(value))
