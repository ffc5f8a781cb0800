"""Where the lab keeps its files: the repository root, `.labkit/` state and logs, `build/`."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent


def state_dir() -> Path:
    """`.labkit/` at the repository root (``LABKIT_HOME`` overrides), created on first use.

    Notebooks run with their own folder as working directory, so paths are anchored to the
    repository rather than the cwd: every kernel finds the same stack.
    """
    path = Path(os.environ.get("LABKIT_HOME") or REPO_ROOT / ".labkit")
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_file() -> Path:
    """The lab's SQLite database: the stack and a hand-started `labkit api` share this file."""
    return state_dir() / "taskoverflow.sqlite3"


def default_database_url() -> str:
    """SQLAlchemy URL of :func:`database_file` (when no other database is configured)."""
    return f"sqlite:///{database_file()}"


def log_dir() -> Path:
    path = state_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


TERRAFORM_DIR = REPO_ROOT / "terraform"
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
BUILD_DIR = REPO_ROOT / "build"
