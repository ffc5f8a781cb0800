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
