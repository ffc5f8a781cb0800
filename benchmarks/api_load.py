"""TaskOverflow API under load: N concurrent clients for S seconds, p50/p99 and errors.

Baseline, measured in the same run against the same server: the same clients hammering
`GET /api/v1/health` (no database, no validation). The todo workload mixes what a class does
in the web page: create, read one, list, update, delete. Ratios are printed against the
baseline. Run: `.venv/bin/python benchmarks/api_load.py [--clients 50] [--seconds 30]`
(it starts `labkit api` on SQLite in a temporary LABKIT_HOME, or uses `--url`).

`start_api()` and `run_load()` are imported by tests/reliability/test_load.py.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent


@dataclass
class LoadResult:
    scenario: str
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    per_client: list[int] = field(default_factory=list)  # answers each client got

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        """Latency at quantile ``q`` (0..1) in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def line(self) -> str:
        return (
            f"{self.scenario:<8} {self.clients:>3} clients {self.seconds:5.1f} s  "
            f"{self.count:>6} requests  {self.rps:7.0f} req/s  p50 {self.percentile(0.5):6.1f} ms"
            f"  p99 {self.percentile(0.99):6.1f} ms  errors {len(self.errors)}"
        )


def start_api(home: Path, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """`labkit api` on SQLite under ``home`` (no broker: the todo routes need none)."""
    sys.path.insert(0, str(REPO))
    from labkit.net import free_port
    from labkit.stack.processes import spawn, stop_group
    from labkit.waiting import eventually

    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "SQLALCHEMY_"))}
    env |= {"LABKIT_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    argv = [sys.executable, "-m", "labkit", "api", "--port", str(port), "--threads", "8"]
    proc, _ = spawn(argv, home / "api.log", env)
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return requests.get(f"{url}/api/v1/health", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    if eventually(lambda: healthy() or proc.poll() is not None, 30) and proc.poll() is None:
        return proc, url
    stop_group(proc.pid, first=signal.SIGKILL)
    raise RuntimeError(f"labkit api did not start; see {home / 'api.log'}")


def stop_api(proc: subprocess.Popen) -> None:
    from labkit.stack.processes import stop_group

    stop_group(proc.pid)


def _health(session: requests.Session, api: str, rng: random.Random, mine: list[int]):
    return session.get(f"{api}/health", timeout=10), (200,)


def _todos(session: requests.Session, api: str, rng: random.Random, mine: list[int]):
    """One step of a student's session in the web page."""
    roll = rng.random()
    if roll < 0.25 or not mine:
        reply = session.post(
            f"{api}/todos",
            json={
                "title": f"load {rng.randrange(10**6)}",
                "deadline_at": "2025-04-09 14:00:00.000",
            },
            timeout=10,
        )
        if reply.status_code == 201:
            mine.append(reply.json()["id"])
        return reply, (201,)
    todo_id = rng.choice(mine)
    if roll < 0.65:
        return session.get(f"{api}/todos/{todo_id}", timeout=10), (200,)
    if roll < 0.80:
        return session.put(f"{api}/todos/{todo_id}", json={"completed": True}, timeout=10), (200,)
    if roll < 0.90:
        return session.get(f"{api}/todos", params={"window": 3650}, timeout=10), (200,)
    mine.remove(todo_id)
    return session.delete(f"{api}/todos/{todo_id}", timeout=10), (200,)


SCENARIOS = {"health": _health, "todos": _todos}


def run_load(base_url: str, scenario: str, clients: int = 50, seconds: float = 5.0) -> LoadResult:
    """``clients`` threads, each with its own connection, for ``seconds``; every answer timed."""
    step = SCENARIOS[scenario]
    api = base_url.rstrip("/") + "/api/v1"
    result = LoadResult(scenario, clients, seconds)
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at: list[float] = []

    def client(index: int) -> None:
        rng = random.Random(index)
        session = requests.Session()
        mine: list[int] = []
        latencies, errors = [], []
        start.wait()
        while time.monotonic() < stop_at[0]:
            began = time.perf_counter()
            try:
                reply, expected = step(session, api, rng, mine)
                if reply.status_code not in expected:
                    errors.append(f"{reply.request.method} {reply.url}: {reply.status_code}")
            except requests.RequestException as exc:
                errors.append(f"{exc.__class__.__name__}: {exc}")
            latencies.append(time.perf_counter() - began)
        session.close()
        with lock:
            result.latencies.extend(latencies)
            result.errors.extend(errors)
            result.per_client.append(len(latencies))

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at.append(time.monotonic() + seconds)
    began = time.monotonic()
    start.wait()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    result.seconds = time.monotonic() - began
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--url", help="an API already running (default: start one)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="api-load-") as tmp:
        proc, url = (None, args.url) if args.url else start_api(Path(tmp))
        try:
            baseline = run_load(url, "health", args.clients, args.seconds)
            load = run_load(url, "todos", args.clients, args.seconds)
        finally:
            if proc is not None:
                stop_api(proc)
    print(f"TaskOverflow API at {url}, waitress 8 threads, SQLite; one client process")
    print(baseline.line() + "   <- baseline")
    print(load.line())
    print(
        f"todos vs baseline: throughput x{load.rps / baseline.rps:.2f}, "
        f"p50 x{load.percentile(0.5) / baseline.percentile(0.5):.2f}, "
        f"p99 x{load.percentile(0.99) / baseline.percentile(0.99):.2f}"
    )
    for error in (baseline.errors + load.errors)[:5]:
        print("error:", error)
    return 1 if baseline.errors or load.errors else 0


if __name__ == "__main__":
    sys.exit(main())
