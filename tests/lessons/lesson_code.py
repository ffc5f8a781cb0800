"""The lessons' own code, read from the notebooks: the templates students start from and the
worked solutions, so the exercise tests check exactly what the lessons ship (no copy in the
tests to drift from them), and a typical mistake is written as the edit it makes to a solution.
"""

from __future__ import annotations

import itertools
import json
import linecache
from collections.abc import Callable
from pathlib import Path

from labkit.paths import REPO_ROOT

NOTEBOOKS = REPO_ROOT / "notebooks"
_cells = itertools.count()


def notebook_paths() -> list[Path]:
    """Every lesson notebook, then every solutions notebook."""
    return sorted(NOTEBOOKS.glob("[0-9]*.ipynb")) + sorted(NOTEBOOKS.glob("solutions/*.ipynb"))


def code_cells(path: Path) -> dict[int, str]:
    """The source of each code cell of the notebook at ``path``, by its place among all cells
    (0 is the first cell, as Jupyter and nbformat count)."""
    cells = json.loads(path.read_text())["cells"]
    return {i: "".join(c["source"]) for i, c in enumerate(cells) if c["cell_type"] == "code"}


def _lesson(lesson: str, solution: bool) -> Path:
    folder = NOTEBOOKS / "solutions" if solution else NOTEBOOKS
    [path] = folder.glob(f"{lesson}_*.ipynb")
    return path


def cell_defining(lesson: str, name: str, solution: bool = True) -> str:
    """The code cell of lesson ``lesson`` (e.g. "01") that defines the function ``name``."""
    cells = code_cells(_lesson(lesson, solution)).values()
    [source] = [s for s in cells if f"\ndef {name}(" in f"\n{s}"]
    return source


def written_file(lesson: str, filename: str, solution: bool = True) -> str:
    """What lesson ``lesson``'s ``%%writefile filename`` cell writes."""
    for source in code_cells(_lesson(lesson, solution)).values():
        first, _, body = source.partition("\n")
        if first.split() == ["%%writefile", filename]:
            return body + "\n"
    raise LookupError(f"lesson {lesson} writes no {filename}")


def edited(source: str, *edits: tuple[str, str]) -> str:
    """``source`` with each ``(old, new)`` replaced; ``old`` must be there, so a changed solution
    fails the test instead of quietly turning a mistake back into the solution."""
    for old, new in edits:
        assert old in source, f"{old!r} is no longer in the lesson's code"
        source = source.replace(old, new)
    return source


def run_cell(source: str, name: str) -> Callable:
    """Run ``source`` as a notebook cell (its lines findable by `inspect`, as IPython makes
    them) and return the function ``name`` it defines."""
    filename = f"<lesson-cell-{next(_cells)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    namespace: dict = {}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - the lesson's own code
    return namespace[name]


def mistake(source: str, name: str, *edits: tuple[str, str]) -> Callable:
    """The function ``name`` of ``source`` after ``edits``: a typical mistake made to it."""
    return run_cell(edited(source, *edits), name)


def cell_containing(lesson: str, text: str, solution: bool = True) -> str:
    """The one code cell of lesson ``lesson`` whose source contains ``text``."""
    cells = code_cells(_lesson(lesson, solution)).values()
    [source] = [s for s in cells if text in s]
    return source
