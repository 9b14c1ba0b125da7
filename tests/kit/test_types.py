"""Shared input types: control characters and NUL are refused at the schema boundary."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from accord.kit.types import (
    Code,
    Email,
    Instant,
    LongText,
    Name,
    Reason,
    Reference,
    ShortText,
    Slug,
)

SINGLE_LINE: dict[str, Any] = {
    "Name": Name,
    "ShortText": ShortText,
    "Reference": Reference,
}
ALL_TEXT: dict[str, Any] = {**SINGLE_LINE, "LongText": LongText, "Reason": Reason}

CONTROL = [chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)]]
LINE_BREAKS = ["\n", "\r", "\r\n"]


def adapter(kind: Any) -> TypeAdapter[str]:
    return TypeAdapter(kind)


def refused(kind: Any, value: object) -> bool:
    try:
        adapter(kind).validate_python(value)
    except ValidationError:
        return True
    return False


@pytest.mark.parametrize("kind", ALL_TEXT, ids=str)
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_nul_is_refused_everywhere(kind: str, where: str) -> None:
    value = {"start": "\x00abc", "middle": "ab\x00c", "end": "abc\x00"}[where]
    with pytest.raises(ValidationError, match="control characters"):
        adapter(ALL_TEXT[kind]).validate_python(value)


@pytest.mark.parametrize("kind", SINGLE_LINE, ids=str)
@pytest.mark.parametrize("char", CONTROL, ids=lambda c: f"U+{ord(c):04X}")
def test_single_line_text_refuses_every_control_character(kind: str, char: str) -> None:
    for value in (f"a{char}b", f"ab{char}", f"{char}ab"):
        assert refused(SINGLE_LINE[kind], value), repr(value)


@pytest.mark.parametrize("kind", SINGLE_LINE, ids=str)
@pytest.mark.parametrize("char", ["\u2028", "\u2029"], ids=["LS", "PS"])
def test_single_line_text_refuses_unicode_line_separators(kind: str, char: str) -> None:
    assert refused(SINGLE_LINE[kind], f"a{char}b")
    assert refused(SINGLE_LINE[kind], f"ab{char}")


@pytest.mark.parametrize("kind", SINGLE_LINE, ids=str)
@pytest.mark.parametrize("brk", LINE_BREAKS, ids=repr)
def test_a_trailing_newline_is_refused_not_silently_stripped(kind: str, brk: str) -> None:
    assert refused(SINGLE_LINE[kind], f"Payments{brk}")
    assert refused(SINGLE_LINE[kind], f"{brk}Payments")


@pytest.mark.parametrize("brk", [*LINE_BREAKS, "\t"], ids=repr)
def test_long_text_allows_line_breaks_and_tabs(brk: str) -> None:
    value = f"first line{brk}second line{brk}"
    assert adapter(LongText).validate_python(value) == value


def test_reason_allows_line_breaks() -> None:
    assert adapter(Reason).validate_python("why:\nbecause") == "why:\nbecause"


@pytest.mark.parametrize(
    "char",
    [c for c in CONTROL if c not in "\t\n\r"],
    ids=lambda c: f"U+{ord(c):04X}",
)
@pytest.mark.parametrize("kind", ["LongText", "Reason"])
def test_multiline_text_refuses_other_control_characters(kind: str, char: str) -> None:
    assert refused(ALL_TEXT[kind], f"some text{char}more")
    assert refused(ALL_TEXT[kind], f"some text{char}")


def test_single_line_text_is_stripped_of_spaces() -> None:
    assert adapter(Name).validate_python("  Payments API  ") == "Payments API"


def test_single_line_text_keeps_ordinary_unicode() -> None:
    text = "Zürich \u2013 Genève ✓"
    assert adapter(Name).validate_python(text) == text


@pytest.mark.parametrize("kind", SINGLE_LINE, ids=str)
def test_blank_single_line_text_is_refused(kind: str) -> None:
    assert refused(SINGLE_LINE[kind], "")
    assert refused(SINGLE_LINE[kind], "   ")


@pytest.mark.parametrize("kind", ALL_TEXT, ids=str)
@pytest.mark.parametrize("value", [1, 1.5, None, ["a"], {"a": 1}, True])
def test_non_strings_are_refused(kind: str, value: object) -> None:
    assert refused(ALL_TEXT[kind], value)


def test_length_limits() -> None:
    assert not refused(Name, "x" * 200)
    assert refused(Name, "x" * 201)
    assert not refused(LongText, "x" * 20_000)
    assert refused(LongText, "x" * 20_001)
    assert refused(Reason, "ab")


@given(st.text(alphabet=st.characters(categories=["Cc"]), min_size=1), st.text(max_size=10))
def test_any_control_character_in_a_name_is_refused(control: str, text: str) -> None:
    assert refused(Name, f"Acme{control}{text}")
    assert refused(ShortText, f"{text}{control}x")


@given(st.text(alphabet=st.characters(categories=["L", "N", "P", "S", "Zs"]), max_size=50))
def test_printable_text_is_accepted_as_long_text(text: str) -> None:
    assert adapter(LongText).validate_python(text) == text


# ------------------------------------------------------------------------ codes, slugs, e-mail


@pytest.mark.parametrize("value", ["payments-api", "ab", "a1", "x-2-y"])
def test_good_slugs(value: str) -> None:
    assert adapter(Slug).validate_python(value) == value


@pytest.mark.parametrize(
    "value",
    ["a", "Payments", "-ab", "ab-", "a--b", "a_b", "a b", "ab\n", "ab\x00", "é-x", "x" * 65],
)
def test_bad_slugs(value: str) -> None:
    assert refused(Slug, value)


@pytest.mark.parametrize("value", ["retail-banking", "eu_west", "ab"])
def test_good_codes(value: str) -> None:
    assert adapter(Code).validate_python(value) == value


@pytest.mark.parametrize("value", ["R", "Retail", "eu__west", "_ab", "ab\n", "a\x00b"])
def test_bad_codes(value: str) -> None:
    assert refused(Code, value)


@pytest.mark.parametrize("value", ["a@b.io", " ops@example.com "])
def test_good_emails(value: str) -> None:
    assert adapter(Email).validate_python(value) == value.strip()


@pytest.mark.parametrize(
    "value",
    ["nobody", "a@b", "a b@c.d", "a@b.c\n", "a\x00b@c.de", "ops@example.com\x00", "a\x7f@b.cd"],
)
def test_bad_emails(value: str) -> None:
    assert refused(Email, value)


def test_instants_need_an_offset() -> None:
    assert refused(Instant, "2026-01-01T00:00:00")
    assert not refused(Instant, "2026-01-01T00:00:00Z")
    assert not refused(Instant, "2026-01-01T00:00:00+02:00")
