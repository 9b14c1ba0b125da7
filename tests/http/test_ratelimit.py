"""Per-token rate limits: in memory and in a real Redis, shared across limiter instances (as
across API processes), failing open when Redis is down, and answered as 429 + Retry-After.

Limits are a few pushes per hour, so no test depends on how fast it runs.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from limits import parse, parse_many

from accord.config import IngestSettings, Settings
from accord.http.errors import problem_response
from accord.http.ratelimit import (
    KEY_PREFIX,
    OUTAGE_BACKOFF_SECONDS,
    RateLimiterDep,
    TokenRateLimiter,
    limit_token,
)
from accord.kit.errors import AccordError, RateLimited
from tests.conftest import missing_service

REDIS_URL = os.environ.get("ACCORD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

MakeLimiter = Callable[..., TokenRateLimiter]


@pytest.fixture(scope="module")
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        missing_service(f"Redis at {REDIS_URL}: {error}")
    yield client
    client.close()


def delete_keys(client: redis.Redis, pattern: str) -> None:
    for key in client.scan_iter(match=pattern):
        client.delete(key)


@pytest.fixture
def redis_prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A key prefix of this test's own (tests run in parallel), deleted afterwards."""
    prefix = f"accord-test:{uuid.uuid4().hex}"
    yield prefix
    delete_keys(redis_client, f"{prefix}:*")


@pytest.fixture(params=["memory", "redis"])
def make_limiter(request: pytest.FixtureRequest) -> MakeLimiter:
    """Builds limiters on one backend; on Redis they all share this test's key prefix."""
    if request.param == "memory":
        return lambda limit: TokenRateLimiter(parse_many(limit))
    prefix = request.getfixturevalue("redis_prefix")
    return lambda limit: TokenRateLimiter(
        parse_many(limit), storage_url=REDIS_URL, key_prefix=prefix
    )


def spend(limiter: TokenRateLimiter, key: str, pushes: int) -> None:
    for _ in range(pushes):
        limiter.hit(key)


def test_the_push_after_the_limit_is_refused_with_whole_seconds_to_wait(
    make_limiter: MakeLimiter,
) -> None:
    limiter = make_limiter("3/hour")
    spend(limiter, "token:1", 3)
    with pytest.raises(RateLimited) as refused:
        limiter.hit("token:1")
    retry_after = refused.value.retry_after
    assert isinstance(retry_after, int)
    # the oldest push leaves the hour window in just under an hour, rounded up
    assert 3500 < retry_after <= 3600
    assert refused.value.status == 429


def test_tokens_have_budgets_of_their_own(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter("2/hour")
    spend(limiter, "token:1", 2)
    with pytest.raises(RateLimited):
        limiter.hit("token:1")
    spend(limiter, "token:2", 2)
    with pytest.raises(RateLimited):
        limiter.hit("token:2")


def test_every_limit_applies_and_the_exhausted_one_sets_the_wait(
    make_limiter: MakeLimiter,
) -> None:
    limiter = make_limiter("100/hour;2/minute")
    spend(limiter, "token:1", 2)
    with pytest.raises(RateLimited) as refused:
        limiter.hit("token:1")
    assert 1 <= refused.value.retry_after <= 60  # the minute limit, not the hour's


def test_processes_sharing_redis_share_one_budget(redis_prefix: str) -> None:
    first, second = (
        TokenRateLimiter([parse("3/hour")], storage_url=REDIS_URL, key_prefix=redis_prefix)
        for _ in range(2)
    )
    spend(first, "token:1", 2)
    second.hit("token:1")
    for limiter in (first, second):
        with pytest.raises(RateLimited):
            limiter.hit("token:1")


def test_processes_counting_in_memory_do_not_share() -> None:
    first, second = (TokenRateLimiter([parse("2/hour")]) for _ in range(2))
    spend(first, "token:1", 2)
    spend(second, "token:1", 2)  # each process allows the whole limit on its own
    for limiter in (first, second):
        with pytest.raises(RateLimited):
            limiter.hit("token:1")


def test_a_push_refused_by_the_burst_limit_spends_nothing_from_the_longer_one(
    redis_prefix: str,
) -> None:
    burst_then_hourly = TokenRateLimiter(
        parse_many("3/hour;2/minute"), storage_url=REDIS_URL, key_prefix=redis_prefix
    )
    spend(burst_then_hourly, "token:1", 2)
    with pytest.raises(RateLimited):
        burst_then_hourly.hit("token:1")
    # Another limiter with only the hourly limit reads the same Redis entries: two spent, one left.
    hourly = TokenRateLimiter([parse("3/hour")], storage_url=REDIS_URL, key_prefix=redis_prefix)
    hourly.hit("token:1")
    with pytest.raises(RateLimited):
        hourly.hit("token:1")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_redis_fails_open_and_warns_once_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [1000.0]
    limiter = TokenRateLimiter(
        [parse("1/hour")],
        storage_url=f"redis://127.0.0.1:{closed_port()}/0",
        clock=lambda: now[0],
    )
    with caplog.at_level(logging.WARNING, logger="accord.http.ratelimit"):
        spend(limiter, "token:1", 5)  # far above the limit, yet allowed
        assert len(caplog.records) == 1
        assert "unreachable" in caplog.records[0].getMessage()
        now[0] += OUTAGE_BACKOFF_SECONDS / 2
        spend(limiter, "token:1", 5)
        assert len(caplog.records) == 1
        now[0] += OUTAGE_BACKOFF_SECONDS
        spend(limiter, "token:1", 5)  # tried again, still down: warned again
        assert len(caplog.records) == 2


def test_built_from_settings_in_memory_or_in_redis(redis_client: redis.Redis) -> None:
    ingest = IngestSettings(rate_limit="1/hour")
    in_memory = TokenRateLimiter.from_settings(Settings(ingest=ingest))
    assert not in_memory.shared
    shared = TokenRateLimiter.from_settings(Settings(ingest=ingest, redis_url=REDIS_URL))
    assert shared.shared
    key = f"token:test-{uuid.uuid4().hex}"  # the production prefix: a key no one else uses
    try:
        shared.hit(key)
        with pytest.raises(RateLimited):
            shared.hit(key)
        assert list(redis_client.scan_iter(match=f"{KEY_PREFIX}:*{key}*"))
    finally:
        delete_keys(redis_client, f"{KEY_PREFIX}:*{key}*")


def test_a_malformed_limit_refuses_to_build() -> None:
    with pytest.raises(ValueError, match="couldn't parse"):
        TokenRateLimiter.from_settings(Settings(ingest=IngestSettings(rate_limit="lots")))


def test_limit_token_counts_tokens_and_leaves_sessions_alone() -> None:
    limiter = TokenRateLimiter([parse("1/hour")])
    limit_token(limiter, 7)
    with pytest.raises(RateLimited):
        limiter.hit("token:7")  # the key is the token id
    for _ in range(3):
        limit_token(limiter, None)


def test_refused_push_is_429_with_retry_after() -> None:
    app = FastAPI()
    app.state.rate_limiter = TokenRateLimiter([parse("1/hour")])

    @app.post("/api/v1/telemetry")
    def push(limiter: RateLimiterDep) -> dict[str, str]:
        limit_token(limiter, 42)
        return {"status": "accepted"}

    def render(request: Request, exc: Exception) -> object:
        assert isinstance(exc, AccordError)
        return problem_response(exc, request)

    app.add_exception_handler(AccordError, render)  # type: ignore[arg-type]
    with TestClient(app) as client:
        assert client.post("/api/v1/telemetry").status_code == 200
        refused = client.post("/api/v1/telemetry")
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 3500 < int(refused.headers["Retry-After"]) <= 3600
    assert refused.json()["code"] == "rate-limited"
