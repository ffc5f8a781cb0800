"""`labkit grade` throughput: notebooks per minute per core, peak memory, and a class projected.

Grades synthetic submissions of lessons 01-03 (built from the worked solutions and the released
templates, full marks and untouched templates alternating) with `--jobs CORES`, then the same
kind of class with `--broker` across two local `labkit grade-worker`s.

Baseline, measured in the same run: the same lessons' solved notebooks executed with plain
papermill (`labkit run`: no box, no recording, no evaluation), one after another. The ratio
says what grading costs over just running a notebook.

    .venv/bin/python benchmarks/grading.py [--students 10] [--jobs 2] [--broker-students 4]

30 submissions = 10 students x 3 lessons by default. Peak memory is the largest sum of resident
memory over the grader's whole process tree (grader, kernels, evaluators), sampled every 0.5 s.
The projection for 300 students x 8 lessons on 16 cores assumes lessons 04-08 cost what 01-03
do (they run Celery and the calendar pipeline: expect them slower) and that cores, not the one
shared stack, are the limit. Timings on a shared machine are inflated by its other load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from labkit.tools.grade import synthetic  # noqa: E402

LESSONS = ["01_standard_vs_fifo.ipynb", "02_fifo_dedup_and_groups.ipynb", "03_at_least_once.ipynb"]


def build_class(folder: Path, students: int) -> int:
    for n in range(students):
        for lesson in LESSONS:
            nb = synthetic.notebook(lesson) if n % 2 == 0 else synthetic.template(lesson)
            synthetic.write(nb, folder / f"s{n:03d}" / lesson)
    return students * len(LESSONS)


class PeakMemory:
    """The largest RSS sum over a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        while not self._stop.wait(0.5):
            try:
                root = psutil.Process(self.pid)
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            total = 0
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 2**20


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def grade(subs: Path, out: Path, *extra: str) -> tuple[float, float, list[dict]]:
    command = [
        sys.executable,
        "-m",
        "labkit",
        "grade",
        str(subs),
        "--out",
        str(out),
        "--keep-stack",
        "--lessons",
        "01,02,03",
    ]
    began = time.perf_counter()
    proc = subprocess.Popen(
        [*command, *extra], env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    memory = PeakMemory(proc.pid)
    _, err = proc.communicate()
    seconds, peak = time.perf_counter() - began, memory.stop()
    if proc.returncode:
        raise SystemExit(f"labkit grade failed: {err[-2000:]}")
    rows = [json.loads(p.read_text()) for p in (out / "students").glob("*/[0-9][0-9].json")]
    return seconds, peak, rows


def baseline(folder: Path) -> float:
    """Seconds per notebook for the solved lessons run with plain papermill, one at a time."""
    notebooks = [synthetic.write(synthetic.notebook(n), folder / n) for n in LESSONS]
    began = time.perf_counter()
    command = [
        sys.executable,
        "-m",
        "labkit",
        "run",
        *map(str, notebooks),
        "--output-dir",
        str(folder / "out"),
        "--keep-stack",
    ]
    subprocess.run(command, env=env(), capture_output=True, text=True, check=False)
    return (time.perf_counter() - began) / len(notebooks)


def broker_run(base: Path, students: int) -> tuple[float, Counter]:
    """The same kind of class through Celery: two local workers, one Redis (the stack's)."""
    import labkit

    lab = labkit.up()
    broker = lab.urls["redis"].rsplit("/", 1)[0] + "/13"
    subs = base / "broker-subs"
    count = build_class(subs, students)
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "labkit",
                "grade-worker",
                "--broker",
                broker,
                "--name",
                f"bench{i}@%h",
            ],
            env=env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in (1, 2)
    ]
    try:
        seconds, _, rows = grade(subs, base / "broker-out", "--broker", broker)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
    assert len(rows) == count, (len(rows), count)
    return seconds, Counter(row["worker"].split("@")[0] for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--broker-students", type=int, default=4, help="0: skip the broker run")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="grading-bench-"))
    base.chmod(0o700)
    load = os.getloadavg()[0]
    print(
        f"machine: {os.cpu_count()} cores, load average {load:.1f} at start (shared machine: "
        "figures are inflated by other users' work)"
    )
    per_notebook = baseline(base / "baseline")
    print(
        f"baseline, plain papermill (labkit run), solved lessons 01-03: {per_notebook:.1f} s per notebook"
    )
    count = build_class(base / "subs", args.students)
    seconds, peak, rows = grade(base / "subs", base / "out", "--jobs", str(args.jobs))
    assert len(rows) == count, (len(rows), count)
    broken = [r for r in rows if r["status"] != "completed"]
    if broken:  # e.g. the shared venv changing under the run: the rate would be meaningless
        raise SystemExit(f"{len(broken)} notebooks did not complete: {broken[0]['status']}")
    rate = count / (seconds / 60) / args.jobs
    print(
        f"labkit grade --jobs {args.jobs}: {count} notebooks in {seconds:.0f} s = {count / (seconds / 60):.1f} notebooks/min, {rate:.2f} per core"
    )
    print(
        f"  per notebook per core: {seconds * args.jobs / count:.1f} s, {seconds * args.jobs / count / per_notebook:.2f}x the baseline's {per_notebook:.1f} s"
    )
    print(f"  peak memory of the whole run (grader + kernels + evaluators): {peak:.0f} MB")
    marks = Counter(f"{r['points']:g}/{r['max_points']:g}" for r in rows)
    print(f"  marks: {dict(sorted(marks.items()))}")
    projected = 300 * 8 / (rate * 16)
    print(
        f"projection: 300 students x 8 lessons on 16 cores at this rate: {projected:.0f} min ({projected / 60:.1f} h)"
    )
    if args.broker_students:
        seconds, split = broker_run(base, args.broker_students)
        total = sum(split.values())
        print(
            f"--broker, two local grade-workers (1 job each): {total} notebooks in {seconds:.0f} s; split {dict(split)}"
        )
    print(f"load average at end: {os.getloadavg()[0]:.1f}; results under {base}")


if __name__ == "__main__":
    main()
