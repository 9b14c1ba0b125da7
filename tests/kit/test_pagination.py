"""Opaque cursors: they round-trip, and anything else is invalid input on `cursor`."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.kit.errors import InvalidInput
from accord.kit.pagination import decode_cursor, encode_cursor


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_cursors_round_trip(position: int) -> None:
    cursor = encode_cursor(position)
    assert decode_cursor(cursor) == position


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_cursors_are_url_safe(position: int) -> None:
    cursor = encode_cursor(position)
    assert cursor
    assert all(c.isalnum() or c in "-_" for c in cursor)


@pytest.mark.parametrize("cursor", [None, ""])
def test_no_cursor_is_the_first_page(cursor: str | None) -> None:
    assert decode_cursor(cursor) is None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


GARBAGE = [
    "garbage",
    "!!!!",
    "%%%",
    "é",
    "eyJwb3NpdGlvbiI6NX0!",  # a valid cursor with a character the decoder would have skipped
    " eyJwb3NpdGlvbiI6NX0",
    "a",
    _b64(b"not json"),
    _b64(b"\xff\xfe"),
    _b64(b"[]"),
    _b64(b"5"),
    _b64(b'"position"'),
    _b64(b"{}"),
    _b64(b'{"after": 5}'),
    _b64(b'{"position": "5"}'),
    _b64(b'{"position": 5.0}'),
    _b64(b'{"position": true}'),
    _b64(b'{"position": null}'),
    _b64(b'{"position": NaN}'),
    _b64(b'{"position": -1}'),
    _b64(json.dumps({"position": 2**63}).encode()),
    _b64(json.dumps({"position": 10**40}).encode()),
    _b64(b"[" * 5000),
]


@pytest.mark.parametrize("cursor", GARBAGE)
def test_garbage_is_invalid_input_naming_cursor(cursor: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        decode_cursor(cursor)
    assert [p.field for p in raised.value.problems] == ["cursor"]
    assert raised.value.status == 422


@given(st.text(max_size=60))
def test_any_text_either_decodes_to_a_position_or_is_invalid_input(text: str) -> None:
    problems: list[str] = []
    position = None
    try:
        position = decode_cursor(text)
    except InvalidInput as exc:
        problems = [p.field for p in exc.problems]
    assert problems in ([], ["cursor"])
    assert position is None or 0 <= position <= 2**63 - 1
