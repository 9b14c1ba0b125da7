"""Pulling SLI buckets from Datadog's v1 metrics query API (`GET /api/v1/query`): the
`MetricSource` for Datadog mappings.

How a bucket is read. The query is sent with ``.rollup(sum, 300)`` appended (unless it already
has a rollup), so Datadog answers one point per 5-minute bucket, stamped in milliseconds at the
bucket's *start*; ``from``/``to`` are seconds. ``sum:requests{…}.as_count()`` then yields the
events of each bucket. With ``PullQuery.per_second`` the values are per-second rates and are
multiplied by 300. A query combining several metrics (``a / b``) gets the rollup on its last
term only: such queries should carry their own rollups.

Answers. A query must return at most one series (no ``by {…}`` grouping left over); points that
are absent or null are missing buckets. Failures map onto the port: unreachable, timed out, 5xx
or 429 -> `SourceUnavailable` (429 carries ``X-RateLimit-Reset``, the seconds until the rate
limit's period resets); 400, 401, 403 and other refusals -> `QueryRejected` with Datadog's
``errors`` message.

Tested against a local server replaying Datadog's documented response format, not against
Datadog itself (docs/integrations/datadog.md).
"""

from __future__ import annotations

from typing import Any, Final

import httpx2

from accord.telemetry.ports import (
    PulledBuckets,
    PullQuery,
    QueryRejected,
    SourceUnavailable,
    assemble_buckets,
    check_span,
    span_chunks,
)
from accord.telemetry.rules import BUCKET_SECONDS

DEFAULT_SITE: Final = "https://api.datadoghq.com"
"""US1; other sites have their own API host (api.datadoghq.eu, api.us3.datadoghq.com, …)."""
ROLLUP: Final = f".rollup(sum, {BUCKET_SECONDS})"
MAX_POINTS_PER_QUERY: Final = 1_440
"""Buckets per request (5 days): Datadog returns at most 1,500 points per series and enforces a
coarser rollup beyond that, which would break the 5-minute grain, so spans are asked in pieces."""


def with_rollup(query: str) -> str:
    """The query with a 5-minute sum rollup, unless it chose its own."""
    return query if ".rollup(" in query else query + ROLLUP


class DatadogSource:
    """One Datadog site, read with an API key and an application key (which needs the
    ``timeseries_query`` permission)."""

    def __init__(
        self,
        base_url: str = DEFAULT_SITE,
        *,
        api_key: str,
        application_key: str,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._headers = {
            "DD-API-KEY": api_key,
            "DD-APPLICATION-KEY": application_key,
            "Accept": "application/json",
        }

    def fetch(self, query: PullQuery, start_epoch: int, end_epoch: int) -> PulledBuckets:
        check_span(start_epoch, end_epoch)
        counted_query, counts_errors = query.counted_query()
        scale = float(BUCKET_SECONDS) if query.per_second else 1.0
        counted: dict[int, float] = {}
        total: dict[int, float] = {}
        with httpx2.Client(
            base_url=self.base_url, timeout=self.timeout, headers=self._headers
        ) as client:
            for lo, hi in span_chunks(start_epoch, end_epoch, MAX_POINTS_PER_QUERY):
                counted.update(_bucket_values(client, with_rollup(counted_query), lo, hi, scale))
                total.update(_bucket_values(client, with_rollup(query.total_query), lo, hi, scale))
        return assemble_buckets(
            start_epoch, end_epoch, counted=counted, total=total, counts_errors=counts_errors
        )


def _bucket_values(
    client: httpx2.Client, query: str, start_epoch: int, end_epoch: int, scale: float
) -> dict[int, float]:
    """{bucket start: value * scale} of the points starting in [start, end)."""
    # A point stamped at end_epoch (the next bucket, maybe still filling) may come back too:
    # only points starting inside the span are kept.
    params = {"from": str(start_epoch), "to": str(end_epoch), "query": query}
    body = _get(client, params, query)
    series = body.get("series")
    if not isinstance(series, list):
        raise QueryRejected(f"{query!r}: the answer has no series list")
    if len(series) > 1:
        raise QueryRejected(
            f"{query!r} returned {len(series)} series: the query must return one series; "
            "remove the 'by {…}' grouping"
        )
    values: dict[int, float] = {}
    for one in series:
        if not isinstance(one, dict):
            raise QueryRejected(f"{query!r}: unreadable series {one!r}")
        for point in one.get("pointlist") or ():
            try:
                at_ms, value = point[0], point[1]
                start = round(float(at_ms) / 1000)
            except (TypeError, ValueError, IndexError) as exc:
                raise QueryRejected(f"{query!r}: unreadable point {point!r}") from exc
            if start * 1000 != at_ms or start % BUCKET_SECONDS:
                raise QueryRejected(
                    f"{query!r}: point at {at_ms} ms is not a bucket start; "
                    f"the rollup must be {BUCKET_SECONDS} s"
                )
            if value is None or not start_epoch <= start < end_epoch:
                continue
            try:
                values[start] = float(value) * scale
            except (TypeError, ValueError) as exc:
                raise QueryRejected(f"{query!r}: unreadable value {value!r}") from exc
    return values


def _get(client: httpx2.Client, params: dict[str, str], query: str) -> dict[str, Any]:
    try:
        response = client.get("/api/v1/query", params=params)
    except httpx2.TimeoutException as exc:
        raise SourceUnavailable(f"Datadog did not answer in time: {exc}") from exc
    except httpx2.TransportError as exc:
        raise SourceUnavailable(f"Datadog could not be reached: {exc}") from exc
    status = response.status_code
    body = _json_object(response)
    message = _error_message(body) or response.reason_phrase
    if status == 429:
        raise SourceUnavailable(
            f"Datadog rate limit reached: {message}", retry_after=_rate_limit_reset(response)
        )
    if status >= 500:
        raise SourceUnavailable(f"Datadog answered {status}: {message}")
    if status >= 400:
        raise QueryRejected(f"Datadog refused {query!r} ({status}): {message}")
    if body is None:
        raise QueryRejected(f"{client.base_url} answered {status} with something not JSON")
    # The v1 endpoint can refuse a query with 200 and {"status": "error", "error": …}.
    if body.get("status") == "error":
        raise QueryRejected(f"Datadog refused {query!r}: {message}")
    return body


def _json_object(response: httpx2.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _error_message(body: dict[str, Any] | None) -> str | None:
    """Datadog's ``{"errors": [...]}`` (or the query endpoint's ``error``) as one line."""
    if body is None:
        return None
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        return "; ".join(str(e) for e in errors)
    error = body.get("error")
    return str(error) if error else None


def _rate_limit_reset(response: httpx2.Response) -> int | None:
    """Seconds until the rate limit resets: X-RateLimit-Reset, else Retry-After, else the
    period, as Datadog documents them (whole seconds)."""
    for name in ("X-RateLimit-Reset", "Retry-After", "X-RateLimit-Period"):
        text = response.headers.get(name, "").strip()
        if text.isdigit():
            return int(text)
    return None
