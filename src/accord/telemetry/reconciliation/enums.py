"""Enumerations of reconciliation (no SQLAlchemy: schemas and pure code use them too)."""

from __future__ import annotations

from enum import StrEnum


class FindingStatus(StrEnum):
    OPEN = "open"
    """The sources disagree beyond the tolerance; the primary's value is stored meanwhile."""
    KEPT_PRIMARY = "kept-primary"
    """Someone decided the primary was right: the stored value stays."""
    USED_SECONDARY = "used-secondary"
    """Someone decided the secondary was right: its value replaced the stored one."""


class Use(StrEnum):
    """Which source's value a resolution keeps."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
