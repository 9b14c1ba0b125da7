"""Lakeside Bank's service level objectives: error budget policies, objectives, a maintenance
window, 90 days of telemetry and the evaluation history that judged it.

The story: the renegotiated core-ledger OLA (about 11 months ago) was the first agreement to
carry a measurable objective, followed by the Nimbus renewal and BrightPay's new terms; each unit
adopted an error budget policy about five months ago and defined internal objectives on its key
services. The telemetry pipeline has delivered 5-minute buckets for the last 90 days (synthetic,
from `accord.demo.telemetry`), and the evaluation job has judged every objective each morning at
06:00 UTC and, for the last day, every hour. What it finds today:

- most objectives are healthy, with the odd past incident in their history;
- identity-platform is in a serious incident that started half an hour ago: it pages, and the
  platform policy escalates it to the SRE lead;
- mobile-banking burns slowly (an app release's retry storm): the ticket alert fires and the
  objective is at risk;
- online-banking-web overspent this month's budget in a botched release: its release gate is
  frozen until the budget recovers;
- postgres-dbaas had a planned minor-version upgrade whose failover errors are left out of its
  SLI by a maintenance window declared and approved beforehand.

Everything is created through the objectives, policies, exclusions and compliance services as the
people of the demo (the evaluation as the scheduled job), so it is validated, authorised and
audited like production data; telemetry goes through `telemetry.service.store_buckets` in one
bulk call, as a system writer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import orjson

from accord.compliance import rules as compliance_rules
from accord.compliance import service as compliance_service
from accord.config import IngestSettings
from accord.demo.organisation import CORPORATE, PLATFORM, RETAIL
from accord.demo.telemetry import SlowBurn, TrafficProfile, generate_series
from accord.demo.timeline import LOADER, WORKER, DemoScriptError, Timeline
from accord.engine.periods import calendar_window
from accord.exclusions import service as exclusions_service
from accord.exclusions.enums import ExclusionKind
from accord.exclusions.schemas import ExclusionCreate, ExclusionDecision
from accord.objectives import service as objectives_service
from accord.objectives.enums import (
    BudgetingMethod,
    CalendarUnit,
    PolicyTrigger,
    SliKind,
    SourceKind,
)
from accord.objectives.policies import service as policies_service
from accord.objectives.policies.schemas import PolicyCreate, ThresholdCreate
from accord.objectives.rules import objective_id, objective_key
from accord.objectives.schemas import ObjectiveCreate, ObjectiveUpdate
from accord.telemetry import rules as telemetry_rules
from accord.telemetry import service as telemetry_service
from accord.telemetry.ingestion import service as ingestion_service
from accord.telemetry.rules import BucketColumns
from accord.telemetry.sources import service as sources_service
from accord.telemetry.sources.schemas import MappingCreate, SourceCreate

HISTORY_DAYS = 90
"""Days of telemetry, and of daily evaluations."""
DAILY_EVALUATION_HOUR = 6
"""UTC hour of the daily evaluation."""
HOURLY_FOR = timedelta(hours=24)
"""The last day is evaluated every hour."""

_GRAIN = timedelta(seconds=telemetry_rules.BUCKET_SECONDS)
_DUBLIN = "Europe/Dublin"
_NEW_YORK = "America/New_York"
_EDITORS = {PLATFORM: "chen-wei", RETAIL: "rachel-kim", CORPORATE: "marco-rossi"}
_MAIL = "lakeside-bank.example"


# ----------------------------------------------------------------------------------- policies


def _standard(team: str) -> list[dict[str, Any]]:
    """The bank's standard ladder: notify at half the budget, escalate to the service owner at
    three quarters, freeze releases and review once it is spent; a page goes to the SRE lead."""
    return [
        {
            "trigger": PolicyTrigger.BUDGET_CONSUMED,
            "consumed_at_least": "0.5",
            "actions": [{"kind": "notify", "channel": "email", "recipients": [f"{team}@{_MAIL}"]}],
        },
        {
            "trigger": PolicyTrigger.BUDGET_CONSUMED,
            "consumed_at_least": "0.75",
            "actions": [
                {
                    "kind": "escalate",
                    "role": "service_owner",
                    "deadline_hours": 24,
                    "documentation_required": ["incident report"],
                }
            ],
        },
        {
            "trigger": PolicyTrigger.BUDGET_CONSUMED,
            "consumed_at_least": "1",
            "actions": [
                {"kind": "freeze_releases", "exempt": ["security fixes", "reliability fixes"]},
                {"kind": "require_review", "review": "error budget review", "deadline_hours": 72},
            ],
        },
        {
            "trigger": PolicyTrigger.PAGE_ALERT,
            "actions": [
                {
                    "kind": "escalate",
                    "role": "sre_lead",
                    "deadline_hours": 1,
                    "documentation_required": ["incident report", "RCA"],
                }
            ],
        },
        {
            "trigger": PolicyTrigger.TICKET_ALERT,
            "actions": [
                {
                    "kind": "notify",
                    "channel": "webhook",
                    "recipients": [f"https://chat.{_MAIL}/hooks/{team}"],
                }
            ],
        },
    ]


_BEST_EFFORT: list[dict[str, Any]] = [
    {
        "trigger": PolicyTrigger.BUDGET_CONSUMED,
        "consumed_at_least": "0.75",
        "actions": [{"kind": "notify", "channel": "email", "recipients": [f"retail-ops@{_MAIL}"]}],
    },
    {
        "trigger": PolicyTrigger.BUDGET_CONSUMED,
        "consumed_at_least": "1",
        "actions": [{"kind": "require_review", "review": "backlog review", "deadline_hours": 168}],
    },
    {"trigger": PolicyTrigger.AT_RISK, "actions": [{"kind": "notify", "channel": "record"}]},
]

# day, name, title, unit, thresholds, description
_POLICIES: tuple[tuple[int, str, str, str, list[dict[str, Any]], str], ...] = (
    (-150, "platform-standard", "Platform standard error budget policy", PLATFORM,
     _standard("sre-platform"),
     "Adopted after the ledger incident review: budget spent means reliability work first."),
    (-146, "retail-standard", "Retail standard error budget policy", RETAIL,
     _standard("retail-digital"),
     "The platform ladder, for customer-facing retail channels."),
    (-145, "retail-best-effort", "Retail best-effort policy (tiers 3-4)", RETAIL, _BEST_EFFORT,
     "Lighter ladder for tier 3 and 4 services: no release freeze, a backlog review instead."),
    (-142, "corporate-standard", "Corporate standard error budget policy", CORPORATE,
     _standard("corporate-channels"),
     "The platform ladder, for corporate channels."),
)  # fmt: skip


# --------------------------------------------------------------------------------- objectives


@dataclass(frozen=True)
class _Slo:
    handle: str
    unit: str
    day: int
    definition: dict[str, Any]
    profile: TrafficProfile
    seed: int
    terms: tuple[str, int] | None = None
    """(agreement handle, draft version) whose terms the objective joins."""
    policy: str | None = None
    attach_policy_on: int | None = None
    """A contractual objective predates the policies: it gets one on this day."""
    incident: _Incident | None = None
    """A past incident written into the telemetry, on top of the generator's own."""


@dataclass(frozen=True)
class _Incident:
    days_ago: int
    """Days before the last bucket's date."""
    starts: time
    """UTC."""
    minutes: int
    error_ratio: float


def _rolling(days: int = 30) -> dict[str, Any]:
    return {"kind": "rolling", "days": days}


def _month(zone: str) -> dict[str, Any]:
    return {"kind": "calendar", "unit": CalendarUnit.MONTH, "time_zone": zone}


def _week(zone: str) -> dict[str, Any]:
    return {"kind": "calendar", "unit": CalendarUnit.WEEK, "time_zone": zone}


def _profile(peak: float, error_ratio: float, **more: Any) -> TrafficProfile:
    """A service's traffic. The generator's own incidents are blips: where they fall depends on
    when the demo is loaded, so none may spend a budget under a policy on its own, even early in
    a calendar month. The incidents that matter are scripted (`_Incident` and the scenarios of
    `_telemetry`)."""
    defaults: dict[str, Any] = {
        "time_zone": _DUBLIN,
        "maintenance": False,
        "incidents": 2,
        "incident_minutes": (5, 20),
        "incident_error_ratio": (0.002, 0.01),
    }
    return TrafficProfile(peak_per_second=peak, error_ratio=error_ratio, **{**defaults, **more})


_SLOS: tuple[_Slo, ...] = (
    # --- Contractual: joined the terms of draft agreement versions.
    _Slo(
        "core-ledger-availability", PLATFORM, -327,
        {
            "service": "core-ledger", "name": "availability",
            "display_name": "Core ledger availability (OLA)",
            "description": "Postings and balance reads served without error, per calendar "
            "month in Dublin, as committed to retail banking.",
            "sli_kind": SliKind.AVAILABILITY, "target": "0.9995", "window": _month(_DUBLIN),
            "provider_owner": "kofi-mensah", "customer_owner": "priya-nair",
        },
        _profile(250, 0.00005), seed=101, terms=("ola-core-retail", 2),
        policy="platform-standard", attach_policy_on=-138,
        # The end-of-day close overran into the morning: the 06:00 evaluation pages.
        incident=_Incident(days_ago=41, starts=time(5, 20), minutes=40, error_ratio=0.2),
    ),
    _Slo(
        "kubernetes-availability", PLATFORM, -255,
        {
            "service": "kubernetes-platform", "name": "availability",
            "display_name": "Managed Kubernetes availability (Nimbus UC)",
            "description": "Kubernetes API and workload availability per calendar month, as "
            "Nimbus commits to in the DORA renewal.",
            "sli_kind": SliKind.AVAILABILITY, "target": "0.9995", "window": _month(_DUBLIN),
            "customer_owner": "ahmed-hassan",
        },
        _profile(900, 0.00006, peak_hour=11.0, trough_share=0.35), seed=102,
        terms=("uc-nimbus", 2), policy="platform-standard", attach_policy_on=-138,
        # A Nimbus control-plane outage (a credit claim under the UC).
        incident=_Incident(days_ago=60, starts=time(12, 0), minutes=30, error_ratio=0.2),
    ),
    _Slo(
        "baas-availability", RETAIL, -176,
        {
            "service": "baas-accounts-api", "name": "availability",
            "display_name": "BaaS accounts API availability (BrightPay SLA)",
            "description": "Successful API calls per calendar month, measured at the gateway.",
            "sli_kind": SliKind.AVAILABILITY, "target": "0.9995", "window": _month(_DUBLIN),
            "provider_owner": "tom-walsh", "customer_owner": "nadia-kowalski",
        },
        _profile(80, 0.00006, peak_hour=18.0), seed=103, terms=("sla-brightpay-baas", 2),
        policy="retail-standard", attach_policy_on=-138,
    ),
    # --- Internal objectives.
    _Slo(
        "postgres-availability", PLATFORM, -135,
        {
            "service": "postgres-dbaas", "name": "availability",
            "display_name": "PostgreSQL connection availability",
            "description": "Connections and queries served without a platform-side error.",
            "sli_kind": SliKind.AVAILABILITY, "target": "0.9995", "window": _rolling(),
        },
        _profile(600, 0.00004, maintenance=True, maintenance_zero_traffic=True), seed=104,
        policy="platform-standard",
    ),
    _Slo(
        "identity-availability", PLATFORM, -133,
        {
            "service": "identity-platform", "name": "sign-in-availability",
            "display_name": "Sign-in availability",
            "description": "Customer and staff sign-ins completed without a server error.",
            "sli_kind": SliKind.AVAILABILITY, "target": "0.9995", "window": _rolling(),
        },
        _profile(150, 0.00005), seed=105, policy="platform-standard",
    ),
    _Slo(
        "observability-ingestion", PLATFORM, -131,
        {
            "service": "observability-stack", "name": "ingestion",
            "display_name": "Telemetry ingestion (5-minute slices)",
            "description": "Share of 5-minute slices in which at least 99 % of the samples "
            "sent were ingested, over the last week.",
            "sli_kind": SliKind.RATIO, "target": "0.999", "window": _rolling(7),
            "budgeting_method": BudgetingMethod.TIMESLICES, "timeslice_seconds": 300,
            "timeslice_threshold": "0.99",
        },
        _profile(2000, 0.00005, trough_share=0.6, weekend_share=0.9, incidents=0),
        seed=106, policy="platform-standard",
        # A collector upgrade dropped samples: a week's budget gone, releases frozen for a week.
        incident=_Incident(days_ago=23, starts=time(14, 0), minutes=20, error_ratio=0.03),
    ),
    _Slo(
        "baas-latency", RETAIL, -128,
        {
            "service": "baas-accounts-api", "name": "latency",
            "display_name": "BaaS accounts API latency",
            "description": "API calls answered within one second.",
            "sli_kind": SliKind.LATENCY, "latency_threshold_ms": "1000", "target": "0.999",
            "window": _rolling(),
        },
        _profile(80, 0.0002, peak_hour=18.0), seed=107, policy="retail-standard",
    ),
    _Slo(
        "card-authorisation-availability", RETAIL, -127,
        {
            "service": "card-authorisation", "name": "availability",
            "display_name": "Card authorisation availability",
            "description": "Authorisation requests answered by the bank's host (not stand-in).",
            "sli_kind": SliKind.AVAILABILITY, "target": "0.9999", "window": _rolling(),
        },
        _profile(300, 0.00001, peak_hour=13.0, weekend_share=0.9),
        seed=108, policy="retail-standard",
        # A card-scheme certificate expired: three quarters of a month's budget in 40 minutes.
        incident=_Incident(days_ago=52, starts=time(13, 0), minutes=40, error_ratio=0.05),
    ),
    _Slo(
        "online-banking-availability", RETAIL, -126,
        {
            "service": "online-banking-web", "name": "availability",
            "display_name": "Online banking availability",
            "description": "Page and API requests of the web bank served without error, per "
            "calendar month.",
            "sli_kind": SliKind.AVAILABILITY, "target": "0.9995", "window": _month(_DUBLIN),
        },
        _profile(120, 0.00005, peak_hour=12.0), seed=109, policy="retail-standard",
    ),
    _Slo(
        "mobile-availability", RETAIL, -125,
        {
            "service": "mobile-banking", "name": "availability",
            "display_name": "Mobile banking availability",
            "description": "App back-end requests served without error.",
            "sli_kind": SliKind.AVAILABILITY, "target": "0.9995", "window": _rolling(),
        },
        _profile(200, 0.00008, peak_hour=19.0, slow_burn=SlowBurn(days=6, multiplier=22)),
        seed=110, policy="retail-standard",
    ),
    _Slo(
        "notifications-delivery", RETAIL, -120,
        {
            "service": "customer-notifications", "name": "delivery",
            "display_name": "Notification delivery (hourly mean)",
            "description": "Notifications accepted by the carrier or push service, as the mean "
            "of hourly delivery ratios per calendar week.",
            "sli_kind": SliKind.RATIO, "target": "0.995", "window": _week(_DUBLIN),
            "budgeting_method": BudgetingMethod.RATIO_TIMESLICES, "timeslice_seconds": 3600,
        },
        _profile(25, 0.001, peak_hour=10.0, incidents=3, incident_minutes=(10, 30),
            incident_error_ratio=(0.03, 0.1)),
        seed=111, policy="retail-best-effort",
    ),
    _Slo(
        "cash-portal-availability", CORPORATE, -118,
        {
            "service": "cash-management-portal", "name": "availability",
            "display_name": "Cash management portal availability",
            "description": "Portal requests served without error.",
            "sli_kind": SliKind.AVAILABILITY, "target": "0.9995", "window": _rolling(),
            "provider_owner": "james-oconnor",
        },
        _profile(60, 0.00005, peak_hour=10.0, weekend_share=0.15), seed=112,
        policy="corporate-standard",
    ),
    _Slo(
        "fx-quote-latency", CORPORATE, -117,
        {
            "service": "fx-trading", "name": "quote-latency",
            "display_name": "FX quote latency",
            "description": "Streaming price quotes delivered within 250 ms.",
            "sli_kind": SliKind.LATENCY, "latency_threshold_ms": "250", "target": "0.9995",
            "window": _rolling(),
        },
        _profile(400, 0.00006, peak_hour=14.0, trough_share=0.03, weekend_share=0.05), seed=113,
        policy="corporate-standard",
    ),
    _Slo(
        "corporate-api-availability", CORPORATE, -115,
        {
            "service": "corporate-api-banking", "name": "availability",
            "display_name": "Corporate API availability (US)",
            "description": "Balance and payment API calls served without error, per calendar "
            "month in New York.",
            "sli_kind": SliKind.AVAILABILITY, "target": "0.999", "window": _month(_NEW_YORK),
            "provider_owner": "james-oconnor",
        },
        _profile(30, 0.0002, time_zone=_NEW_YORK, peak_hour=11.0, weekend_share=0.1), seed=114,
        policy="corporate-standard",
    ),
    _Slo(
        "treasury-analytics-availability", CORPORATE, -110,
        {
            "service": "treasury-analytics", "name": "dashboard-availability",
            "display_name": "Treasury dashboards availability",
            "description": "Dashboard loads served without error, per calendar month in New "
            "York (reported, not alerted: tier 4).",
            "sli_kind": SliKind.AVAILABILITY, "target": "0.99", "window": _month(_NEW_YORK),
        },
        _profile(5, 0.001, time_zone=_NEW_YORK, peak_hour=9.0, weekend_share=0.05,
            incident_minutes=(20, 60), incident_error_ratio=(0.05, 0.2)),
        seed=115,
    ),
)  # fmt: skip


# ------------------------------------------------------------------------------------ the story


@dataclass
class _Story:
    """What the script learns while it runs (objective ids are known once created)."""

    ids: dict[str, int] = field(default_factory=dict)
    maintenance_id: int | None = None


def schedule(t: Timeline) -> None:
    """Schedule policies, objectives, the maintenance window, the telemetry load and the
    evaluations on ``t``."""
    story = _Story()
    # The end of the last complete bucket before now: where the telemetry stops.
    last = compliance_rules.evaluation_stop(t.now - timedelta(microseconds=1))
    for day, name, title, unit, thresholds, description in _POLICIES:
        policy = PolicyCreate(
            name=name,
            title=title,
            description=description,
            business_unit=unit,
            thresholds=[ThresholdCreate.model_validate(x) for x in thresholds],
        )
        t.schedule(day, 11, _create_policy(t, _EDITORS[unit], policy))
    series: dict[str, BucketColumns] = {}
    for slo in _SLOS:
        data = ObjectiveCreate.model_validate(
            {**slo.definition, "policy": None if slo.attach_policy_on else slo.policy}
        )
        t.schedule(slo.day, 14, _create_objective(t, story, slo, data))
        if slo.attach_policy_on is not None:
            t.schedule(slo.attach_policy_on, 15, _attach_policy(t, story, slo))
        series[slo.handle] = _telemetry(t, story, slo, last)
    first = last - timedelta(days=HISTORY_DAYS)
    t.schedule_at(first - timedelta(hours=1), _register_sources(t, story))
    t.schedule_at(first, _load_telemetry(t, story, series))
    for at in _evaluation_instants(last):
        t.schedule_at(at, _evaluate(t))
    t.schedule_at(last - timedelta(minutes=1), _push_ahead_of_time(t, story, last))


def _create_policy(t: Timeline, by: str, data: PolicyCreate) -> Callable[[], object]:
    return lambda: policies_service.create_policy(
        t.session, actor=t.actor(by), data=data, now=t.tick()
    )


def _create_objective(
    t: Timeline, story: _Story, slo: _Slo, data: ObjectiveCreate
) -> Callable[[], object]:
    def create() -> None:
        if slo.terms is not None:
            handle, number = slo.terms
            data_ = data.model_copy(update={"agreement": t.keys[handle], "version": number})
        else:
            data_ = data
        read = objectives_service.create_objective(
            t.session, actor=t.actor(_EDITORS[slo.unit]), data=data_, now=t.tick()
        )
        id_ = objective_id(read.key)
        if id_ is None:
            raise DemoScriptError(f"{read.key} is not an objective key")
        story.ids[slo.handle] = id_

    return create


def _attach_policy(t: Timeline, story: _Story, slo: _Slo) -> Callable[[], object]:
    return lambda: objectives_service.update_objective(
        t.session,
        actor=t.actor(_EDITORS[slo.unit]),
        key=objective_key(story.ids[slo.handle]),
        data=ObjectiveUpdate(policy=slo.policy),
        now=t.tick(),
    )


# ---------------------------------------------------------------------------------- telemetry

_PAGING = "identity-availability"
_OVERSPENT = "online-banking-availability"
_MAINTAINED = "postgres-availability"


def _telemetry(t: Timeline, story: _Story, slo: _Slo, last: datetime) -> BucketColumns:
    """The objective's 90 days of buckets (objective id 0 until it exists), with its part of
    the story written in."""
    generated = generate_series(0, end=last, days=HISTORY_DAYS, seed=slo.seed, profile=slo.profile)
    columns = generated.columns
    if slo.incident is not None:
        day = last.date() - timedelta(days=slo.incident.days_ago)
        start = datetime.combine(day, slo.incident.starts, tzinfo=UTC)
        stop = start + timedelta(minutes=slo.incident.minutes)
        columns = _outage(columns, start, stop, slo.incident.error_ratio, slo.seed)
    if slo.handle == _PAGING:
        # Sign-ins fail since a certificate rotation half an hour ago.
        columns = _outage(columns, last - timedelta(minutes=35), last, 0.22, slo.seed)
    elif slo.handle == _OVERSPENT:
        start, stop = _botched_release(last)
        columns = _outage(columns, start, stop, 0.15, slo.seed)
    elif slo.handle == _MAINTAINED:
        if generated.maintenance is None:
            raise DemoScriptError(f"{slo.handle}: the series has no maintenance window")
        columns = _failover(columns, generated.maintenance, 0.35, slo.seed)
        _maintenance(t, story, slo, *generated.maintenance)
    return columns


def _outage(
    columns: BucketColumns, start: datetime, stop: datetime, ratio: float, seed: int
) -> BucketColumns:
    """``ratio`` of the requests of ``[start, stop)`` fail."""
    rng = np.random.default_rng(seed)
    inside = (columns.start_epoch >= telemetry_rules.epoch_of(start)) & (
        columns.start_epoch < telemetry_rules.epoch_of(stop)
    )
    good = columns.good.copy()
    total = columns.total[inside]
    good[inside] = total - rng.binomial(total.astype(np.int64), ratio)
    return replace(columns, good=good)


def _failover(
    columns: BucketColumns, window: tuple[datetime, datetime], ratio: float, seed: int
) -> BucketColumns:
    """Traffic in the maintenance window (stored as zero) as it was a week earlier, ``ratio``
    of it failing while the primary fails over."""
    rng = np.random.default_rng(seed)
    lo, hi = (telemetry_rules.epoch_of(w) for w in window)
    inside = np.flatnonzero((columns.start_epoch >= lo) & (columns.start_epoch < hi))
    week_before = np.searchsorted(columns.start_epoch, columns.start_epoch[inside] - 7 * 86_400)
    total = columns.total.copy()
    good = columns.good.copy()
    total[inside] = columns.total[week_before]
    good[inside] = total[inside] - rng.binomial(total[inside].astype(np.int64), ratio)
    return replace(columns, good=good, total=total)


def _botched_release(last: datetime) -> tuple[datetime, datetime]:
    """Two and a half hours of failures this calendar month (Dublin), on a weekday morning a
    little before the middle of the month so far; the last three hours when the month is too
    young for that. Either way more than the month's budget."""
    zone = ZoneInfo(_DUBLIN)
    month_start, _ = calendar_window(last, CalendarUnit.MONTH.value, _DUBLIN)
    local_day = (month_start + (last - month_start) * 0.45).astimezone(zone).date()
    while local_day.weekday() >= 5:  # releases go out on weekdays
        local_day -= timedelta(days=1)
    start = datetime.combine(local_day, time(10, 30), tzinfo=zone).astimezone(UTC)
    stop = start + timedelta(minutes=150)
    if start < month_start or stop > last:
        start, stop = max(month_start, last - timedelta(hours=3)), last
    return start, stop


def _maintenance(t: Timeline, story: _Story, slo: _Slo, start: datetime, end: datetime) -> None:
    """Declared by the platform's editor eight days ahead, approved by the SRE lead six days
    ahead (four eyes; maintenance is approved before it is over)."""
    service = slo.definition["service"]
    data = ExclusionCreate(
        kind=ExclusionKind.MAINTENANCE,
        starts_at=start,
        ends_at=end,
        reason="PostgreSQL minor-version upgrade: rolling restart and failover of the primary",
    )
    day = (start.date() - t.today).days

    def declare() -> None:
        read = exclusions_service.declare_exclusion(
            t.session, actor=t.actor(_EDITORS[slo.unit]), service=service, data=data,
            now=t.tick(),
        )  # fmt: skip
        story.maintenance_id = read.id

    def approve() -> None:
        if story.maintenance_id is None:
            raise DemoScriptError("the maintenance window is approved before it is declared")
        exclusions_service.approve_exclusion(
            t.session,
            actor=t.actor("ahmed-hassan"),
            exclusion_id=story.maintenance_id,
            data=ExclusionDecision(reason="Change CHG-2291 approved by the CAB; customers told"),
            now=t.tick(),
        )

    t.schedule(day - 8, 10, declare)
    t.schedule(day - 6, 15, approve)


def _source_name(unit: str) -> str:
    return f"{unit}-collector"


def _metric_name(slo: _Slo) -> str:
    return slo.handle.replace("-", "_")


def _register_sources(t: Timeline, story: _Story) -> Callable[[], object]:
    """One push source per business unit (its collector), with every objective of the unit
    mapped to a metric name, registered by the unit's editor."""

    def register() -> None:
        for unit in sorted({slo.unit for slo in _SLOS}):
            editor = t.actor(_EDITORS[unit])
            sources_service.create_source(
                t.session,
                actor=editor,
                data=SourceCreate(
                    name=_source_name(unit),
                    display_name=f"{unit.replace('-', ' ').title()} telemetry collector",
                    kind=SourceKind.PUSH,
                    business_unit=unit,
                    owner=_EDITORS[unit],
                    time_zone="Europe/Dublin",
                    latency_unit="ms",
                ),
                now=t.tick(),
            )
            for slo in (s for s in _SLOS if s.unit == unit):
                sources_service.create_mapping(
                    t.session,
                    actor=editor,
                    source=_source_name(unit),
                    data=MappingCreate(
                        objective=objective_key(story.ids[slo.handle]), metric=_metric_name(slo)
                    ),
                    now=t.tick(),
                )

    return register


def _load_telemetry(
    t: Timeline, story: _Story, series: dict[str, BucketColumns]
) -> Callable[[], object]:
    """Each unit's buckets in one bulk store, with its collector as their provenance (a system
    writer: no actor, no audit event; the buckets are read only by evaluations at or after
    their time)."""

    def load() -> None:
        for unit in sorted({slo.unit for slo in _SLOS}):
            parts = [
                (story.ids[slo.handle], series[slo.handle]) for slo in _SLOS if slo.unit == unit
            ]
            source = sources_service.visible_source(
                t.session, actor=t.actor(LOADER), name=_source_name(unit)
            )
            telemetry_service.store_buckets(
                t.session,
                BucketColumns(
                    objective_id=np.concatenate(
                        [np.full(len(c), id_, dtype=np.int64) for id_, c in parts]
                    ),
                    start_epoch=np.concatenate([c.start_epoch for _, c in parts]),
                    good=np.concatenate([c.good for _, c in parts]),
                    total=np.concatenate([c.total for _, c in parts]),
                ),
                source_id=source.id,
                received_at=t.tick(),
            )

    return load


def _push_ahead_of_time(t: Timeline, story: _Story, last: datetime) -> Callable[[], object]:
    """A collector whose clock runs two hours ahead pushes one bucket: the `future` check
    holds it in quarantine for someone to release or discard (`accord telemetry quarantine`)."""

    def push() -> None:
        slo = _SLOS[0]
        ahead = last + timedelta(hours=2)
        body = orjson.dumps(
            [{"metric": _metric_name(slo), "start": ahead.isoformat(), "good": 998, "total": 1000}]
        )
        ingestion_service.push(
            t.session,
            actor=t.actor(LOADER),
            body=body,
            content_type="application/json",
            content_encoding=None,
            idempotency_key=None,
            source_name=_source_name(slo.unit),
            policy=ingestion_service.policy_of(IngestSettings()),
            max_decompressed_bytes=IngestSettings().max_decompressed_bytes,
            now=t.tick(),
        )

    return push


# -------------------------------------------------------------------------------- evaluations


def _evaluation_instants(last: datetime) -> list[datetime]:
    """Each day's 06:00 UTC since the telemetry began, every hour of the last day, and ``last``."""
    first = last - timedelta(days=HISTORY_DAYS)
    hourly_from = last - HOURLY_FOR
    instants: list[datetime] = []
    day = first.date()
    while (at := datetime.combine(day, time(DAILY_EVALUATION_HOUR), tzinfo=UTC)) < hourly_from:
        if at > first:
            instants.append(at)
        day += timedelta(days=1)
    hour = hourly_from.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    while hour < last:
        instants.append(hour)
        hour += timedelta(hours=1)
    return [*instants, last]


def _evaluate(t: Timeline) -> Callable[[], object]:
    """The scheduled evaluation job, judging whole buckets up to its instant."""
    return lambda: compliance_service.evaluate_objectives(
        t.session, actor=t.actor(WORKER), at=t.tick(grain=_GRAIN), history=True
    )
