"""The stack's state file (`stack.json` under the state dir) and the lock that guards it.

Two kernels calling `up()` at once must not start two stacks: every read-modify-write of the
state happens under an exclusive `fcntl` lock, and the file is replaced atomically so a reader
never sees half of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from labkit.paths import open_private, state_dir
from labkit.stack.errors import StackError

try:
    import fcntl
except ImportError:  # native Windows: the lab runs in WSL2 there
    fcntl = None  # type: ignore[assignment]

STATE_FILE = "stack.json"
LOCK_FILE = "stack.lock"


def state_path() -> Path:
    return state_dir() / STATE_FILE


def read_state() -> dict[str, Any] | None:
    """The recorded stack, or None when none is recorded (or the file is unreadable)."""
    try:
        return json.loads(state_path().read_text())
    except (OSError, ValueError):
        return None


def write_state(state: dict[str, Any]) -> None:
    """Write the state atomically (temporary file in the same folder, then rename)."""
    path = state_path()
    fd, tmp = tempfile.mkstemp(prefix=".stack-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(state, out, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def clear_state() -> None:
    with contextlib.suppress(FileNotFoundError):
        state_path().unlink()


@contextlib.contextmanager
def stack_lock() -> Iterator[None]:
    """Hold the stack's exclusive lock (blocks while another process holds it)."""
    if fcntl is None:
        from labkit.stack.environment import NATIVE_WINDOWS

        raise StackError(NATIVE_WINDOWS)
    with open_private(state_dir() / LOCK_FILE, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
