"""Enumerations of exclusions (no SQLAlchemy: pure modules use them too)."""

from __future__ import annotations

from enum import StrEnum


class ExclusionKind(StrEnum):
    MAINTENANCE = "maintenance"
    """A planned maintenance window: excluded from good and total once approved."""
    EXCEPTION = "exception"
    """An approved exception (e.g. a customer-caused outage): excluded like maintenance."""
    PEAK = "peak"
    """A declared seasonal peak: counted in the SLI, left out of baselines."""


class ExclusionStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
