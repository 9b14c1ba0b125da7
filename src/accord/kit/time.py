"""The one place that reads the clock, plus guards for timezone-aware datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


def require_aware(value: datetime, *, what: str = "datetime") -> datetime:
    """Return ``value`` converted to UTC; naive datetimes are a programming error."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{what} must carry a UTC offset")
    return value.astimezone(UTC)


def isoformat_utc(value: datetime) -> str:
    """Canonical text form of an instant: UTC, microseconds always present, ``Z`` suffix.

    Used wherever an instant is hashed, so that the same instant always yields the same text.
    """
    # isoformat, not strftime: strftime("%Y") does not zero-pad years before 1000 on glibc.
    return require_aware(value).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
