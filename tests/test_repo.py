"""Repository-wide rules that CI enforces: lint, stripped notebooks, no secrets, one CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from labkit.paths import REPO_ROOT

BIN = REPO_ROOT / ".venv" / "bin"


def tracked(pattern: str) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", pattern], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return [line for line in out.stdout.splitlines() if line]


def test_ruff_is_clean() -> None:
    ruff = BIN / "ruff"
    if not ruff.exists():
        pytest.skip("ruff is not installed in .venv")
    result = subprocess.run([ruff, "check", "."], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_notebooks_are_committed_without_outputs() -> None:
    dirty = []
    for path in tracked("*.ipynb"):
        nb = json.loads((REPO_ROOT / path).read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count")):
                dirty.append(path)
                break
    assert not dirty, f"strip these with nbstripout: {dirty}"


def test_every_notebook_has_one_parameters_cell() -> None:
    for path in tracked("notebooks/*.ipynb") + tracked("notebooks/solutions/*.ipynb"):
        nb = json.loads((REPO_ROOT / path).read_text())
        tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{path} has {len(tagged)} cells tagged parameters"


def test_no_credentials_are_tracked() -> None:
    for name in (".env", "aws.env", "credentials", "terraform/credentials"):
        assert not tracked(name), f"{name} must be git-ignored"
    key = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")
    offenders = [
        path
        for path in tracked("*")
        if (REPO_ROOT / path).is_file()
        and (REPO_ROOT / path).stat().st_size < 2_000_000
        and key.search((REPO_ROOT / path).read_text(errors="ignore"))
    ]
    assert not offenders, f"something that looks like an AWS access key is tracked in {offenders}"


def test_cli_lists_every_subcommand() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "labkit", "--help"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    commands = ("api", "worker", "sqs-server", "queue", "up", "down", "status", "logs", "run")
    for command in (*commands, "grade", "grade-worker"):
        assert re.search(rf"\b{command}\b", result.stdout), f"`labkit {command}` is missing"


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text()
    readme = (REPO_ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
