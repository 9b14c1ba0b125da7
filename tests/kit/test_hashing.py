"""Canonical JSON: one fixed text per value, so hashes are stable across databases and runs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum, IntEnum, StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.kit.hashing import canonical_json, content_hash, sha256_hex, to_jsonable
from accord.kit.time import isoformat_utc


class Colour(StrEnum):
    RED = "red"


class Level(IntEnum):
    ONE = 1


class Plain(Enum):
    A = "a"


# --------------------------------------------------------------------------------- decimals


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("0.9990"), "0.9990"),
        (Decimal("0.999"), "0.999"),
        (Decimal("1200.00"), "1200.00"),
        (Decimal("0"), "0"),
        (Decimal("-12.50"), "-12.50"),
        (Decimal("0.99999999"), "0.99999999"),
    ],
)
def test_decimals_keep_their_digits(value: Decimal, text: str) -> None:
    assert to_jsonable(value) == text
    assert canonical_json({"x": value}) == f'{{"x":"{text}"}}'


def test_trailing_zeros_make_a_different_hash() -> None:
    # 0.999 and 0.9990 are equal numbers but different contractual text: both are kept.
    assert content_hash(Decimal("0.999")) != content_hash(Decimal("0.9990"))


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimal_text_round_trips_exactly(value: Decimal) -> None:
    text = to_jsonable(value)
    assert isinstance(text, str)
    assert Decimal(text) == value
    assert Decimal(text).as_tuple() == value.as_tuple()


# -------------------------------------------------------------------------------- datetimes


def test_datetimes_become_utc_with_microseconds() -> None:
    assert to_jsonable(datetime(2026, 3, 1, 12, 0, tzinfo=UTC)) == "2026-03-01T12:00:00.000000Z"
    plus_two = timezone(timedelta(hours=2))
    assert (
        to_jsonable(datetime(2026, 3, 1, 14, 0, 0, 5, tzinfo=plus_two))
        == "2026-03-01T12:00:00.000005Z"
    )


def test_the_same_instant_in_different_zones_has_one_text() -> None:
    utc = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    tokyo = utc.astimezone(timezone(timedelta(hours=9)))
    assert tokyo.day == 1  # a different calendar day locally
    assert canonical_json({"at": utc}) == canonical_json({"at": tokyo})


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        to_jsonable(datetime(2026, 1, 1))  # noqa: DTZ001


def test_dates_are_iso() -> None:
    assert to_jsonable(date(2026, 2, 28)) == "2026-02-28"


@given(st.datetimes(timezones=st.just(UTC)))
def test_isoformat_utc_has_one_fixed_width_form(value: datetime) -> None:
    text = isoformat_utc(value)
    assert len(text) == len("2026-01-01T00:00:00.000000Z")
    assert text.endswith("Z")
    assert datetime.fromisoformat(text) == value
    # Lexicographic order of the text is chronological order.
    later = value + timedelta(microseconds=1) if value < datetime.max.replace(tzinfo=UTC) else value
    assert isoformat_utc(later) >= text


def test_years_before_1000_are_zero_padded() -> None:
    assert isoformat_utc(datetime(999, 1, 2, tzinfo=UTC)) == "0999-01-02T00:00:00.000000Z"


# ----------------------------------------------------------------------------- refused values


@pytest.mark.parametrize("value", [0.5, 1.0, float("nan"), {"x": 0.1}, [1, 2.5]])
def test_floats_are_refused(value: object) -> None:
    with pytest.raises(TypeError, match="float"):
        canonical_json(value)


@pytest.mark.parametrize("value", [b"abc", bytearray(b"abc"), {"x": b"\x00"}])
def test_bytes_are_refused_not_turned_into_lists_of_numbers(value: object) -> None:
    with pytest.raises(TypeError, match="bytes"):
        canonical_json(value)


def test_arbitrary_objects_are_refused() -> None:
    with pytest.raises(TypeError, match="object"):
        to_jsonable(object())


def test_keys_that_would_collide_are_refused() -> None:
    with pytest.raises(ValueError, match="'1'"):
        canonical_json({1: "a", "1": "b"})


@pytest.mark.parametrize("key", [True, None, 1.5])
def test_ambiguous_keys_are_refused(key: object) -> None:
    with pytest.raises(TypeError):
        canonical_json({key: 1})


# ------------------------------------------------------------------------------ other values


def test_enums_are_their_plain_values() -> None:
    assert to_jsonable(Colour.RED) == "red"
    assert type(to_jsonable(Colour.RED)) is str
    assert to_jsonable(Level.ONE) == 1
    assert type(to_jsonable(Level.ONE)) is int
    assert to_jsonable(Plain.A) == "a"
    assert canonical_json({Colour.RED: Level.ONE, Plain.A: Colour.RED}) == '{"a":"red","red":1}'


def test_keys_are_sorted_and_there_is_no_whitespace() -> None:
    assert canonical_json({"b": 1, "a": [1, 2], "c": {"z": None, "y": True}}) == (
        '{"a":[1,2],"b":1,"c":{"y":true,"z":null}}'
    )


def test_integer_keys_are_decimal_text() -> None:
    assert canonical_json({2: "x", 10: "y"}) == '{"10":"y","2":"x"}'


def test_text_is_utf8_not_ascii_escaped() -> None:
    assert canonical_json({"name": "Zürich → Genève"}) == '{"name":"Zürich → Genève"}'


def test_sets_are_sorted_and_tuples_are_lists() -> None:
    assert canonical_json({"c", "a", "b"}) == '["a","b","c"]'
    assert canonical_json(frozenset({3, 1, 2})) == "[1,2,3]"
    assert canonical_json((1, "a")) == '[1,"a"]'


def test_content_hash_is_sha256_of_the_canonical_text() -> None:
    value = {"target": Decimal("0.999"), "at": datetime(2026, 1, 1, tzinfo=UTC)}
    assert content_hash(value) == sha256_hex(canonical_json(value))
    assert sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.datetimes(timezones=st.just(UTC))
    | st.dates(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_canonical_json_is_stable_and_idempotent(value: object) -> None:
    text = canonical_json(value)
    assert canonical_json(value) == text
    # The text parses back to the JSON-native form, which encodes to the very same text.
    parsed = json.loads(text)
    assert parsed == to_jsonable(value)
    assert canonical_json(parsed) == text


@given(st.dictionaries(st.text(max_size=5), st.integers(), max_size=6))
def test_key_order_of_the_input_does_not_matter(value: dict[str, int]) -> None:
    reordered = dict(reversed(list(value.items())))
    assert canonical_json(reordered) == canonical_json(value)
    assert content_hash(reordered) == content_hash(value)
