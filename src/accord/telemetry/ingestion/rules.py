"""Pure rules of push ingestion: decode a request body into rows, read their instants and units,
turn them into 5-minute SLI buckets and screen those against the validation checks.

No database, no HTTP, no clock: the service passes the body, what the rows' references resolve
to (`Destination`), the calling source (`SourceContext`), the `IngestPolicy` and ``now``.

**Rows.** Each row is an object naming its destination by exactly one of ``objective`` (an
objective key, ``SLO-0042``) or ``metric`` (a metric name the source maps to an objective), in one
of three shapes:

- a *bucket*, ``{"objective": "SLO-1", "start": <instant>, "good": 990, "total": 1000}``: the
  start must be a bucket start (a multiple of `BUCKET_SECONDS` since the epoch);
- a *counter*, ``{"metric": "m", "at": <instant>, "good_count": 12345, "total_count": 12400}``:
  cumulative counters. Per reference, samples are sorted by instant and the increase between
  two consecutive samples goes to the bucket containing the *end* of that interval, end-exclusive
  (a sample at 10:05:00 closes the interval ending at 10:05, so its increase goes to the 10:00
  bucket; one at 10:05:01 to the 10:05 bucket). The first sample of a reference in a batch is only
  a baseline. A counter going down is a reset (`Check.COUNTER_RESET`); as Prometheus does, the
  value after the reset is then the increase;
- a *sample*, ``{"metric": "m", "at": <instant>, "latency": 231.5, "unit": "ms"}`` (good when
  the latency in milliseconds is at most the objective's threshold; ``unit`` defaults to the
  source's) or ``{"metric": "m", "at": <instant>, "success": true}``; it belongs to the bucket
  ``floor(at / 300) * 300``.

Any other key is malformed. Numbers are JSON numbers (booleans are not numbers).

**A batch replaces whole buckets.** Storage is an idempotent upsert of (objective, bucket start):
the buckets a batch yields *replace* the stored ones. Samples and counter increases are summed per
(objective, bucket) within the batch only, so a sender must send all samples of a bucket in one
batch, and counter batches should end on a sample at a bucket boundary (10:05:00) and start the
next batch again from that sample as its baseline. Bucket rows sent twice for one key keep the
*last* (as `accord.telemetry.rules.canonical_columns` does, and as a re-send in a later batch
would); a bucket sent both as a bucket row and as samples or counters is malformed.

**Instants.** An ISO 8601 string with an offset (``Z``, ``+02:00``) is exact; a number is seconds
since the epoch (one above 1e11 looks like milliseconds and is malformed); an ISO string without
an offset is read in the source's zone (none declared: malformed). A local time in a skipped hour
is `Check.NONEXISTENT_TIME`, one in a repeated hour `Check.AMBIGUOUS_TIME` (read as its first
occurrence). Bucket starts are whole seconds; sample instants may be fractional.

**Speed.** The Python work per row is done once, pulling fields into columns (a fast path takes
the common bucket row with an epoch or an ISO string with an offset); every check is then a numpy
operation over the columns, and problem objects are built only for rows that fail.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
import orjson

from accord.kit.errors import FieldProblem, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from accord.telemetry.rules import (
    BUCKET_SECONDS,
    EPOCH,
    MAX_PROBLEMS,
    MIN_EPOCH,
    BucketColumns,
    FloatArray,
    Int64Array,
)

BoolArray = npt.NDArray[np.bool_]

# ------------------------------------------------------------------------------------- shapes


class Check(StrEnum):
    """A validation check of pushed telemetry; each is configured to reject or to flag."""

    NEGATIVE = "negative"
    """good, total, a counter or a latency below 0."""
    GOOD_ABOVE_TOTAL = "good-above-total"
    NOT_FINITE = "not-finite"
    """NaN or ±inf in any number (a value or an epoch instant)."""
    FUTURE = "future"
    """An instant later than now + `IngestPolicy.max_future_skew_seconds`."""
    TOO_OLD = "too-old"
    """A bucket starting before its objective's open window (`Destination.open_since_epoch`)."""
    UNKNOWN_OBJECTIVE = "unknown-objective"
    """The row's reference resolves to nothing."""
    WRONG_SOURCE = "wrong-source"
    """The objective exists but the calling source does not feed it."""
    COUNTER_RESET = "counter-reset"
    """A cumulative counter went down between two samples."""
    AMBIGUOUS_TIME = "ambiguous-time"
    """A naive local time inside a repeated (fall-back) hour; read as its first occurrence."""
    NONEXISTENT_TIME = "nonexistent-time"
    """A naive local time inside a skipped (spring-forward) hour."""


class Action(StrEnum):
    REJECT = "reject"
    """The whole batch is refused (nothing is stored) and the row is named in the answer."""
    FLAG = "flag"
    """The bucket is quarantined: kept out of storage, listed for inspection."""


RELEASABLE: frozenset[Check] = frozenset(
    {Check.FUTURE, Check.TOO_OLD, Check.WRONG_SOURCE, Check.COUNTER_RESET, Check.AMBIGUOUS_TIME}
)
"""Checks whose quarantined buckets may later be released into storage: the data is sound, only
its timing or routing is doubtful, and a person can vouch for it. A bucket flagged for any other
check (negative, good above total, not finite, unknown objective, nonexistent time) has no value
that could be stored: it can be inspected, then only discarded."""

DEFAULT_ACTIONS: Mapping[Check, Action] = MappingProxyType(
    {
        Check.NEGATIVE: Action.REJECT,
        Check.GOOD_ABOVE_TOTAL: Action.REJECT,
        Check.NOT_FINITE: Action.REJECT,
        Check.UNKNOWN_OBJECTIVE: Action.REJECT,
        Check.NONEXISTENT_TIME: Action.REJECT,
        Check.FUTURE: Action.FLAG,
        Check.TOO_OLD: Action.FLAG,
        Check.WRONG_SOURCE: Action.FLAG,
        Check.COUNTER_RESET: Action.FLAG,
        Check.AMBIGUOUS_TIME: Action.FLAG,
    }
)
"""Reject what can never be true (negative or impossible counts, non-numbers, a reference to
nothing, a local time that did not happen): the sender has a bug and must hear about it at once,
in the response. Flag what may be legitimate late or odd data: a clock running ahead, a late
backfill, a source wired to the wrong objective, a restarted process resetting its counters, a
local time in the repeated hour. Refusing those would lose real measurements; storing them
unseen could corrupt an SLI; quarantine keeps them for a person to release or discard."""


@dataclass(frozen=True)
class IngestPolicy:
    """What each check does (checks missing from ``actions`` take `DEFAULT_ACTIONS`) and how far
    ahead of the server clock an instant may be."""

    actions: Mapping[Check, Action] = field(default_factory=lambda: DEFAULT_ACTIONS)
    max_future_skew_seconds: int = 300

    def __post_init__(self) -> None:
        if self.max_future_skew_seconds < 0:
            raise ValueError("max_future_skew_seconds must not be negative")

    def action(self, check: Check) -> Action:
        return self.actions.get(check, DEFAULT_ACTIONS[check])


Reference = tuple[str, str]
"""How a row names its destination: ``("objective", "SLO-0042")`` or ``("metric", "checkout")``
(a metric name the calling source maps to an objective)."""


@dataclass(frozen=True)
class Destination:
    """What the service resolved a reference to."""

    objective_id: int
    latency_threshold_ms: float | None
    """Set for latency objectives: a sample is good when its latency is at most this."""
    open_since_epoch: int
    """The earliest bucket start still inside the objective's open window."""
    wrong_source: bool
    """The objective is fed by other sources, not the calling one."""


@dataclass(frozen=True)
class SourceContext:
    """Defaults of the calling source."""

    time_zone: str | None
    """IANA zone of naive timestamps; None: a timestamp without an offset is malformed."""
    latency_unit: str | None
    """Unit of latency samples that carry no ``unit``; None: such samples are malformed."""


@dataclass(frozen=True)
class RowProblem:
    """One reason a batch is refused: the row (index in the batch), the field at fault
    (``rows[12].start``), a code (a `Check` value, ``malformed`` or ``unknown-unit``) and a
    message for people."""

    row: int
    field: str
    code: str
    message: str


@dataclass(frozen=True)
class QuarantinedBucket:
    """A flagged bucket, kept out of storage until a person releases or discards it."""

    rows: tuple[int, ...]
    """The input rows it came from (for a counter increase: both samples)."""
    reference: Reference
    """The reference of its first row (rows of several references may feed one objective)."""
    objective_id: int | None
    """None when the reference resolves to nothing."""
    bucket_start_epoch: int | None
    """None when the row's instant is unusable (nonexistent local time, not finite)."""
    good: float | None
    """None when not computable (a value not finite, a latency without a threshold, a lone
    counter sample)."""
    total: float | None
    checks: tuple[Check, ...]
    """Every flagged check of the bucket, in `Check` order."""
    messages: tuple[str, ...]
    payload: tuple[dict[str, Any], ...]
    """The raw input rows, for inspection."""

    @property
    def releasable(self) -> bool:
        """Whether the bucket may be stored once a person vouches for it."""
        return (
            self.objective_id is not None
            and self.bucket_start_epoch is not None
            and self.good is not None
            and self.total is not None
            and all(check in RELEASABLE for check in self.checks)
        )


@dataclass(frozen=True, eq=False)
class Screening:
    """The outcome of screening one batch.

    A non-empty ``rejected`` means the service refuses the whole batch and stores nothing.
    Otherwise ``accepted`` is stored and ``quarantined`` is kept aside.
    """

    rows: int
    """Rows in the batch."""
    accepted: BucketColumns
    """Buckets to store, canonical (sorted by objective and start, one per key)."""
    quarantined: tuple[QuarantinedBucket, ...]
    rejected: tuple[RowProblem, ...]
    """The first `accord.telemetry.rules.MAX_PROBLEMS` problems, in row order."""
    rejected_rows: int
    """Rows with at least one problem (all of them, not only those listed)."""
    rejected_counts: Mapping[str, int] = field(default_factory=dict)
    """Problems by code, all of them (``rejected`` lists only the first few)."""

    def reasons(self) -> Counter[str]:
        """Counts by check or code, for metrics: each row problem counts once, and each
        quarantined bucket once per check it was flagged for."""
        reasons: Counter[str] = Counter(self.rejected_counts)
        reasons.update(str(check) for bucket in self.quarantined for check in bucket.checks)
        return reasons


# -------------------------------------------------------------------------------------- units

MILLISECONDS_PER_UNIT: Mapping[str, float] = MappingProxyType(
    {
        "ns": 1e-6,
        "us": 1e-3,
        "\u00b5s": 1e-3,  # µ MICRO SIGN, what most keyboards type
        "\u03bcs": 1e-3,  # μ GREEK SMALL LETTER MU, what Unicode normalisation (NFKC) turns it into
        "ms": 1.0,
        "s": 1e3,
        "min": 6e4,
        "h": 3.6e6,
    }
)
"""Latency units and their size in milliseconds (latencies are compared in milliseconds)."""

_UNIT_NAMES = ", ".join(MILLISECONDS_PER_UNIT)


# ------------------------------------------------------------------------------------- bodies

JSON_TYPES = frozenset({"application/json"})
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl"})
ENCODINGS = frozenset({"gzip", "x-gzip", "identity"})
_INFLATE_CHUNK = 1 << 18
"""Bytes inflated per step: the cap is checked after each step, so a decompression bomb costs at
most the cap plus one step of memory before it is refused."""


def decode_body(
    body: bytes,
    *,
    content_type: str | None,
    content_encoding: str | None,
    max_decompressed_bytes: int,
) -> list[dict[str, Any]]:
    """The rows of a pushed body.

    ``application/json``: an array of row objects or ``{"rows": [...]}``;
    ``application/x-ndjson`` (or ``application/ndjson``, ``application/jsonl``): one object per
    line, blank lines ignored. ``Content-Encoding`` gzip or identity. Raises
    `UnsupportedMediaType` for another type or encoding, `PayloadTooLarge` as soon as the
    (decompressed) body passes ``max_decompressed_bytes``, `InvalidInput` for invalid JSON (NDJSON:
    naming the line) or a row that is not an object (naming ``rows[i]``).
    """
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in JSON_TYPES | NDJSON_TYPES:
        accepted = ", ".join(sorted(JSON_TYPES | NDJSON_TYPES))
        shown = repr(content_type) if content_type else "no Content-Type"
        raise UnsupportedMediaType(f"{shown} is not accepted; send one of {accepted}")
    encoding = (content_encoding or "identity").strip().lower()
    if encoding not in ENCODINGS:
        raise UnsupportedMediaType(
            f"Content-Encoding {content_encoding!r} is not accepted; send gzip or identity"
        )
    if encoding == "identity":
        if len(body) > max_decompressed_bytes:
            raise _too_large(max_decompressed_bytes)
        data = body
    else:
        data = _gunzip(body, max_decompressed_bytes)
    return _ndjson_rows(data) if media in NDJSON_TYPES else _json_rows(data)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the decompressed body is larger than {limit:,} bytes")


def _gunzip(body: bytes, limit: int) -> bytes:
    """Inflate gzip members step by step, refusing as soon as the output passes ``limit``."""
    chunks: list[bytes] = []
    size = 0
    pending = body
    while True:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        while not inflater.eof:
            try:
                chunk = inflater.decompress(pending, _INFLATE_CHUNK)
            except zlib.error as exc:
                raise InvalidInput.field("body", f"is not valid gzip ({exc})") from None
            pending = inflater.unconsumed_tail
            if not chunk and not pending and not inflater.eof:
                raise InvalidInput.field("body", "the gzip stream is truncated")
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
        # Concatenated members are one stream (RFC 1952 §2.2), as `gzip.decompress` reads them.
        pending = inflater.unused_data
        if not pending:
            return b"".join(chunks)


def _json_rows(data: bytes) -> list[dict[str, Any]]:
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput.field(
            "body", f"line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg})"
        ) from None
    if isinstance(document, dict):
        if set(document) != {"rows"}:
            raise InvalidInput.field("body", 'an object body must be {"rows": [...]}')
        document = document["rows"]
    if not isinstance(document, list):
        raise InvalidInput.field("body", 'must be an array of rows or {"rows": [...]}')
    _require_objects(document, lambda i: "")
    return document


def _ndjson_rows(data: bytes) -> list[dict[str, Any]]:
    rows: list[Any] = []
    lines: list[int] = []
    loads = orjson.loads
    for number, line in enumerate(data.split(b"\n"), 1):
        if not line or line.isspace():
            continue
        try:
            rows.append(loads(line))
        except orjson.JSONDecodeError as exc:
            raise InvalidInput.field(
                "body", f"line {number}, column {exc.colno}: invalid JSON ({exc.msg})"
            ) from None
        lines.append(number)
    _require_objects(rows, lambda i: f" (line {lines[i]})")
    return rows


def _require_objects(rows: list[Any], where: Callable[[int], str]) -> None:
    if all(type(row) is dict for row in rows):
        return
    problems = [
        FieldProblem(f"rows[{i}]", f"must be an object{where(i)}")
        for i, row in enumerate(rows)
        if type(row) is not dict
    ][:MAX_PROBLEMS]
    first = problems[0]
    raise InvalidInput(f"{first.field}: {first.message}", problems=problems)


# --------------------------------------------------------------------------------- references


def references(rows: Sequence[Mapping[str, Any]]) -> set[Reference]:
    """Every reference the rows name, for the service to resolve in one query (rows that name
    none, or both, are left to `screen` to report)."""
    found: set[Reference] = set()
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        objective = row.get("objective")
        metric = row.get("metric")
        if isinstance(objective, str) and objective and "metric" not in row:
            found.add(("objective", objective))
        elif isinstance(metric, str) and metric and "objective" not in row:
            found.add(("metric", metric))
    return found


# ----------------------------------------------------------------------------------- instants

_NUMERIC = 1
"""The instant was sent as an epoch number."""
_AMBIGUOUS = 2
_NONEXISTENT = 4
_MILLISECONDS_ABOVE = 1e11
"""Epoch seconds above this (year 5138) are milliseconds sent by mistake."""


class _Malformed(Exception):
    def __init__(self, field: str, message: str, code: str = "malformed") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


class _LocalTime:
    """Reads naive times in the source's zone (looked up on first use)."""

    def __init__(self, name: str | None) -> None:
        self.name = name
        self._zone: ZoneInfo | None = None

    def epoch(self, text: str, naive: datetime) -> tuple[float, int]:
        if self.name is None:
            raise _Malformed("", f"{text} has no UTC offset and the source declares no time zone")
        zone = self._zone
        if zone is None:
            try:
                zone = self._zone = ZoneInfo(self.name)
            except (ZoneInfoNotFoundError, ValueError):
                raise _Malformed(
                    "", f"{text} has no UTC offset and the source's zone {self.name!r} is unknown"
                ) from None
        first = naive.replace(tzinfo=zone)
        if first.utcoffset() == naive.replace(tzinfo=zone, fold=1).utcoffset():
            return first.timestamp(), 0
        # The offsets differ: a transition. The wall time exists (twice) when it survives the
        # round trip through UTC; in a gap zoneinfo shifts it by the jump.
        if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
            return first.timestamp(), _AMBIGUOUS
        return math.nan, _NONEXISTENT


def _parse_text(text: str, local: _LocalTime) -> tuple[float, int] | str:
    """(epoch, flags) of an ISO 8601 string, or why it is malformed."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return f"{text!r} is not an ISO 8601 instant"
    if moment.tzinfo is None:
        try:
            return local.epoch(text, moment)
        except _Malformed as exc:
            return exc.message
    return moment.timestamp(), 0


def _instant(
    value: Any, local: _LocalTime, cache: dict[str, tuple[float, int] | str], field: str
) -> tuple[float, int]:
    if isinstance(value, str):
        parsed = cache.get(value)
        if parsed is None:
            parsed = cache[value] = _parse_text(value, local)
        if isinstance(parsed, str):
            raise _Malformed(field, parsed)
        return parsed
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Malformed(field, "must be an ISO 8601 instant or seconds since the epoch")
    return _float(value), _NUMERIC


def _iso(epoch: float) -> str:
    moment = (EPOCH + timedelta(seconds=epoch)).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds" if moment.microsecond == 0 else "milliseconds") + "Z"


def _float(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer beyond float64: as good as infinite
        return math.inf if value > 0 else -math.inf


def _floats(values: list[Any]) -> FloatArray:
    try:
        return np.array(values, dtype=np.float64)
    except OverflowError:
        return np.array([_float(v) for v in values], dtype=np.float64)


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


# ------------------------------------------------------------------------------------- rows

_BUCKET, _COUNTER, _LATENCY, _SUCCESS = 0, 1, 2, 3
_UNUSABLE = -1
"""A malformed row: in the columns for alignment, in no bucket."""


@dataclass(frozen=True)
class _Shape:
    name: str
    instant: str
    values: tuple[str, ...]
    """The numeric fields, in the order problems name them."""
    keys: frozenset[str]
    required: tuple[str, ...]


_SHAPES = {
    _BUCKET: _Shape(
        "bucket",
        "start",
        ("good", "total"),
        frozenset({"start", "good", "total"}),
        ("start", "good", "total"),
    ),
    _COUNTER: _Shape(
        "counter",
        "at",
        ("good_count", "total_count"),
        frozenset({"at", "good_count", "total_count"}),
        ("at", "good_count", "total_count"),
    ),
    _LATENCY: _Shape(
        "latency sample",
        "at",
        ("latency",),
        frozenset({"at", "latency", "unit"}),
        ("at", "latency"),
    ),
    _SUCCESS: _Shape("success sample", "at", (), frozenset({"at", "success"}), ("at", "success")),
}
_FAST_KEYS = (
    frozenset({"objective", "start", "good", "total"}),
    frozenset({"metric", "start", "good", "total"}),
)
_NUMBER_TYPES = (int, float)
_NUMBER_SET = frozenset(_NUMBER_TYPES)


def _shape_of(row: Mapping[str, Any]) -> int:
    if "start" in row or "good" in row or "total" in row:
        return _BUCKET
    if "good_count" in row or "total_count" in row:
        return _COUNTER
    if "latency" in row or "unit" in row:
        return _LATENCY
    if "success" in row:
        return _SUCCESS
    raise _Malformed(
        "",
        "is neither a bucket (start, good, total), a counter (at, good_count, total_count) nor "
        "a sample (at with latency or success)",
    )


def _number(row: Mapping[str, Any], key: str) -> float:
    value = row[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Malformed(key, f"must be a number, not {type(value).__name__}")
    return _float(value)


# ---------------------------------------------------------------------------------- screening

_BIT = {check: 1 << k for k, check in enumerate(Check)}
_CARRIED = ~(_BIT[Check.TOO_OLD] | _BIT[Check.COUNTER_RESET])
"""Checks of a counter sample that carry over to the interval it opens: all but its own bucket's
age (a baseline adds no data to its bucket) and a reset (which belongs to the interval it ends)."""


def screen(
    rows: Sequence[Mapping[str, Any]],
    *,
    destinations: Mapping[Reference, Destination],
    source: SourceContext,
    policy: IngestPolicy,
    now_epoch: float,
) -> Screening:
    """Turn rows into buckets and sort them into accepted, quarantined and rejected.

    A bucket with any check whose action is reject is a rejection (each row at fault is named,
    ``rows[3].good``); a malformed row always rejects. A bucket whose checks are all *flag* is
    quarantined with every check of its rows; a bucket without checks is accepted. See the
    module doc for the row shapes and how samples and counters become buckets.
    """
    return _Batch(rows, destinations, source, policy, now_epoch).screening()


@dataclass(frozen=True, eq=False)
class _Contributions:
    """What each bucket row, sample, counter interval or lone counter sample adds to a bucket,
    as parallel columns (``prev`` is the sample opening a counter interval, else -1)."""

    row: Int64Array
    prev: Int64Array
    start: FloatArray
    """The bucket start; NaN when the row's instant is unusable."""
    good: FloatArray
    total: FloatArray
    whole: BoolArray
    """A bucket row (the last one of a key wins)."""
    derived: BoolArray
    """A sample or counter interval (summed per key)."""


@dataclass(frozen=True)
class _ProblemSet:
    """Rows sharing one kind of problem: sorted row indices, and how to describe one."""

    rows: Int64Array
    describe: Callable[[int], tuple[str, str, str]]
    """row -> (field below ``rows[i]``, code, message)."""
    counts: Mapping[str, int]


class _Batch:
    """One screening: the rows as columns, then checks and buckets over those columns."""

    def __init__(
        self,
        rows: Sequence[Mapping[str, Any]],
        destinations: Mapping[Reference, Destination],
        source: SourceContext,
        policy: IngestPolicy,
        now: float,
    ) -> None:
        self.rows = rows
        self.source = source
        self.policy = policy
        self.now = now
        self.references: list[Reference] = []
        self.malformed: dict[int, _Malformed] = {}
        self._read_columns()
        self._resolve(destinations)

    # ---------------------------------------------------------------------------- columns

    def _read_columns(self) -> None:
        if self._read_bucket_batch():
            return
        kinds: list[int] = []
        refs: list[int] = []
        instants: list[Any] = []
        flags: list[int] = []
        firsts: list[Any] = []
        seconds: list[Any] = []
        by_name: tuple[dict[str, int], dict[str, int]] = ({}, {})
        local = _LocalTime(self.source.time_zone)
        cache: dict[str, tuple[float, int] | str] = {}
        objective_keys, metric_keys = _FAST_KEYS
        for i, row in enumerate(self.rows):
            # Fast path: a bucket row with plain numbers and an epoch or an ISO string.
            if type(row) is dict:
                keys = row.keys()
                metric = keys == metric_keys
                if metric or keys == objective_keys:
                    name = row["metric" if metric else "objective"]
                    good = row["good"]
                    total = row["total"]
                    start = row["start"]
                    parsed: tuple[float, int] | str | None
                    if type(start) is str:
                        parsed = cache.get(start)
                        if parsed is None:
                            parsed = cache[start] = _parse_text(start, local)
                    elif type(start) is int or type(start) is float:
                        parsed = (start, _NUMERIC)
                    else:
                        parsed = None
                    if (
                        type(parsed) is tuple
                        and type(good) in _NUMBER_TYPES
                        and type(total) in _NUMBER_TYPES
                        and type(name) is str
                        and name
                    ):
                        names = by_name[metric]
                        ref = names.get(name)
                        if ref is None:
                            ref = names[name] = self._reference(
                                ("metric" if metric else "objective", name)
                            )
                        kinds.append(_BUCKET)
                        refs.append(ref)
                        instants.append(parsed[0])
                        flags.append(parsed[1])
                        firsts.append(good)
                        seconds.append(total)
                        continue
            try:
                kind, ref, instant, flag, first, second = self._read_row(row, local, cache, by_name)
            except _Malformed as exc:
                self.malformed[i] = exc
                kind, ref, instant, flag, first, second = _UNUSABLE, -1, math.nan, 0, 0.0, 0.0
            kinds.append(kind)
            refs.append(ref)
            instants.append(instant)
            flags.append(flag)
            firsts.append(first)
            seconds.append(second)
        self.kind = np.array(kinds, dtype=np.int8)
        self.ref = np.array(refs, dtype=np.int64)
        self.instant = _floats(instants)
        self.flags = np.array(flags, dtype=np.int64)
        self.first = _floats(firsts)
        """good, good_count, latency in ms, or success as 0/1."""
        self.second = _floats(seconds)
        """total, total_count, or 1 for a sample."""

    def _read_bucket_batch(self) -> bool:
        """The fast path for the common batch: only bucket rows, all naming their reference the
        same way, with plain numbers and instants that are all epochs or all valid ISO strings.
        Columns are pulled by comprehension and each distinct start is parsed once. False, with
        nothing read, for any other batch (which the row-by-row path reads and reports on)."""
        rows = self.rows
        if not rows or not isinstance(rows[0], Mapping):
            return False
        ref_key = "metric" if "metric" in rows[0] else "objective"
        try:
            if min(map(len, rows)) != 4 or max(map(len, rows)) != 4:
                return False
            # Four keys, these four present: exactly the keys of a bucket row.
            names = [row[ref_key] for row in rows]
            starts = [row["start"] for row in rows]
            goods = [row["good"] for row in rows]
            totals = [row["total"] for row in rows]
        except (KeyError, TypeError):
            return False
        if not (set(map(type, goods)) | set(map(type, totals))) <= _NUMBER_SET:
            return False
        if set(map(type, names)) != {str}:
            return False
        n = len(rows)
        start_types = set(map(type, starts))
        if start_types <= _NUMBER_SET:
            instants: list[Any] = starts
            flags = np.full(n, _NUMERIC, dtype=np.int64)
        elif start_types == {str}:
            local = _LocalTime(self.source.time_zone)
            epoch_of: dict[str, float] = {}
            flag_of: dict[str, int] = {}
            for text in dict.fromkeys(starts):
                parsed = _parse_text(text, local)
                if isinstance(parsed, str):
                    return False
                epoch_of[text], flag_of[text] = parsed
            instants = [epoch_of[text] for text in starts]
            if any(flag_of.values()):
                flags = np.array([flag_of[text] for text in starts], dtype=np.int64)
            else:
                flags = np.zeros(n, dtype=np.int64)
        else:
            return False
        distinct = list(dict.fromkeys(names))
        if "" in distinct:
            return False
        index = {name: self._reference((ref_key, name)) for name in distinct}
        self.kind = np.full(n, _BUCKET, dtype=np.int8)
        self.ref = np.array([index[name] for name in names], dtype=np.int64)
        self.instant = _floats(instants)
        self.flags = flags
        self.first = _floats(goods)
        self.second = _floats(totals)
        return True

    def _reference(self, reference: Reference) -> int:
        self.references.append(reference)
        return len(self.references) - 1

    def _read_row(
        self,
        row: Any,
        local: _LocalTime,
        cache: dict[str, tuple[float, int] | str],
        by_name: tuple[dict[str, int], dict[str, int]],
    ) -> tuple[int, int, float, int, float, float]:
        if not isinstance(row, Mapping):
            raise _Malformed("", "must be an object")
        if ("objective" in row) == ("metric" in row):
            raise _Malformed("", "must name exactly one of objective or metric")
        ref_key = "objective" if "objective" in row else "metric"
        kind = _shape_of(row)
        shape = _SHAPES[kind]
        for key in row:
            if key != ref_key and key not in shape.keys:
                expected = ", ".join(sorted(shape.keys))
                raise _Malformed(key, f"is not a key of a {shape.name} row ({expected})")
        for key in shape.required:
            if key not in row:
                raise _Malformed(key, f"is required in a {shape.name} row")
        name = row[ref_key]
        if not isinstance(name, str) or not name:
            raise _Malformed(ref_key, "must be a non-empty string")
        instant, flag = _instant(row[shape.instant], local, cache, shape.instant)
        first = second = 1.0
        if kind == _LATENCY:
            first = _number(row, "latency") * self._milliseconds_per(row)
        elif kind == _SUCCESS:
            if not isinstance(row["success"], bool):
                raise _Malformed("success", "must be true or false")
            first = 1.0 if row["success"] else 0.0
        else:
            first, second = (_number(row, key) for key in shape.values)
        names = by_name[ref_key == "metric"]
        ref = names.get(name)
        if ref is None:
            ref = names[name] = self._reference((ref_key, name))
        return kind, ref, instant, flag, first, second

    def _milliseconds_per(self, row: Mapping[str, Any]) -> float:
        if "unit" in row:
            unit = row["unit"]
            factor = MILLISECONDS_PER_UNIT.get(unit) if isinstance(unit, str) else None
            if factor is None:
                raise _Malformed(
                    "unit", f"unknown unit {unit!r}; one of {_UNIT_NAMES}", "unknown-unit"
                )
            return factor
        unit = self.source.latency_unit
        if unit is None:
            raise _Malformed("unit", "is required: the source declares no latency unit")
        factor = MILLISECONDS_PER_UNIT.get(unit)
        if factor is None:
            raise _Malformed(
                "unit", f"the source's latency unit {unit!r} is unknown", "unknown-unit"
            )
        return factor

    def _resolve(self, destinations: Mapping[Reference, Destination]) -> None:
        """Per-reference columns, with a last entry for "no reference" (index -1)."""
        found = [destinations.get(ref) for ref in self.references] + [None]
        self.ref_known = np.array([d is not None for d in found], dtype=bool)
        self.ref_objective = np.array([d.objective_id if d else 0 for d in found], dtype=np.int64)
        self.ref_threshold = np.array(
            [
                d.latency_threshold_ms if d and d.latency_threshold_ms is not None else math.nan
                for d in found
            ],
            dtype=np.float64,
        )
        self.ref_open = np.array([d.open_since_epoch if d else 0 for d in found], dtype=np.float64)
        self.ref_wrong = np.array([bool(d and d.wrong_source) for d in found], dtype=bool)

    # ----------------------------------------------------------------------------- checks

    def screening(self) -> Screening:
        kind, ref, instant, first, second = (
            self.kind,
            self.ref,
            self.instant,
            self.first,
            self.second,
        )
        n = len(kind)
        valid = kind != _UNUSABLE
        problem_sets = [self._malformed_set()]
        finite = np.isfinite(instant)
        numeric = (self.flags & _NUMERIC) != 0
        known = self.ref_known[ref]
        threshold = self.ref_threshold[ref]
        b = float(BUCKET_SECONDS)
        with np.errstate(invalid="ignore", over="ignore"):
            millis = valid & numeric & finite & (instant > _MILLISECONDS_ABOVE)
            early = valid & finite & (instant < MIN_EPOCH) & ~millis
            misaligned = valid & (kind == _BUCKET) & finite & (instant % b != 0) & ~millis & ~early
            samples = (kind == _LATENCY) | (kind == _SUCCESS)
            self.bucket = np.where(
                kind == _BUCKET,
                instant,
                np.where(samples, np.floor(instant / b) * b, (np.ceil(instant / b) - 1) * b),
            )
        latency_elsewhere = valid & (kind == _LATENCY) & known & np.isnan(threshold)
        success_elsewhere = valid & (kind == _SUCCESS) & known & ~np.isnan(threshold)
        for mask, describe in (
            (millis, self._millis),
            (early, self._early),
            (misaligned, self._misaligned),
            (latency_elsewhere, self._latency_elsewhere),
            (success_elsewhere, self._success_elsewhere),
        ):
            problem_sets.append(_mask_set(mask, "malformed", describe))
            valid &= ~mask

        with np.errstate(invalid="ignore"):
            masks = {
                Check.NEGATIVE: valid & ((first < 0) | (second < 0)),
                Check.GOOD_ABOVE_TOTAL: valid & (kind <= _COUNTER) & (first > second),
                Check.NOT_FINITE: valid
                & (~np.isfinite(first) | ~np.isfinite(second) | (numeric & ~finite)),
                Check.FUTURE: valid
                & finite
                & (instant > self.now + self.policy.max_future_skew_seconds),
                Check.TOO_OLD: valid & known & (self.bucket < self.ref_open[ref]),
                Check.UNKNOWN_OBJECTIVE: valid & ~known,
                Check.WRONG_SOURCE: valid & known & self.ref_wrong[ref],
                Check.COUNTER_RESET: np.zeros(n, dtype=bool),
                Check.AMBIGUOUS_TIME: valid & ((self.flags & _AMBIGUOUS) != 0),
                Check.NONEXISTENT_TIME: valid & ((self.flags & _NONEXISTENT) != 0),
            }

        # Counters: per reference in time order, each sample ends the interval from the one
        # before; the first sample of a reference is the baseline.
        counters = np.flatnonzero(valid & (kind == _COUNTER) & finite)
        order = counters[np.lexsort((counters, instant[counters], ref[counters]))]
        same = ref[order[1:]] == ref[order[:-1]]
        cur, prev = order[1:][same], order[:-1][same]
        opens = np.ones(len(order), dtype=bool)
        opens[1:] = ~same
        baselines = order[opens]
        masks[Check.TOO_OLD][baselines] = False
        good_fell = first[cur] < first[prev]
        total_fell = second[cur] < second[prev]
        masks[Check.COUNTER_RESET][cur[good_fell | total_fell]] = True
        self.prev_of = np.full(n, -1, dtype=np.int64)
        self.prev_of[cur] = prev
        # Prometheus' rule: after a reset the counter restarted from 0, so its value is the rise.
        good_rise = np.where(good_fell, first[cur], first[cur] - first[prev])
        total_rise = np.where(total_fell, second[cur], second[cur] - second[prev])
        opens_interval = np.zeros(n, dtype=bool)
        opens_interval[prev] = True
        lone = np.concatenate(
            [
                baselines[~opens_interval[baselines]],
                np.flatnonzero(valid & (kind == _COUNTER) & ~finite),
            ]
        )

        bits = np.zeros(n, dtype=np.int64)
        reject = 0
        for check, mask in masks.items():
            bits[mask] |= _BIT[check]
            if self.policy.action(check) is Action.REJECT:
                reject |= _BIT[check]
                problem_sets.append(_mask_set(mask, check.value, self._check_describer(check)))
        self.bits = bits

        # Contributions to buckets: bucket rows and samples, counter intervals, and lone counter
        # samples that carry a check (they add no data but their check must land somewhere).
        simple = np.flatnonzero(valid & (kind != _COUNTER))
        lone = lone[bits[lone] != 0]
        with np.errstate(invalid="ignore"):
            latency_good = np.where(
                np.isnan(first[simple]) | np.isnan(threshold[simple]),
                np.nan,
                (first[simple] <= threshold[simple]).astype(np.float64),
            )
        none = np.full(len(lone), np.nan)
        contributions = _Contributions(
            row=np.concatenate([simple, cur, lone]),
            prev=np.concatenate([np.full(len(simple), -1), prev, np.full(len(lone), -1)]),
            start=np.concatenate([self.bucket[simple], self.bucket[cur], self.bucket[lone]]),
            good=np.concatenate(
                [np.where(kind[simple] == _LATENCY, latency_good, first[simple]), good_rise, none]
            ),
            total=np.concatenate([second[simple], total_rise, none]),
            whole=np.concatenate([kind[simple] == _BUCKET, np.zeros(len(cur) + len(lone), bool)]),
            derived=np.concatenate(
                [kind[simple] != _BUCKET, np.ones(len(cur), bool), np.zeros(len(lone), bool)]
            ),
        )
        return self._buckets(problem_sets, reject, contributions)

    # ---------------------------------------------------------------------------- buckets

    def _buckets(
        self, problem_sets: list[_ProblemSet], reject: int, contributions: _Contributions
    ) -> Screening:
        """Group contributions by (objective, bucket start) and decide each bucket."""
        count = len(contributions.row)
        if count == 0:
            return self._result(problem_sets, _empty_columns(), ())
        c_ref = self.ref[contributions.row]
        has_bucket = np.isfinite(contributions.start)
        # Unresolved references group by reference; unusable instants stay alone.
        c_objective = np.where(self.ref_known[c_ref], self.ref_objective[c_ref], -(c_ref + 1))
        c_objective = np.where(
            has_bucket, c_objective, -(len(self.references) + 1 + np.arange(count))
        )
        c_key = np.where(has_bucket, contributions.start, 0).astype(np.int64)
        order = np.lexsort((contributions.row, c_key, c_objective))
        c_objective, c_key, has_bucket = c_objective[order], c_key[order], has_bucket[order]
        c_row, c_prev = contributions.row[order], contributions.prev[order]
        c_good, c_total = contributions.good[order], contributions.total[order]
        c_whole, c_derived = contributions.whole[order], contributions.derived[order]
        # A counter interval also carries the checks of the sample that opened it.
        c_bits = self.bits[c_row] | np.where(c_prev >= 0, self.bits[c_prev] & _CARRIED, 0)

        new = np.ones(count, dtype=bool)
        new[1:] = (c_objective[1:] != c_objective[:-1]) | (c_key[1:] != c_key[:-1])
        heads = np.flatnonzero(new)
        tails = np.append(heads[1:], count) - 1
        g_bits = np.bitwise_or.reduceat(c_bits, heads)
        g_whole = np.add.reduceat(c_whole.astype(np.int64), heads)
        g_derived = np.add.reduceat(c_derived.astype(np.int64), heads)
        sum_good = np.add.reduceat(np.where(c_derived, c_good, 0.0), heads)
        sum_total = np.add.reduceat(np.where(c_derived, c_total, 0.0), heads)
        index = np.arange(count)
        # Of a bucket sent twice, the last row wins (rows are in input order within a group).
        last_whole = np.maximum(np.maximum.reduceat(np.where(c_whole, index, -1), heads), 0)
        g_good = np.where(g_whole > 0, c_good[last_whole], sum_good)
        g_total = np.where(g_whole > 0, c_total[last_whole], sum_total)

        above = _BIT[Check.GOOD_ABOVE_TOTAL]
        with np.errstate(invalid="ignore"):
            summed_above = (
                (g_whole == 0) & (g_derived > 0) & (sum_good > sum_total) & ((g_bits & above) == 0)
            )
        g_bits[summed_above] |= above
        tail_row = {int(c_row[tails[g]]): int(g) for g in np.flatnonzero(summed_above)}
        if reject & above:
            problem_sets.append(
                _rows_set(
                    tail_row,
                    Check.GOOD_ABOVE_TOTAL.value,
                    lambda i: self._summed_above(
                        i, float(sum_good[tail_row[i]]), float(sum_total[tail_row[i]])
                    ),
                )
            )
        mixed = (g_whole > 0) & (g_derived > 0)
        first_whole = np.minimum.reduceat(np.where(c_whole, index, count), heads)
        mixed_rows = [int(c_row[first_whole[g]]) for g in np.flatnonzero(mixed)]
        problem_sets.append(_rows_set(mixed_rows, "malformed", self._mixed))

        rejected = ((g_bits & reject) != 0) | mixed
        quarantined = np.flatnonzero(~rejected & (g_bits != 0))
        accepted = ~rejected & (g_bits == 0) & (g_whole + g_derived > 0)
        columns = BucketColumns(
            objective_id=c_objective[heads][accepted],
            start_epoch=c_key[heads][accepted],
            good=g_good[accepted],
            total=g_total[accepted],
        )
        held = tuple(
            self._held(
                range(int(heads[g]), int(tails[g]) + 1),
                c_row,
                c_prev,
                int(g_bits[g]),
                int(c_key[heads[g]]) if has_bucket[heads[g]] else None,
                float(g_good[g]) if g_whole[g] + g_derived[g] else math.nan,
                float(g_total[g]) if g_whole[g] + g_derived[g] else math.nan,
                (float(sum_good[g]), float(sum_total[g])) if summed_above[g] else None,
            )
            for g in quarantined
        )
        return self._result(problem_sets, columns, held)

    def _held(
        self,
        contributions: range,
        c_row: Int64Array,
        c_prev: Int64Array,
        bits: int,
        start: int | None,
        good: float,
        total: float,
        summed_above: tuple[float, float] | None,
    ) -> QuarantinedBucket:
        rows: set[int] = set()
        messages: dict[str, None] = {}
        for c in contributions:
            for row, carried in ((int(c_row[c]), -1), (int(c_prev[c]), _CARRIED)):
                if row < 0:
                    continue
                rows.add(row)
                for check in Check:
                    if self.bits[row] & carried & _BIT[check]:
                        field, message = self._describe(check, row)
                        messages[f"{_field(row, field)}: {message}"] = None
        first_row = int(c_row[contributions.start])
        if summed_above is not None:
            field, message = self._summed_above(int(c_row[contributions.stop - 1]), *summed_above)
            messages[f"{_field(int(c_row[contributions.stop - 1]), field)}: {message}"] = None
        ref = int(self.ref[first_row])
        ordered = sorted(rows)
        return QuarantinedBucket(
            rows=tuple(ordered),
            reference=self.references[ref],
            objective_id=int(self.ref_objective[ref]) if self.ref_known[ref] else None,
            bucket_start_epoch=start,
            good=good if math.isfinite(good) else None,
            total=total if math.isfinite(total) else None,
            checks=tuple(check for check in Check if bits & _BIT[check]),
            messages=tuple(messages),
            payload=tuple(dict(self.rows[row]) for row in ordered),
        )

    def _result(
        self,
        problem_sets: list[_ProblemSet],
        accepted: BucketColumns,
        quarantined: tuple[QuarantinedBucket, ...],
    ) -> Screening:
        candidates = sorted(
            (int(row), k) for k, s in enumerate(problem_sets) for row in s.rows[:MAX_PROBLEMS]
        )[:MAX_PROBLEMS]
        problems = []
        for row, k in candidates:
            field, code, message = problem_sets[k].describe(row)
            problems.append(RowProblem(row, _field(row, field), code, message))
        counts: Counter[str] = Counter()
        for s in problem_sets:
            counts.update(s.counts)
        faulty = np.unique(np.concatenate([s.rows for s in problem_sets]))
        return Screening(
            rows=len(self.rows),
            accepted=accepted,
            quarantined=quarantined,
            rejected=tuple(problems),
            rejected_rows=len(faulty),
            rejected_counts=dict(counts),
        )

    # --------------------------------------------------------------------------- messages

    def _malformed_set(self) -> _ProblemSet:
        found = self.malformed
        return _ProblemSet(
            rows=np.array(sorted(found), dtype=np.int64),
            describe=lambda i: (found[i].field, found[i].code, found[i].message),
            counts=Counter(exc.code for exc in found.values()),
        )

    def _check_describer(self, check: Check) -> Callable[[int], tuple[str, str]]:
        return lambda i: self._describe(check, i)

    def _describe(self, check: Check, i: int) -> tuple[str, str]:
        """(field, message) of a check failed by row ``i``."""
        row = self.rows[i]
        shape = _SHAPES[int(self.kind[i])]
        at = shape.instant
        values = dict(zip(shape.values, (self.first[i], self.second[i]), strict=False))
        if check is Check.NEGATIVE:
            key = next(key for key, value in values.items() if value < 0)
            return key, f"{key} {_show(row[key])} is negative"
        if check is Check.NOT_FINITE:
            key = next(
                key
                for key in (at, *shape.values)
                if not math.isfinite(self.instant[i] if key == at else values[key])
            )
            return key, f"{key} {_show(row[key])} is not a finite number"
        if check is Check.GOOD_ABOVE_TOTAL:
            good, total = shape.values
            return good, f"{good} {_show(row[good])} is above {total} {_show(row[total])}"
        if check is Check.FUTURE:
            ahead = round(float(self.instant[i]) - self.now)
            skew = self.policy.max_future_skew_seconds
            return at, (
                f"{self._when(i)} is {ahead:,} s ahead of the server clock "
                f"(allowed skew {skew:,} s)"
            )
        if check is Check.TOO_OLD:
            opened = float(self.ref_open[self.ref[i]])
            return at, (
                f"its bucket {_iso(float(self.bucket[i]))} is before the open window of "
                f"{self._reference_text(i)}, which starts at {_iso(opened)}"
            )
        key, name = self.references[int(self.ref[i])]
        if check is Check.UNKNOWN_OBJECTIVE:
            if key == "objective":
                return key, f"{name} is not an objective this source can feed"
            return key, f"metric {name} is not mapped to an objective"
        if check is Check.WRONG_SOURCE:
            return key, f"{self._reference_text(i)} is fed by other sources, not this one"
        if check is Check.COUNTER_RESET:
            p = int(self.prev_of[i])
            before = dict(zip(shape.values, (self.first[p], self.second[p]), strict=True))
            key = next(key for key in shape.values if values[key] < before[key])
            return key, (
                f"{key} fell from {_show(self.rows[p][key])} (rows[{p}]) to {_show(row[key])}: "
                f"a reset, counted as a rise of {_show(row[key])}"
            )
        zone = self.source.time_zone
        if check is Check.AMBIGUOUS_TIME:
            return at, (
                f"{row[at]} occurs twice in {zone} (clocks go back); read as its first "
                f"occurrence, {_iso(float(self.instant[i]))}"
            )
        return at, f"{row[at]} does not exist in {zone} (clocks go forward)"

    def _summed_above(self, i: int, good: float, total: float) -> tuple[str, str]:
        shape = _SHAPES[int(self.kind[i])]
        return shape.values[0], (
            f"the bucket {_iso(float(self.bucket[i]))} of {self._reference_text(i)} sums to "
            f"good {_show(good)} above total {_show(total)}"
        )

    def _mixed(self, i: int) -> tuple[str, str]:
        return "start", (
            f"the bucket {_iso(float(self.bucket[i]))} of {self._reference_text(i)} also "
            "receives samples or counters in this batch: send a bucket either whole or as samples"
        )

    def _millis(self, i: int) -> tuple[str, str]:
        at = _SHAPES[int(self.kind[i])].instant
        return at, (
            f"{_show(self.rows[i][at])} looks like milliseconds; send seconds since the epoch"
        )

    def _early(self, i: int) -> tuple[str, str]:
        at = _SHAPES[int(self.kind[i])].instant
        return at, f"{self._when(i)} is before 1970"

    def _misaligned(self, i: int) -> tuple[str, str]:
        start = float(self.instant[i])
        floor = start - start % BUCKET_SECONDS
        return "start", (
            f"{self._when(i)} is not the start of a {BUCKET_SECONDS} s bucket (the bucket "
            f"containing it starts at {_iso(floor)})"
        )

    def _latency_elsewhere(self, i: int) -> tuple[str, str]:
        return "latency", (
            f"{self._reference_text(i)} is not a latency objective: send success samples"
        )

    def _success_elsewhere(self, i: int) -> tuple[str, str]:
        return "success", (
            f"{self._reference_text(i)} is a latency objective: send latency samples"
        )

    def _when(self, i: int) -> str:
        raw = self.rows[i][_SHAPES[int(self.kind[i])].instant]
        if isinstance(raw, str):
            return raw
        return f"{_show(raw)} ({_iso(float(self.instant[i]))})"

    def _reference_text(self, i: int) -> str:
        key, name = self.references[int(self.ref[i])]
        return name if key == "objective" else f"metric {name}"


def _field(row: int, field: str) -> str:
    return f"rows[{row}].{field}" if field else f"rows[{row}]"


def _mask_set(
    mask: BoolArray, code: str, describe: Callable[[int], tuple[str, str]]
) -> _ProblemSet:
    return _rows_set(np.flatnonzero(mask), code, describe)


def _rows_set(
    rows: Iterable[int] | Int64Array, code: str, describe: Callable[[int], tuple[str, str]]
) -> _ProblemSet:
    found = np.sort(np.fromiter(rows, dtype=np.int64))

    def described(i: int) -> tuple[str, str, str]:
        field, message = describe(i)
        return field, code, message

    return _ProblemSet(
        rows=found, describe=described, counts={code: len(found)} if len(found) else {}
    )


def _empty_columns() -> BucketColumns:
    return BucketColumns(
        objective_id=np.zeros(0, dtype=np.int64),
        start_epoch=np.zeros(0, dtype=np.int64),
        good=np.zeros(0, dtype=np.float64),
        total=np.zeros(0, dtype=np.float64),
    )
