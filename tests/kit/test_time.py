from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from accord.kit.time import isoformat_utc, require_aware, utc_now


def test_utc_now_is_aware_utc() -> None:
    now = utc_now()
    assert now.tzinfo is UTC


def test_require_aware_converts_to_utc() -> None:
    local = datetime(2026, 6, 1, 12, tzinfo=timezone(timedelta(hours=-5)))
    converted = require_aware(local)
    assert converted.tzinfo is UTC
    assert converted.hour == 17


def test_require_aware_refuses_naive_values_naming_them() -> None:
    with pytest.raises(ValueError, match="effective_from must carry a UTC offset"):
        require_aware(datetime(2026, 1, 1), what="effective_from")  # noqa: DTZ001


def test_isoformat_utc_always_has_microseconds() -> None:
    assert isoformat_utc(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000000Z"
    assert isoformat_utc(datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC)).endswith(".000001Z")
