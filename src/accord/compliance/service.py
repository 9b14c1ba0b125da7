"""Use cases of compliance: judge objectives at an instant from stored telemetry, keep their
status and its history, act on error budget policies, and answer release gates.

An evaluation reads, for all objectives at once, one aggregate per window from the telemetry
rollups (the SLO period and the eight burn-rate windows), takes approved exclusions out, and
hands the counts to the engine; nothing is ever looped per bucket here.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import numpy as np
from sqlalchemy.orm import Session

from accord.audit import service as audit_service
from accord.catalogue import service as catalogue_service
from accord.compliance import rules
from accord.compliance.enums import PolicyEventState
from accord.compliance.models import PolicyEvent
from accord.compliance.repository import PolicyEventRepository, StatusRepository
from accord.compliance.schemas import (
    BaselineRead,
    EvaluationSummary,
    FreezeReason,
    PeriodPerformance,
    PolicyEventRead,
    ReleaseGate,
    StatusRead,
    TargetCandidate,
)
from accord.engine import alerting, baseline, slo, timeslices
from accord.engine.periods import previous_periods
from accord.exclusions import service as exclusions_service
from accord.identity.rules import Actor, Permission
from accord.kit.hashing import floats_as_text
from accord.objectives import service as objectives_service
from accord.objectives.enums import BudgetingMethod, PolicyAction
from accord.objectives.policies import service as policies_service
from accord.objectives.policies.rules import Threshold
from accord.objectives.policies.schemas import EscalateAction
from accord.objectives.rules import BUCKET_SECONDS, objective_key
from accord.objectives.schemas import CalendarWindow, ObjectiveDefinition
from accord.telemetry import service as telemetry_service
from accord.telemetry.schemas import WindowCounts as StoredCounts

READ = Permission.OBJECTIVES_READ


# ===================================================================================== reading


def get_status(
    session: Session, *, actor: Actor, key: str, at: datetime | None, now: datetime
) -> StatusRead:
    """The objective judged at ``at`` (default now), computed afresh and not recorded."""
    objective = objectives_service.visible_objective(session, actor=actor, key=key)
    definitions = objectives_service.definitions(session, ids=[objective.id])
    judged = judge(session, definitions, at or now)
    return _present(session, judged)[0]


def statuses_at(
    session: Session, *, actor: Actor, service: str | None, at: datetime
) -> list[StatusRead]:
    """Every visible objective (of one service) judged at ``at``, computed afresh."""
    actor.require_anywhere(READ)
    ids = _objectives_of_service(session, actor, service)
    definitions = objectives_service.definitions(
        session, units=actor.scope(READ).unit_filter, ids=ids
    )
    return _present(session, judge(session, definitions, at))


def _objectives_of_service(session: Session, actor: Actor, slug: str | None) -> list[int] | None:
    """The ids of a visible service's objectives; None (no restriction) without a service."""
    if slug is None:
        return None
    found = catalogue_service.visible_service(session, actor=actor, slug=slug)
    return [o.id for o in objectives_service.objectives_of_services(session, [found.id])]


def list_current(
    session: Session,
    *,
    actor: Actor,
    service: str | None,
    after: int | None,
    limit: int,
    cache: CurrentStatusCache | None = None,
) -> tuple[list[StatusRead], int | None]:
    """The status recorded by the latest evaluation of each visible objective. With a
    ``cache`` (an API process keeps one), pages come from statuses presented once per
    evaluation pass and visibility scope."""
    actor.require_anywhere(READ)
    ids = _objectives_of_service(session, actor, service)
    units = actor.scope(READ).unit_filter
    repo = StatusRepository(session)
    if cache is None:
        rows = repo.current(units=units, objective_ids=ids, after=after, limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return _present_rows(session, rows), rows[-1].objective_id if more and rows else None

    def present_scope() -> _Presented:
        rows = repo.current(units=units, objective_ids=ids, after=None, limit=None)
        return _Presented([r.objective_id for r in rows], _present_rows(session, rows))

    scope = (units, None if ids is None else frozenset(ids))
    presented = cache.scope(repo.generation(), scope, present_scope)
    first = bisect.bisect_right(presented.ids, after) if after is not None else 0
    page = presented.items[first : first + limit]
    more = first + limit < len(presented.items)
    return page, presented.ids[first + limit - 1] if more else None


@dataclass(frozen=True)
class _Presented:
    ids: list[int]
    """Objective ids, ascending (the keyset the cursor walks)."""
    items: list[StatusRead]


class CurrentStatusCache:
    """Current statuses as presented, per visibility scope, until the next recorded pass.

    The current status of the fleet changes once per evaluation pass, while dashboards ask
    for it again and again: presenting 10,000 rows afresh per request costs a database
    round trip of 10,000 rows and 10,000 validated models. The cache keeps them and checks
    the generation (`StatusRepository.generation`) on every request, so a page is never
    older than the latest committed pass. Thread-safe; at most ``scopes`` scopes, least
    recently used first out."""

    def __init__(self, scopes: int = 32) -> None:
        self._capacity = scopes
        self._generation: tuple[int, int] | None = None
        self._scopes: OrderedDict[Hashable, _Presented] = OrderedDict()
        self._lock = threading.Lock()

    def scope(
        self,
        generation: tuple[int, int],
        key: Hashable,
        present: Callable[[], _Presented],
    ) -> _Presented:
        with self._lock:
            if generation != self._generation:
                self._scopes.clear()
                self._generation = generation
            found = self._scopes.get(key)
            if found is not None:
                self._scopes.move_to_end(key)
                return found
        presented = present()
        with self._lock:
            if generation == self._generation:
                self._scopes[key] = presented
                while len(self._scopes) > self._capacity:
                    self._scopes.popitem(last=False)
        return presented


def list_history(
    session: Session,
    *,
    actor: Actor,
    key: str,
    since: datetime | None,
    until: datetime | None,
    after: int | None,
    limit: int,
) -> tuple[list[StatusRead], int | None]:
    objective = objectives_service.visible_objective(session, actor=actor, key=key)
    rows = StatusRepository(session).history(
        objective.id, since=since, until=until, after=after, limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return _present_rows(session, rows), rows[-1].id if more and rows else None


def list_policy_events(
    session: Session,
    *,
    actor: Actor,
    key: str | None,
    state: PolicyEventState | None,
    after: int | None,
    limit: int,
) -> tuple[list[PolicyEventRead], int | None]:
    actor.require_anywhere(READ)
    objective_id = None
    if key is not None:
        objective_id = objectives_service.visible_objective(session, actor=actor, key=key).id
    rows = PolicyEventRepository(session).page(
        objective_id=objective_id,
        units=actor.scope(READ).unit_filter,
        state=state,
        after=after,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return _present_events(session, rows), rows[-1].id if more and rows else None


def release_gate(session: Session, *, actor: Actor, slug: str, now: datetime) -> ReleaseGate:
    """Frozen while any objective of the service has an open policy event that freezes
    releases; the reasons name the objective, the policy and what was crossed."""
    service = catalogue_service.visible_service(session, actor=actor, slug=slug, permission=READ)
    events = PolicyEventRepository(session).open_freezes(service.id)
    presented = _present_events(session, events)
    return ReleaseGate(
        service=service.slug,
        frozen=bool(events),
        reasons=[
            FreezeReason(
                objective=e.objective,
                policy=e.policy,
                trigger=e.trigger,
                since=e.opened_at,
                budget_consumed=e.detail.get("budget_consumed"),
            )
            for e in presented
        ],
        checked_at=now,
    )


# ================================================================================== evaluating


@dataclass
class Judgement:
    """One objective judged at one instant (what a status row holds)."""

    definition: ObjectiveDefinition
    period: rules.Period
    good: float
    total: float
    sli: float | None
    budget_consumed: float
    burn_rates: dict[str, float]
    page_alert: bool
    ticket_alert: bool
    exhaustion_at: datetime | None
    at_risk: bool
    data_coverage: float
    evaluated_at: datetime

    def row(self) -> dict[str, Any]:
        return {
            "objective_id": self.definition.id,
            "business_unit_id": self.definition.business_unit_id,
            "service_id": self.definition.service_id,
            "target": self.definition.target,
            "evaluated_at": self.evaluated_at,
            "window_start": self.period.start,
            "window_end": self.period.stop,
            "good": self.good,
            "total": self.total,
            "sli": self.sli,
            "budget_consumed": self.budget_consumed,
            "burn_rates": self.burn_rates,
            "page_alert": self.page_alert,
            "ticket_alert": self.ticket_alert,
            "exhaustion_at": self.exhaustion_at,
            "at_risk": self.at_risk,
            "data_coverage": self.data_coverage,
        }


def evaluate_objectives(
    session: Session,
    *,
    actor: Actor,
    at: datetime,
    objective_ids: Iterable[int] | None = None,
    history: bool = True,
    warm: WarmCounts | None = None,
) -> EvaluationSummary:
    """Judge every live objective (or the given ones) at ``at``; record the current status,
    a snapshot per objective (with ``history``) and policy events. A system job: the actor is
    the scheduler or the operator running it, recorded on policy events. ``warm`` counts
    (from `warm_counts` at ``at``, same session) spare the reads of a cold pass."""
    definitions = (
        objectives_service.definitions(session, ids=objective_ids)
        if warm is None
        else warm.definitions
    )
    judged = judge(session, definitions, at, warm=warm)
    statuses = StatusRepository(session)
    statuses.record([j.row() for j in judged], history=history)
    if objective_ids is None:
        statuses.forget(statuses.known_ids() - {d.id for d in definitions})
    opened, recovered = _apply_policies(session, actor, judged, at)
    return EvaluationSummary(
        evaluated_at=rules.evaluation_stop(at),
        objectives=len(judged),
        at_risk=sum(j.at_risk for j in judged),
        page_alerts=sum(j.page_alert for j in judged),
        ticket_alerts=sum(j.ticket_alert for j in judged),
        policy_events_opened=opened,
        policy_events_recovered=recovered,
    )


def judge(
    session: Session,
    definitions: Sequence[ObjectiveDefinition],
    at: datetime,
    *,
    warm: WarmCounts | None = None,
) -> list[Judgement]:
    """Every objective judged at ``at`` from stored telemetry, nothing written. With ``warm``
    counts (advanced to ``at`` by `warm_counts`) nothing is read but timeslices."""
    if not definitions:
        return []
    stop = rules.evaluation_stop(at)
    end = rules.bucket_number(stop)
    periods = _periods(definitions, at)
    reader: _Counts
    if warm is None:
        cold = _CountsReader(session, definitions, periods, stop)
        cold.read_burn_windows()
        reader = cold
    else:
        if warm.stop != stop or warm.shape != _counting_shape(definitions):
            raise ValueError("warm counts were not advanced to this instant and objectives")
        reader = _WarmReader(session, warm, {d.id: d for d in definitions}, periods)
    judged: list[Judgement] = []
    groups: dict[tuple[int, datetime], list[ObjectiveDefinition]] = defaultdict(list)
    for d in definitions:
        groups[(periods[d.id].seconds, periods[d.id].start)].append(d)
    for (seconds, start), members in groups.items():
        source = reader.source([d.id for d in members], start)
        calendar = isinstance(members[0].window, CalendarWindow)
        targets = np.array([float(d.target) for d in members])
        evaluation = alerting.evaluate(
            source,
            end,
            targets,
            seconds,
            period_start=rules.bucket_number(start) if calendar else None,
            windows=rules.BURN_WINDOWS,
            grain=BUCKET_SECONDS,
            exhaustion_window_seconds=rules.EXHAUSTION_WINDOW_SECONDS,
        )
        period_counts = reader.period_counts([d.id for d in members], start)
        expected = max((stop - start) // rules.GRAIN, 1)
        # Columns as Python lists once per group: thousands of objectives are read row by row.
        burns = sorted(evaluation.alerts.burn.items())
        labels = [rules.window_label(int(length)) for length, _ in burns]
        burn_columns = [np.where(np.isfinite(b), b, 0.0).tolist() for _, b in burns]
        good, total = evaluation.period.good.tolist(), evaluation.period.total.tolist()
        has_data, sli = evaluation.period.has_data.tolist(), evaluation.sli.tolist()
        consumed = evaluation.consumed.tolist()
        pages, tickets = evaluation.alerts.page.tolist(), evaluation.alerts.ticket.tolist()
        to_exhaustion = evaluation.seconds_to_exhaustion.tolist()
        buckets = period_counts.buckets.tolist()
        for i, d in enumerate(members):
            period = periods[d.id]
            exhaustion = rules.exhaustion_instant(stop, to_exhaustion[i])
            page, ticket = bool(pages[i]), bool(tickets[i])
            judged.append(
                Judgement(
                    definition=d,
                    period=period,
                    good=good[i],
                    total=total[i],
                    sli=sli[i] if has_data[i] else None,
                    budget_consumed=consumed[i],
                    burn_rates={
                        label: column[i] for label, column in zip(labels, burn_columns, strict=True)
                    },
                    page_alert=page,
                    ticket_alert=ticket,
                    exhaustion_at=exhaustion,
                    at_risk=rules.at_risk(
                        page=page, ticket=ticket, exhaustion_at=exhaustion, period=period
                    ),
                    data_coverage=min(buckets[i] / expected, 1.0),
                    evaluated_at=stop,
                )
            )
    return judged


def _periods(definitions: Sequence[ObjectiveDefinition], at: datetime) -> dict[int, rules.Period]:
    """Each objective's period at ``at``, computed once per distinct window."""
    by_window: dict[tuple[Any, ...], rules.Period] = {}
    periods = {}
    for d in definitions:
        window = (type(d.window), *d.window.__dict__.values())
        if window not in by_window:
            by_window[window] = rules.period_at(d.window, at)
        periods[d.id] = by_window[window]
    return periods


@dataclass
class _Exclusion:
    start: datetime
    stop: datetime
    counts_as_good: bool


@dataclass
class _CountsReader:
    """Reads the counts the engine asks for, for many objectives at once, with approved
    exclusions taken out. Windows are keyed by bucket numbers since the epoch."""

    session: Session
    definitions: Sequence[ObjectiveDefinition]
    periods: dict[int, rules.Period]
    stop: datetime
    _windows: dict[tuple[int, int], StoredCounts] = field(default_factory=dict)
    _exclusions: dict[int, list[_Exclusion]] = field(default_factory=dict)
    _by_id: dict[int, ObjectiveDefinition] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_id = {d.id: d for d in self.definitions}
        earliest = _earliest(self.periods, self.stop)
        self._exclusions = _exclusions_of(self.session, self.definitions, earliest, self.stop)

    def read_burn_windows(self) -> None:
        """Read each burn-rate window once for every objective (groups then share them)."""
        ids = list(self._by_id)
        for length in rules.burn_window_lengths():
            self._read(ids, self.stop - timedelta(seconds=length))

    def source(self, ids: list[int], start: datetime) -> _WindowSource:
        self._read(ids, start)
        return _WindowSource(self, ids)

    def period_counts(self, ids: list[int], start: datetime) -> StoredCounts:
        return self._subset(self._read(ids, start), ids)

    def counts(self, ids: list[int], start: int, stop: int) -> slo.WindowCounts:
        """Engine counts over buckets [start, stop) for ``ids``; a period window of a
        timeslice objective counts slices instead of events."""
        stored = self._subset(self._windows[(start, stop)], ids)
        # A source serves one group: its objectives share their period's start.
        if start != rules.bucket_number(self.periods[ids[0]].start):
            return slo.WindowCounts(stored.good, stored.total)
        return _sliced(
            self.session,
            [self._by_id[i] for i in ids],
            self.periods,
            self._exclusions,
            stored,
        )

    def _read(self, ids: list[int], start: datetime) -> StoredCounts:
        key = (rules.bucket_number(start), rules.bucket_number(self.stop))
        if key not in self._windows:
            counts = telemetry_service.window_counts(self.session, ids, start, self.stop)
            self._windows[key] = self._without_exclusions(counts, start)
        elif not set(ids) <= set(self._windows[key].objective_ids.tolist()):
            # Another group already read this window for other objectives: read the rest.
            have = self._windows[key]
            missing = sorted(set(ids) - set(have.objective_ids.tolist()))
            extra = self._without_exclusions(
                telemetry_service.window_counts(self.session, missing, start, self.stop), start
            )
            self._windows[key] = StoredCounts(
                objective_ids=np.concatenate([have.objective_ids, extra.objective_ids]),
                good=np.concatenate([have.good, extra.good]),
                total=np.concatenate([have.total, extra.total]),
                buckets=np.concatenate([have.buckets, extra.buckets]),
                ratio_sum=np.concatenate([have.ratio_sum, extra.ratio_sum]),
            )
        return self._windows[key]

    def _without_exclusions(self, counts: StoredCounts, start: datetime) -> StoredCounts:
        """Take out (or count as good) the buckets approved exclusions fully cover."""
        affected = [
            (i, int(o)) for i, o in enumerate(counts.objective_ids) if int(o) in self._exclusions
        ]
        if not affected:
            return counts
        good, total = counts.good.copy(), counts.total.copy()
        buckets, ratio_sum = counts.buckets.copy(), counts.ratio_sum.copy()
        for i, objective_id in affected:
            for exclusion in self._exclusions[objective_id]:
                lo, hi = max(exclusion.start, start), min(exclusion.stop, self.stop)
                if lo >= hi:
                    continue
                part = telemetry_service.window_counts(self.session, [objective_id], lo, hi)
                if exclusion.counts_as_good:
                    good[i] += part.total[0] - part.good[0]
                    ratio_sum[i] += part.buckets[0] - part.ratio_sum[0]
                else:
                    good[i] -= part.good[0]
                    total[i] -= part.total[0]
                    buckets[i] -= part.buckets[0]
                    ratio_sum[i] -= part.ratio_sum[0]
        # Subtraction in floating point can leave -0.0000001: clamp to the invariant.
        total = np.maximum(total, 0.0)
        good = np.clip(good, 0.0, total)
        return StoredCounts(
            objective_ids=counts.objective_ids,
            good=good,
            total=total,
            buckets=np.maximum(buckets, 0),
            ratio_sum=np.maximum(ratio_sum, 0.0),
        )

    @staticmethod
    def _subset(counts: StoredCounts, ids: list[int]) -> StoredCounts:
        position = {int(o): i for i, o in enumerate(counts.objective_ids)}
        rows = np.array([position[i] for i in ids], dtype=np.int64)
        return StoredCounts(
            objective_ids=counts.objective_ids[rows],
            good=counts.good[rows],
            total=counts.total[rows],
            buckets=counts.buckets[rows],
            ratio_sum=counts.ratio_sum[rows],
        )


def _merged(found: dict[int, list[_Exclusion]]) -> dict[int, list[_Exclusion]]:
    """Overlapping exclusions of one objective merged, so no bucket is taken out twice. Where
    one counts as good and an overlapping one does not, the overlap is left out (conservative:
    the provider is never credited twice)."""
    merged: dict[int, list[_Exclusion]] = {}
    for objective_id, spans in found.items():
        spans.sort(key=lambda s: s.start)
        out: list[_Exclusion] = []
        for span in spans:
            if out and span.start <= out[-1].stop:
                last = out[-1]
                last.stop = max(last.stop, span.stop)
                last.counts_as_good = last.counts_as_good and span.counts_as_good
            else:
                out.append(_Exclusion(span.start, span.stop, span.counts_as_good))
        merged[objective_id] = out
    return merged


def _exclusions_of(
    session: Session,
    definitions: Sequence[ObjectiveDefinition],
    earliest: datetime,
    stop: datetime,
) -> dict[int, list[_Exclusion]]:
    """Approved maintenance windows and exceptions overlapping [earliest, stop) as
    bucket-aligned spans per objective, merged.

    Only buckets an exclusion fully covers are excluded (the engine's rule): its start is
    rounded up and its end down to bucket boundaries."""
    by_service: dict[int, list[int]] = defaultdict(list)
    for d in definitions:
        by_service[d.service_id].append(d.id)
    wanted = {d.id for d in definitions}
    found: dict[int, list[_Exclusion]] = defaultdict(list)
    for window in exclusions_service.approved_windows(session, list(by_service), earliest, stop):
        start = rules.bucket_start(-(-(window.starts_at - rules.EPOCH) // rules.GRAIN))
        end = rules.bucket_start((window.ends_at - rules.EPOCH) // rules.GRAIN)
        if end <= start:
            continue
        targets = (
            [window.objective_id]
            if window.objective_id is not None
            else by_service.get(window.service_id, [])
        )
        for objective_id in targets:
            if objective_id in wanted:
                found[objective_id].append(
                    _Exclusion(start=start, stop=end, counts_as_good=window.counts_as_good)
                )
    return _merged(found)


def _slices(
    session: Session,
    d: ObjectiveDefinition,
    period: rules.Period,
    exclusions: list[_Exclusion],
) -> tuple[float, float]:
    """(good slices, slices counted) or (Σ slice ratios, slices) of one timeslice objective
    over its period, from its buckets."""
    assert d.timeslice_seconds is not None
    slice_buckets = d.timeslice_seconds // BUCKET_SECONDS
    # Whole slices only, aligned to the period's start.
    whole = ((period.stop - period.start) // rules.GRAIN) // slice_buckets * slice_buckets
    end = period.start + whole * rules.GRAIN
    if whole == 0:
        return 0.0, 0.0
    matrix = telemetry_service.recent_buckets(session, [d.id], period.start, end)
    good, total, has_data = _masked(
        matrix.good, matrix.total, matrix.has_data, period.start, [exclusions]
    )
    if d.budgeting_method is BudgetingMethod.TIMESLICES:
        assert d.timeslice_threshold is not None
        result = timeslices.timeslice_sli(
            good, total, has_data, slice_buckets, float(d.timeslice_threshold), d.missing_data
        )
    else:
        result = timeslices.ratio_timeslices_sli(
            good, total, has_data, slice_buckets, d.missing_data
        )
    return float(result.good[0]), float(result.total[0])


def _sliced(
    session: Session,
    definitions: Sequence[ObjectiveDefinition],
    periods: dict[int, rules.Period],
    exclusions: dict[int, list[_Exclusion]],
    counts: StoredCounts,
) -> slo.WindowCounts:
    """Period counts of ``definitions`` (row by row), with the events of each timeslice
    objective replaced by its slices."""
    good, total = counts.good.copy(), counts.total.copy()
    for i, d in enumerate(definitions):
        if d.budgeting_method is not BudgetingMethod.OCCURRENCES:
            good[i], total[i] = _slices(session, d, periods[d.id], exclusions.get(d.id, []))
    return slo.WindowCounts(good, total)


def _masked(
    good: np.ndarray,
    total: np.ndarray,
    has_data: np.ndarray,
    origin: datetime,
    exclusions: Sequence[Sequence[_Exclusion]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bucket matrices (row i: the objective whose exclusions are ``exclusions[i]``, columns
    from ``origin``) with every approved exclusion taken out or counted as good."""
    if not any(exclusions):
        return good, total, has_data
    good, total, has_data = good.copy(), total.copy(), has_data.copy()
    for i, spans in enumerate(exclusions):
        row = slice(i, i + 1)
        for span in spans:
            mask = slo.exclusion_mask(
                good.shape[1], origin, BUCKET_SECONDS, [(span.start, span.stop)]
            )
            if mask.any():
                good[row], total[row], has_data[row] = slo.apply_exclusions(
                    good[row], total[row], has_data[row], mask, span.counts_as_good
                )
    return good, total, has_data


@dataclass
class _WindowSource:
    """The engine's view of stored counts for one group of objectives."""

    reader: _CountsReader
    ids: list[int]

    @property
    def n_objectives(self) -> int:
        return len(self.ids)

    def window(self, start: slo.Index, stop: slo.Index) -> slo.WindowCounts:
        if not isinstance(start, int | np.integer) or not isinstance(stop, int | np.integer):
            raise TypeError("stored windows are shared by the whole group")
        return self.reader.counts(self.ids, int(start), int(stop))


# ================================================================================ warm counts

RECENT = max(rules.burn_window_lengths())
"""Seconds of buckets warm counts keep at full grain: the longest burn-rate window."""
LATE_WRITE_MARGIN = timedelta(minutes=15)
"""How long a write of buckets may take to commit and still be noticed by warm counts: the
journal is read this far back, because a write is stamped when its transaction starts and
becomes visible only when it commits."""


class _Counts(Protocol):
    """What judging reads: the cold reader (from the rollups) or warm counts."""

    def source(self, ids: list[int], start: datetime) -> slo.WindowSource: ...

    def period_counts(self, ids: list[int], start: datetime) -> StoredCounts: ...


def _counting_shape(definitions: Sequence[ObjectiveDefinition]) -> tuple[Any, ...]:
    """What of the objectives decides which buckets count where (not targets or policies)."""
    return tuple(
        (d.id, d.service_id, d.window, d.budgeting_method, d.timeslice_seconds) for d in definitions
    )


@dataclass
class WarmCounts:
    """The counts of every live objective kept between the passes of a long-running
    evaluator, so that a pass after one new batch reads that batch and the buckets leaving
    rolling periods instead of 30 days of rollups.

    Per objective it holds the period's sums (exclusions taken out) and running totals of
    the last `RECENT` seconds at bucket grain, so every burn-rate window is a subtraction
    across all objectives at once (`slo.CumulativeCounts`). `warm_counts` rebuilds them from
    storage whenever what they counted may have changed: other objectives or windows, other
    approved exclusions, an instant before theirs, or a journalled write to a bucket they had
    already counted (a backfill, a late sender)."""

    definitions: list[ObjectiveDefinition]
    shape: tuple[Any, ...]
    stop: datetime
    periods: dict[int, rules.Period]
    row: dict[int, int]
    period: StoredCounts
    recent: slo.CumulativeCounts
    recent_origin: int
    """Bucket number of the running totals' index 0."""
    exclusions: dict[int, list[_Exclusion]]
    journal_checked_at: datetime
    journal_seen: set[int]
    rebuilt: bool
    """Whether the last `warm_counts` call rebuilt them (for the job's log)."""
    fingerprint: str = ""
    """Of the definitions held (`objectives.service.definitions_fingerprint`)."""
    ahead: dict[tuple[int, ...], _Ahead] = field(default_factory=dict)
    """Buckets about to leave rolling periods, per group of objectives (`_leaving`)."""

    @property
    def ids(self) -> list[int]:
        return [d.id for d in self.definitions]


def warm_counts(session: Session, warm: WarmCounts | None, at: datetime) -> WarmCounts:
    """``warm`` advanced to ``at`` for the live objectives, or rebuilt from storage when it
    cannot be (see `WarmCounts`). Reads, never writes."""
    # The definitions are read again only when they changed (a target, a new objective).
    fingerprint = objectives_service.definitions_fingerprint(session)
    if warm is not None and warm.fingerprint == fingerprint:
        definitions = warm.definitions
    else:
        definitions = objectives_service.definitions(session)
    if warm is not None:
        advanced = _advance(session, warm, definitions, at)
        if advanced is not None:
            advanced.fingerprint = fingerprint
            return advanced
    built = _build(session, definitions, at)
    built.fingerprint = fingerprint
    return built


def _build(session: Session, definitions: list[ObjectiveDefinition], at: datetime) -> WarmCounts:
    # The journal first: a write it lists is visible to the reads below; one that commits
    # after them is listed next time and makes that pass rebuild.
    checked_at = telemetry_service.database_now(session)
    seen = {i for i, _ in telemetry_service.writes_since(session, checked_at - LATE_WRITE_MARGIN)}
    stop = rules.evaluation_stop(at)
    periods = _periods(definitions, at)
    ids = [d.id for d in definitions]
    cold = _CountsReader(session, definitions, periods, stop)
    exclusions = _exclusions_of(session, definitions, _earliest(periods, stop), _FAR_FUTURE)
    period = _empty_counts(ids)
    row = {objective_id: i for i, objective_id in enumerate(ids)}
    by_start: dict[datetime, list[int]] = defaultdict(list)
    for d in definitions:
        by_start[periods[d.id].start].append(d.id)
    for start, members in by_start.items():
        _put(period, row, cold.period_counts(members, start))
    origin = stop - timedelta(seconds=RECENT)
    recent = _masked_buckets(session, ids, origin, stop, exclusions)
    return WarmCounts(
        definitions=definitions,
        shape=_counting_shape(definitions),
        stop=stop,
        periods=periods,
        row=row,
        period=period,
        recent=slo.CumulativeCounts(recent.good, recent.total, validate=False),
        recent_origin=rules.bucket_number(origin),
        exclusions=exclusions,
        journal_checked_at=checked_at,
        journal_seen=seen,
        rebuilt=True,
    )


_DROP_EVERY = 86_400 // BUCKET_SECONDS
"""Buckets the running totals may hold beyond the longest window before the oldest go."""

_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=rules.EPOCH.tzinfo)
"""Exclusions are loaded open-ended: one approved ahead of time is already known when its
window begins, so its beginning is no reason to rebuild."""


def _earliest(periods: dict[int, rules.Period], stop: datetime) -> datetime:
    return min([p.start for p in periods.values()] + [stop - timedelta(seconds=RECENT)])


def _advance(
    session: Session, warm: WarmCounts, definitions: list[ObjectiveDefinition], at: datetime
) -> WarmCounts | None:
    """``warm`` moved forward to ``at``, or None when it must be rebuilt."""
    stop = rules.evaluation_stop(at)
    if stop < warm.stop or _counting_shape(definitions) != warm.shape:
        return None
    checked_at = telemetry_service.database_now(session)
    writes = telemetry_service.writes_since(session, warm.journal_checked_at - LATE_WRITE_MARGIN)
    if any(i not in warm.journal_seen and first < warm.stop for i, first in writes):
        return None
    periods = _periods(definitions, at)
    earliest = _earliest(periods, stop)
    exclusions = _exclusions_of(session, definitions, earliest, _FAR_FUTURE)
    if _clipped(exclusions, earliest) != _clipped(warm.exclusions, earliest):
        return None
    ids = warm.ids
    period = warm.period
    if stop > warm.stop:
        new = _masked_buckets(session, ids, warm.stop, stop, exclusions)
        warm.recent.extend(new.good, new.total)
        # Dropping rebases every running total: do it a day at a time, not every pass.
        oldest_needed = rules.bucket_number(stop - timedelta(seconds=RECENT)) - warm.recent_origin
        if oldest_needed - warm.recent.first >= _DROP_EVERY:
            warm.recent.drop_before(oldest_needed)
        period = _moved_periods(session, warm, definitions, periods, stop, new, exclusions)
    warm.definitions = definitions
    warm.stop = stop
    warm.periods = periods
    warm.period = period
    warm.exclusions = exclusions
    warm.journal_checked_at = checked_at
    warm.journal_seen = {i for i, _ in writes}
    warm.rebuilt = False
    return warm


def _clipped(
    exclusions: dict[int, list[_Exclusion]], earliest: datetime
) -> dict[int, list[tuple[datetime, datetime, bool]]]:
    """Exclusions as they bear on counts from ``earliest`` on."""
    clipped = {
        objective_id: [
            (max(e.start, earliest), e.stop, e.counts_as_good) for e in spans if e.stop > earliest
        ]
        for objective_id, spans in exclusions.items()
    }
    return {k: v for k, v in clipped.items() if v}


@dataclass(frozen=True)
class _Buckets:
    """Bucket matrices of many objectives with exclusions applied, and their row sums."""

    good: np.ndarray
    total: np.ndarray

    def sums(self, rows: np.ndarray | slice = slice(None)) -> StoredCounts:
        good, total = self.good[rows], self.total[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = np.where(total > 0, good / total, 0.0)
        return StoredCounts(
            objective_ids=np.empty(0, dtype=np.int64),
            good=good.sum(axis=1),
            total=total.sum(axis=1),
            buckets=(total > 0).sum(axis=1).astype(np.int64),
            ratio_sum=ratios.sum(axis=1),
        )


def _masked_buckets(
    session: Session,
    ids: list[int],
    start: datetime,
    stop: datetime,
    exclusions: dict[int, list[_Exclusion]],
) -> _Buckets:
    matrix = telemetry_service.recent_buckets(session, ids, start, stop)
    good, total, _ = _masked(
        matrix.good, matrix.total, matrix.has_data, start, [exclusions.get(i, []) for i in ids]
    )
    return _Buckets(good, total)


def _moved_periods(
    session: Session,
    warm: WarmCounts,
    definitions: list[ObjectiveDefinition],
    periods: dict[int, rules.Period],
    stop: datetime,
    new: _Buckets,
    exclusions: dict[int, list[_Exclusion]],
) -> StoredCounts:
    """The period sums at ``stop``: the new buckets added; for rolling windows the buckets
    that left subtracted; calendar periods that began anew read afresh."""
    period = _copy_counts(warm.period)
    _add(period, new.sums(), 1.0)
    leaving: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
    restarted: dict[datetime, list[int]] = defaultdict(list)
    for d in definitions:
        before, now = warm.periods[d.id].start, periods[d.id].start
        if now == before:
            continue
        if isinstance(d.window, CalendarWindow):
            restarted[now].append(d.id)
        else:
            leaving[(before, now)].append(d.id)
    for (start, end), members in leaving.items():
        rows = np.array([warm.row[i] for i in members], dtype=np.int64)
        gone = _leaving(session, warm, members, start, end, exclusions).sums()
        _add(period, gone, -1.0, rows)
    if restarted:
        cold = _CountsReader(session, definitions, periods, stop)
        for start, members in restarted.items():
            _put(period, warm.row, cold.period_counts(members, start))
    # Subtraction in floating point can leave -0.0000001: clamp to the invariant.
    period.total[:] = np.maximum(period.total, 0.0)
    period.good[:] = np.clip(period.good, 0.0, period.total)
    period.ratio_sum[:] = np.maximum(period.ratio_sum, 0.0)
    return period


LEAVING_AHEAD = timedelta(hours=1)
"""Buckets about to leave rolling periods are read this far ahead, once, rather than one
batch per pass: for 10,000 objectives a read costs as much for one bucket as for twelve."""


@dataclass(frozen=True)
class _Ahead:
    start: datetime
    buckets: _Buckets


def _leaving(
    session: Session,
    warm: WarmCounts,
    members: list[int],
    start: datetime,
    end: datetime,
    exclusions: dict[int, list[_Exclusion]],
) -> _Buckets:
    """The buckets [start, end) of ``members`` (exclusions applied), from those read ahead.
    They are old: a write to them is journalled and rebuilds the counts, cache and all."""
    key = tuple(members)
    ahead = warm.ahead.get(key)
    if (
        ahead is None
        or start < ahead.start
        or end > ahead.start + ahead.buckets.good.shape[1] * rules.GRAIN
    ):
        stop = max(end, start + LEAVING_AHEAD)
        ahead = _Ahead(start, _masked_buckets(session, members, start, stop, exclusions))
        warm.ahead[key] = ahead
    lo, hi = (start - ahead.start) // rules.GRAIN, (end - ahead.start) // rules.GRAIN
    return _Buckets(ahead.buckets.good[:, lo:hi], ahead.buckets.total[:, lo:hi])


def _empty_counts(ids: list[int]) -> StoredCounts:
    n = len(ids)
    return StoredCounts(
        objective_ids=np.array(ids, dtype=np.int64),
        good=np.zeros(n),
        total=np.zeros(n),
        buckets=np.zeros(n, dtype=np.int64),
        ratio_sum=np.zeros(n),
    )


def _copy_counts(counts: StoredCounts) -> StoredCounts:
    return StoredCounts(
        objective_ids=counts.objective_ids,
        good=counts.good.copy(),
        total=counts.total.copy(),
        buckets=counts.buckets.copy(),
        ratio_sum=counts.ratio_sum.copy(),
    )


def _put(into: StoredCounts, row: dict[int, int], counts: StoredCounts) -> None:
    rows = np.array([row[int(i)] for i in counts.objective_ids], dtype=np.int64)
    into.good[rows], into.total[rows] = counts.good, counts.total
    into.buckets[rows], into.ratio_sum[rows] = counts.buckets, counts.ratio_sum


def _add(
    into: StoredCounts,
    counts: StoredCounts,
    sign: float,
    rows: np.ndarray | slice = slice(None),
) -> None:
    into.good[rows] += sign * counts.good
    into.total[rows] += sign * counts.total
    into.buckets[rows] += int(sign) * counts.buckets
    into.ratio_sum[rows] += sign * counts.ratio_sum


@dataclass
class _WarmReader:
    """Judging's view of warm counts: periods from the kept sums (timeslices from buckets),
    burn-rate windows from the running totals."""

    session: Session
    warm: WarmCounts
    by_id: dict[int, ObjectiveDefinition]
    periods: dict[int, rules.Period]

    def source(self, ids: list[int], start: datetime) -> slo.WindowSource:
        return _WarmSource(self, ids, rules.bucket_number(start))

    def period_counts(self, ids: list[int], start: datetime) -> StoredCounts:
        rows = np.array([self.warm.row[i] for i in ids], dtype=np.int64)
        p = self.warm.period
        return StoredCounts(
            objective_ids=np.array(ids, dtype=np.int64),
            good=p.good[rows],
            total=p.total[rows],
            buckets=p.buckets[rows],
            ratio_sum=p.ratio_sum[rows],
        )


@dataclass
class _WarmSource:
    reader: _WarmReader
    ids: list[int]
    period_start: int

    @property
    def n_objectives(self) -> int:
        return len(self.ids)

    def window(self, start: slo.Index, stop: slo.Index) -> slo.WindowCounts:
        if not isinstance(start, int | np.integer) or not isinstance(stop, int | np.integer):
            raise TypeError("warm windows are shared by the whole group")
        warm = self.reader.warm
        if int(stop) != rules.bucket_number(warm.stop):
            raise ValueError("warm counts end at their evaluation instant")
        if int(start) == self.period_start:
            return _sliced(
                self.reader.session,
                [self.reader.by_id[i] for i in self.ids],
                self.reader.periods,
                warm.exclusions,
                self.reader.period_counts(self.ids, rules.bucket_start(self.period_start)),
            )
        rows = np.array([warm.row[i] for i in self.ids], dtype=np.int64)
        window = warm.recent.window(int(start) - warm.recent_origin, int(stop) - warm.recent_origin)
        return slo.WindowCounts(window.good[rows], window.total[rows])


# ==================================================================================== policies


def _apply_policies(
    session: Session, actor: Actor, judged: list[Judgement], at: datetime
) -> tuple[int, int]:
    with_policy = [j for j in judged if j.definition.policy_id is not None]
    if not with_policy:
        return 0, 0
    policies = policies_service.policy_for_objectives(
        session, {j.definition.policy_id for j in with_policy if j.definition.policy_id}
    )
    events = PolicyEventRepository(session)
    open_by_objective: dict[int, dict[int, PolicyEvent]] = defaultdict(dict)
    for event in events.open_of(j.definition.id for j in with_policy):
        open_by_objective[event.objective_id][event.threshold_id] = event
    opened = recovered = 0
    stop = rules.evaluation_stop(at)
    for j in with_policy:
        assert j.definition.policy_id is not None
        policy = policies.get(j.definition.policy_id)
        if policy is None:
            continue
        thresholds = {t.id: t for t in policy.thresholds}
        state = rules.Crossing(
            budget_consumed=j.budget_consumed,
            page_alert=j.page_alert,
            ticket_alert=j.ticket_alert,
            at_risk=j.at_risk,
        )
        current = open_by_objective.get(j.definition.id, {})
        change = rules.threshold_changes(
            {tid: (t.trigger, t.consumed_at_least) for tid, t in thresholds.items()},
            state,
            current,
        )
        for threshold_id in sorted(change.opened, key=lambda t: thresholds[t].position):
            _open_event(session, actor, j, policy.name, thresholds[threshold_id], stop)
            opened += 1
        for threshold_id in change.recovered:
            event = current[threshold_id]
            event.state = PolicyEventState.RECOVERED
            event.closed_at = stop
            _audit_event(session, actor, "policy.recovered", event, j, stop)
            recovered += 1
    session.flush()
    return opened, recovered


def _open_event(
    session: Session,
    actor: Actor,
    j: Judgement,
    policy: str,
    threshold: Threshold,
    at: datetime,
) -> None:
    actions = [a.model_dump(mode="json") for a in threshold.actions]
    escalation = next((a for a in threshold.actions if isinstance(a, EscalateAction)), None)
    event = PolicyEvent(
        objective_id=j.definition.id,
        threshold_id=threshold.id,
        service_id=j.definition.service_id,
        business_unit_id=j.definition.business_unit_id,
        state=PolicyEventState.OPEN,
        opened_at=at,
        freezes_releases=threshold.has(PolicyAction.FREEZE_RELEASES),
        escalate_to=escalation.role.value if escalation is not None else None,
        respond_by=at + timedelta(hours=escalation.deadline_hours)
        if escalation is not None
        else None,
        detail={
            "policy": policy,
            "position": threshold.position,
            "trigger": threshold.trigger.value,
            "consumed_at_least": str(threshold.consumed_at_least)
            if threshold.consumed_at_least is not None
            else None,
            "budget_consumed": j.budget_consumed,
            "burn_rates": j.burn_rates,
            "page_alert": j.page_alert,
            "ticket_alert": j.ticket_alert,
            "at_risk": j.at_risk,
            "actions": actions,
        },
    )
    PolicyEventRepository(session).add(event)
    _audit_event(session, actor, "policy.crossed", event, j, at)


def _audit_event(
    session: Session, actor: Actor, action: str, event: PolicyEvent, j: Judgement, at: datetime
) -> None:
    audit_service.record_event(
        session,
        actor=actor,
        action=action,
        entity_type="objective",
        entity_key=objective_key(j.definition.id),
        business_unit_id=j.definition.business_unit_id,
        after=floats_as_text(
            {
                "policy_event": event.id,
                "state": event.state.value,
                "freezes_releases": event.freezes_releases,
                "escalate_to": event.escalate_to,
                "respond_by": event.respond_by,
                **event.detail,
            }
        ),
        now=at,
    )


# ==================================================================================== baselines

TARGET_LADDER = tuple(
    Decimal(t) for t in ("0.9", "0.95", "0.99", "0.995", "0.999", "0.9995", "0.9999", "0.99999")
)
"""Candidate targets a recommendation chooses from (those at or above the tier's minimum)."""


def get_baseline(
    session: Session,
    *,
    actor: Actor,
    key: str,
    periods: int,
    achieved_in: int,
    now: datetime,
) -> BaselineRead:
    """Per-period achievement over the last ``periods`` complete periods (the objective's
    calendar unit, months for rolling windows), the baseline without declared peaks, and the
    highest target met in ``achieved_in`` of them."""
    objective = objectives_service.visible_objective(session, actor=actor, key=key)
    definition = objectives_service.definitions(session, ids=[objective.id])[0]
    window = definition.window
    unit, zone = (
        (window.unit.value, window.time_zone)
        if isinstance(window, CalendarWindow)
        else ("month", "UTC")
    )
    spans = previous_periods(now, unit, zone, periods)
    good, total = np.zeros(len(spans)), np.zeros(len(spans))
    for k, (start, end) in enumerate(spans):
        counts = telemetry_service.window_counts(session, [objective.id], start, end)
        good[k], total[k] = counts.good[0], counts.total[0]
    peaks = [
        (p.starts_at, p.ends_at)
        for p in exclusions_service.peak_windows(
            session, [objective.service_id], spans[0][0] if spans else now, now
        )
        if p.objective_id in (None, objective.id)
    ]
    is_peak = np.array(
        [any(s < pe and ps < e for ps, pe in peaks) for s, e in spans], dtype=np.bool_
    )
    period_sli = slo.sli(slo.WindowCounts(good, total))
    achieved = baseline.baseline(good[None, :], total[None, :], is_peak[None, :])[0]
    tier = catalogue_service.tiers_by_level(session)[
        catalogue_service.services_by_ids(session, [objective.service_id])[
            objective.service_id
        ].tier_level
    ]
    candidates = [t for t in TARGET_LADDER if t >= tier.min_target]
    ordinary = period_sli[~is_peak]
    recommendation = baseline.recommend_target(
        ordinary, [float(c) for c in candidates], achieved_in=achieved_in, of_last=periods
    )
    by_float = {float(c): c for c in candidates}
    return BaselineRead(
        objective=objective_key(objective.id),
        current_target=definition.target,
        tier=tier.level,
        tier_minimum=tier.min_target,
        periods=[
            PeriodPerformance(
                start=s,
                end=e,
                good=float(good[k]),
                total=float(total[k]),
                sli=float(period_sli[k]) if total[k] > 0 else None,
                peak=bool(is_peak[k]),
            )
            for k, (s, e) in enumerate(spans)
        ],
        baseline_sli=float(achieved) if math.isfinite(achieved) else None,
        recommended_target=by_float.get(recommendation.target)
        if recommendation.target is not None
        else None,
        achieved_in=achieved_in,
        of_last=periods,
        candidates=[
            TargetCandidate(target=c, met_in=recommendation.met.get(float(c), 0))
            for c in candidates
        ],
    )


# ================================================================================= presenting


def _present(session: Session, judged: list[Judgement]) -> list[StatusRead]:
    services = catalogue_service.services_by_ids(session, {j.definition.service_id for j in judged})
    return [
        StatusRead(
            objective=j.definition.key,
            service=services[j.definition.service_id].slug,
            target=j.definition.target,
            evaluated_at=j.evaluated_at,
            window_start=j.period.start,
            window_end=j.period.stop,
            good=j.good,
            total=j.total,
            sli=j.sli,
            budget_consumed=j.budget_consumed,
            budget_remaining=1.0 - j.budget_consumed,
            burn_rates=j.burn_rates,
            page_alert=j.page_alert,
            ticket_alert=j.ticket_alert,
            exhaustion_at=j.exhaustion_at,
            at_risk=j.at_risk,
            data_coverage=j.data_coverage,
        )
        for j in judged
    ]


def _present_rows(session: Session, rows: Sequence[Any]) -> list[StatusRead]:
    """Recorded statuses (ORM rows or plain result rows of their columns) as read models."""
    services = catalogue_service.services_by_ids(session, {r.service_id for r in rows})
    return [
        StatusRead(
            objective=objective_key(r.objective_id),
            service=services[r.service_id].slug,
            target=r.target,
            evaluated_at=r.evaluated_at,
            window_start=r.window_start,
            window_end=r.window_end,
            good=r.good,
            total=r.total,
            sli=r.sli,
            budget_consumed=r.budget_consumed,
            budget_remaining=1.0 - r.budget_consumed,
            burn_rates=r.burn_rates,
            page_alert=r.page_alert,
            ticket_alert=r.ticket_alert,
            exhaustion_at=r.exhaustion_at,
            at_risk=r.at_risk,
            data_coverage=r.data_coverage,
        )
        for r in rows
    ]


def _present_events(session: Session, events: Sequence[PolicyEvent]) -> list[PolicyEventRead]:
    services = catalogue_service.services_by_ids(session, {e.service_id for e in events})
    return [
        PolicyEventRead(
            id=e.id,
            objective=objective_key(e.objective_id),
            service=services[e.service_id].slug,
            policy=e.detail.get("policy", ""),
            trigger=e.detail["trigger"],
            consumed_at_least=Decimal(e.detail["consumed_at_least"])
            if e.detail.get("consumed_at_least") is not None
            else None,
            state=e.state,
            opened_at=e.opened_at,
            closed_at=e.closed_at,
            freezes_releases=e.freezes_releases,
            escalate_to=e.escalate_to,
            respond_by=e.respond_by,
            detail=e.detail,
        )
        for e in events
    ]
