"""The SLO engine at scale: 10,000 objectives x 30 days of 5-minute buckets.

The issue's goal: evaluating every objective (30-day SLI, budget consumed and remaining, the
eight multi-window burn rates and the page/ticket states, seconds to exhaustion) costs at most
3x a bare numpy sum of the same good and total arrays. This benchmark

1. generates seeded synthetic buckets with numpy (not measured): 10,000 objectives x 8,640
   buckets, float64, 691 MB per array; diurnal traffic over four orders of magnitude, a
   per-objective background error ratio, incidents over the last three days, gaps
   (missing buckets) and a few objectives without traffic;
2. measures, in a fresh random order in every iteration,
   - ``baseline``: ``good.sum(axis=1)`` and ``total.sum(axis=1)`` (one read of both arrays);
   - ``evaluate``: ``alerting.evaluate`` over ``BucketCounts`` (direct sums: what a cold
     evaluation from the bucket arrays costs);
   - ``build``: ``CumulativeCounts(good, total)`` (input validation and running totals);
   - ``append + evaluate``: one new bucket column appended to a warm ``CumulativeCounts``,
     then the same evaluation from it (what every 5 minutes costs once warm);
3. prints median and minimum per case and the RATIO of the medians to the baseline measured in
   the same run, and writes everything to ``bench/results/slo_engine-<timestamp>.json``.

No database. No timing is asserted anywhere: the machine is shared and noisy; read the ratios.

    python bench/slo_engine.py                              # full size: ~5 GB of RAM, ~2 min
    python bench/slo_engine.py --objectives 1000 --days 7    # smoke run, seconds
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from accord.engine.alerting import Evaluation, evaluate
from accord.engine.slo import BucketCounts, CumulativeCounts

RESULTS_DIR = Path(__file__).resolve().parent / "results"
GRAIN = 300
DAY = 86_400
GOAL_RATIO = 3.0
"""The full evaluation may cost this many baselines."""
TARGETS = (0.99, 0.995, 0.999, 0.9995)
BLOCK = 500
"""Objectives generated at a time: bounds the temporaries of the generator."""


# ================================================================================ the data


@dataclass
class Data:
    good: NDArray[np.float64]
    total: NDArray[np.float64]
    has_data: NDArray[np.bool_]
    target: NDArray[np.float64]
    facts: dict[str, int] = field(default_factory=dict)


def generate(n: int, m: int, seed: int) -> Data:
    """Seeded synthetic buckets; every step is vectorised per block of objectives."""
    rng = np.random.default_rng(seed)
    good = np.empty((n, m))
    total = np.empty((n, m))
    has_data = np.ones((n, m), dtype=np.bool_)
    # Traffic: 3 to 30,000 events per bucket (log-normal across objectives), a diurnal wave
    # (+-50 %) and +-25 % noise per bucket.
    rate = np.exp(rng.normal(np.log(300), 1.5, n)).clip(3, 30_000)
    day_phase = (np.arange(m) % (DAY // GRAIN)) / (DAY // GRAIN)
    diurnal = 1 + 0.5 * np.sin(2 * np.pi * (day_phase - 0.25))
    background = np.exp(rng.normal(np.log(5e-5), 1.0, n)).clip(0, 0.05)
    for lo in range(0, n, BLOCK):
        hi = min(lo + BLOCK, n)
        noise = rng.random((hi - lo, m), dtype=np.float32)
        t = np.floor(rate[lo:hi, None] * diurnal * (0.75 + 0.5 * noise))
        # Bad events: expected total x ratio, stochastically rounded (two uniforms).
        u = rng.random((hi - lo, m), dtype=np.float32)
        v = rng.random((hi - lo, m), dtype=np.float32)
        bad = np.minimum(np.floor(t * background[lo:hi, None] * (2 * u) + v), t)
        total[lo:hi] = t
        good[lo:hi] = t - bad
    facts = {"objectives": n, "buckets": m}
    # Incidents on 3 % of the objectives: 1-8 hours at 0.5-20 % errors in the last 3 days
    # (some still running, so pages and tickets fire).
    span = min(m, 3 * DAY // GRAIN)
    hit = rng.choice(n, size=max(1, n * 3 // 100), replace=False)
    length = rng.integers(12, 96, hit.size)
    start = m - rng.integers(0, span, hit.size)
    ratio = rng.uniform(0.005, 0.2, hit.size)
    for j, s, k, r in zip(hit, start, length, ratio, strict=True):  # per incident, not bucket
        cols = slice(max(s - k, 0), s)
        good[j, cols] = np.floor(total[j, cols] * (1 - r))
    facts["incidents"] = int(hit.size)
    # Gaps on 1 %: up to a day of buckets that never arrived.
    gaps = rng.choice(n, size=max(1, n // 100), replace=False)
    for j in gaps:
        k = int(rng.integers(1, DAY // GRAIN))
        s = int(rng.integers(0, max(m - k, 1)))
        good[j, s : s + k] = total[j, s : s + k] = 0
        has_data[j, s : s + k] = False
    facts["objectives_with_gaps"] = int(gaps.size)
    # No traffic at all on 0.5 % (buckets arrive, with zero events).
    idle = rng.choice(n, size=max(1, n // 200), replace=False)
    good[idle] = total[idle] = 0
    facts["objectives_without_traffic"] = int(idle.size)
    target = rng.choice(np.array(TARGETS), n)
    return Data(good, total, has_data, target, facts)


# =============================================================================== measuring


@dataclass
class Case:
    name: str
    run: Callable[[], object]
    seconds: list[float] = field(default_factory=list)


def timed(run: Callable[[], object]) -> float:
    gc.collect()
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def measure(cases: Sequence[Case], iterations: int, warmup: int, seed: int) -> None:
    """Every iteration runs every case once, in a fresh random order (drift hits all)."""
    order_rng = random.Random(seed)
    for i in range(warmup + iterations):
        order = list(cases)
        order_rng.shuffle(order)
        for case in order:
            elapsed = timed(case.run)
            if i >= warmup:
                case.seconds.append(elapsed)


def check(a: Evaluation, b: Evaluation) -> None:
    """Direct sums and running totals must agree bit for bit (integer counts)."""
    for name in ("consumed", "remaining", "current_burn", "seconds_to_exhaustion"):
        if not np.array_equal(getattr(a, name), getattr(b, name)):
            raise SystemExit(f"direct and cumulative evaluations differ in {name}")
    if not np.array_equal(a.alerts.firing, b.alerts.firing):
        raise SystemExit("direct and cumulative evaluations differ in alert states")


# ==================================================================================== main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objectives", type=int, default=10_000, help="default: 10000")
    parser.add_argument("--days", type=int, default=30, help="SLO period and history; default 30")
    parser.add_argument("--iterations", type=int, default=7, help="measured rounds; default 7")
    parser.add_argument("--warmup", type=int, default=1, help="discarded rounds; default 1")
    parser.add_argument(
        "--appends",
        type=int,
        default=20,
        help="append + evaluate calls per round (each appends one bucket); default 20",
    )
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    return parser.parse_args(argv)


def git_commit() -> str | None:
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        return subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    n, m = args.objectives, args.days * DAY // GRAIN
    period = args.days * DAY
    started = time.perf_counter()
    data = generate(n, m, args.seed)
    generated = time.perf_counter() - started
    mb = data.good.nbytes / 1e6
    print(
        f"{n:,} objectives x {m:,} buckets of {GRAIN} s ({n * m / 1e6:,.1f} M buckets, "
        f"{mb:,.0f} MB per array); generated in {generated:.1f} s (not measured); "
        + ", ".join(
            f"{k} {v:,}" for k, v in data.facts.items() if k not in ("objectives", "buckets")
        )
    )
    good, total, target = data.good, data.total, data.target

    def baseline() -> object:
        return good.sum(axis=1), total.sum(axis=1)

    direct = BucketCounts(good, total)

    def full() -> Evaluation:
        return evaluate(direct, m, target, period)

    def build() -> CumulativeCounts:
        return CumulativeCounts(good, total)

    # The warm instance gets its new columns from the data itself (a rolling replay), so
    # appended buckets look like real ones; ``spare`` keeps every append O(n).
    rounds = args.warmup + args.iterations
    warm = CumulativeCounts(good, total, spare=rounds * args.appends + 1)
    replay = iter(range(rounds * args.appends))

    def append_and_evaluate() -> Evaluation:
        column = next(replay) % m
        warm.append(good[:, column], total[:, column])
        return evaluate(warm, warm.stop, target, period)

    def warm_round() -> None:
        for _ in range(args.appends):
            append_and_evaluate()

    check(full(), evaluate(warm, m, target, period))
    evaluation = full()
    print(
        "checked: direct sums and running totals agree. At the last bucket, objectives "
        f"paging: {int(evaluation.alerts.page.sum()):,}, with a ticket: "
        f"{int(evaluation.alerts.ticket.sum()):,}, over budget: "
        f"{int((evaluation.remaining < 0).sum()):,}, without data: "
        f"{int((~evaluation.period.has_data).sum()):,}"
    )

    cases = [
        Case("baseline", baseline),
        Case("evaluate", full),
        Case("build", build),
        Case("append + evaluate", warm_round),
    ]
    load_before = [round(x, 2) for x in os.getloadavg()]
    print(f"measuring {len(cases)} cases x {args.iterations} rounds (+{args.warmup} warm-up)")
    measure(cases, args.iterations, args.warmup, args.seed)
    load_after = [round(x, 2) for x in os.getloadavg()]
    # One round of the warm case runs ``appends`` calls: report per call.
    cases[3].seconds = [s / args.appends for s in cases[3].seconds]

    base = statistics.median(cases[0].seconds)
    rows = []
    for case in cases:
        median = statistics.median(case.seconds)
        rows.append(
            {
                "case": case.name,
                "median_ms": round(median * 1e3, 3),
                "min_ms": round(min(case.seconds) * 1e3, 3),
                "max_ms": round(max(case.seconds) * 1e3, 3),
                "ratio": round(median / base, 4),
                "samples_ms": [round(s * 1e3, 3) for s in case.seconds],
            }
        )
    print(
        f"\nload average (1, 5, 15 min) before {load_before}, after {load_after} on "
        f"{os.cpu_count()} CPUs: the higher, the noisier the absolute times"
    )
    print(f"\n{'case':<20} {'median ms':>10} {'min ms':>10} {'ratio':>8}")
    for row in rows:
        ms = f"{row['median_ms']:>10.2f} {row['min_ms']:>10.2f}"
        print(f"{row['case']:<20} {ms} {row['ratio']:>8.3f}")
    ratio = rows[1]["ratio"]
    verdict = "met" if ratio <= GOAL_RATIO else "MISSED"
    print(f"\ngoal: evaluate <= {GOAL_RATIO:g} x baseline: {verdict} ({ratio:.2f} x)")
    print("append + evaluate is per call (one new bucket, every objective, all windows)")

    report = {
        "benchmark": "slo_engine",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "shape": {**data.facts, "grain_seconds": GRAIN, "mb_per_array": round(mb, 1)},
        "generate_s": round(generated, 2),
        "load_average": {"before": load_before, "after": load_after, "cpus": os.cpu_count()},
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "platform": platform.platform(),
        "goal_ratio": GOAL_RATIO,
        "results": rows,
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.results_dir / f"slo_engine-{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
