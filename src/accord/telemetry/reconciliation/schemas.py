"""Reconciliation shapes: a run's request and report, findings and their resolution."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from accord.kit.types import Instant, Reason
from accord.objectives.schemas import ObjectiveKey
from accord.telemetry.reconciliation.enums import FindingStatus, Use

DEFAULT_TOLERANCE = 0.01


class ReconciliationRun(BaseModel):
    """Compare an objective's primary and secondary buckets starting in [start, end)."""

    model_config = ConfigDict(extra="forbid")

    objective: ObjectiveKey
    start: Instant
    end: Instant
    tolerance: float = Field(
        default=DEFAULT_TOLERANCE,
        ge=0,
        lt=1,
        description="Relative tolerance on good and on total: |a - b| <= tolerance x max(a, b).",
    )


class ClassCounts(BaseModel):
    """Buckets of the range per class (`accord.engine.reconciliation.BucketClass`)."""

    agree: int = Field(description="Both sources, exactly equal.")
    within: int = Field(description="Both sources, different but within the tolerance.")
    disagree: int = Field(description="Both sources, different beyond the tolerance.")
    primary_only: int = Field(description="Only the primary sent the bucket.")
    secondary_only: int = Field(description="Only the secondary sent it.")
    neither: int = Field(description="No source sent it.")
    filled: int = Field(
        description="Of secondary_only: the stored value is the secondary's (it filled a gap "
        "of the primary, or a resolution chose it)."
    )
    other_provenance: int = Field(
        description="Stored buckets whose provenance is neither source (e.g. a load by hand); "
        "counted as the primary not having sent them."
    )


class FindingRead(BaseModel):
    id: int
    objective: str
    bucket_start: datetime
    primary_source: str
    secondary_source: str
    primary_good: float
    primary_total: float
    secondary_good: float
    secondary_total: float
    relative_difference: float
    tolerance: float
    status: FindingStatus
    found_at: datetime
    updated_at: datetime
    resolved_by: str | None
    resolved_at: datetime | None
    reason: str | None


class ReconciliationReport(BaseModel):
    objective: str
    primary_source: str
    secondary_source: str
    start: datetime = Field(description="First bucket start compared.")
    end: datetime = Field(description="End of the range (exclusive), bucket-aligned.")
    tolerance: float
    buckets: int = Field(description="Buckets in the range.")
    counts: ClassCounts
    opened: int = Field(description="Findings this run created.")
    updated: int = Field(description="Open findings whose values changed since the last run.")
    reopened: int = Field(
        description="Resolved findings opened again: the values they were resolved on changed."
    )
    open_findings: int = Field(description="Open findings of the range after this run.")
    findings: list[FindingRead] = Field(
        description="Open findings of the range, oldest bucket first, at most "
        "`findings_limit` (list all with GET /telemetry/reconciliation/findings)."
    )
    findings_limit: int


class FindingResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    use: Use = Field(
        description="`primary` keeps the stored value; `secondary` stores the secondary's."
    )
    reason: Reason = Field(description="Why this source is right (audited).")
