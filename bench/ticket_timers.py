"""Ticket timers at scale: every TTO/TTR timer of 1,000,000 tickets (5,000,000 events).

The issue's goal: on a business calendar with two segments a day and national holidays, the
vectorised path (`accord.timers.rules.compute_timers`) computes every time-to-own and
time-to-resolve timer at **at least 20x the tickets/s of a straightforward per-ticket Python loop**
measured in the same run. This benchmark

1. generates seeded synthetic tickets with numpy (not measured): created across 2025 (mostly in
   office hours, fewer at weekends), often assigned, in progress, sometimes awaiting the
   customer and back in progress (once or twice), resolved, some reopened and resolved again,
   some closed, some re-prioritised, a few still open at any stage; gaps of minutes to days;
   priorities P1-P4. Calendar ``Europe/Berlin``, Mon-Fri 08:00-12:00 + 13:00-17:00, German
   national holidays 2025-2026 from the `holidays` package, compiled for 2024-12-01..2027-12-31.
   Targets per priority, TTO and TTR, default change policy (retroactive); P4's TTR is in
   working days so that path is measured too;
2. measures, in alternating order over ``--rounds`` rounds (best of each kept; the two sample
   cases run ``--repeat`` times a round):
   - ``vectorised``: the per-event target index from the priorities plus ``compute_timers``
     for both metrics over all tickets;
   - ``loop`` (the **baseline**): a plain Python loop over the first ``--sample`` tickets that
     walks each ticket's events, tracks state and priority, builds the running intervals and
     computes elapsed time, deadline and breach with the calendar's scalar arithmetic
     (``elapsed_between``, ``position_of``/``instant_of``, ``add_working_days``);
3. checks that the loop and ``compute_timers`` run on the sample alone agree on every elapsed
   time, target, deadline and breach, and that the full run agrees with the sample run on the
   sample's tickets; any mismatch is printed and the exit status is 1;
4. prints tickets/s, events/s, the RATIO vectorised / loop (also of process CPU times, which a
   busy neighbour disturbs less than wall-clock times, and on the same sample: the vectorised
   path run on the loop's tickets) and the peak memory, and writes
   everything to ``bench/results/ticket_timers-<UTC time>.json``. ``--profile N`` prints the
   N costliest functions of one more vectorised run under cProfile.

No timing is asserted anywhere: the machine is shared and noisy; read the ratio.

    python bench/ticket_timers.py            # 1,000,000 tickets, sample 10,000 (minutes)
    python bench/ticket_timers.py --quick    # 100,000 tickets, sample 2,000 (smoke run)
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from accord.agreements.enums import DurationUnit, TieBreak
from accord.agreements.schemas import TicketTarget, TicketTerms
from accord.engine.calendars import BusinessCalendar, Segment, WorkingTime
from accord.engine.timers import NONE
from accord.timers.enums import TargetMetric, TicketState
from accord.timers.rules import (
    STATE_CODE,
    STATUSES,
    EventColumns,
    ResolvedTarget,
    TimerColumns,
    compute_timers,
    match_target,
)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
GOAL_RATIO = 20.0
"""The vectorised path must reach this many times the loop's tickets/s."""
METRICS = (TargetMetric.TIME_TO_OWN, TargetMetric.TIME_TO_RESOLVE)
SHORT = {TargetMetric.TIME_TO_OWN: "TTO", TargetMetric.TIME_TO_RESOLVE: "TTR"}
PRIORITIES = ("P1", "P2", "P3", "P4")
PRIORITY_SHARE = (0.05, 0.20, 0.50, 0.25)
TARGETS = {
    # priority: (TTO amount, unit), (TTR amount, unit)
    "P1": ((30, DurationUnit.BUSINESS_MINUTES), (4, DurationUnit.BUSINESS_HOURS)),
    "P2": ((1, DurationUnit.BUSINESS_HOURS), (8, DurationUnit.BUSINESS_HOURS)),
    "P3": ((4, DurationUnit.BUSINESS_HOURS), (24, DurationUnit.BUSINESS_HOURS)),
    "P4": ((8, DurationUnit.BUSINESS_HOURS), (5, DurationUnit.WORKING_DAYS)),
}
TIME_ZONE = "Europe/Berlin"
COMPILED = (date(2024, 12, 1), date(2027, 12, 31))
YEAR_START = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
HOUR = 3600
DAY = 86_400

NEW = STATE_CODE[TicketState.NEW]
ASSIGNED = STATE_CODE[TicketState.ASSIGNED]
IN_PROGRESS = STATE_CODE[TicketState.IN_PROGRESS]
AWAITING = STATE_CODE[TicketState.AWAITING_CUSTOMER]
RESOLVED = STATE_CODE[TicketState.RESOLVED]
CLOSED = STATE_CODE[TicketState.CLOSED]


# ================================================================================ the data


@dataclass(frozen=True)
class Slot:
    """One possible event of a ticket's life, in time order; ``state`` -1: a priority change."""

    name: str
    state: int
    median_gap: int
    """Median seconds since the ticket's previous event (log-normal)."""


SLOTS = (
    Slot("created", NEW, 0),
    Slot("priority (triage)", -1, 10 * 60),
    Slot("assigned", ASSIGNED, 20 * 60),
    Slot("in_progress", IN_PROGRESS, 90 * 60),
    Slot("awaiting_customer", AWAITING, 4 * HOUR),
    Slot("in_progress (answer)", IN_PROGRESS, DAY),
    Slot("priority (escalated)", -1, 3 * HOUR),
    Slot("awaiting_customer (again)", AWAITING, 6 * HOUR),
    Slot("in_progress (answer again)", IN_PROGRESS, DAY),
    Slot("resolved", RESOLVED, 8 * HOUR),
    Slot("reopened", IN_PROGRESS, 2 * DAY),
    Slot("resolved (again)", RESOLVED, DAY),
    Slot("closed", CLOSED, 3 * DAY),
)
OPEN_SHARE = 0.06
"""Tickets cut after a random event: still open (at any stage) when the timers are computed."""


@dataclass(frozen=True)
class Tickets:
    n: int
    ticket: NDArray[np.int64]
    at: NDArray[np.int64]
    state: NDArray[np.int64]
    priority: NDArray[np.int64]
    """Code into `PRIORITIES` where the event sets the priority (creation, change), else -1."""
    offsets: NDArray[np.int64]
    """Events of ticket k are ``offsets[k]:offsets[k + 1]``."""
    now: int
    facts: dict[str, Any]

    def head(self, k: int) -> Tickets:
        """The first ``k`` tickets (their events are a prefix: grouped by ticket)."""
        end = int(self.offsets[k])
        return Tickets(
            k,
            self.ticket[:end],
            self.at[:end],
            self.state[:end],
            self.priority[:end],
            self.offsets[: k + 1],
            self.now,
            {},
        )

    @property
    def events(self) -> int:
        return int(self.at.size)


def generate(n: int, seed: int) -> Tickets:
    """Seeded synthetic tickets, vectorised over a (ticket, slot) matrix."""
    rng = np.random.default_rng(seed)
    s = len(SLOTS)
    idx = {slot.name: i for i, slot in enumerate(SLOTS)}
    present = np.zeros((n, s), dtype=bool)
    present[:, idx["created"]] = True
    present[:, idx["priority (triage)"]] = rng.random(n) < 0.08
    present[:, idx["assigned"]] = rng.random(n) < 0.65
    present[:, idx["in_progress"]] = True
    awaiting = rng.random(n) < 0.30
    present[:, idx["awaiting_customer"]] = awaiting
    present[:, idx["in_progress (answer)"]] = awaiting
    present[:, idx["priority (escalated)"]] = rng.random(n) < 0.20
    again = awaiting & (rng.random(n) < 0.35)
    present[:, idx["awaiting_customer (again)"]] = again
    present[:, idx["in_progress (answer again)"]] = again
    present[:, idx["resolved"]] = True
    reopened = rng.random(n) < 0.10
    present[:, idx["reopened"]] = reopened
    present[:, idx["resolved (again)"]] = reopened
    present[:, idx["closed"]] = rng.random(n) < 0.25
    # Open tickets: everything from a random slot on has not happened yet.
    is_open = rng.random(n) < OPEN_SHARE
    cut = np.where(is_open, rng.integers(1, s, n), s)
    present &= np.arange(s)[None, :] < cut[:, None]

    # Creation: a day of 2025 (weekends a quarter as busy), mostly in office hours.
    weekday = (np.arange(365) + 2) % 7  # 2025-01-01 is a Wednesday (Monday = 0)
    weights = np.where(weekday < 5, 1.0, 0.25)
    day = rng.choice(365, size=n, p=weights / weights.sum())
    office = np.clip(rng.normal(10.5 * HOUR, 2.5 * HOUR, n), 0, DAY - 1)
    anytime = rng.integers(0, DAY, n)
    time_of_day = np.where(rng.random(n) < 0.8, office, anytime).astype(np.int64)
    created = YEAR_START + day.astype(np.int64) * DAY + time_of_day

    # Gaps: log-normal around each slot's median, one minute to two weeks.
    medians = np.array([max(slot.median_gap, 60) for slot in SLOTS], dtype=np.float64)
    gaps = np.exp(np.log(medians)[None, :] + rng.normal(0.0, 1.2, (n, s)))
    gaps = np.clip(gaps, 60, 14 * DAY).astype(np.int64)
    gaps[:, 0] = 0
    gaps[~present] = 0
    times = created[:, None] + np.cumsum(gaps, axis=1)
    del gaps

    # Priorities: one at creation, a different one at each change.
    first = rng.choice(len(PRIORITIES), size=n, p=np.array(PRIORITY_SHARE))
    triage = (first + rng.integers(1, 4, n)) % 4
    current = np.where(present[:, idx["priority (triage)"]], triage, first)
    escalated = (current + rng.integers(1, 4, n)) % 4
    priority = np.full((n, s), -1, dtype=np.int64)
    priority[:, idx["created"]] = first
    priority[:, idx["priority (triage)"]] = triage
    priority[:, idx["priority (escalated)"]] = escalated
    state = np.broadcast_to(np.array([slot.state for slot in SLOTS], dtype=np.int64), (n, s))

    counts = present.sum(axis=1)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    at = times[present]
    tickets = Tickets(
        n=n,
        ticket=np.repeat(np.arange(n, dtype=np.int64), counts),
        at=at,
        state=state[present],
        priority=priority[present],
        offsets=offsets,
        now=int(at.max()) + HOUR,
        facts={},
    )
    per_slot = present.sum(axis=0)
    tickets.facts.update(
        {
            "tickets": n,
            "events": tickets.events,
            "events_per_ticket": round(tickets.events / n, 3),
            "open_tickets": int((~present[:, idx["resolved"]]).sum()),
            "priority_changes": int(per_slot[idx["priority (triage)"]])
            + int(per_slot[idx["priority (escalated)"]]),
            "awaiting_customer": int(per_slot[idx["awaiting_customer"]])
            + int(per_slot[idx["awaiting_customer (again)"]]),
            "reopened": int(per_slot[idx["reopened"]]),
            "now": datetime.fromtimestamp(tickets.now, tz=UTC).isoformat(),
        }
    )
    return tickets


def calendar() -> WorkingTime:
    import holidays  # checked in main

    days: dict[date, tuple[Segment, ...]] = dict.fromkeys(
        holidays.country_holidays("DE", years=[2025, 2026]), ()
    )
    office = (Segment.of("08:00", "12:00"), Segment.of("13:00", "17:00"))
    week = (office,) * 5 + ((), ())
    return BusinessCalendar(TIME_ZONE, week, days).compile(*COMPILED)


def terms(warnings: list[int]) -> TicketTerms:
    return TicketTerms(
        tie_break=TieBreak.SHORTEST,
        targets=[
            TicketTarget(
                metric=metric, priority=p, amount=amount, unit=unit, warnings=list(warnings)
            )
            for p, pair in TARGETS.items()
            for metric, (amount, unit) in zip(METRICS, pair, strict=True)
        ],
    )


@dataclass(frozen=True)
class Setup:
    working: WorkingTime
    resolved: dict[TargetMetric, list[ResolvedTarget]]
    lookup: dict[TargetMetric, NDArray[np.int64]]
    """Priority code -> index into ``resolved[metric]``; the extra last entry maps -1 to -1."""


def setup(warnings: list[int]) -> Setup:
    working = calendar()
    agreement = terms(warnings)
    resolved: dict[TargetMetric, list[ResolvedTarget]] = {}
    lookup: dict[TargetMetric, NDArray[np.int64]] = {}
    for metric in METRICS:
        of_metric = [t for t in agreement.targets if t.metric is metric]
        resolved[metric] = [ResolvedTarget(t, 0) for t in of_metric]
        found = [
            match_target(agreement, metric, request_type=None, priority=p, service=None)
            for p in PRIORITIES
        ]
        lookup[metric] = np.array(
            [of_metric.index(t) if t is not None else -1 for t in found] + [-1], dtype=np.int64
        )
    return Setup(working, resolved, lookup)


# ============================================================================ the two paths


def vectorised(data: Tickets, env: Setup) -> dict[TargetMetric, TimerColumns]:
    """``compute_timers`` for both metrics (with the per-event target index it needs)."""
    events = EventColumns(data.ticket, data.at, data.state)
    until = np.full(data.n, data.now, dtype=np.int64)
    out = {}
    positions: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # one calendar lookup per event
    for metric in METRICS:
        event_target = env.lookup[metric][data.priority]  # -1 (keep the previous) elsewhere
        out[metric] = compute_timers(
            events,
            event_target,
            env.resolved[metric],
            [env.working],
            metric=metric,
            until=until,
            now=data.now,
            position_cache=positions,
        )
    return out


Event = tuple[int, int, str | None]
"""(instant, state code or -1, priority set by the event or None): a loop's natural input."""


def as_python(data: Tickets) -> list[list[Event]]:
    """Per ticket, its events as plain Python tuples (not measured: the loop's input)."""
    at, state, prio = data.at.tolist(), data.state.tolist(), data.priority.tolist()
    names: list[str | None] = [*PRIORITIES, None]  # index -1: None
    events = list(zip(at, state, [names[p] for p in prio], strict=True))
    bounds = data.offsets.tolist()
    return [events[bounds[k] : bounds[k + 1]] for k in range(data.n)]


@dataclass
class LoopResult:
    target: list[int]
    elapsed: list[int]
    deadline: list[int]
    breached: list[bool]


def loop(tickets: list[list[Event]], env: Setup, now: int) -> dict[TargetMetric, LoopResult]:
    """The straightforward way: one ticket at a time, plain Python, scalar calendar calls."""
    working = env.working
    position_of, instant_of = working.position_of, working.instant_of
    elapsed_between = working.elapsed_between
    out = {}
    for metric in METRICS:
        # priority -> (pause states, stop states, unit, amount) of the target that applies
        specs: dict[str | None, tuple[set[int], set[int], DurationUnit, int]] = {}
        for code, p in enumerate(PRIORITIES):
            t = env.resolved[metric][int(env.lookup[metric][code])].target
            pauses = {STATE_CODE[s] for s in t.effective_pauses}
            stops = {STATE_CODE[s] for s in t.effective_stops}
            specs[p] = (pauses, stops, t.unit, t.amount)
        stops_for_good = metric is TargetMetric.TIME_TO_OWN
        result = LoopResult([], [], [], [])
        for events in tickets:
            state = -1
            priority = None
            stopped_for_good = False
            running_from = -1
            running = stopped = False
            intervals = []
            for at, new_state, new_priority in events:
                if new_state >= 0:
                    state = new_state
                if new_priority is not None:
                    priority = new_priority
                if running_from >= 0 and at > running_from:
                    intervals.append((running_from, at))
                pauses, stops, _, _ = specs[priority]
                stopped = state in stops
                if stops_for_good:
                    stopped_for_good = stopped_for_good or stopped
                    stopped = stopped_for_good
                running = not stopped and state not in pauses
                running_from = at if running else -1
            if running_from >= 0 and now > running_from:
                intervals.append((running_from, now))

            # Retroactive: the whole life against the final priority's target.
            _, _, unit, amount = specs[priority]
            if unit is DurationUnit.BUSINESS_MINUTES:
                target = amount * 60
            elif unit is DurationUnit.BUSINESS_HOURS:
                target = amount * 3600
            elif intervals:  # working days, from the timer's start
                start = intervals[0][0]
                end = working.add_working_days(start, amount, end_of_day=False)
                target = elapsed_between(start, end)
            else:
                target = 0

            elapsed = 0
            deadline = NONE
            for start, end in intervals:
                spent = elapsed_between(start, end)
                if deadline == NONE and elapsed + spent >= target > 0:
                    deadline = instant_of(position_of(start) + target - elapsed)
                elapsed += spent
            if target <= 0 and intervals:
                deadline = intervals[0][0]
            elif deadline == NONE and target > 0:
                if running:  # projected from now
                    deadline = instant_of(position_of(now) + target - elapsed)
                elif stopped and intervals:  # the deadline it was held to
                    deadline = instant_of(position_of(intervals[-1][1]) + target - elapsed)
            result.target.append(target)
            result.elapsed.append(elapsed)
            result.deadline.append(deadline)
            result.breached.append(elapsed > target)
        out[metric] = result
    return out


# ============================================================================= the checks


def compare(
    expected: dict[TargetMetric, LoopResult],
    got: dict[TargetMetric, TimerColumns],
    n: int,
    what: str,
    examples: list[str],
) -> int:
    """Timers whose target, elapsed time, deadline or breach differ (each counted once)."""
    wrong = 0
    for metric in METRICS:
        timers = got[metric]
        if len(timers) < n or not np.array_equal(timers.ticket[:n], np.arange(n)):
            examples.append(f"{what} {SHORT[metric]}: {len(timers)} timers for {n} tickets")
            wrong += n
            continue
        bad = np.zeros(n, dtype=bool)
        fields = {
            "target": timers.target_seconds,
            "elapsed": timers.elapsed,
            "deadline": timers.deadline,
            "breached": timers.breached,
        }
        for name, column in fields.items():
            want = np.asarray(getattr(expected[metric], name))
            differ = want != column[:n]
            for k in np.flatnonzero(differ)[: max(0, 8 - len(examples))]:
                examples.append(
                    f"{what} {SHORT[metric]} ticket {k} {name}: "
                    f"expected {want[k].item()!r}, got {column[k].item()!r}"
                )
            bad |= differ
        wrong += int(bad.sum())
    return wrong


def as_expected(got: dict[TargetMetric, TimerColumns], n: int) -> dict[TargetMetric, LoopResult]:
    """A vectorised result's first ``n`` timers, shaped like the loop's."""
    return {
        m: LoopResult(
            got[m].target_seconds[:n].tolist(),
            got[m].elapsed[:n].tolist(),
            got[m].deadline[:n].tolist(),
            got[m].breached[:n].tolist(),
        )
        for m in METRICS
    }


# =============================================================================== measuring


CPU: list[float] = []
"""Process CPU seconds of each `timed` call, beside the wall-clock seconds it returns."""


def timed(run: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    cpu = time.process_time()
    started = time.perf_counter()
    value = run()
    elapsed = time.perf_counter() - started
    CPU.append(time.process_time() - cpu)
    return elapsed, value


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def profile(run: Callable[[], object], top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=None, help="default 1000000 (quick 100000)")
    parser.add_argument(
        "--sample", type=int, default=None, help="tickets of the loop; default 10000 (quick 2000)"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 100,000 / 2,000")
    parser.add_argument("--rounds", type=int, default=2, help="measured rounds; best kept")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of the sample cases (loop, vectorised on the sample) per round; default 3",
    )
    parser.add_argument(
        "--warnings",
        default="50,75,100",
        help="warning percentages every target declares (compute_timers computes their "
        "instants, the loop does not); '' for none. Default 50,75,100 (the schema's)",
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="cProfile one more vectorised run"
    )
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    args.tickets = args.tickets or (100_000 if args.quick else 1_000_000)
    args.sample = min(args.sample or (2_000 if args.quick else 10_000), args.tickets)
    args.warnings = [int(w) for w in args.warnings.split(",") if w.strip()]
    if min(args.rounds, args.repeat, args.sample) < 1:
        parser.error("--rounds, --repeat and --sample are at least 1")
    return args


def git_commit() -> str | None:
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        return subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import holidays  # noqa: F401
    except ImportError:
        print(
            "the `holidays` package is not importable: it gives the calendar's German national "
            "holidays. Install the project's dependencies (`pip install -e .`) and run again.",
            file=sys.stderr,
        )
        return 2

    started = time.perf_counter()
    env = setup(args.warnings)
    compiled = time.perf_counter() - started
    started = time.perf_counter()
    data = generate(args.tickets, args.seed)
    generated = time.perf_counter() - started
    sample = data.head(args.sample)
    python_sample = as_python(sample)
    facts = data.facts
    print(
        f"{data.n:,} tickets, {data.events:,} events ({facts['events_per_ticket']} a ticket; "
        f"{facts['open_tickets']:,} open, {facts['priority_changes']:,} priority changes, "
        f"{facts['awaiting_customer']:,} waits for the customer, {facts['reopened']:,} "
        f"reopened); now = {facts['now']}; generated in {generated:.1f} s (not measured)"
    )
    print(
        f"calendar {TIME_ZONE} Mon-Fri 08-12 + 13-17, German holidays 2025-2026, "
        f"{len(env.working.starts):,} intervals {COMPILED[0]}..{COMPILED[1]}; compiled with "
        f"the targets in {compiled:.2f} s (not measured). Targets: "
        + ", ".join(
            f"{p} {a}{u.value.split('_')[-1][0]}/{b}{v.value.split('_')[-1][0]}"
            for p, ((a, u), (b, v)) in TARGETS.items()
        )
        + f" (TTO/TTR; m minutes, h hours, d working days); warnings {args.warnings}"
    )

    # ---- correctness first: a fast but wrong path must not pass.
    examples: list[str] = []
    expected = loop(python_sample, env, sample.now)
    on_sample = vectorised(sample, env)
    wrong_loop = compare(expected, on_sample, sample.n, "loop vs vectorised(sample)", examples)

    # ---- measuring: alternate the order so drift hits both.
    load_before = [round(x, 2) for x in os.getloadavg()]
    vec_times: list[float] = []
    loop_times: list[float] = []
    sample_times: list[float] = []
    cpu: dict[str, list[float]] = {"vectorised": [], "loop": [], "sample": []}
    full: dict[TargetMetric, TimerColumns] = {}
    for r in range(args.rounds):
        steps = ["vectorised", "loop", "sample"]
        if r % 2:
            steps.reverse()
        for step in steps:
            if step == "vectorised":
                full = {}  # free the previous result before measuring again
                seconds, value = timed(lambda: vectorised(data, env))
                full = value  # type: ignore[assignment]
                vec_times.append(seconds)
            elif step == "loop":  # short: repeated, the best kept
                seconds = min(
                    timed(lambda: loop(python_sample, env, sample.now))[0]
                    for _ in range(args.repeat)
                )
                loop_times.append(seconds)
            else:
                seconds = min(timed(lambda: vectorised(sample, env))[0] for _ in range(args.repeat))
                sample_times.append(seconds)
            runs = 1 if step == "vectorised" else args.repeat
            cpu[step].append(min(CPU[-runs:]))
            print(f"  round {r + 1} {step:<10} {seconds:9.3f} s (CPU {cpu[step][-1]:.3f} s)")
    load_after = [round(x, 2) for x in os.getloadavg()]
    wrong_full = compare(
        as_expected(on_sample, sample.n), full, sample.n, "vectorised(full) vs (sample)", examples
    )

    vec_s, loop_s, sample_s = min(vec_times), min(loop_times), min(sample_times)
    vec_rate = data.n / vec_s
    loop_rate = sample.n / loop_s
    sample_rate = sample.n / sample_s
    ratio = vec_rate / loop_rate
    cpu_ratio = (data.n / min(cpu["vectorised"])) / (sample.n / min(cpu["loop"]))
    timers = sum(len(t) for t in full.values())
    states = {
        SHORT[m]: {
            "breached": int(full[m].breached.sum()),
            **{
                s.value: int((full[m].status == c).sum())
                for c, s in enumerate(STATUSES)
                if (full[m].status == c).any()
            },
        }
        for m in METRICS
    }
    mem = peak_mb()

    print(
        f"\nload average (1, 5, 15 min) before {load_before}, after {load_after} on "
        f"{os.cpu_count()} CPUs: the higher, the noisier the absolute times"
    )
    print(f"timers: {timers:,}; " + "; ".join(f"{k} {v}" for k, v in states.items()))
    rows = [
        ("tickets", f"{data.n:,}"),
        ("events", f"{data.events:,}"),
        ("vectorised, full run: best s", f"{vec_s:,.3f}"),
        ("vectorised tickets/s (full run)", f"{vec_rate:,.0f}"),
        ("vectorised events/s (full run)", f"{data.events / vec_s:,.0f}"),
        (f"loop tickets/s (sample {sample.n:,})", f"{loop_rate:,.0f}"),
        (f"vectorised tickets/s (sample {sample.n:,})", f"{sample_rate:,.0f}"),
        ("RATIO vectorised (full) / loop", f"{ratio:,.1f}"),
        ("ratio on the same sample", f"{sample_rate / loop_rate:,.1f}"),
        ("ratio of CPU times (full / loop)", f"{cpu_ratio:,.1f}"),
        ("peak memory (max RSS) MB", f"{mem:,.0f}"),
        ("mismatches loop vs vectorised", f"{wrong_loop:,}"),
        ("mismatches full vs sample run", f"{wrong_full:,}"),
    ]
    width = max(len(k) for k, _ in rows)
    print()
    for key, value in rows:
        print(f"{key:<{width}}  {value:>14}")
    for line in examples:
        print(f"  MISMATCH {line}")
    verdict = "met" if ratio >= GOAL_RATIO else "MISSED"
    print(f"\ngoal: vectorised >= {GOAL_RATIO:g} x loop tickets/s: {verdict} ({ratio:.1f} x)")

    if args.profile:
        print(f"\ncProfile of one more vectorised run ({data.n:,} tickets, both metrics):")
        print(profile(lambda: vectorised(data, env), args.profile))

    report = {
        "benchmark": "ticket_timers",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "shape": facts,
        "generate_s": round(generated, 2),
        "load_average": {"before": load_before, "after": load_after, "cpus": os.cpu_count()},
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "platform": platform.platform(),
        "goal_ratio": GOAL_RATIO,
        "vectorised_s": vec_times,
        "loop_s": loop_times,
        "vectorised_sample_s": sample_times,
        "cpu_s": cpu,
        "cpu_ratio": round(cpu_ratio, 2),
        "vectorised_tickets_per_s": round(vec_rate),
        "vectorised_events_per_s": round(data.events / vec_s),
        "loop_tickets_per_s": round(loop_rate),
        "vectorised_sample_tickets_per_s": round(sample_rate),
        "ratio": round(ratio, 2),
        "peak_rss_mb": round(mem),
        "timer_states": states,
        "mismatches": {"loop_vs_vectorised": wrong_loop, "full_vs_sample": wrong_full},
        "mismatch_examples": examples,
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.results_dir / f"ticket_timers-{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results: {path}")
    if wrong_loop or wrong_full:
        print(f"FAILED: {wrong_loop + wrong_full:,} timers differ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
