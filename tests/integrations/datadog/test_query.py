"""`DatadogSource` against a local replay of Datadog's v1 metrics query API.

Datadog cannot be reached from here, so a small HTTP server (in a thread) stands in for it: it
answers ``GET /api/v1/query`` with recorded bodies in the documented format (``data/*.json``:
``series[].pointlist`` of ``[ms, value]`` at bucket starts, errors as ``{"errors": [...]}``),
chosen by the ``query`` parameter, with the status and headers Datadog documents (429 with
X-RateLimit-*). It records every request, so the tests also check what the adapter sends: the
path, from/to in seconds, the rollup, and both key headers. What this cannot show is whether
Datadog itself still answers this way: see docs/integrations/datadog.md.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from accord.integrations.datadog.query import MAX_POINTS_PER_QUERY, DatadogSource, with_rollup
from accord.telemetry.ports import PullQuery, QueryRejected, SourceUnavailable
from accord.telemetry.rules import BUCKET_SECONDS

DATA = Path(__file__).parent / "data"
S0 = 1_700_000_100
"""Start of the first recorded bucket (2023-11-14T22:15:00Z)."""
END = S0 + 6 * BUCKET_SECONDS
API_KEY, APP_KEY = "test-api-key", "test-application-key"

CHECKOUT_TOTAL = "sum:trace.http.request.hits{service:checkout,env:prod}.as_count()"
CHECKOUT_GOOD = (
    "sum:trace.http.request.hits{service:checkout,env:prod,!http.status_class:5xx}.as_count()"
)
CHECKOUT_ERRORS = "sum:trace.http.request.errors{service:checkout,env:prod}.as_count()"
SEARCH_TOTAL = "sum:trace.http.request.hits{service:search,env:prod}.as_count()"
SEARCH_GOOD = (
    "sum:trace.http.request.hits{service:search,env:prod,!http.status_class:5xx}.as_count()"
)
RATE_TOTAL = "avg:checkout.requests.rate{env:prod}.rollup(avg, 300)"
RATE_GOOD = "avg:checkout.requests.ok.rate{env:prod}.rollup(avg, 300)"
BY_HOST = "sum:trace.http.request.hits{service:checkout,env:prod} by {host}.as_count()"
EMPTY = "sum:nothing{*}.as_count()"
BAD = "sum:trace.http.request.hits{service:checkout"
FORBIDDEN = "sum:secret.hits{*}.as_count()"
LIMITED = "sum:busy.hits{*}.as_count()"
BROKEN = "sum:broken.hits{*}.as_count()"
UNKNOWN = "sum:unknown{*}.as_count()"

CHECKOUT_TOTALS = [120.0, 250.0, 0.0, 300.0, 50.0, 275.0]
CHECKOUT_GOODS = [115.0, 250.0, 0.0, 285.0, 0.0, 275.0]

RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": "1600",
    "X-RateLimit-Period": "3600",
    "X-RateLimit-Remaining": "0",
    "X-RateLimit-Reset": "1234",
    "X-RateLimit-Name": "query",
}
REPLIES: dict[str, tuple[int, str, dict[str, str]]] = {
    # query as sent (rollup included) -> (status, recorded body, extra headers)
    with_rollup(CHECKOUT_TOTAL): (200, "checkout_total.json", {}),
    with_rollup(CHECKOUT_GOOD): (200, "checkout_good.json", {}),
    with_rollup(CHECKOUT_ERRORS): (200, "checkout_errors.json", {}),
    with_rollup(SEARCH_TOTAL): (200, "search_total.json", {}),
    with_rollup(SEARCH_GOOD): (200, "search_good.json", {}),
    RATE_TOTAL: (200, "checkout_rate_total.json", {}),
    RATE_GOOD: (200, "checkout_rate_good.json", {}),
    with_rollup(BY_HOST): (200, "by_host.json", {}),
    with_rollup(EMPTY): (200, "empty.json", {}),
    with_rollup(UNKNOWN): (200, "status_error.json", {}),
    with_rollup(BAD): (400, "error_400.json", {}),
    with_rollup(FORBIDDEN): (403, "error_403.json", {}),
    with_rollup(LIMITED): (429, "error_429.json", RATE_LIMIT_HEADERS),
    with_rollup(BROKEN): (500, "error_500.json", {}),
}


@dataclass(frozen=True)
class Seen:
    path: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class Replay:
    url: str
    requests: list[Seen] = field(default_factory=list)

    def source(self, **overrides: Any) -> DatadogSource:
        settings: dict[str, Any] = {"api_key": API_KEY, "application_key": APP_KEY, "timeout": 10}
        return DatadogSource(self.url, **(settings | overrides))


@pytest.fixture
def replay() -> Iterator[Replay]:
    seen: list[Seen] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            seen.append(Seen(url.path, params, {k.lower(): v for k, v in self.headers.items()}))
            status, name, headers = REPLIES.get(params.get("query", ""), (404, "", {}))
            if url.path != "/api/v1/query":
                status, name, headers = 404, "", {}
            body = (DATA / name).read_bytes() if name else b'{"errors": ["Not found"]}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll keeps shutdown() quick: it waits for the loop to look again.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield Replay(f"http://{host!s}:{port}", seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def pull(good: str | None, total: str, **fields: Any) -> PullQuery:
    return PullQuery(good_query=good, error_query=None, total_query=total, kind="datadog", **fields)


def starts(count: int = 6) -> list[int]:
    return [S0 + i * BUCKET_SECONDS for i in range(count)]


def test_a_full_series_gives_every_bucket(replay: Replay) -> None:
    pulled = replay.source().fetch(pull(CHECKOUT_GOOD, CHECKOUT_TOTAL), S0, END)

    assert pulled.start_epoch.tolist() == starts()
    assert pulled.total.tolist() == CHECKOUT_TOTALS
    assert pulled.good.tolist() == CHECKOUT_GOODS
    assert pulled.missing == ()


def test_the_request_is_the_documented_one(replay: Replay) -> None:
    replay.source().fetch(pull(CHECKOUT_GOOD, CHECKOUT_TOTAL), S0, END)

    assert [r.path for r in replay.requests] == ["/api/v1/query", "/api/v1/query"]
    assert [r.params for r in replay.requests] == [
        {"from": str(S0), "to": str(END), "query": CHECKOUT_GOOD + ".rollup(sum, 300)"},
        {"from": str(S0), "to": str(END), "query": CHECKOUT_TOTAL + ".rollup(sum, 300)"},
    ]
    for request in replay.requests:
        assert request.headers["dd-api-key"] == API_KEY
        assert request.headers["dd-application-key"] == APP_KEY


def test_an_error_query_gives_good_as_total_minus_errors(replay: Replay) -> None:
    query = PullQuery(
        good_query=None, error_query=CHECKOUT_ERRORS, total_query=CHECKOUT_TOTAL, kind="datadog"
    )

    pulled = replay.source().fetch(query, S0, END)

    assert pulled.good.tolist() == CHECKOUT_GOODS
    assert pulled.total.tolist() == CHECKOUT_TOTALS


def test_null_and_absent_points_are_missing_buckets(replay: Replay) -> None:
    """search_total.json: bucket 2 is null, bucket 4 has no point at all."""
    pulled = replay.source().fetch(pull(SEARCH_GOOD, SEARCH_TOTAL), S0, END)

    assert pulled.start_epoch.tolist() == [S0, S0 + 300, S0 + 900, S0 + 1500]
    assert pulled.total.tolist() == [40.0, 42.0, 44.0, 41.0]
    assert pulled.good.tolist() == [40.0, 41.0, 44.0, 41.0]
    assert pulled.missing == ((S0 + 600, S0 + 900), (S0 + 1200, S0 + 1500))


def test_a_query_with_its_own_rollup_is_sent_as_is_and_rates_are_scaled(replay: Replay) -> None:
    pulled = replay.source().fetch(pull(RATE_GOOD, RATE_TOTAL, per_second=True), S0, END)

    assert [r.params["query"] for r in replay.requests] == [RATE_GOOD, RATE_TOTAL]
    assert pulled.total.tolist() == [150.0, 375.0, 0.0, 600.0, 75.0, 525.0]
    assert pulled.good.tolist() == [150.0, 300.0, 0.0, 450.0, 75.0, 525.0]


def test_points_outside_the_span_are_ignored(replay: Replay) -> None:
    pulled = replay.source().fetch(pull(CHECKOUT_GOOD, CHECKOUT_TOTAL), S0 + 600, S0 + 1200)

    assert pulled.start_epoch.tolist() == [S0 + 600, S0 + 900]
    assert pulled.total.tolist() == [0.0, 300.0]


def test_a_long_span_is_asked_in_pieces(replay: Replay) -> None:
    start = S0 - 2 * MAX_POINTS_PER_QUERY * BUCKET_SECONDS
    query = pull(EMPTY, EMPTY)

    pulled = replay.source().fetch(query, start, END)

    piece = MAX_POINTS_PER_QUERY * BUCKET_SECONDS
    spans = [(int(r.params["from"]), int(r.params["to"])) for r in replay.requests]
    assert spans[::2] == [(start, start + piece), (start + piece, S0), (S0, END)]
    assert pulled.missing == ((start, END),)


def test_several_series_are_rejected(replay: Replay) -> None:
    with pytest.raises(QueryRejected, match=r"returned 2 series.*by \{…\}"):
        replay.source().fetch(pull(CHECKOUT_GOOD, BY_HOST), S0, END)


def test_rate_limited_is_unavailable_until_the_reset(replay: Replay) -> None:
    with pytest.raises(SourceUnavailable, match="Rate limit of 1600 requests") as caught:
        replay.source().fetch(pull(CHECKOUT_GOOD, LIMITED), S0, END)

    assert caught.value.retry_after == 1234


def test_forbidden_is_rejected_with_datadog_message(replay: Replay) -> None:
    with pytest.raises(QueryRejected, match=r"\(403\): Forbidden"):
        replay.source().fetch(pull(FORBIDDEN, CHECKOUT_TOTAL), S0, END)


def test_a_query_datadog_cannot_parse_is_rejected(replay: Replay) -> None:
    with pytest.raises(QueryRejected, match=r"\(400\): Error parsing query"):
        replay.source().fetch(pull(CHECKOUT_GOOD, BAD), S0, END)


def test_an_error_status_in_a_200_answer_is_rejected(replay: Replay) -> None:
    with pytest.raises(QueryRejected, match="metric not found"):
        replay.source().fetch(pull(CHECKOUT_GOOD, UNKNOWN), S0, END)


def test_a_server_error_is_unavailable(replay: Replay) -> None:
    with pytest.raises(SourceUnavailable, match="500: Internal Server Error") as caught:
        replay.source().fetch(pull(CHECKOUT_GOOD, BROKEN), S0, END)

    assert caught.value.retry_after is None


def test_an_unreachable_site_is_unavailable() -> None:
    # A port bound but never listening refuses connections, and stays ours meanwhile.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as closed:
        closed.bind(("127.0.0.1", 0))
        host, port = closed.getsockname()[:2]
        source = Replay(f"http://{host}:{port}").source()

        with pytest.raises(SourceUnavailable, match="could not be reached"):
            source.fetch(pull(CHECKOUT_GOOD, CHECKOUT_TOTAL), S0, END)


def test_recorded_bodies_are_in_the_documented_shape() -> None:
    """Guard the recordings themselves: the fields the v1 endpoint documents, ms timestamps on
    bucket starts."""
    for path in sorted(DATA.glob("*.json")):
        body = json.loads(path.read_text())
        if "errors" in body:
            assert all(isinstance(e, str) for e in body["errors"]), path.name
            continue
        assert {"status", "res_type", "series", "from_date", "to_date", "query"} <= body.keys()
        for series in body["series"]:
            assert {"pointlist", "interval", "expression", "scope", "metric"} <= series.keys()
            assert all(at % (BUCKET_SECONDS * 1000) == 0 for at, _ in series["pointlist"])
