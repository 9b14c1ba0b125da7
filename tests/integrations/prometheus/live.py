"""A real Prometheus server for tests, and an exporter that feeds it past time quickly.

`TimestampedExporter` is an HTTP server (in a thread) whose every scrape serves the next frame
of a prepared list, each frame's samples carrying explicit timestamps (``name value
timestamp_ms``, allowed by the text exposition format). Prometheus stores a sample at the time
it carries, not at the scrape time, so scraping every 100 ms walks through half an hour of
simulated past in a few seconds. Once the frames run out it keeps serving the last one:
Prometheus silently ignores a sample repeated with the same timestamp and value.

`running_prometheus` starts ``/usr/bin/prometheus`` on a free loopback port with a temporary
TSDB and a config scraping one target, waits until ``/-/ready`` answers, and always stops it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2

from tests.conftest import missing_service

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
SCRAPE_INTERVAL = "100ms"
STARTUP_SECONDS = 60.0
"""Generous deadlines (a loaded CI machine), never asserted on: they only bound a hang."""


def prometheus_binary() -> str:
    if not Path(PROMETHEUS).exists():
        missing_service("prometheus binary: apt-get install prometheus")
    return PROMETHEUS


def free_port() -> int:
    """A loopback port free right now (Prometheus binds it itself, so a race is retried)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class TimestampedExporter:
    """Serves ``frames[0]``, ``frames[1]``, … on successive GETs of /metrics."""

    def __init__(self, frames: Sequence[str]) -> None:
        if not frames:
            raise ValueError("an exporter needs at least one frame")
        self.frames = list(frames)
        self._served = 0
        self._lock = threading.Lock()
        self._drained = threading.Event()
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = exporter._next_frame().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # a scrape every 100 ms would flood the test output

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def target(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def _next_frame(self) -> str:
        with self._lock:
            index = min(self._served, len(self.frames) - 1)
            self._served += 1
            # A scrape after the last frame means the last frame's scrape was committed
            # (a target's scrapes run one after another): everything is queryable.
            if self._served > len(self.frames):
                self._drained.set()
            return self.frames[index]

    def wait_drained(self, timeout: float) -> None:
        if not self._drained.wait(timeout):
            raise TimeoutError(f"Prometheus scraped {self._served} of {len(self.frames)} frames")

    def __enter__(self) -> TimestampedExporter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@dataclass
class RunningPrometheus:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def config_text(target: str | None, *, out_of_order_window: str = "2h") -> str:
    lines = [
        "global:",
        f"  scrape_interval: {SCRAPE_INTERVAL}",
        f"  scrape_timeout: {SCRAPE_INTERVAL}",
        "storage:",
        "  tsdb:",
        # Simulated samples lie up to ~45 min in the past. An empty head takes them in order
        # anyway, but once Prometheus' own `up` samples (at the real time) are in, the head
        # only takes in-order samples newer than its max time - 1 h; the out-of-order window
        # (Prometheus >= 2.39) keeps a slow run from losing the oldest ones.
        f"    out_of_order_time_window: {out_of_order_window}",
        "scrape_configs:",
    ]
    if target is not None:
        lines += [
            "  - job_name: accord-test",
            "    honor_timestamps: true",
            "    static_configs:",
            f"      - targets: ['{target}']",
        ]
    else:
        lines[-1] = "scrape_configs: []"
    return "\n".join(lines) + "\n"


@contextmanager
def running_prometheus(tmp: Path, target: str | None = None) -> Iterator[RunningPrometheus]:
    """A Prometheus scraping ``target`` (host:port) every 100 ms, stopped on exit."""
    binary = prometheus_binary()
    config = tmp / "prometheus.yml"
    config.write_text(config_text(target))
    for attempt in range(3):
        port = free_port()
        log = tmp / f"prometheus-{attempt}.log"
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={tmp / f'tsdb-{attempt}'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--log.level=warn",
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        running = RunningPrometheus(f"http://127.0.0.1:{port}", process, log)
        try:
            if _wait_ready(running):
                yield running
                return
        finally:
            running.stop()
    raise RuntimeError(f"Prometheus did not start; see {tmp}")


def _wait_ready(running: RunningPrometheus) -> bool:
    """True once /-/ready answers 200; False when the process died (e.g. the port was taken)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    with httpx2.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if running.process.poll() is not None:
                return False
            try:
                if client.get(f"{running.url}/-/ready").status_code == 200:
                    return True
            except httpx2.TransportError:
                pass
            time.sleep(0.05)
    raise TimeoutError(f"Prometheus not ready after {STARTUP_SECONDS} s: {running.log}")
