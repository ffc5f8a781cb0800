"""Where the lab keeps its files: the repository root, `.labkit/` state and logs, `build/`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent


# The stack's children create files readable by their owner only (database, append-only
# file, logs): on a shared machine (JupyterHub) other students must not read them.
PRIVATE_UMASK = 0o077
_made_private: set[str] = set()


def state_dir() -> Path:
    """`.labkit/` at the repository root (``LABKIT_HOME`` overrides), created on first use.

    Notebooks run with their own folder as working directory, so paths are anchored to the
    repository rather than the cwd: every kernel finds the same stack. The folder is made
    0700 (once per process): everything in it, stack.json with the stack's secrets included,
    is its owner's alone whatever the files' own modes.
    """
    path = Path(os.environ.get("LABKIT_HOME") or REPO_ROOT / ".labkit")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = str(path)
    if key not in _made_private:
        make_private(path)
        _made_private.add(key)
    return path


def make_private(path: Path) -> None:
    """chmod ``path`` to its owner only (0700 for a folder, 0600 for a file) when it is ours
    and more open; a read-only or foreign one is left as it is."""
    try:
        info = path.stat()
        if info.st_uid != os.getuid() or not info.st_mode & 0o077:
            return
        path.chmod(0o700 if path.is_dir() else 0o600)
    except (OSError, AttributeError):  # AttributeError: os.getuid on native Windows
        pass


def open_private(path: Path, mode: str = "ab") -> Any:
    """``open(path, mode)`` creating the file 0600 (a log, a lock): its owner's alone."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    if "+" in mode:
        flags = (flags & ~os.O_WRONLY) | os.O_RDWR
    return os.fdopen(os.open(path, flags, 0o600), mode)


def database_file() -> Path:
    """The lab's SQLite database: the stack and a hand-started `labkit api` share this file."""
    return state_dir() / "taskoverflow.sqlite3"


def default_database_url() -> str:
    """SQLAlchemy URL of :func:`database_file` (when no other database is configured)."""
    return f"sqlite:///{database_file()}"


def log_dir() -> Path:
    path = state_dir() / "logs"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


TERRAFORM_DIR = REPO_ROOT / "terraform"
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
BUILD_DIR = REPO_ROOT / "build"
