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


def parse_aware(text: str) -> datetime:
    """An ISO 8601 instant that carries its UTC offset (command-line options); ValueError with
    a message for people otherwise."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 instant") from None
    if parsed.tzinfo is None or parsed.tzinfo.utcoffset(parsed) is None:
        raise ValueError("give the instant with its UTC offset, e.g. 2026-11-26T12:00Z")
    return parsed


def isoformat_utc(value: datetime) -> str:
    """Canonical text form of an instant: UTC, microseconds always present, ``Z`` suffix.

    Used wherever an instant is hashed, so that the same instant always yields the same text.
    """
    # isoformat, not strftime: strftime("%Y") does not zero-pad years before 1000 on glibc.
    return require_aware(value).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
