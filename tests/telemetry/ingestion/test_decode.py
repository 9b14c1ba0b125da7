"""Pushed bodies into rows: JSON and NDJSON, gzip (with a decompression bomb), and the errors."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from typing import Any

import orjson
import pytest

from accord.kit.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from accord.telemetry.ingestion import rules

ROWS = [
    {"objective": "SLO-0001", "start": 1_772_359_200, "good": 990, "total": 1000},
    {"metric": "checkout", "at": "2026-03-01T10:00:01Z", "success": True},
]
MiB = 1 << 20


def decode(
    body: bytes, content_type: str | None = "application/json", encoding: str | None = None
) -> list[dict[str, Any]]:
    return rules.decode_body(
        body, content_type=content_type, content_encoding=encoding, max_decompressed_bytes=MiB
    )


def ndjson(rows: list[Any]) -> bytes:
    return b"\n".join(orjson.dumps(row) for row in rows)


def test_a_json_array_and_a_rows_object() -> None:
    assert decode(orjson.dumps(ROWS)) == ROWS
    assert decode(orjson.dumps({"rows": ROWS})) == ROWS
    assert decode(orjson.dumps(ROWS), "application/json; charset=utf-8") == ROWS
    assert decode(b"[]") == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"rows": [], "extra": 1}', 'must be {"rows": [...]}'),
        (b'{"rows": 3}', "must be an array of rows"),
        (b"17", "must be an array of rows"),
        (b"", "line 1, column 1: invalid JSON"),
        (b'[\n{"good": 1,\n"total": }]', "line 3, column 10: invalid JSON"),
    ],
)
def test_json_bodies_that_are_not_rows(body: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[")) as caught:
        decode(body)
    assert caught.value.problems[0].field == "body"


def test_a_row_that_is_not_an_object_is_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        decode(orjson.dumps([ROWS[0], [1, 2], ROWS[1], "x"]))
    assert [p.field for p in caught.value.problems] == ["rows[1]", "rows[3]"]


@pytest.mark.parametrize(
    "media", ["application/x-ndjson", "application/ndjson", "application/jsonl"]
)
def test_ndjson_one_object_a_line_blank_lines_ignored(media: str) -> None:
    body = b"\n" + ndjson(ROWS[:1]) + b"\r\n\n   \n" + ndjson(ROWS[1:]) + b"\n"
    assert decode(body, media) == ROWS


def test_ndjson_names_the_bad_line() -> None:
    good = [orjson.dumps(row) for row in ROWS * 8][:15]
    body = b"\n".join([*good, b"", b'{"objective": "SLO-1", "good": }', *good])
    with pytest.raises(InvalidInput, match="line 17, column") as caught:
        decode(body, "application/x-ndjson")
    assert caught.value.problems[0].field == "body"


def test_ndjson_rows_that_are_not_objects_are_named_with_their_line() -> None:
    body = ndjson(ROWS[:1]) + b"\n\n[1, 2]\n" + ndjson(ROWS[1:])
    with pytest.raises(InvalidInput) as caught:
        decode(body, "application/x-ndjson")
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("rows[1]", "must be an object (line 3)")
    ]


@pytest.mark.parametrize("content_type", [None, "text/csv", "application/xml", "multipart/x"])
def test_unsupported_content_types_list_what_is_accepted(content_type: str | None) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        decode(orjson.dumps(ROWS), content_type)
    assert caught.value.status == 415
    for accepted in ("application/json", "application/x-ndjson", "application/jsonl"):
        assert accepted in caught.value.detail


@pytest.mark.parametrize("encoding", ["br", "deflate", "zstd", "gzip, br"])
def test_unsupported_encodings(encoding: str) -> None:
    with pytest.raises(UnsupportedMediaType, match="gzip or identity"):
        decode(gzip.compress(orjson.dumps(ROWS)), encoding=encoding)


@pytest.mark.parametrize("encoding", ["gzip", "GZIP", "x-gzip"])
def test_gzip_bodies(encoding: str) -> None:
    assert decode(gzip.compress(orjson.dumps(ROWS)), encoding=encoding) == ROWS
    nd = gzip.compress(ndjson(ROWS))
    assert decode(nd, "application/x-ndjson", encoding) == ROWS


def test_identity_is_no_encoding() -> None:
    assert decode(orjson.dumps(ROWS), encoding="identity") == ROWS


def test_concatenated_gzip_members_are_one_body() -> None:
    body = gzip.compress(b'[{"a": 1},') + gzip.compress(b'{"b": 2}]')
    assert decode(body, encoding="gzip") == [{"a": 1}, {"b": 2}]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not gzip at all", "not valid gzip"),
        (gzip.compress(orjson.dumps(ROWS))[:-12], "truncated"),
        (b"", "truncated"),
    ],
)
def test_broken_gzip(body: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        decode(body, encoding="gzip")


def zeros_gzip(size: int) -> bytes:
    """A gzip stream of ``size`` zero bytes, built without holding them (~1,000:1)."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(MiB)
    parts = [deflater.compress(block) for _ in range(size // MiB)]
    return b"".join([*parts, deflater.flush()])


def test_a_decompression_bomb_is_refused_before_it_is_inflated() -> None:
    bomb = zeros_gzip(64 * MiB)
    assert len(bomb) < 128 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(PayloadTooLarge, match="1,048,576 bytes"):
            decode(bomb, encoding="gzip")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Inflating it all would take 64 MiB; refusing at the cap takes about the cap.
    assert peak < 4 * MiB


def test_the_cap_applies_to_the_decompressed_size_and_to_plain_bodies() -> None:
    body = orjson.dumps([{"objective": "SLO-1", "pad": "x" * 100}] * 12_000)
    assert len(body) > MiB
    squeezed = gzip.compress(body)
    assert len(squeezed) < MiB
    with pytest.raises(PayloadTooLarge):
        decode(squeezed, encoding="gzip")
    with pytest.raises(PayloadTooLarge):
        decode(body)
    under = orjson.dumps([{"objective": "SLO-1", "pad": "x" * 100}] * 7_000)
    assert len(under) < MiB
    assert len(decode(gzip.compress(under), encoding="gzip")) == 7_000


def test_references_are_what_the_rows_name() -> None:
    rows: list[Any] = [
        *ROWS,
        {"objective": "SLO-0001", "start": 0, "good": 1, "total": 1},
        {"objective": "SLO-0002", "metric": "both"},
        {"objective": 7},
        {"metric": ""},
        {},
    ]
    assert rules.references(rows) == {("objective", "SLO-0001"), ("metric", "checkout")}
