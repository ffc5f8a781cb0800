"""Notebook code cells stay short enough to read at a glance (issue 16: at most 15 lines), as
in the teaching notebooks this lab learns from; plumbing belongs in labkit.lessons.

A ``%%writefile`` cell is exempt: it is a whole file of the handout (a module, a .tf file) that
the student writes and edits in one piece, not code read as a step of the lesson.
"""

from __future__ import annotations

import pytest

from tests.lessons.lesson_code import NOTEBOOKS, code_cells, notebook_paths

MOST_LINES = 15


def long_cells(path) -> list[str]:
    """``cell N: L lines`` for each code cell of ``path`` over MOST_LINES (not %%writefile)."""
    return [
        f"cell {index}: {len(source.splitlines())} lines"
        for index, source in code_cells(path).items()
        if len(source.splitlines()) > MOST_LINES and not source.startswith("%%writefile")
    ]


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_code_cells_are_at_most_15_lines(path) -> None:
    assert not long_cells(path), f"split these cells or move their plumbing: {long_cells(path)}"


def labkit_imports(path) -> list[str]:
    """``cell N: import X`` for each labkit module a code cell imports other than `labkit` and
    `labkit.lessons` (with its lesson modules); a ``%%writefile`` cell is a file, not a cell."""
    import ast

    found = []
    for index, source in code_cells(path).items():
        if source.startswith("%%"):
            continue
        code = "\n".join(line for line in source.splitlines() if not line.startswith(("%", "!")))
        for node in ast.walk(ast.parse(code)):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                allowed = name in ("labkit", "labkit.lessons") or name.startswith("labkit.lessons.")
                if name.split(".")[0] == "labkit" and not allowed:
                    found.append(f"cell {index}: import {name}")
    return found


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_notebooks_import_only_labkit_and_labkit_lessons(path) -> None:
    assert not labkit_imports(path), (
        f"expose these through labkit.lessons (or lab): {labkit_imports(path)}"
    )
