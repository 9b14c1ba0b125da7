"""From ticket events to timers, for many tickets at once (pure: numpy over event columns).

The pipeline, per metric (time to own, time to resolve):

1. Events are grouped by ticket and ordered by event time. Fields an event leaves out keep their
   previous value (forward fill within the ticket).
2. Each event is matched to the agreement's target in force after it (`match_target`: by
   metric, request type, priority and service, ties broken by the terms' rule).
3. From each event on, the timer runs unless it has not started yet (``start_states``), is paused
   (``pause_states``) or stopped (``stop_states``). A time-to-own timer stops for good; a
   time-to-resolve timer resumes when the ticket is reopened.
4. When the matched target changes (a priority change), the term's ``on_change`` policy decides:
   ``retroactive`` measures the whole life on the new target's calendar against the new target;
   ``keep_spent`` keeps the business time spent so far, measured on the calendars then in force,
   and applies the new target; ``restart`` cancels the timer and starts a new one at the change.
   The policy of the target in force at the end decides. Pause time is never lost: pauses are
   gaps between running intervals, whichever policy applies.
5. Targets become business seconds on their calendar: minutes and hours directly; working days
   as the business seconds from the timer's start to the working-day deadline, so pauses extend
   them like any other target.
6. `accord.engine.timers` gives elapsed time, deadline, breach and thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from accord.agreements.enums import ChangePolicy, DurationUnit, TieBreak
from accord.agreements.schemas import TicketTarget, TicketTerms
from accord.engine.calendars import Seconds, WorkingTime
from accord.engine.timers import (
    NONE,
    Flags,
    Indices,
    RunningIntervals,
    TimerPoints,
    running_intervals,
    timer_figures,
)
from accord.timers.enums import TargetMetric, TicketState, TimerStatus

STATES: Final = tuple(TicketState)
"""State codes in event columns are indices into this tuple (-1: the event names none)."""
STATE_CODE: Final = {state: code for code, state in enumerate(STATES)}
STATUSES: Final = tuple(TimerStatus)
STATUS_CODE: Final = {status: code for code, status in enumerate(STATUSES)}


# ------------------------------------------------------------------ matching targets


def _specificity(target: TicketTarget) -> int:
    return sum(part is not None for part in (target.service, target.request_type, target.priority))


def nominal_seconds(target: TicketTarget) -> int:
    """A length for comparing targets of one agreement: a working day counts as 24 h here only
    (tie-breaks); deadlines always count on the calendar."""
    per_unit = {
        DurationUnit.BUSINESS_MINUTES: 60,
        DurationUnit.BUSINESS_HOURS: 3600,
        DurationUnit.WORKING_DAYS: 86_400,
        DurationUnit.END_OF_WORKING_DAY: 86_400,
    }[target.unit]
    extra = 43_200 if target.unit is DurationUnit.END_OF_WORKING_DAY else 0
    return target.amount * per_unit + extra


def match_target(
    terms: TicketTerms,
    metric: TargetMetric,
    *,
    request_type: str | None,
    priority: str | None,
    service: str | None,
) -> TicketTarget | None:
    """The target that applies: among those of the metric whose every named key part equals the
    ticket's, the shortest (or longest, or most specific then shortest) per ``tie_break``; ties
    after that go to the one listed first."""
    found = [
        t
        for t in terms.targets
        if t.metric is metric
        and (t.request_type is None or t.request_type == request_type)
        and (t.priority is None or t.priority == priority)
        and (t.service is None or t.service == service)
    ]
    if not found:
        return None
    order = list(range(len(found)))
    if terms.tie_break is TieBreak.LONGEST:
        best = min(order, key=lambda i: (-nominal_seconds(found[i]), i))
    elif terms.tie_break is TieBreak.MOST_SPECIFIC:
        best = min(order, key=lambda i: (-_specificity(found[i]), nominal_seconds(found[i]), i))
    else:
        best = min(order, key=lambda i: (nominal_seconds(found[i]), i))
    return found[best]


# ------------------------------------------------------------------ event columns


@dataclass(frozen=True)
class EventColumns:
    """Events of many tickets, grouped by ``ticket`` (0 … n-1) and in time order within each.
    ``state``: codes into `STATES`, -1 where the event names none (forward-filled here)."""

    ticket: Indices
    at: Seconds
    state: npt.NDArray[np.int64]


def first_of_group(group: Indices) -> Flags:
    first = np.ones(group.size, dtype=bool)
    first[1:] = group[1:] != group[:-1]
    return first


def forward_fill(values: npt.NDArray[np.int64], group: Indices) -> npt.NDArray[np.int64]:
    """Each -1 takes the previous value of its group (stays -1 before the group's first)."""
    index = np.arange(values.size)
    marks = np.where((values >= 0) | first_of_group(group), index, 0)
    filled: npt.NDArray[np.int64] = values[np.maximum.accumulate(marks)]
    return filled


def running_since(flags: Flags, group: Indices) -> Flags:
    """True from a group's first true flag on (cumulative or within each group)."""
    index = np.arange(flags.size)
    starts = np.flatnonzero(first_of_group(group))
    group_start = np.repeat(starts, np.diff(np.append(starts, flags.size)))
    marked = np.where(flags, index, -1)
    latest = np.maximum.accumulate(marked)
    seen: Flags = latest >= group_start
    return seen


def segment_cumsum(increments: Indices, group: Indices) -> Indices:
    """Cumulative sum restarting at each group."""
    total = np.cumsum(increments)
    starts = np.flatnonzero(first_of_group(group))
    before = np.repeat(total[starts] - increments[starts], np.diff(np.append(starts, total.size)))
    summed: Indices = (total - before).astype(np.int64)
    return summed


# ------------------------------------------------------------------ timers


@dataclass(frozen=True)
class ResolvedTarget:
    """A target with the calendar it counts on (an index into the calendars given)."""

    target: TicketTarget
    calendar: int


@dataclass(frozen=True)
class TimerColumns:
    """One row per timer. Instants are epoch seconds or ``NONE``."""

    ticket: Indices
    phase: Indices
    target: Indices
    """Index into the resolved targets."""
    status: Indices
    """Codes into `STATUSES`."""
    started_at: Seconds
    stopped_at: Seconds
    target_seconds: Seconds
    elapsed: Seconds
    remaining: Seconds
    overrun: Seconds
    percent: npt.NDArray[np.float64]
    breached: Flags
    deadline: Seconds
    breach_at: Seconds
    warnings: dict[int, Seconds]
    """Percent -> the instant the timer reached it (or is projected to)."""
    escalations: dict[int, Seconds]
    """Level -> the instant (deadline ± offset in business time)."""
    intervals: RunningIntervals | None
    """The running intervals of every timer (when asked for, to explain it)."""

    def __len__(self) -> int:
        return int(self.ticket.size)

    def status_of(self, k: int) -> TimerStatus:
        return STATUSES[int(self.status[k])]


def _state_table(targets: Sequence[ResolvedTarget], attribute: str) -> Flags:
    """[target, state] -> whether the state is in the target's list."""
    table = np.zeros((len(targets) + 1, len(STATES) + 1), dtype=bool)  # row/col -1: none
    for row, resolved in enumerate(targets):
        states = getattr(resolved.target, attribute)
        for state in states or ():
            table[row, STATE_CODE[state]] = True
    return table


def compute_timers(
    events: EventColumns,
    event_target: Indices,
    targets: Sequence[ResolvedTarget],
    calendars: Sequence[WorkingTime],
    *,
    metric: TargetMetric,
    until: Seconds,
    now: int,
    with_intervals: bool = False,
    position_cache: dict[int, tuple[Seconds, Seconds]] | None = None,
) -> TimerColumns:
    """Every timer of ``metric`` of the tickets in ``events`` (see the module's pipeline).

    ``event_target[i]``: the resolved target in force from event ``i`` on; -1 keeps the one
    before (forward fill), and a ticket with none by its last event gets no timer.
    ``until[ticket]``: where its last interval ends (``now`` for open tickets; the end of a
    stint for a team's timer). ``with_intervals``: also list every running interval (to
    explain a timer). ``position_cache``: the events' calendar positions by calendar, shared
    between the calls for each metric of the same events."""
    ticket, at = events.ticket, events.at
    state = forward_fill(events.state, ticket)
    target_of = forward_fill(event_target.astype(np.int64), ticket)
    first = first_of_group(ticket)
    n_tickets = int(ticket[-1]) + 1 if ticket.size else 0

    # Which tickets get a timer: those whose final event has a target.
    last_index = np.flatnonzero(np.append(first[1:], True))
    final_target = np.full(n_tickets, -1, dtype=np.int64)
    final_target[ticket[last_index]] = target_of[last_index]
    timed = final_target[ticket] >= 0
    policy_code = {p: c for c, p in enumerate(ChangePolicy)}
    policies = np.array([policy_code[r.target.on_change] for r in targets] + [0], dtype=np.int64)
    ticket_policy = policies[final_target]

    # Running flags per event.
    pauses = _state_table(targets, "effective_pauses")
    stops = _state_table(targets, "effective_stops")
    starts_table = _state_table(targets, "start_states")
    any_start = np.array([r.target.start_states is None for r in targets] + [True])
    paused = pauses[target_of, state]
    stopped = stops[target_of, state]
    if any_start.all():  # every target starts at creation (the default)
        started = np.ones(ticket.size, dtype=bool)
    else:
        started = running_since(any_start[target_of] | starts_table[target_of, state], ticket)
    if metric is TargetMetric.TIME_TO_OWN:
        stopped = running_since(stopped & started, ticket)
    running = started & ~paused & ~stopped & (target_of >= 0)

    # Phases: a new one at every change of target (they matter to `restart` only).
    if np.any(policies == policy_code[ChangePolicy.RESTART]):
        changed = np.zeros(ticket.size, dtype=bool)
        changed[1:] = (target_of[1:] != target_of[:-1]) & ~first[1:]
        phase = segment_cumsum(changed.astype(np.int64), ticket)
        restart = ticket_policy[ticket] == policy_code[ChangePolicy.RESTART]
        timer_phase = np.where(restart, phase, 0)
    else:
        timer_phase = np.zeros(ticket.size, dtype=np.int64)
    # Timer ids: one per (ticket, phase) among timed tickets, in event order.
    if timed.all():
        t_ticket, t_phase, t_at, t_running = ticket, timer_phase, at, running
        t_target, t_state_stop, t_started = target_of, stopped, started
    else:
        t_ticket, t_phase, t_at = ticket[timed], timer_phase[timed], at[timed]
        t_running, t_target = running[timed], target_of[timed]
        t_state_stop, t_started = stopped[timed], started[timed]
    new_timer = first_of_group(t_ticket) | np.append(True, t_phase[1:] != t_phase[:-1])
    timer = np.cumsum(new_timer) - 1
    n_timers = int(timer[-1]) + 1 if timer.size else 0
    timer_first = np.flatnonzero(new_timer)
    timer_last = np.append(timer_first[1:] - 1, t_ticket.size - 1).astype(np.int64)
    owner = t_ticket[timer_first]
    is_final = np.append(t_ticket[timer_first[1:]] != t_ticket[timer_first[:-1]], True)
    timer_until = np.where(
        is_final, until[owner], np.append(t_at[timer_first[1:]], now)[: max(n_timers, 0)]
    ).astype(np.int64)

    final_of_timer = t_target[timer_last]
    cal_of_target = np.array([r.calendar for r in targets] + [0], dtype=np.int64)
    final_calendar = cal_of_target[final_of_timer]

    # Where each point's run ends: the timer's next point, or its ``until``.
    following = np.empty_like(t_at)
    following[:-1] = t_at[1:]
    following[timer_last] = timer_until
    ran = t_running & (following > t_at)
    started_at = np.full(n_timers, NONE, dtype=np.int64)
    last_run_end = np.full(n_timers, NONE, dtype=np.int64)
    runs = np.flatnonzero(ran)
    if runs.size:
        owners = timer[runs]
        first_run = np.append(True, owners[1:] != owners[:-1])
        last_run = np.append(owners[1:] != owners[:-1], True)
        started_at[owners[first_run]] = t_at[runs[first_run]]
        last_run_end[owners[last_run]] = following[runs[last_run]]
    target_seconds = _target_seconds(targets, final_of_timer, started_at, calendars)

    # Status, and where projections run from (a running timer from its end, now; a stopped one
    # from where it stopped, to show the deadline it was held to; a paused one not at all).
    runs_on = t_running[timer_last]
    # A timer cut before now (a team's stint that ended with a handoff) stopped there.
    cut = runs_on & (timer_until < now)
    status = np.select(
        [~is_final, ~t_started[timer_last], runs_on & ~cut, t_state_stop[timer_last] | cut],
        [
            STATUS_CODE[s]
            for s in (
                TimerStatus.CANCELLED,
                TimerStatus.NOT_STARTED,
                TimerStatus.RUNNING,
                TimerStatus.STOPPED,
            )
        ],
        default=STATUS_CODE[TimerStatus.PAUSED],
    ).astype(np.int64)
    running_now = status == STATUS_CODE[TimerStatus.RUNNING]
    stopped_now = status == STATUS_CODE[TimerStatus.STOPPED]
    stopped_at = np.where(
        status == STATUS_CODE[TimerStatus.CANCELLED],
        timer_until,
        np.where(stopped_now, last_run_end, NONE),
    ).astype(np.int64)
    project_from = np.where(
        running_now, timer_until, np.where(stopped_now, last_run_end, NONE)
    ).astype(np.int64)

    # Business time: on the final target's calendar, except under keep_spent, where each run
    # counts on the calendar in force when it ran and is carried into the final one.
    carried = np.zeros(n_timers, dtype=np.int64)
    counted = t_running
    keep_spent = policies[final_of_timer] == policy_code[ChangePolicy.KEEP_SPENT]
    if np.unique(cal_of_target[:-1]).size > 1 and keep_spent.any():
        own = cal_of_target[t_target]
        elsewhere = ran & keep_spent[timer] & (own != final_calendar[timer])
        for c in np.unique(own[elsewhere]):
            sel = elsewhere & (own == c)
            spent = calendars[int(c)].elapsed(t_at[sel], following[sel])
            carried += np.bincount(timer[sel], weights=spent, minlength=n_timers).astype(np.int64)
        counted = t_running & ~elsewhere
    positions = None
    if position_cache is not None and t_at is at and np.unique(final_calendar).size == 1:
        calendar = int(final_calendar[0])
        cached = position_cache.get(calendar)
        if cached is None or cached[0] is not at:  # positions of these very events only
            cached = (at, calendars[calendar].position(at))
            position_cache[calendar] = cached
        positions = cached[1]
    points = TimerPoints(timer, t_at, counted, timer_until, positions)
    thresholds: dict[tuple[str, int], Seconds] = {
        ("warning", w): target_seconds * w // 100 for w in _all_warnings(targets)
    }
    for level, amounts in _escalation_amounts(targets, final_of_timer, target_seconds).items():
        thresholds[("escalation", level)] = amounts
    figures, reached = _figures_by_calendar(
        calendars, final_calendar, points, target_seconds, carried, project_from, thresholds
    )
    declared = _declared(targets, final_of_timer, thresholds)
    warnings = {
        key[1]: np.where(declared[key], reached[key], NONE).astype(np.int64)
        for key in thresholds
        if key[0] == "warning"
    }
    escalations = {
        key[1]: np.where(declared[key], reached[key], NONE).astype(np.int64)
        for key in thresholds
        if key[0] == "escalation"
    }
    return TimerColumns(
        ticket=owner.astype(np.int64),
        phase=t_phase[timer_first].astype(np.int64),
        target=final_of_timer.astype(np.int64),
        status=status,
        started_at=started_at,
        stopped_at=stopped_at,
        target_seconds=target_seconds,
        elapsed=figures[0],
        remaining=figures[1],
        overrun=figures[2],
        percent=figures[3],
        breached=figures[4],
        deadline=figures[5],
        breach_at=figures[6],
        warnings=warnings,
        escalations=escalations,
        intervals=(
            running_intervals(timer, t_at, t_running, until=timer_until) if with_intervals else None
        ),
    )


def _target_seconds(
    targets: Sequence[ResolvedTarget],
    target_of_timer: Indices,
    started_at: Seconds,
    calendars: Sequence[WorkingTime],
) -> Seconds:
    per_unit = {DurationUnit.BUSINESS_MINUTES: 60, DurationUnit.BUSINESS_HOURS: 3600}
    simple = np.array(
        [r.target.amount * per_unit.get(r.target.unit, 0) for r in targets] + [0], dtype=np.int64
    )
    seconds = simple[target_of_timer]
    # Working-day targets: the business seconds from the start to the working-day deadline,
    # computed together for every timer of the same target.
    day_units = (DurationUnit.WORKING_DAYS, DurationUnit.END_OF_WORKING_DAY)
    started = started_at != NONE
    for index, resolved in enumerate(targets):
        if resolved.target.unit not in day_units:
            continue
        timers = np.flatnonzero(started & (target_of_timer == index))
        if not timers.size:
            continue
        working = calendars[resolved.calendar]
        begin = started_at[timers]
        end = working.working_days_after(
            begin,
            np.full(timers.size, resolved.target.amount, dtype=np.int64),
            end_of_day=resolved.target.unit is DurationUnit.END_OF_WORKING_DAY,
        )
        seconds[timers] = working.elapsed(begin, end)
    return seconds


def _figures_by_calendar(
    calendars: Sequence[WorkingTime],
    timer_calendar: Indices,
    points: TimerPoints,
    targets: Seconds,
    carried: Seconds,
    project_from: Seconds,
    thresholds: dict[tuple[str, int], Seconds],
) -> tuple[
    tuple[Seconds, Seconds, Seconds, npt.NDArray[np.float64], Flags, Seconds, Seconds],
    dict[tuple[str, int], Seconds],
]:
    """`timer_figures` per calendar (in one piece when every timer counts on the same one)."""
    n = targets.size
    out = (
        np.zeros(n, np.int64),
        np.zeros(n, np.int64),
        np.zeros(n, np.int64),
        np.zeros(n, np.float64),
        np.zeros(n, bool),
        np.full(n, NONE, np.int64),
        np.full(n, NONE, np.int64),
    )
    reached = {key: np.full(n, NONE, np.int64) for key in thresholds}
    used = np.unique(timer_calendar)
    for c in used:
        whole = used.size == 1
        timers = np.arange(n) if whole else np.flatnonzero(timer_calendar == c)
        figures = timer_figures(
            calendars[int(c)],
            points if whole else _subset(points, timers, n),
            targets[timers],
            carried=carried[timers],
            project_from=project_from[timers],
            thresholds={key: amounts[timers] for key, amounts in thresholds.items()},
        )
        for column, values in zip(
            out,
            (
                figures.elapsed,
                figures.remaining,
                figures.overrun,
                figures.percent,
                figures.breached,
                figures.deadline,
                figures.breach_at,
            ),
            strict=True,
        ):
            column[timers] = values
        for key in thresholds:
            reached[key][timers] = figures.reached[key]
    return out, reached


def _declared(
    targets: Sequence[ResolvedTarget],
    target_of_timer: Indices,
    thresholds: dict[tuple[str, int], Seconds],
) -> dict[tuple[str, int], Flags]:
    """Which timers' own targets declare each threshold."""
    declared: dict[tuple[str, int], Flags] = {}
    for kind, number in thresholds:
        has = [
            number
            in (r.target.warnings if kind == "warning" else [e.level for e in r.target.escalations])
            for r in targets
        ]
        declared[(kind, number)] = np.array([*has, False])[target_of_timer]
    return declared


def _subset(points: TimerPoints, timers: Indices, n: int) -> TimerPoints:
    """The points of ``timers``, renumbered 0 … len(timers)-1."""
    renumber = np.full(n, -1, dtype=np.int64)
    renumber[timers] = np.arange(timers.size)
    mapped = renumber[points.timer]
    sel = mapped >= 0
    return TimerPoints(
        mapped[sel],
        points.times[sel],
        points.running[sel],
        points.until[timers],
        None if points.positions is None else points.positions[sel],
    )


def _all_warnings(targets: Sequence[ResolvedTarget]) -> list[int]:
    return sorted({w for r in targets for w in r.target.warnings})


def _escalation_amounts(
    targets: Sequence[ResolvedTarget], target_of_timer: Indices, target_seconds: Seconds
) -> dict[int, Seconds]:
    levels = sorted({e.level for r in targets for e in r.target.escalations})
    amounts: dict[int, Seconds] = {}
    for level in levels:
        offsets = np.array(
            [
                next((e.offset_minutes * 60 for e in r.target.escalations if e.level == level), 0)
                for r in targets
            ]
            + [0],
            dtype=np.int64,
        )
        amounts[level] = np.maximum(target_seconds + offsets[target_of_timer], 1)
    return amounts


# ------------------------------------------------------------------ alignment


def deadline_of(working: WorkingTime, target: TicketTarget, start: int) -> int:
    """The deadline of ``target`` for a timer starting at ``start`` that never pauses."""
    if target.unit is DurationUnit.BUSINESS_MINUTES:
        return working.add_to(start, target.amount * 60)
    if target.unit is DurationUnit.BUSINESS_HOURS:
        return working.add_to(start, target.amount * 3600)
    return working.add_working_days(
        start, target.amount, end_of_day=target.unit is DurationUnit.END_OF_WORKING_DAY
    )


def sample_starts(working: WorkingTime, around: int, *, days: int = 28, step: int = 900) -> Seconds:
    """Worked instants every ``step`` seconds over the ``days`` after ``around``: the starts from
    which an alignment check measures (every quarter hour of four weeks by default)."""
    first = around - around % step
    candidates = np.arange(first, first + days * 86_400, step, dtype=np.int64)
    worked: Seconds = candidates[working.next_working(candidates) == candidates]
    return worked


@dataclass(frozen=True)
class ChainFit:
    verdict: str
    """``fits`` (from every sample start), ``sometimes`` or ``does-not-fit`` (from none)."""
    worst_chain: int | None
    """The longest the chain took, in the SLA calendar's business seconds."""
    sla_seconds: int | None
    """The SLA target in its calendar's business seconds (the least over the starts)."""
    fits_share: float | None


def chain_fit(
    sla_calendar: WorkingTime,
    sla_target: TicketTarget,
    chain: Sequence[tuple[WorkingTime, TicketTarget]],
    starts: Seconds,
) -> ChainFit:
    """Run the chain of supporting targets one after another from each start, each on its own
    calendar (worst case: every link uses its whole target), and compare where it ends with the
    SLA's deadline from the same start. Comparing instants, not durations, is what puts
    different calendars on common ground: a UC's 8 business hours on weekdays can end days after
    an SLA's 4 hours on 24x7."""
    if not chain or not starts.size:
        return ChainFit("fits" if not chain else "no-samples", None, None, None)
    fits = 0
    worst = 0
    allowed = None
    for s in starts.tolist():
        sla_deadline = deadline_of(sla_calendar, sla_target, s)
        end = s
        for working, target in chain:
            end = deadline_of(working, target, end)
        worst = max(worst, sla_calendar.elapsed_between(s, end))
        budget = sla_calendar.elapsed_between(s, sla_deadline)
        allowed = budget if allowed is None else min(allowed, budget)
        fits += end <= sla_deadline
    share = fits / starts.size
    verdict = "fits" if fits == starts.size else "does-not-fit" if fits == 0 else "sometimes"
    return ChainFit(verdict, worst, allowed, round(share, 4))
