"""The project's size limits on labkit's code: modules at most 500 lines, functions at most 70
(read with ast, decorators and docstrings included). A failure lists every offender, so the fix
is a split, not a hunt."""

from __future__ import annotations

import ast
from pathlib import Path

from labkit.paths import REPO_ROOT

MODULE_LINES = 500
FUNCTION_LINES = 70

#: Known offenders with the branch that splits them ("path" or "path:Qualified.name" -> branch).
#: Empty now that the emulator's service modules are split; an entry that is no longer over
#: the limit fails the test, so none lingers.
ALLOWED: dict[str, str] = {}


def offenders(root: Path = REPO_ROOT / "labkit") -> dict[str, int]:
    """``path`` (module over MODULE_LINES) or ``path:Qualified.name`` (function over
    FUNCTION_LINES) -> its length in lines."""
    found: dict[str, int] = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(REPO_ROOT).as_posix()
        source = path.read_text()
        if (lines := len(source.splitlines())) > MODULE_LINES:
            found[relative] = lines
        for name, length in _function_lengths(ast.parse(source)):
            if length > FUNCTION_LINES:
                found[f"{relative}:{name}"] = length
    return found


def _function_lengths(tree: ast.AST, prefix: str = "") -> list[tuple[str, int]]:
    lengths = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{prefix}{node.name}"
            if not isinstance(node, ast.ClassDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                lengths.append((name, node.end_lineno - start + 1))
            lengths += _function_lengths(node, f"{name}.")
    return lengths


def test_modules_and_functions_stay_within_the_limits() -> None:
    found = offenders()
    over = {name: lines for name, lines in found.items() if name not in ALLOWED}
    assert not over, "split these (modules <= 500 lines, functions <= 70): " + ", ".join(
        f"{name} ({lines} lines)" for name, lines in sorted(over.items())
    )
    fixed = sorted(set(ALLOWED) - set(found))
    assert not fixed, f"now within the limits: remove from ALLOWED in {__file__}: {fixed}"


def test_the_check_sees_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(FUNCTION_LINES))
    (tmp_path / "long.py").write_text(f"def short():\n    pass\n\n\ndef long():\n{body}\n")
    lengths = dict(_function_lengths(ast.parse((tmp_path / "long.py").read_text())))
    assert lengths["long"] == FUNCTION_LINES + 1 and lengths["short"] == 2
