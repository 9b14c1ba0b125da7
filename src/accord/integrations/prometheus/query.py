"""Pulling SLI buckets from Prometheus' HTTP API (`/api/v1/query_range`): the `MetricSource`
for Prometheus mappings.

How a bucket is read. A range query with step 300 s is evaluated at bucket *ends*: the value at
t = start + 300 answers for the bucket [start, start + 300), because a range selector ``[5m]``
evaluated at t covers the five minutes that end at t. So for buckets starting in
[start_epoch, end_epoch) the query runs from start_epoch + 300 to end_epoch. The mapping's
queries are Sloth-style, with ``{{.window}}`` standing for the range, which becomes ``5m``.

Counts or rates. ``PullQuery.per_second`` says which: ``sum(increase(x[{{.window}}]))`` answers
counts; Sloth's ``sum(rate(x[{{.window}}]))`` answers per-second rates, multiplied here by 300.
Either way Prometheus extrapolates a range to its edges when the first or last sample is not on
them, so pulled counts of a counter scraped every 30 s are estimates of the events in the bucket,
not exact tallies (docs/integrations/prometheus-pull.md).

Answers. Each query must return at most one series (aggregate with ``sum()``); a bucket counts
when both queries answered it with a finite value, everything else is reported as missing.
Failures map onto the port: unreachable, timed out, 5xx or 429 -> `SourceUnavailable` (with
Retry-After when sent); a refused query (400 ``bad_data``, 422 ``execution``), other 4xx, or an
answer of the wrong shape -> `QueryRejected` with Prometheus' own message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
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

WINDOW: Final = "5m"
"""What ``{{.window}}`` becomes: one bucket."""
MAX_POINTS_PER_QUERY: Final = 10_000
"""Buckets per range query: under Prometheus' hard limit of 11,000 points per series."""
_WINDOW_PLACEHOLDER = re.compile(r"\{\{\s*\.window\s*\}\}")


def expand_window(query: str) -> str:
    """A Sloth-style query with its ``{{.window}}`` placeholder set to one bucket (``5m``)."""
    return _WINDOW_PLACEHOLDER.sub(WINDOW, query)


class PrometheusSource:
    """A Prometheus server (or anything serving its HTTP API: Thanos, Mimir, VictoriaMetrics).

    ``headers`` are sent with every request (e.g. ``{"Authorization": "Bearer …"}`` or a tenant
    header); ``timeout`` is seconds per request.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.headers = dict(headers or {})

    def fetch(self, query: PullQuery, start_epoch: int, end_epoch: int) -> PulledBuckets:
        check_span(start_epoch, end_epoch)
        counted_query, counts_errors = query.counted_query()
        scale = float(BUCKET_SECONDS) if query.per_second else 1.0
        counted: dict[int, float] = {}
        total: dict[int, float] = {}
        with httpx2.Client(
            base_url=self.base_url, timeout=self.timeout, headers=self.headers
        ) as client:
            for lo, hi in span_chunks(start_epoch, end_epoch, MAX_POINTS_PER_QUERY):
                counted.update(_bucket_values(client, expand_window(counted_query), lo, hi, scale))
                total.update(
                    _bucket_values(client, expand_window(query.total_query), lo, hi, scale)
                )
        return assemble_buckets(
            start_epoch, end_epoch, counted=counted, total=total, counts_errors=counts_errors
        )


def _bucket_values(
    client: httpx2.Client, promql: str, start_epoch: int, end_epoch: int, scale: float
) -> dict[int, float]:
    """{bucket start: value * scale} of one query over the buckets starting in [start, end)."""
    body = _query_range(client, promql, start_epoch + BUCKET_SECONDS, end_epoch)
    data = body.get("data")
    if not isinstance(data, dict) or data.get("resultType") != "matrix":
        raise QueryRejected(f"{promql!r}: expected a range vector (matrix) result")
    result = data.get("result")
    if not isinstance(result, list):
        raise QueryRejected(f"{promql!r}: the answer has no result list")
    if len(result) > 1:
        raise QueryRejected(
            f"{promql!r} returned {len(result)} series: the query must return one series; "
            "aggregate with sum()"
        )
    values: dict[int, float] = {}
    for series in result:
        if not isinstance(series, dict):
            raise QueryRejected(f"{promql!r}: unreadable series {series!r}")
        for point in series.get("values") or ():
            try:
                at, text = float(point[0]), str(point[1])
                value = float(text)  # "NaN" and "+Inf" parse; assemble_buckets drops them
            except (TypeError, ValueError, IndexError) as exc:
                raise QueryRejected(f"{promql!r}: unreadable point {point!r}") from exc
            end = round(at)
            if end != at or end % BUCKET_SECONDS:
                raise QueryRejected(f"{promql!r}: point at {at} is not on a bucket boundary")
            values[end - BUCKET_SECONDS] = value * scale
    return values


def _query_range(client: httpx2.Client, promql: str, first: int, last: int) -> dict[str, Any]:
    """The decoded JSON of one successful ``query_range`` (evaluated at first, first+300, …,
    last)."""
    # POST with a form body: long PromQL would breach URL limits of servers and proxies.
    form = {"query": promql, "start": str(first), "end": str(last), "step": str(BUCKET_SECONDS)}
    try:
        response = client.post("/api/v1/query_range", data=form)
    except httpx2.TimeoutException as exc:
        raise SourceUnavailable(f"Prometheus did not answer in time: {exc}") from exc
    except httpx2.TransportError as exc:
        raise SourceUnavailable(f"Prometheus could not be reached: {exc}") from exc
    status = response.status_code
    body = _json_object(response)
    message = _error_message(body) or response.reason_phrase
    if status == 429 or status >= 500:
        raise SourceUnavailable(
            f"Prometheus answered {status}: {message}", retry_after=_retry_after(response)
        )
    if status >= 400:
        raise QueryRejected(f"Prometheus refused {promql!r} ({status}): {message}")
    if body is None:
        raise QueryRejected(f"{client.base_url} answered {status} with something not JSON")
    if body.get("status") != "success":
        raise QueryRejected(f"Prometheus refused {promql!r}: {message}")
    return body


def _json_object(response: httpx2.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _error_message(body: dict[str, Any] | None) -> str | None:
    """Prometheus' ``{"status": "error", "errorType": …, "error": …}`` as one line."""
    if body is None or "error" not in body:
        return None
    kind = body.get("errorType")
    return f"{kind}: {body['error']}" if kind else str(body["error"])


def _retry_after(response: httpx2.Response) -> int | None:
    """Retry-After as whole seconds (delta-seconds or an HTTP date relative to the answer's
    Date header), None when absent or unreadable."""
    header = response.headers.get("Retry-After")
    if header is None:
        return None
    header = header.strip()
    if header.isdigit():
        return int(header)
    try:
        until = parsedate_to_datetime(header)
        sent = parsedate_to_datetime(response.headers["Date"])
    except (KeyError, TypeError, ValueError):
        return None
    return max(0, int(-(-(until - sent).total_seconds() // 1)))
