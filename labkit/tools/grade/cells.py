"""Cells outside the student's own, compared with the released notebook.

A student edits the `student-code` cells and the answer cells; any other code cell that differs
from the release, is gone, or was added is listed, so a tutor sees a notebook that, say,
rewrote a setup cell or an assert. Only the released notebook says which cells are the
student's (by cell id), never the submission's metadata.
"""

from __future__ import annotations

import ast
from typing import Any

from labkit.tools.grade.released import Lesson, is_own, source_of


def _norm(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _first_line(source: str) -> str:
    lines = [line for line in source.strip().splitlines() if line.strip()]
    return (lines[0][:80] if lines else "(empty)").strip()


def changed_cells(lesson: Lesson, cells: list[Any]) -> list[dict[str, Any]]:
    """One row per released code cell changed or removed, and per code cell added."""
    own = lesson.own_ids()
    theirs = {c.get("id"): c for c in cells if isinstance(c, dict)}
    their_sources = {_norm(source_of(c)) for c in cells if isinstance(c, dict)}
    released_ids = {c.get("id") for c in lesson.cells}
    released_sources = {_norm(source_of(c)) for c in lesson.cells}
    rows = []
    for index, cell in enumerate(lesson.cells):
        if cell.get("cell_type") != "code" or cell.get("id") in own:
            continue
        mine = _norm(source_of(cell))
        match = theirs.get(cell.get("id"))
        if match is not None and _norm(source_of(match)) == mine:
            continue
        if match is None and mine in their_sources:
            continue  # the cell lost its id (copied between notebooks) but is unchanged
        rows.append(
            {
                "cell": index,
                "id": cell.get("id"),
                "change": "removed" if match is None else "changed",
                "line": _first_line(mine),
            }
        )
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = _norm(source_of(cell))
        if cell.get("id") not in released_ids and source and source not in released_sources:
            rows.append(
                {"cell": None, "id": cell.get("id"), "change": "added", "line": _first_line(source)}
            )
    return rows


def student_code(lesson: Lesson, cells: list[Any]) -> list[str]:
    """The sources of the submission's `student-code` cells (matched by released cell id)."""
    wanted = [
        c.get("id") for c in lesson.cells if "student-code" in c.get("metadata", {}).get("tags", [])
    ]
    theirs = {c.get("id"): c for c in cells if isinstance(c, dict)}
    return [source_of(theirs[i]) for i in wanted if i in theirs]


def prelude(lesson: Lesson) -> list[str]:
    """The released notebook's parameters cell and its imports, one statement each: what the
    student's functions may rely on when the grader defines them afresh."""
    statements = []
    for cell in lesson.cells:
        if cell.get("cell_type") != "code" or is_own(cell):
            continue
        try:
            tree = ast.parse(source_of(cell))
        except SyntaxError:
            continue
        parameters = "parameters" in cell.get("metadata", {}).get("tags", [])
        for node in tree.body:
            if parameters or isinstance(node, ast.Import | ast.ImportFrom):
                statements.append(ast.unparse(node))
    return statements
