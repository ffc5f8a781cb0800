"""Keep every exercise cell's nbgrader metadata in step with the exercise registry.

    python -m labkit.tools.grade.nbgrader_metadata          # rewrite notebooks/ (metadata only)
    python -m labkit.tools.grade.nbgrader_metadata --check  # exit 1 when a notebook is stale

nbgrader's cell schema (version 3): a code cell that calls ``check`` is graded with the sum of
its exercises' points; when it also holds the student's answer (``answer = ...``) it is a
solution cell too (nbgrader: a manually graded answer), else a locked test cell; `student-code` cells are ungraded solution
cells. Only ``metadata.nbgrader`` changes; sources and every other byte stay as they are.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path
from typing import Any

from labkit.lessons.grading.checker import get_exercise
from labkit.paths import NOTEBOOK_DIR
from labkit.tools.grade.released import exercises_in, source_of

SCHEMA_VERSION = 3


def holds_answer(source: str) -> bool:
    """True when the cell assigns the student's ``answer`` (an answer cell, not a test cell)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "answer" for t in node.targets)
        for node in tree.body
    )


def nbgrader_for(cell: dict[str, Any], code_cells_seen: int) -> dict[str, Any] | None:
    """The nbgrader metadata ``cell`` should carry, or None for a cell nbgrader need not know."""
    if cell.get("cell_type") != "code":
        return None
    exercises = exercises_in(cell)
    if exercises:
        points = sum(get_exercise(ex).points for ex in exercises)
        solution = holds_answer(source_of(cell))
        return {
            "cell_type": "code",
            "grade": True,
            "grade_id": "-".join(ex.replace(".", "_") for ex in exercises),
            "locked": not solution,
            "points": int(points) if float(points).is_integer() else points,
            "schema_version": SCHEMA_VERSION,
            "solution": solution,
            "task": False,
        }
    if "student-code" in cell.get("metadata", {}).get("tags", []):
        return {
            "cell_type": "code",
            "grade": False,
            "grade_id": f"student_code_{code_cells_seen}",
            "locked": False,
            "schema_version": SCHEMA_VERSION,
            "solution": True,
            "task": False,
        }
    return None


def update(path: Path) -> bool:
    """Rewrite ``path``'s nbgrader metadata; True when anything changed."""
    text = path.read_text(encoding="utf-8")
    notebook = json.loads(text)
    code_cells = 0
    for cell in notebook["cells"]:
        if "student-code" in cell.get("metadata", {}).get("tags", []):
            code_cells += 1
        wanted = nbgrader_for(cell, code_cells)
        if wanted is None:
            cell.get("metadata", {}).pop("nbgrader", None)
        else:
            cell.setdefault("metadata", {})["nbgrader"] = wanted
    new = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    if new == text:
        return False
    path.write_text(new, encoding="utf-8")
    return True


def notebooks(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    return sorted(folder.glob("[0-9]*.ipynb")) + sorted((folder / "solutions").glob("*.ipynb"))


def stale(folder: Path = NOTEBOOK_DIR) -> list[str]:
    """The notebooks whose nbgrader metadata differs from the registry (nothing written)."""
    found = []
    for path in notebooks(folder):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        code_cells = 0
        for cell in notebook["cells"]:
            if "student-code" in cell.get("metadata", {}).get("tags", []):
                code_cells += 1
            if cell.get("metadata", {}).get("nbgrader") != nbgrader_for(cell, code_cells):
                found.append(f"{path.name} cell {cell.get('id', '?')}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale notebooks")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale()
        for problem in problems:
            print(f"stale nbgrader metadata: {problem}")
        if problems:
            print("run: python -m labkit.tools.grade.nbgrader_metadata", file=sys.stderr)
        return 1 if problems else 0
    changed = [path for path in notebooks() if update(path)]
    print(f"updated {len(changed)} notebook(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
