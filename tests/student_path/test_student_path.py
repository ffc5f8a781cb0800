"""Issue 22: every lesson works on a student's path, not only under Run All. Each lesson runs
cell by cell in a real kernel with a reader's pause between cells, setup and student cells run
again twice, the kernel restarted half-way, and two wrong attempts before the right one at every
exercise. Minutes long: `make test-extended`, with one short walk first: lesson 05 to its
PENDING assert with reading pauses, the place where Run All hid a failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from labkit.paths import REPO_ROOT
from tests.student_path.walk import Student

LESSONS = sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PAUSE = float(os.environ.get("LABKIT_STUDENT_PAUSE", "3"))  # seconds a reader spends per cell


@pytest.mark.extended
@pytest.mark.timeout(1800)  # a reader's pace: minutes per lesson
@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_on_the_students_path(path: Path, student_home: Path) -> None:
    walk = Student(path, student_home, pause=PAUSE).go()
    print(f"{path.stem}: {len(walk.steps)} cell runs in {walk.seconds:.0f} s")


@pytest.mark.extended  # a walk at a reader's pace (half a minute): make test-extended
def test_lesson_05_pending_shows_at_a_readers_pace(student_home: Path) -> None:
    """The smoke walk: with DELAY_SECONDS = 2 both jobs end while the student reads (2.5 s a
    cell); the states must still start at PENDING (the cell's own assert)."""
    [path] = [p for p in LESSONS if p.name.startswith("05_")]
    student = Student(path, student_home, pause=2.5, exercises=False)
    walk = student.go(restart_at=0, stop_after='assert states[0] == "PENDING"')
    assert (
        walk.steps[-1].startswith("cell")
        and "PENDING" in student.cells[int(walk.steps[-1].split()[1])].source
    )
