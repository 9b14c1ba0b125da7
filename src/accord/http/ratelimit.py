"""Per-token rate limits on telemetry pushes, counted in memory or shared through Redis.

Each ingest token has its own budget, keyed on the token id and never on the client address:
senders sit behind NATs and proxies, and one source may push from many hosts. The budget is a
list of limits in the `limits` library's notation (``ACCORD_INGEST__RATE_LIMIT``, e.g.
``100/second;3000/minute``) and a push must fit every one of them.

Why this behaves like a token bucket. `limits` has no literal token bucket; the closest strategy
it offers is the *moving window*: a log of request times per key, where a request is allowed
when fewer than N requests fall in the last window. A short window with a large N is the
bucket's capacity (a sender may burst up to 100 pushes at once); a long window bounds the
sustained rate (3000 a minute is 50 a second on average), as a bucket's refill rate does. The
moving window is exact (no boundary bursts as with fixed windows, no estimate as with the
sliding window counter), and because the oldest request in the window is known, the
``Retry-After`` it yields is the true wait until the next push fits. Its cost, one entry per
request in the window, is small at these rates.

Several API processes share one budget when ``ACCORD_REDIS_URL`` is set (the moving window is a
Lua script in Redis, atomic across processes); otherwise each process counts on its own.

When Redis is unreachable the limiter fails OPEN: pushes are allowed unchecked and a warning is
logged, then Redis is left alone for `OUTAGE_BACKOFF_SECONDS` (so the warning repeats at most
that often and pushes do not each wait for a dead store). Telemetry that stops because the
limiter's store is down would be a worse outage than a sender briefly exceeding its budget.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import Annotated

from fastapi import Depends, Request
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from accord.config import Settings
from accord.kit.errors import RateLimited
from accord.kit.time import utc_now

log = logging.getLogger(__name__)

MEMORY_STORAGE = "memory://"
KEY_PREFIX = "accord:ratelimit"
"""Prefix of every Redis key the limiter writes (``accord:ratelimit:LIMITER/token:42/…``)."""
STORE_TIMEOUT_SECONDS = 0.5
"""Redis connect and reply timeout: a push never waits longer than this for the limiter."""
OUTAGE_BACKOFF_SECONDS = 10.0
"""After Redis fails, pushes are let through without asking it for this long."""


class TokenRateLimiter:
    """Counts pushes per key against every configured limit; raises `RateLimited` when one is
    exhausted. Thread-safe: the storages are, and the outage bookkeeping tolerates races (at
    worst one extra warning)."""

    def __init__(
        self,
        limits: Sequence[RateLimitItem],
        *,
        storage_url: str = MEMORY_STORAGE,
        key_prefix: str = KEY_PREFIX,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock`` (monotonic seconds) times the outage back-off only; the windows themselves
        run on the wall clock that `limits` reads, which every process sharing Redis shares."""
        if not limits:
            raise ValueError("a rate limiter needs at least one limit")
        # Shortest window first: a push refused by its burst limit then spends nothing from the
        # longer ones. (One refused by a longer limit has spent one entry of the shorter ones,
        # which they return within their own, short, window.)
        self.limits = tuple(sorted(limits, key=lambda item: item.get_expiry()))
        self.shared = storage_url != MEMORY_STORAGE
        if self.shared:
            storage = storage_from_string(
                storage_url,
                key_prefix=key_prefix,
                wrap_exceptions=True,  # every Redis failure arrives as limits' StorageError
                socket_connect_timeout=STORE_TIMEOUT_SECONDS,
                socket_timeout=STORE_TIMEOUT_SECONDS,
            )
        else:
            storage = storage_from_string(storage_url)
        self._strategy = MovingWindowRateLimiter(storage)
        self._clock = clock
        self._store_down_until: float | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenRateLimiter:
        """``ACCORD_INGEST__RATE_LIMIT`` counted in Redis (``ACCORD_REDIS_URL``) or in memory.
        A malformed limit string raises ValueError here, so the app refuses to start."""
        return cls(
            parse_many(settings.ingest.rate_limit),
            storage_url=settings.redis_url or MEMORY_STORAGE,
        )

    def hit(self, key: str) -> None:
        """Spend one push of ``key`` (``token:<id>``) from every limit, or raise `RateLimited`
        with the whole seconds, rounded up, until the exhausted limit has room again."""
        if self._store_down_until is not None and self._clock() < self._store_down_until:
            return
        try:
            exhausted = self._first_exhausted(key)
            retry_after = 0 if exhausted is None else self._seconds_until_room(exhausted, key)
        except StorageError as error:
            self._store_failed(error)
            return
        if self._store_down_until is not None:
            self._store_down_until = None
            log.warning("rate-limit store is reachable again; pushes are counted again")
        if exhausted is not None:
            raise RateLimited(
                f"this token's push limit ({exhausted}) is used up; retry in {retry_after} s",
                retry_after=retry_after,
            )

    def _first_exhausted(self, key: str) -> RateLimitItem | None:
        for item in self.limits:
            if not self._strategy.hit(item, key):
                return item
        return None

    def _seconds_until_room(self, item: RateLimitItem, key: str) -> int:
        # The window's reset time is when its oldest push leaves it, in Unix seconds of the
        # wall clock that limits reads (also the timestamps written to Redis). At least 1:
        # "Retry-After: 0" invites an immediate retry that would be refused again.
        reset_at = self._strategy.get_window_stats(item, key).reset_time
        return max(1, math.ceil(reset_at - utc_now().timestamp()))

    def _store_failed(self, error: StorageError) -> None:
        # The URL is not logged: it may carry the Redis password.
        log.warning(
            "rate-limit store unreachable (%s); pushes are allowed unchecked for %.0f s",
            error.storage_error,
            OUTAGE_BACKOFF_SECONDS,
        )
        self._store_down_until = self._clock() + OUTAGE_BACKOFF_SECONDS


def limit_token(limiter: TokenRateLimiter, token_id: int | None) -> None:
    """Spend one push of an authenticated token; call it after authentication, before reading
    the body. ``None`` (a portal session, not a token) is not limited: people in the portal are
    not senders, and the budget belongs to tokens."""
    if token_id is not None:
        limiter.hit(f"token:{token_id}")


def get_rate_limiter(request: Request) -> TokenRateLimiter:
    """The app's limiter (``app.state.rate_limiter``, built once by `create_app`)."""
    limiter: TokenRateLimiter = request.app.state.rate_limiter
    return limiter


RateLimiterDep = Annotated[TokenRateLimiter, Depends(get_rate_limiter)]
