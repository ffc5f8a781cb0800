"""A student's way through a lesson, in a real kernel (nbclient): one cell at a time with a
reader's pause between cells, every setup and student cell run again twice, a kernel restart
half-way (then the cells above run again, as a student does), and two wrong attempts before the
right one at every exercise. `walk` returns what happened; a failing cell raises with its
error, so a test names the lesson, the cell and the step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_core.utils import run_sync
from nbclient import NotebookClient

from tests.student_path import attempts

WRONG_MARK, RIGHT_MARK = "✘", "✔"


@dataclass
class Walk:
    lesson: str
    steps: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
        elif "data" in out:
            parts.append(str(out["data"].get("text/plain", "")))
    return "".join(parts)


def _setup_cells(cells: list) -> set[int]:
    """The parameters cell and the code cells of the "## Setup" section."""
    found, in_setup = set(), False
    for index, cell in enumerate(cells):
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            in_setup = cell.source.startswith("## Setup")
        elif cell.cell_type == "code" and (
            in_setup or "parameters" in cell.metadata.get("tags", [])
        ):
            found.add(index)
    return found


class Student:
    def __init__(self, path: Path, workdir: Path, pause: float, exercises: bool = True) -> None:
        self.path, self.lesson = path, attempts.lesson_of(path)
        self.nb = nbformat.read(path, as_version=4)
        self.cells = self.nb.cells
        self.pause, self.exercises = pause, exercises
        self.client = NotebookClient(
            self.nb,
            timeout=900,
            kernel_name="python3",
            resources={"metadata": {"path": str(workdir)}},
        )
        self.walk = Walk(self.lesson)
        self.done: list[int] = []  # code cells run, in order, with the sources now in place

    def run(self, index: int, source: str | None = None, note: str = "") -> str:
        cell = self.cells[index]
        if source is not None:
            cell.source = source
        self.walk.steps.append(f"cell {index}{note}")
        self.client.execute_cell(cell, index)
        return _text(cell)

    def read(self) -> None:
        time.sleep(self.pause)  # a reader between cells (what the student path tests), not a wait

    def restart(self, upto: int) -> None:
        """Restart the kernel, then run again every code cell above ``upto`` (no pauses)."""
        self.walk.steps.append(f"restart before cell {upto}")
        run_sync(self.client.km.restart_kernel)(now=True)
        run_sync(self.client.kc.wait_for_ready)(timeout=120)
        self.imported = False
        if any(attempts.CHECK.search(self.cells[i].source) for i in self.done):
            self.solution_imports()
        for index in list(self.done):
            self.run(index, note=" (after restart)")

    def exercise_group(self, start: int) -> int:
        """Cells ``start``..the next check cell: wrong, wrong, right; returns the last index."""
        end = next(
            i for i in range(start, len(self.cells)) if attempts.CHECK.search(self.cells[i].source)
        )
        students = [
            i
            for i in range(start, end + 1)
            if "student-code" in self.cells[i].metadata.get("tags", [])
        ]
        right = {i: attempts.right_source(self.lesson, self.cells[i].source) for i in students}
        for number, wrong in enumerate(attempts.wrong_sources(right), 1):
            shown = self._attempt(start, end, wrong, f" (wrong attempt {number})")
            assert WRONG_MARK in shown, (
                f"lesson {self.lesson} cells {start}-{end}: a wrong attempt was not refused: {shown[-300:]}"
            )
            self.read()
        for again in ("", " (re-run)", " (re-run)"):
            shown = self._attempt(start, end, right, f" (right attempt{again})")
            assert RIGHT_MARK in shown, (
                f"lesson {self.lesson} cells {start}-{end}: the right attempt: {shown[-300:]}"
            )
        return end

    def _attempt(self, start: int, end: int, sources: dict[int, str], note: str) -> str:
        out = ""
        for index in range(start, end + 1):
            if self.cells[index].cell_type == "code":
                out += self.run(index, sources.get(index), note)
        return out

    def question(self, index: int, exercise_id: str) -> None:
        original = self.cells[index].source
        for number, source in enumerate(attempts.answer_attempts(exercise_id, original), 1):
            shown = self.run(index, source, f" (wrong answer {number})")
            assert WRONG_MARK in shown, f"{exercise_id}: wrong answer {number} not refused: {shown}"
            self.read()
        self.solution_imports()
        shown = self.run(index, attempts.solution_cell(self.lesson, exercise_id), " (right answer)")
        assert RIGHT_MARK in shown, f"{exercise_id}: the right answer: {shown}"

    def solution_imports(self) -> None:
        """The solution notebook's imports, once per kernel (its worked answers use them)."""
        if not self.imported:
            scratch = nbformat.v4.new_code_cell(attempts.solution_imports(self.lesson))
            self.cells.append(scratch)  # nbclient stores what it ran at the cell's index
            try:
                self.client.execute_cell(scratch, len(self.cells) - 1)
            finally:
                self.cells.pop()
            self.imported = True

    def go(self, restart_at: float = 0.5, stop_after: str | None = None) -> Walk:
        started = time.monotonic()
        setup = _setup_cells(self.cells)
        code = [i for i, c in enumerate(self.cells) if c.cell_type == "code"]
        restart_before = code[int(len(code) * restart_at)] if restart_at else None
        self.imported = False
        with self.client.setup_kernel():
            index = 0
            while index < len(self.cells):
                cell = self.cells[index]
                if cell.cell_type != "code":
                    index += 1
                    continue
                if index == restart_before:
                    self.restart(index)
                    self.read()
                tags = cell.metadata.get("tags", [])
                checks = attempts.CHECK.findall(cell.source)
                if self.exercises and "student-code" in tags:
                    end = self.exercise_group(index)
                    self.done += [
                        i for i in range(index, end + 1) if self.cells[i].cell_type == "code"
                    ]
                    index = end + 1
                    self.read()
                    continue
                if self.exercises and checks and "answer = ..." in cell.source:
                    self.question(index, checks[0])
                else:
                    for again in ("", " (re-run)", " (re-run)")[: 3 if index in setup else 1]:
                        self.run(index, note=again)
                self.done.append(index)
                if stop_after and stop_after in cell.source:
                    break
                index += 1
                self.read()
        self.walk.seconds = time.monotonic() - started
        return self.walk
