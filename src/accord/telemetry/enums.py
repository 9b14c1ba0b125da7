"""Enumerations of telemetry (no SQLAlchemy: pure modules use them too)."""

from __future__ import annotations

from enum import StrEnum


class MappingRole(StrEnum):
    PRIMARY = "primary"
    """The source whose buckets are stored for the objective."""
    SECONDARY = "secondary"
    """A second opinion: fills the primary's gaps (marked as such) and is reconciled with it."""


class QuarantineStatus(StrEnum):
    HELD = "held"
    RELEASED = "released"
    DISCARDED = "discarded"
