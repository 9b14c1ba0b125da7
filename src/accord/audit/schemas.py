"""Audit trail shapes for the API and CLI."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEventRead(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int
    occurred_at: datetime
    actor: str
    action: str
    entity_type: str
    entity_key: str
    business_unit_id: int | None
    reason: str | None
    before: Any = Field(description="State before the change (null when created).")
    after: Any = Field(description="State after the change (null when removed).")
    request_id: str | None
    hash: str
    prev_hash: str


class ChainVerification(BaseModel):
    ok: bool
    events: int = Field(description="Events verified before the first problem (all, when ok).")
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None
    checkpoints_verified: int | None = Field(
        default=None, description="Checkpoints checked (null when no checkpoints were given)."
    )
    checkpoint_problem: str | None = None
    checkpoint_number: int | None = None


class CheckpointRead(BaseModel):
    number: int
    event_seq: int
    head_hash: str
    created_at: datetime
    file: str | None
