"""What the course released: lesson notebooks, their exercise cells and the student's own cells.

An exercise cell is a code cell that calls ``check("NN.name", ...)``; a student's own cell is
tagged `student-code` or carries nbgrader ``solution: true`` in the *released* notebook (a
submission's own metadata is never trusted for this).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labkit.paths import NOTEBOOK_DIR

CHECK_CALL = re.compile(r"""check\(\s*["'](\d\d\.[A-Za-z0-9_]+)["']""")
LESSON_FILE = re.compile(r"^(\d\d)_[A-Za-z0-9_]+\.ipynb$")


def source_of(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def exercises_in(cell: dict[str, Any]) -> list[str]:
    """The exercise ids a code cell checks, in order."""
    if cell.get("cell_type") != "code":
        return []
    return list(dict.fromkeys(CHECK_CALL.findall(source_of(cell))))


def is_own(cell: dict[str, Any]) -> bool:
    """True for a cell the student is meant to edit (per its released metadata)."""
    meta = cell.get("metadata", {})
    return "student-code" in meta.get("tags", []) or bool(meta.get("nbgrader", {}).get("solution"))


@dataclass
class Lesson:
    """One released lesson notebook."""

    number: str  # "01"
    path: Path
    cells: list[dict[str, Any]] = field(repr=False)
    exercises: list[str] = field(default_factory=list)  # in notebook order

    @property
    def name(self) -> str:
        return self.path.name

    def own_ids(self) -> set[str]:
        return {c["id"] for c in self.cells if is_own(c) and "id" in c}


def parse_notebook(text: str, name: str) -> dict[str, Any]:
    """A notebook's JSON from its text; ValueError with one sentence when it is not one."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ValueError(f"{name} is not valid notebook JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise ValueError(f"{name} is JSON but not a notebook (no list of cells)")
    if not all(isinstance(c, dict) and c.get("cell_type") for c in data["cells"]):
        raise ValueError(f"{name} has cells that are not notebook cells")
    return data


def read_text(path: Path) -> str:
    """A submitted file's text (undecodable bytes replaced, so the JSON check reports them)."""
    return path.read_bytes().decode("utf-8", errors="replace")


def load_notebook(path: Path) -> dict[str, Any]:
    """A notebook's JSON; ValueError with one sentence when it is not a notebook."""
    try:
        text = read_text(path)
    except OSError as error:
        raise ValueError(f"{path.name} cannot be read ({error})") from None
    return parse_notebook(text, path.name)


def load_lesson(path: Path) -> Lesson:
    cells = load_notebook(path)["cells"]
    ids = [ex for cell in cells for ex in exercises_in(cell)]
    return Lesson(path.name[:2], path, cells, list(dict.fromkeys(ids)))


def released_lessons(wanted: list[str] | None = None, folder: Path = NOTEBOOK_DIR) -> list[Lesson]:
    """The lesson notebooks in ``folder`` (``wanted``: only these numbers, e.g. ["01", "02"])."""
    found = [load_lesson(p) for p in sorted(folder.glob("*.ipynb")) if LESSON_FILE.match(p.name)]
    if wanted:
        unknown = sorted(set(wanted) - {lesson.number for lesson in found})
        if unknown:
            known = ", ".join(lesson.number for lesson in found)
            raise ValueError(f"no lesson {', '.join(unknown)} in {folder}; lessons: {known}")
        found = [lesson for lesson in found if lesson.number in wanted]
    return found


def lesson_of(notebook: dict[str, Any], lessons: list[Lesson]) -> Lesson | None:
    """The released lesson a (renamed) notebook is a copy of: the one whose exercises it checks
    most, else the one it shares most cell ids with."""
    cells = notebook.get("cells", [])
    checked = {ex for cell in cells if isinstance(cell, dict) for ex in exercises_in(cell)}
    ids = {cell.get("id") for cell in cells if isinstance(cell, dict)}

    def score(lesson: Lesson) -> tuple[int, int]:
        shared = len(ids & {c.get("id") for c in lesson.cells})
        return len(checked & set(lesson.exercises)), shared

    best = max(lessons, key=score, default=None)
    return best if best is not None and max(score(best)) > 0 else None
