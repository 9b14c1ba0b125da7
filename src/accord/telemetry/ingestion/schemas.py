"""Ingestion shapes: what a push answers, quarantine entries and their resolution."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from accord.kit.types import Reason
from accord.telemetry.enums import QuarantineStatus


class PushResult(BaseModel):
    """The answer to an accepted push (2xx: committed)."""

    source: str
    rows: int = Field(description="Rows in the batch.")
    buckets: int = Field(description="Buckets stored (samples and counters are aggregated).")
    quarantined: int = Field(description="Buckets held in quarantine (flagged checks).")
    quarantine_ids: list[int]
    first_bucket: datetime | None
    last_bucket: datetime | None


class PushOutcome(BaseModel):
    """A push as the endpoint needs it: the exact response bytes (replayed byte for byte on a
    retry), and the counts for Accord's own metrics."""

    source: str
    body: bytes
    replayed: bool
    accepted_rows: int = 0
    quarantined_rows: int = 0
    newest_bucket_epoch: int | None = None
    reasons: Counter[str] = Field(default_factory=Counter)


class QuarantinedRead(BaseModel):
    id: int
    source: str
    objective: str | None
    reference: str
    bucket_start: datetime | None
    good: float | None
    total: float | None
    checks: list[str]
    messages: list[str]
    payload: list[dict[str, Any]]
    received_at: datetime
    status: QuarantineStatus
    releasable: bool = Field(description="Only buckets whose checks may be waived can be released.")
    resolved_at: datetime | None
    resolved_by: str | None


class QuarantineResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(description="Why the bucket is released or discarded (audited).")
