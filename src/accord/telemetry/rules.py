"""Pure rules of telemetry: the bucket grain, instants as epoch seconds, validation of buckets,
and how a span of time is cut into bucket, hour and day pieces.

**One global grain.** Every bucket of every objective is ``BUCKET_SECONDS`` (5 minutes) long and
starts at a multiple of it since the Unix epoch. A fixed grain is what makes a re-sent bucket land
on the same key (idempotent upsert), lets hourly and daily rollups be exact sums of whole buckets,
and lets the engine treat any window as a dense array. Finer sources are summed into 5-minute
buckets before loading; coarser ones (a 1 h scrape) would be a different grain and are not
supported. 300 divides an hour and a day, so hours and days are whole numbers of buckets.

A bucket *belongs to* a window [start, end) when its start lies in it. Rollups are in UTC (hours
and days beginning at UTC hour and midnight boundaries): a window whose edges are local midnights
in another zone takes its edges from finer rows, which is always exact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from accord.kit.errors import FieldProblem, InvalidInput
from accord.objectives.rules import BUCKET_SECONDS as BUCKET_SECONDS

Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# The grain of every SLI bucket (5 minutes): one definition, where objectives are defined.
HOUR_SECONDS = 3_600
DAY_SECONDS = 86_400
BUCKETS_PER_HOUR = HOUR_SECONDS // BUCKET_SECONDS
BUCKETS_PER_DAY = DAY_SECONDS // BUCKET_SECONDS

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MIN_EPOCH = 0
"""Telemetry before 1970 is refused: nothing measured then is an SLI of ours."""
MAX_EPOCH = 253_402_300_800
"""Exclusive: 10000-01-01T00:00:00Z, the first instant a ``datetime`` cannot hold."""
MAX_OBJECTIVE_ID = 2**63 - 1
MAX_PROBLEMS = 20
"""An invalid load names at most this many faults (a bad million-row file is not listed whole)."""


@dataclass(frozen=True, eq=False)
class BucketColumns:
    """Buckets as parallel columns of equal length: the bulk form of a load.

    Buckets travel as numpy columns rather than as one object per bucket: a month of one
    objective is 8,640 buckets, a bulk load millions, and per-row Python objects would dominate
    the cost.

    Build it with plain arrays (any integer/float dtype): `validated_columns` checks the values
    and converts them to ``int64``/``float64``, `canonical_columns` sorts them by objective and
    start with one entry per key.
    """

    objective_id: Int64Array
    start_epoch: Int64Array
    """Bucket start, seconds since 1970-01-01T00:00:00Z; a multiple of the grain."""
    good: FloatArray
    total: FloatArray

    def __len__(self) -> int:
        return len(self.objective_id)


# ------------------------------------------------------------------------------------- instants


def epoch_of(instant: datetime, *, field: str = "instant") -> int:
    """Whole seconds since the Unix epoch of an aware instant (sub-second parts are refused)."""
    if instant.tzinfo is None or instant.tzinfo.utcoffset(instant) is None:
        raise InvalidInput.field(field, "must carry a UTC offset")
    delta = instant - EPOCH
    if delta.microseconds:
        raise InvalidInput.field(field, f"must be aligned to {BUCKET_SECONDS} s buckets")
    return delta.days * DAY_SECONDS + delta.seconds


def instant_of(epoch: int) -> datetime:
    return EPOCH + timedelta(seconds=int(epoch))


def align_down(epoch: int, grain: int = BUCKET_SECONDS) -> int:
    return epoch - epoch % grain


def align_up(epoch: int, grain: int = BUCKET_SECONDS) -> int:
    return -((-epoch) // grain) * grain


def is_aligned(instant: datetime) -> bool:
    """Whether ``instant`` is the start of a bucket."""
    delta = instant - EPOCH
    return (
        delta.microseconds == 0 and (delta.days * DAY_SECONDS + delta.seconds) % BUCKET_SECONDS == 0
    )


def bucket_start_of(instant: datetime) -> datetime:
    """The start of the bucket containing ``instant``."""
    delta = instant - EPOCH
    return instant_of(align_down(delta.days * DAY_SECONDS + delta.seconds))


def window_epochs(start: datetime, end: datetime) -> tuple[int, int]:
    """[start, end) as bucket-aligned epoch seconds: the buckets whose start lies in the window.

    An unaligned edge is rounded up to the next bucket start, which selects exactly the buckets
    starting at or after it (and before the end). A window ending before it starts is refused.
    """
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise InvalidInput.field(name, "must carry a UTC offset")
    if end < start:
        raise InvalidInput.field("end", "must not be before start")
    first, after = (_ceil_epoch(value) for value in (start, end))
    return max(first, MIN_EPOCH), min(max(after, MIN_EPOCH), MAX_EPOCH)


def _ceil_epoch(instant: datetime) -> int:
    delta = instant - EPOCH
    seconds = delta.days * DAY_SECONDS + delta.seconds + (1 if delta.microseconds else 0)
    return align_up(seconds)


# ------------------------------------------------------------------------------ decomposition


@dataclass(frozen=True)
class WindowPlan:
    """Which stored rows sum to a window: half-open epoch ranges of bucket starts to read from
    buckets, of hour starts from the hourly rollup and of day starts from the daily rollup.

    Coarsest first: whole UTC days from daily rows, the whole hours around them from hourly rows,
    the buckets at the ragged edges from buckets. At most 2 + 2 + 1 ranges, so a 30-day window
    reads at most 22 buckets, 46 hours and 30 days per objective instead of 8,640 buckets.
    """

    buckets: tuple[tuple[int, int], ...]
    hours: tuple[tuple[int, int], ...]
    days: tuple[tuple[int, int], ...]

    @property
    def is_empty(self) -> bool:
        return not (self.buckets or self.hours or self.days)


def plan_window(start_epoch: int, end_epoch: int) -> WindowPlan:
    """Cut the aligned span [start_epoch, end_epoch) into bucket, hour and day pieces."""
    if start_epoch % BUCKET_SECONDS or end_epoch % BUCKET_SECONDS:
        raise ValueError("window edges must be bucket-aligned (see window_epochs)")
    if end_epoch <= start_epoch:
        return WindowPlan((), (), ())
    hour_from, hour_to = align_up(start_epoch, HOUR_SECONDS), align_down(end_epoch, HOUR_SECONDS)
    if hour_from >= hour_to:
        return WindowPlan(((start_epoch, end_epoch),), (), ())
    buckets = _nonempty((start_epoch, hour_from), (hour_to, end_epoch))
    day_from, day_to = align_up(hour_from, DAY_SECONDS), align_down(hour_to, DAY_SECONDS)
    if day_from >= day_to:
        return WindowPlan(buckets, ((hour_from, hour_to),), ())
    hours = _nonempty((hour_from, day_from), (day_to, hour_to))
    return WindowPlan(buckets, hours, ((day_from, day_to),))


def _nonempty(*ranges: tuple[int, int]) -> tuple[tuple[int, int], ...]:
    return tuple(r for r in ranges if r[0] < r[1])


# ---------------------------------------------------------------------------------- validation


def columns_from_rows(rows: Iterable[Any]) -> BucketColumns:
    """Row-wise input ((objective_id, bucket_start, good, total) tuples, e.g. `BucketRow`) as
    columns. Checks what only the row form can get wrong (shape, types, naive instants); the
    values are checked by `validated_columns` like any other columns."""
    ids: list[int] = []
    starts: list[int] = []
    goods: list[float] = []
    totals: list[float] = []
    problems: list[FieldProblem] = []
    for i, row in enumerate(rows):
        try:
            objective_id, bucket_start, good, total = row
        except (TypeError, ValueError):
            problems.append(
                FieldProblem(f"rows[{i}]", "must be (objective_id, start, good, total)")
            )
        else:
            field = f"rows[{i}]"
            try:
                parsed = (
                    _integer(objective_id, f"{field}.objective_id"),
                    _bucket_epoch(bucket_start, f"{field}.bucket_start"),
                    _number(good, f"{field}.good"),
                    _number(total, f"{field}.total"),
                )
            except InvalidInput as exc:
                problems += exc.problems
            else:
                ids.append(parsed[0])
                starts.append(parsed[1])
                goods.append(parsed[2])
                totals.append(parsed[3])
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise _invalid(problems)
    return BucketColumns(
        objective_id=np.array(ids, dtype=np.int64),
        start_epoch=np.array(starts, dtype=np.int64),
        good=np.array(goods, dtype=np.float64),
        total=np.array(totals, dtype=np.float64),
    )


def _integer(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidInput.field(field, "must be an integer")
    return int(value)


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InvalidInput.field(field, "must be a number")
    return float(value)


def _bucket_epoch(value: Any, field: str) -> int:
    if not isinstance(value, datetime):
        raise InvalidInput.field(field, "must be a datetime")
    epoch = epoch_of(value, field=field)
    if not MIN_EPOCH <= epoch < MAX_EPOCH:
        raise InvalidInput.field(field, "must lie between 1970 and 9999")
    return epoch


def validated_columns(columns: BucketColumns) -> BucketColumns:
    """Check every bucket; return the columns as ``int64``/``float64`` in the input order.
    Raises `InvalidInput` naming up to `MAX_PROBLEMS` faulty rows (``rows[i].good`` …, ``i``
    counted in the input order), so a caller can refuse a load before anything is written.

    Rules: counts finite, ``0 ≤ good ≤ total`` (good > total is invalid input, never an SLI above
    1), starts aligned to the grain and between 1970 and 9999, objective ids positive BIGINTs.
    """
    arrays = (columns.objective_id, columns.start_epoch, columns.good, columns.total)
    if any(np.ndim(a) != 1 for a in arrays):
        raise InvalidInput.field("rows", "columns must be one-dimensional")
    if len({len(a) for a in arrays}) != 1:
        raise InvalidInput.field("rows", "columns must have the same length")
    objective_id = _as_int64(columns.objective_id, "objective_id")
    start = _as_int64(columns.start_epoch, "bucket_start")
    good = np.asarray(columns.good, dtype=np.float64)
    total = np.asarray(columns.total, dtype=np.float64)

    problems: list[FieldProblem] = []

    def check(bad: Any, field: str, message: str) -> None:
        for i in np.flatnonzero(bad)[: MAX_PROBLEMS - len(problems)]:
            problems.append(FieldProblem(f"rows[{int(i)}].{field}", message))

    with np.errstate(invalid="ignore"):
        check((objective_id <= 0), "objective_id", "must be a positive id")
        check(
            (start < MIN_EPOCH) | (start >= MAX_EPOCH),
            "bucket_start",
            "must lie between 1970 and 9999",
        )
        check(start % BUCKET_SECONDS != 0, "bucket_start", f"must be aligned to {BUCKET_SECONDS} s")
        check(~np.isfinite(good), "good", "must be a finite number")
        check(~np.isfinite(total), "total", "must be a finite number")
        check(good < 0, "good", "must not be negative")
        check(good > total, "total", "must not be less than good")
    if problems:
        raise _invalid(sorted(problems, key=_row_number)[:MAX_PROBLEMS])
    return BucketColumns(objective_id, start, good, total)


def _as_int64(values: Any, field: str) -> Int64Array:
    array = np.asarray(values)
    if array.dtype.kind not in "iu" and not (array.dtype.kind == "O" and len(array) == 0):
        if (
            array.dtype.kind == "f"
            and np.all(np.isfinite(array))
            and np.all(array == np.round(array))
        ):
            return array.astype(np.int64)
        raise InvalidInput.field(f"rows.{field}", "must be integers")
    if array.dtype.kind == "u" and len(array) and int(array.max()) > MAX_OBJECTIVE_ID:
        raise InvalidInput.field(f"rows.{field}", "out of range")
    return array.astype(np.int64)


def _row_number(problem: FieldProblem) -> tuple[int, str]:
    index = problem.field.removeprefix("rows[").split("]", 1)[0]
    return (int(index) if index.isdigit() else -1, problem.field)


def _invalid(problems: list[FieldProblem]) -> InvalidInput:
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return InvalidInput(f"{first.field}: {first.message}{more}", problems=problems)


def canonical_columns(columns: BucketColumns) -> BucketColumns:
    """Sorted by (objective, start), one entry per key: of a key sent twice in one load the
    *last* wins, as a re-send in a later load would."""
    n = len(columns)
    order = np.lexsort((np.arange(n), columns.start_epoch, columns.objective_id))
    objective_id = columns.objective_id[order]
    start = columns.start_epoch[order]
    keep = np.ones(n, dtype=bool)
    keep[:-1] = (objective_id[1:] != objective_id[:-1]) | (start[1:] != start[:-1])
    if keep.all():
        return BucketColumns(objective_id, start, columns.good[order], columns.total[order])
    kept = order[keep]
    return BucketColumns(objective_id[keep], start[keep], columns.good[kept], columns.total[kept])


# ------------------------------------------------------------------------------------ rollups


def touched_periods(columns: BucketColumns, grain: int) -> tuple[Int64Array, Int64Array]:
    """Distinct (objective, period start) pairs the buckets fall in, for ``grain`` an hour or a
    day: the rollup rows a load must recompute. Columns must be canonical (sorted)."""
    period = columns.start_epoch - columns.start_epoch % grain
    if len(period) == 0:
        return period, period
    # Sorted by (objective, start) implies sorted by (objective, period): neighbours suffice.
    new = np.ones(len(period), dtype=bool)
    new[1:] = (columns.objective_id[1:] != columns.objective_id[:-1]) | (period[1:] != period[:-1])
    return columns.objective_id[new], period[new]


def bucket_ratio(good: FloatArray, total: FloatArray) -> FloatArray:
    """good/total where total > 0, else 0: the per-bucket term of ``ratio_sum``."""
    ratio = np.zeros_like(good)
    np.divide(good, total, out=ratio, where=total > 0)
    return ratio


# ------------------------------------------------------------------------------------- reads


def missing_ranges(present: Int64Array, start_epoch: int, end_epoch: int) -> list[tuple[int, int]]:
    """Half-open ranges of bucket starts in [start_epoch, end_epoch) without a stored bucket,
    given the sorted starts that are present (those outside the span are ignored)."""
    if end_epoch <= start_epoch:
        return []
    inside = present[(present >= start_epoch) & (present < end_epoch)]
    edges = np.concatenate(([start_epoch - BUCKET_SECONDS], inside, [end_epoch]))
    gaps = np.flatnonzero(np.diff(edges) > BUCKET_SECONDS)
    return [(int(edges[i]) + BUCKET_SECONDS, int(edges[i + 1])) for i in gaps]


def index_of(wanted: Int64Array, values: Int64Array) -> tuple[Int64Array, BoolArray]:
    """Position of each of ``values`` in ``wanted`` (any order, distinct), and whether found."""
    order = np.argsort(wanted, kind="stable")
    sorted_wanted = wanted[order]
    pos = np.searchsorted(sorted_wanted, values)
    pos = np.minimum(pos, max(len(wanted) - 1, 0))
    found = (sorted_wanted[pos] == values) if len(wanted) else np.zeros(len(values), dtype=bool)
    return order[pos].astype(np.int64), found


MAX_MATRIX_CELLS = 20_000_000
"""Largest dense read (objectives x buckets; ~17 bytes a cell): 10,000 objectives over 6 days.
Larger reads are a caller's mistake (use window sums) or must be split by the caller."""


def distinct_ids(objective_ids: Iterable[int] | Int64Array) -> Int64Array:
    """Objective ids as ``int64``, first occurrence kept, in the caller's order."""
    ids = np.fromiter((int(i) for i in objective_ids), dtype=np.int64)
    _, first = np.unique(ids, return_index=True)
    return ids[np.sort(first)]


def dense_matrix(
    objective_ids: Int64Array, starts: Int64Array, rows: BucketColumns
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Stored bucket rows laid out as dense (objectives x starts) good, total and has_data
    matrices (see `schemas.BucketMatrix`). Rows of other objectives or instants are ignored."""
    shape = (len(objective_ids), len(starts))
    good = np.zeros(shape, dtype=np.float64)
    total = np.zeros(shape, dtype=np.float64)
    has_data = np.zeros(shape, dtype=bool)
    if len(rows) and shape[0] and shape[1]:
        row, row_found = index_of(objective_ids, rows.objective_id)
        col, col_found = index_of(starts, rows.start_epoch)
        ok = row_found & col_found
        good[row[ok], col[ok]] = rows.good[ok]
        total[row[ok], col[ok]] = rows.total[ok]
        has_data[row[ok], col[ok]] = True
    return good, total, has_data


def check_matrix_size(objectives: int, buckets: int) -> None:
    if objectives * buckets > MAX_MATRIX_CELLS:
        raise ValueError(
            f"{objectives} objectives x {buckets} buckets is more than {MAX_MATRIX_CELLS} cells: "
            "read window sums, or fewer objectives at a time"
        )
