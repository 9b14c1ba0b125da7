"""Rules of objective definitions (pure)."""

from __future__ import annotations

import re
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from accord.kit.errors import FieldValueError, RuleViolation
from accord.objectives.enums import BudgetingMethod, SliKind, SourceKind

BUCKET_SECONDS = 300
"""The grain of stored telemetry (5 minutes, as Sloth's and the SRE Workbook's shortest window).
One grain for the whole installation: timeslices are whole multiples of it."""

OBJECTIVE_NAME_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9])?$"
LABEL_NAME_PATTERN = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
OBJECTIVE_KEY_PATTERN = r"^SLO-[0-9]{4,}$"

PROMETHEUS_QUERY_SHAPES: tuple[frozenset[str], ...] = (
    frozenset({"error_query", "total_query"}),
    frozenset({"good_query", "total_query"}),
    frozenset({"error_ratio_query"}),
)
"""Sloth's events (errors/total) and raw (error ratio) SLIs, and OpenSLO's good/total ratio."""

TERM_FIELDS = frozenset({"target", "window"})
"""Fields of a contractual objective that belong to the agreement's terms."""


def objective_key(id_: int) -> str:
    return f"SLO-{id_:04d}"


def objective_id(key: str) -> int | None:
    """The surrogate id inside a key, or None when the text is not a key."""
    if re.fullmatch(OBJECTIVE_KEY_PATTERN, key) is None:
        return None
    return int(key.removeprefix("SLO-"))


def check_time_zone(name: str) -> str:
    if name not in _zones():
        raise ValueError(f"unknown IANA time zone {name!r}")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown IANA time zone {name!r}") from error
    return name


_ZONES: frozenset[str] = frozenset()


def _zones() -> frozenset[str]:
    global _ZONES
    if not _ZONES:
        _ZONES = frozenset(available_timezones()) | {"UTC"}
    return _ZONES


def check_definition(
    *,
    sli_kind: SliKind,
    latency_threshold_ms: Decimal | None,
    budgeting_method: BudgetingMethod,
    timeslice_seconds: int | None,
    timeslice_threshold: Decimal | None,
    source: SourceKind,
    queries: dict[str, str],
) -> None:
    """Cross-field consistency; raises `FieldValueError` at the offending field (422)."""
    if (sli_kind is SliKind.LATENCY) != (latency_threshold_ms is not None):
        raise FieldValueError("latency_threshold_ms", "required for latency SLIs and only for them")
    if budgeting_method is BudgetingMethod.OCCURRENCES:
        if timeslice_seconds is not None or timeslice_threshold is not None:
            raise FieldValueError("timeslice_seconds", "only for timeslice methods")
    else:
        if timeslice_seconds is None:
            raise FieldValueError("timeslice_seconds", f"required for {budgeting_method.value}")
        if timeslice_seconds <= 0 or timeslice_seconds % BUCKET_SECONDS:
            raise FieldValueError(
                "timeslice_seconds", f"must be a positive multiple of the {BUCKET_SECONDS} s grain"
            )
        if timeslice_seconds > 86_400:
            raise FieldValueError("timeslice_seconds", "at most one day")
        if (budgeting_method is BudgetingMethod.TIMESLICES) != (timeslice_threshold is not None):
            raise FieldValueError(
                "timeslice_threshold", "required for timeslices and only for them"
            )
    check_queries(source, queries)


def check_queries(source: SourceKind, queries: dict[str, str]) -> None:
    if source is SourceKind.TICKETING:
        raise FieldValueError("source", "a ticketing source feeds ticket timers, not an SLI")
    if source is SourceKind.PROMETHEUS:
        if frozenset(queries) not in PROMETHEUS_QUERY_SHAPES:
            shapes = " | ".join("+".join(sorted(s)) for s in PROMETHEUS_QUERY_SHAPES)
            raise FieldValueError("queries", f"a Prometheus SLI needs exactly {shapes}")
    elif source is SourceKind.PUSH and queries:
        raise FieldValueError("queries", "pushed telemetry has no queries")


def check_tier_minimum(target: Decimal, minimum: Decimal, tier: int, *, excepted: bool) -> None:
    if target < minimum and not excepted:
        raise RuleViolation(
            "below-tier-minimum",
            f"target {target} is below tier {tier}'s minimum {minimum}; "
            "an approver may set it with a tier_exception stating why",
            field="target",
        )


def check_terms_editable(changed: set[str], *, contractual: bool, draft: bool) -> None:
    frozen = sorted(changed & TERM_FIELDS)
    if contractual and not draft and frozen:
        raise RuleViolation(
            "terms-frozen",
            f"{', '.join(frozen)} of a contractual objective change only through a new "
            "agreement version",
            field=frozen[0],
        )
