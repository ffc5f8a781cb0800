"""Cold start, attach times and resident memory of the embedded stack.

Times: against a named baseline, `python -m labkit --help`, a new interpreter that builds the
whole CLI: what every child of the stack pays before it does any work of its own. Target: all
services healthy in 5 s.

Memory: what one student's stack holds resident (RSS), summed over its processes (SQS emulator,
Redis, API, worker and the worker's pool processes; JupyterLab and kernels are not the stack's),
after one calendar job went through it. Target: at most 200 MB (a hub runs one stack per
student). RSS counts pages a forked child shares with its parent twice; the proportional figure
(PSS, Linux) is printed beside it. `--no-redis-binary` measures the stack on labkit's
pure-Python Redis, as on a machine without redis-server (the configuration of tests/no_redis_binary).

    .venv/bin/python benchmarks/stack_cold_start.py [--runs 3] [--no-redis-binary]

Runs in a temporary LABKIT_HOME on free ports with a non-zero Redis db; stops what it starts.
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

TARGET_S = 5.0
TARGET_MB = 200.0


def stack_memory(state: dict) -> dict[str, tuple[float, float]]:
    """{service: (RSS MB, PSS MB)} summed over each service's process and its children."""
    import psutil

    usage = {}
    for name, svc in state["services"].items():
        if not svc.get("pid"):
            continue
        try:
            leader = psutil.Process(svc["pid"])
            procs = [leader, *leader.children(recursive=True)]
        except psutil.Error:
            continue
        rss = pss = 0
        for proc in procs:
            try:
                info = proc.memory_full_info()
            except psutil.Error:
                continue
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
        usage[name] = (rss / 2**20, pss / 2**20)
    return usage


def timed(fn) -> float:  # noqa: ANN001
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--no-redis-binary", action="store_true", help="as on a machine with no redis-server"
    )
    args = parser.parse_args()
    if args.no_redis_binary and not os.environ.get("LABKIT_BENCH_NO_REDIS_BINARY"):
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.no_redis_binary import environment

        env = environment() | {"LABKIT_BENCH_NO_REDIS_BINARY": "1"}
        argv = [sys.executable, __file__, *sys.argv[1:]]
        return subprocess.run(argv, env=env, check=False).returncode
    os.environ["LABKIT_HOME"] = tempfile.mkdtemp(prefix="labkit-bench-")
    os.environ.setdefault("LABKIT_STACK_REDIS_DB", "15")

    import labkit.stack as stack
    from labkit.net import free_port

    baseline = statistics.median(
        timed(
            lambda: subprocess.run(
                [sys.executable, "-m", "labkit", "--help"], check=True, capture_output=True
            )
        )
        for _ in range(args.runs)
    )
    cold, attach, attach_cli = [], [], []
    try:
        for _ in range(args.runs):
            ports = {"sqs_port": free_port(), "api_port": free_port()}
            cold.append(timed(lambda ports=ports: stack.up(**ports)))
            attach.append(timed(stack.up))
            attach_cli.append(
                timed(
                    lambda: subprocess.run(
                        [sys.executable, "-m", "labkit", "up"], check=True, capture_output=True
                    )
                )
            )
            stack.down()
        lab = stack.up(sqs_port=free_port(), api_port=free_port())
        lab.api.create_todo("memory", deadline_at="2025-04-09T14:00:00")
        job = lab.api.start_calendar()
        lab.api.wait_for_calendar(job["task_id"], timeout=60)
        time.sleep(2)  # let the worker settle after its first job
        from labkit.stack.state import read_state

        state = read_state()
        memory = stack_memory(state)
        redis_kind = state["services"]["redis"].get("server", "?")
    finally:
        stack.down()
    rows = [
        ("baseline: python -m labkit --help", baseline),
        ("cold start, all services healthy", statistics.median(cold)),
        ("attach, same process (up() again)", statistics.median(attach)),
        ("attach, new process (labkit up)", statistics.median(attach_cli)),
    ]
    print(f"embedded stack, median of {args.runs} runs, Redis: {redis_kind}")
    print(f"{'measure':<38}{'seconds':>9}{'x baseline':>12}{'of 5 s target':>15}")
    for name, seconds in rows:
        print(f"{name:<38}{seconds:>9.3f}{seconds / baseline:>12.1f}{seconds / TARGET_S:>14.0%}")
    total_rss = sum(rss for rss, _ in memory.values())
    total_pss = sum(pss for _, pss in memory.values())
    print(f"\n{'resident memory':<38}{'RSS MB':>9}{'PSS MB':>12}")
    for name, (rss, pss) in sorted(memory.items()):
        print(f"{name:<38}{rss:>9.1f}{pss:>12.1f}")
    print(
        f"{'stack total':<38}{total_rss:>9.1f}{total_pss:>12.1f}   target <= {TARGET_MB:.0f} MB RSS"
    )
    ok = statistics.median(cold) < TARGET_S and total_rss <= TARGET_MB
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
