"""Enumerations of the catalogue (no SQLAlchemy: pure modules use them too)."""

from __future__ import annotations

from enum import StrEnum


class Criticality(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Lifecycle(StrEnum):
    ACTIVE = "active"
    SUNSET = "sunset"
    """Still running, being wound down: no new agreements may cover it."""
    DECOMMISSIONED = "decommissioned"
    """Gone: removed from active monitoring, kept for history."""


class DependencyKind(StrEnum):
    HARD = "hard"
    """The service fails when the dependency fails."""
    SOFT = "soft"
    """The service degrades when the dependency fails."""
