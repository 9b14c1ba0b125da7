"""Enumerations of compliance (no SQLAlchemy: pure modules use them too)."""

from __future__ import annotations

from enum import StrEnum


class PolicyEventState(StrEnum):
    OPEN = "open"
    """The threshold is crossed."""
    RECOVERED = "recovered"
    """The objective came back below the threshold; the rung is armed again."""
