"""Business calendars: working time in an IANA zone, and the arithmetic of business seconds.

A `BusinessCalendar` says which local hours are worked: weekly segments (several a day allowed,
``08:00-12:00`` and ``13:00-17:00``) and per-date overrides (a holiday is a date with no segment,
a partial day one with shorter segments, a one-off exception one with extra segments). It is
compiled for a range of dates into a `WorkingTime`: the sorted working intervals in UTC epoch
seconds and, for each interval, the business seconds worked before it. Every operation is then a
binary search, scalar or vectorised over numpy arrays of instants.

Definitions (``pos(t)`` = business seconds worked between the range's start and ``t``):

- elapsed(a, b) = max(0, pos(b) - pos(a)). Additive: elapsed(a, c) = elapsed(a, b) + elapsed(b, c)
  for a ≤ b ≤ c.
- add(t, d) for d > 0 = the *earliest* instant u with pos(u) = pos(t) + d. A deadline that falls
  exactly at the close of a working period is that closing instant, not the next opening.
- add(t, d) for d < 0 = the *latest* instant u with pos(u) = pos(t) + d (counting back lands on
  an opening, never on the previous close). add(t, 0) = next_working(t).
- next_working(t) = t when t is worked, else the start of the next working interval.

Business seconds are real elapsed seconds: on the day clocks go back, a segment spanning the
repeated hour lasts an hour longer; on the day they go forward, a boundary inside the missing
hour moves forward with the wall clock (``fold=0``, as `zoneinfo` reads it). Instants are whole
seconds.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

DAY_SECONDS: Final = 86_400
Seconds = npt.NDArray[np.int64]


@dataclass(frozen=True, order=True)
class Segment:
    """Worked local time of one day, ``[start, end)`` in seconds after midnight (end ≤ 24:00)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= DAY_SECONDS:
            raise ValueError(f"a segment runs forward within one day, not {self.start}-{self.end}")

    @classmethod
    def of(cls, start: str, end: str) -> Segment:
        """From ``"HH:MM"`` (or ``"HH:MM:SS"``) texts; ``"24:00"`` ends at midnight."""
        return cls(_seconds_of_day(start), _seconds_of_day(end))

    @property
    def seconds(self) -> int:
        return self.end - self.start


def _seconds_of_day(text: str) -> int:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) == 2 for p in parts):
        raise ValueError(f"a time of day is HH:MM or HH:MM:SS, not {text!r}")
    hours, minutes, seconds = (int(p) for p in [*parts, "00"][:3])
    if minutes > 59 or seconds > 59 or hours > 24 or (hours == 24 and (minutes or seconds)):
        raise ValueError(f"not a time of day: {text!r}")
    return hours * 3600 + minutes * 60 + seconds


def _check_day(segments: tuple[Segment, ...], what: str) -> None:
    ordered = sorted(segments)
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end:
            raise ValueError(f"{what}: segments overlap")


@dataclass(frozen=True)
class BusinessCalendar:
    """Working hours in ``time_zone``. ``week[0]`` is Monday. ``days`` replaces the weekly
    segments of single dates: ``()`` for a holiday, other segments for a partial day or a
    one-off exception."""

    time_zone: str
    week: tuple[tuple[Segment, ...], ...]
    days: Mapping[date, tuple[Segment, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("a week has seven days, Monday first")
        ZoneInfo(self.time_zone)  # raises for an unknown zone
        for weekday, segments in enumerate(self.week):
            _check_day(segments, f"weekday {weekday}")
        for day, segments in self.days.items():
            _check_day(segments, day.isoformat())

    def segments_on(self, day: date) -> tuple[Segment, ...]:
        found = self.days.get(day)
        return tuple(sorted(found if found is not None else self.week[day.weekday()]))

    def compile(self, first: date, last: date) -> WorkingTime:
        """The working intervals of the local dates ``first`` … ``last`` (inclusive)."""
        if last < first:
            raise ValueError("the range ends before it starts")
        zone = ZoneInfo(self.time_zone)
        starts: list[int] = []
        ends: list[int] = []
        dates: list[date] = []
        openings: list[int] = []
        closings: list[int] = []
        midnights: list[int] = []
        next_midnights: list[int] = []
        day = first
        while day <= last:
            midnight = datetime.combine(day, time(0), tzinfo=zone)
            segments = self.segments_on(day)
            # Merged in UTC order, not wall order: on the day clocks go forward, a segment with
            # boundaries inside the missing hour moves an hour later (fold=0) and can start after
            # a later segment (02:15-02:30 runs 03:15-03:30, after 03:00-03:10); merging in wall
            # order dropped the earlier part of that later segment.
            spans = sorted(
                (_utc_seconds(midnight, s.start, zone), _utc_seconds(midnight, s.end, zone))
                for s in segments
            )
            worked = [(start, end) for start, end in spans if end > start]
            if worked:
                dates.append(day)
                openings.append(worked[0][0])
                closings.append(max(end for _, end in worked))
                midnights.append(_utc_seconds(midnight, 0, zone))
                next_midnights.append(_utc_seconds(midnight, DAY_SECONDS, zone))
            for start, end in spans:
                if end <= start:  # starts inside the missing hour, ends less than an hour later
                    continue
                if ends and start <= ends[-1]:  # contiguous (24x7, a shift over midnight)
                    ends[-1] = max(ends[-1], end)
                else:
                    starts.append(start)
                    ends.append(end)
            day += timedelta(days=1)
        begin = _utc_seconds(datetime.combine(first, time(0), tzinfo=zone), 0, zone)
        finish = _utc_seconds(datetime.combine(last, time(0), tzinfo=zone), DAY_SECONDS, zone)
        return WorkingTime(
            np.asarray(starts, dtype=np.int64),
            np.asarray(ends, dtype=np.int64),
            begin,
            finish,
            time_zone=self.time_zone,
            days=WorkingDays(
                tuple(dates),
                np.asarray(openings, dtype=np.int64),
                np.asarray(closings, dtype=np.int64),
                np.asarray(midnights, dtype=np.int64),
                np.asarray(next_midnights, dtype=np.int64),
            ),
        )


def _utc_seconds(midnight: datetime, offset: int, zone: ZoneInfo) -> int:
    """Epoch seconds of the local wall time ``offset`` seconds after ``midnight``'s date began
    (wall-clock arithmetic, so 17:00 is 17:00 on the days clocks change)."""
    local = datetime.combine(midnight.date(), time(0)) + timedelta(seconds=offset)
    return int(local.replace(tzinfo=zone).astimezone(UTC).timestamp())


def always(time_zone: str = "UTC") -> BusinessCalendar:
    """24x7: every second is a business second (elapsed time equals wall-clock time)."""
    whole_day = (Segment(0, DAY_SECONDS),)
    return BusinessCalendar(time_zone, (whole_day,) * 7)


class OutsideRange(ValueError):
    """An instant or a result outside the compiled range: compile a wider one."""


class WorkingTime:
    """A compiled calendar: working intervals ``[starts[i], ends[i])`` (UTC epoch seconds,
    sorted, disjoint) within ``[begin, finish)``; ``before[i]`` is the business seconds worked
    before interval ``i``."""

    def __init__(
        self,
        starts: Seconds,
        ends: Seconds,
        begin: int,
        finish: int,
        *,
        time_zone: str = "UTC",
        days: WorkingDays | None = None,
    ) -> None:
        if not len(starts):
            raise ValueError("the calendar has no working time in the range")
        self.time_zone = time_zone
        empty = np.zeros(0, dtype=np.int64)
        self.days = days if days is not None else WorkingDays((), empty, empty, empty, empty)
        self.starts = starts
        self.ends = ends
        self.begin = begin
        self.finish = finish
        lengths = ends - starts
        self.before: Seconds = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
        self.through: Seconds = self.before + lengths
        self.total = int(self.through[-1]) if len(lengths) else 0
        # Python lists for the scalar path: bisect on a list beats numpy on one value.
        self._starts: list[int] = starts.tolist()
        self._ends: list[int] = ends.tolist()
        self._before: list[int] = self.before.tolist()
        self._through: list[int] = self.through.tolist()
        self._midnights: list[int] = self.days.midnights.tolist()
        self._next_midnights: list[int] = self.days.next_midnights.tolist()
        self._openings: list[int] = self.days.openings.tolist()
        self._closings: list[int] = self.days.closings.tolist()
        self._regular: list[bool] = (
            (self.days.next_midnights - self.days.midnights) == DAY_SECONDS
        ).tolist()

    # ------------------------------------------------------------------ vectorised

    def position(self, instants: Seconds) -> Seconds:
        """pos(t): business seconds worked from the range's start to each instant."""
        t = np.asarray(instants, dtype=np.int64)
        self._check_inside(t)
        i = np.searchsorted(self.starts, t, side="right") - 1
        safe = np.maximum(i, 0)
        inside = np.minimum(t, self.ends[safe]) - self.starts[safe]
        return np.where(i >= 0, self.before[safe] + inside, 0).astype(np.int64)

    def instant_at(self, positions: Seconds, *, latest: bool = False) -> Seconds:
        """The earliest (or latest) instant at which pos(t) reaches each position."""
        p = np.asarray(positions, dtype=np.int64)
        if np.any(p < 0) or np.any(p > self.total):
            raise OutsideRange("the result lies outside the compiled range")
        if latest:
            j = np.searchsorted(self.through, p, side="right")
            j = np.minimum(j, len(self.starts) - 1)  # p == total: the last close
            return np.where(
                p >= self.through[j], self.ends[j], self.starts[j] + (p - self.before[j])
            ).astype(np.int64)
        j = np.searchsorted(self.through, p, side="left")
        return (self.starts[j] + (p - self.before[j])).astype(np.int64)

    def elapsed(self, starts: Seconds, ends: Seconds) -> Seconds:
        """Business seconds in ``[start, end)``; 0 when the end is not after the start."""
        spans: Seconds = np.maximum(self.position(ends) - self.position(starts), 0)
        return spans

    def add(self, starts: Seconds, durations: Seconds) -> Seconds:
        """The instant reached after working ``durations`` business seconds from ``starts``
        (negative durations count back; see the module's definitions)."""
        t = np.asarray(starts, dtype=np.int64)
        d = np.asarray(durations, dtype=np.int64)
        target = self.position(t) + d
        result = np.empty_like(t)
        ahead, back, still = d > 0, d < 0, d == 0
        # Each branch only on its own elements: one that does not apply could leave the range.
        if ahead.any():
            result[ahead] = self.instant_at(target[ahead])
        if back.any():
            result[back] = self.instant_at(target[back], latest=True)
        if still.any():
            result[still] = self.next_working(t[still])
        return result

    def next_working(self, instants: Seconds) -> Seconds:
        """Each instant if it is worked, else the next opening."""
        t = np.asarray(instants, dtype=np.int64)
        self._check_inside(t)
        j = np.searchsorted(self.ends, t, side="right")  # first interval ending after t
        if np.any(j >= len(self.starts)):
            raise OutsideRange("no working time after the instant within the compiled range")
        return np.maximum(t, self.starts[j])

    def _check_inside(self, t: Seconds) -> None:
        if t.size and (int(t.min()) < self.begin or int(t.max()) > self.finish):
            raise OutsideRange("an instant lies outside the compiled range")

    # ------------------------------------------------------------------ scalar

    def position_of(self, instant: int) -> int:
        if not self.begin <= instant <= self.finish:
            raise OutsideRange("the instant lies outside the compiled range")
        i = bisect.bisect_right(self._starts, instant) - 1
        if i < 0:
            return 0
        return self._before[i] + min(instant, self._ends[i]) - self._starts[i]

    def instant_of(self, position: int) -> int:
        """The earliest instant at which pos(t) reaches ``position``."""
        if not 0 <= position <= self.total:
            raise OutsideRange("the result lies outside the compiled range")
        j = bisect.bisect_left(self._through, position)
        return self._starts[j] + position - self._before[j]

    def elapsed_between(self, start: int, end: int) -> int:
        return max(0, self.position_of(end) - self.position_of(start))

    def add_to(self, start: int, duration: int) -> int:
        return int(self.add(np.asarray([start]), np.asarray([duration]))[0])

    # ------------------------------------------------------------------ working days

    def working_days_after(self, starts: Seconds, counts: Seconds, *, end_of_day: bool) -> Seconds:
        """The instants ``counts`` working days after ``starts`` (before them when negative); a
        working day is a local date with worked time.

        Counting forward, a start first moves to the next working instant. Counting starts
        from the start's local date (from the next working date when the start's date is not
        one, so that one day back is the working date before it). The result is that date's
        last closing with ``end_of_day`` (``count = 0``: the close of the start's own working
        day); otherwise the same local time of day on it, kept inside that date's working
        time: before its opening -> the opening, after its closing -> the closing, in a break
        -> the next opening.
        """
        t = np.asarray(starts, dtype=np.int64)
        n = np.asarray(counts, dtype=np.int64)
        days = self.days
        begin = np.where(n >= 0, self.next_working(np.where(n >= 0, t, self.starts[0])), t)
        j = np.searchsorted(days.midnights, begin, side="right") - 1
        same_date = (j >= 0) & (begin < days.next_midnights[np.maximum(j, 0)])
        index = np.where(same_date, j, j + 1)
        target = index + n
        if (
            np.any(target < 0)
            or np.any(target >= len(days.dates))
            or np.any(index >= len(days.dates))
        ):
            raise OutsideRange("the result lies outside the compiled range")
        if end_of_day:
            closing: Seconds = days.closings[target]
            return closing
        # The wall-clock time of day: seconds since local midnight, except on the few days
        # whose length is not 24 h (clock changes), which go through zoneinfo.
        regular = (days.next_midnights - days.midnights) == DAY_SECONDS
        base = np.where(same_date, days.midnights[np.maximum(j, 0)], begin)
        time_of_day = begin - base
        result = days.midnights[target] + time_of_day
        odd = ~(regular[np.maximum(j, 0)] & regular[target]) | ~same_date
        for k in np.flatnonzero(odd):
            result[k] = self._same_wall_time(int(begin[k]), days.dates[int(target[k])])
        opening, close = days.openings[target], days.closings[target]
        kept = np.clip(result, opening, close)
        inside = kept < close
        if np.any(inside):
            kept[inside] = self.next_working(kept[inside])
        found: Seconds = kept.astype(np.int64)
        return found

    def _same_wall_time(self, instant: int, day: date) -> int:
        zone = ZoneInfo(self.time_zone)
        local = datetime.fromtimestamp(instant, tz=zone)
        wall = datetime.combine(day, local.time().replace(tzinfo=None))
        return int(wall.replace(tzinfo=zone).astimezone(UTC).timestamp())

    def add_working_days(self, start: int, count: int, *, end_of_day: bool) -> int:
        """One start (plain Python, for one-off calls): see `working_days_after`."""
        days = self.days
        begin = self.next_working_of(start) if count >= 0 else start
        j = bisect.bisect_right(self._midnights, begin) - 1
        same_date = j >= 0 and begin < self._next_midnights[j]
        index = j if same_date else j + 1
        target = index + count
        if not 0 <= target < len(days.dates) or index >= len(days.dates):
            raise OutsideRange("the result lies outside the compiled range")
        close = self._closings[target]
        if end_of_day:
            return close
        regular = self._regular
        if same_date and regular[j] and regular[target]:
            result = self._midnights[target] + begin - self._midnights[j]
        else:
            result = self._same_wall_time(begin, days.dates[target])
        result = min(max(result, self._openings[target]), close)
        return self.next_working_of(result) if result < close else result

    def next_working_of(self, instant: int) -> int:
        """One instant: see `next_working`."""
        if not self.begin <= instant <= self.finish:
            raise OutsideRange("the instant lies outside the compiled range")
        j = bisect.bisect_right(self._ends, instant)
        if j >= len(self._starts):
            raise OutsideRange("no working time after the instant within the compiled range")
        return max(instant, self._starts[j])


@dataclass(frozen=True)
class WorkingDays:
    """The working dates of a compiled range: for each, its first opening and last closing, and
    its local midnight and the next one (epoch seconds)."""

    dates: tuple[date, ...]
    openings: Seconds
    closings: Seconds
    midnights: Seconds
    next_midnights: Seconds


def epoch_seconds(instant: datetime) -> int:
    """Whole UTC epoch seconds of an aware datetime (sub-second parts are dropped)."""
    if instant.tzinfo is None:
        raise ValueError("a naive datetime has no instant")
    return int(instant.timestamp() // 1)


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
