"""How long a student spends on each lesson: reading plus waiting for cells.

Reading: every word of the markdown and code cells at 200 words a minute (a careful reader of
technical text; code read as words). Waiting: each cell's run time from a papermill run of the
lesson (`metadata.papermill.duration` in the executed copy). Not counted: writing the
exercises' code, which depends on the student. Baseline: the "About 10 minutes" each lesson
used to claim; the ratio column is measured minutes / 10.

    .venv/bin/python benchmarks/lesson_minutes.py [--executed build/notebooks]

Without --executed it runs the lessons first (`labkit run --lessons`, a few minutes). Cell run
times measured on a loaded machine are inflated; reading time dominates anyway.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORDS_PER_MINUTE = 200
BASELINE_MINUTES = 10.0


def words(notebook: dict) -> int:
    """Words a student reads: markdown and code cells (code counted as identifier-words)."""
    text = " ".join("".join(cell["source"]) for cell in notebook["cells"])
    return len(re.findall(r"[A-Za-z0-9_']+", text))


def run_seconds(executed: dict) -> float:
    """Sum of the cells' run times papermill recorded."""
    durations = (
        c.get("metadata", {}).get("papermill", {}).get("duration") for c in executed["cells"]
    )
    return sum(d for d in durations if d)


def table(lessons: list[Path], executed_dir: Path) -> list[dict]:
    rows = []
    for path in lessons:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        executed = json.loads((executed_dir / path.name).read_text(encoding="utf-8"))
        reading = words(notebook) / WORDS_PER_MINUTE
        waiting = run_seconds(executed) / 60
        total = reading + waiting
        rows.append(
            {
                "lesson": path.stem,
                "words": words(notebook),
                "reading_min": reading,
                "cells_min": waiting,
                "total_min": total,
                "vs_10_min": total / BASELINE_MINUTES,
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executed", type=Path, help="a folder of papermill-executed lessons")
    args = parser.parse_args()
    lessons = sorted((REPO / "notebooks").glob("[0-9]*.ipynb"))
    executed = args.executed
    if executed is None:
        executed = Path(tempfile.mkdtemp(prefix="lesson-minutes-"))
        argv = [sys.executable, "-m", "labkit", "run", "--lessons", "--output-dir", str(executed)]
        subprocess.run(argv, cwd=REPO, check=True)
    print(f"{'lesson':28} {'words':>6} {'reading':>8} {'cells':>6} {'total':>6} {'x 10 min':>9}")
    for row in table(lessons, executed):
        print(
            f"{row['lesson']:28} {row['words']:6d} {row['reading_min']:7.1f}m "
            f"{row['cells_min']:5.1f}m {row['total_min']:5.1f}m {row['vs_10_min']:9.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
