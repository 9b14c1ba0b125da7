"""Rules of exclusion windows (pure).

A window is declared ``proposed`` and decided once: ``approved`` or ``rejected``. Only approved
windows change SLO math. Maintenance is *planned*: it is declared, and approved, before it is
over; an outage recognised afterwards (a customer-caused incident, a force majeure) is an
``exception``, which may lie wholly in the past. Peaks may be declared for any time (past peaks
matter to baselines).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from accord.exclusions.enums import ExclusionKind, ExclusionStatus
from accord.kit.errors import InvalidTransition, RuleViolation
from accord.objectives.rules import BUCKET_SECONDS

MIN_LENGTH = timedelta(seconds=BUCKET_SECONDS)
"""Only telemetry buckets a window wholly covers are excluded: a shorter window excludes nothing."""

MAX_LENGTH: dict[ExclusionKind, timedelta] = {
    ExclusionKind.MAINTENANCE: timedelta(days=31),
    ExclusionKind.EXCEPTION: timedelta(days=31),
    ExclusionKind.PEAK: timedelta(days=92),
}
"""Maintenance and exceptions longer than a month are a renegotiation of the agreement, not an
exclusion; a seasonal peak may last a quarter."""

EXCLUDED_KINDS = frozenset({ExclusionKind.MAINTENANCE, ExclusionKind.EXCEPTION})
"""Kinds taken out of the SLI (or counted as good) once approved."""


@dataclass(frozen=True)
class ExclusionSpan:
    """An approved window as SLO evaluation and baselines use it."""

    id: int
    service_id: int
    objective_id: int | None
    """Only this objective of the service; every objective of it when None."""
    kind: ExclusionKind
    starts_at: datetime
    ends_at: datetime
    """Exclusive."""
    counts_as_good: bool


def check_window(
    kind: ExclusionKind, starts_at: datetime, ends_at: datetime, *, now: datetime
) -> None:
    """A declared window's length and timing (``ends_at > starts_at`` is checked by the schema)."""
    length = ends_at - starts_at
    if length < MIN_LENGTH:
        raise RuleViolation(
            "exclusion-too-short",
            f"a window shorter than the {BUCKET_SECONDS // 60}-minute telemetry bucket "
            "excludes nothing",
            field="ends_at",
        )
    if length > MAX_LENGTH[kind]:
        raise RuleViolation(
            "exclusion-too-long",
            f"a {kind.value} window lasts at most {MAX_LENGTH[kind].days} days",
            field="ends_at",
        )
    if kind is ExclusionKind.MAINTENANCE and ends_at <= now:
        raise RuleViolation(
            "maintenance-in-past",
            "maintenance is declared before it is over; declare a past outage as an exception",
            field="ends_at",
        )


def check_decidable(status: ExclusionStatus, *, operation: str) -> None:
    if status is not ExclusionStatus.PROPOSED:
        raise InvalidTransition(
            f"{operation}-from-{status.value}",
            f"cannot {operation} a window that is {status.value} (it must be proposed)",
        )


def check_approver(*, approver: str, declarer: str) -> None:
    """Four eyes: whoever declared a window does not approve it (they may withdraw it by
    rejecting it)."""
    if approver == declarer:
        raise InvalidTransition(
            "four-eyes", f"{approver} declared this window, so someone else must approve it"
        )


def check_approvable(kind: ExclusionKind, ends_at: datetime, *, now: datetime) -> None:
    if kind is ExclusionKind.MAINTENANCE and ends_at <= now:
        raise InvalidTransition(
            "maintenance-ended",
            "this maintenance is over without approval; declare the period as an exception",
        )
