"""Root pytest hooks: a lab stack the notebooks started during this run is stopped at its end.

Notebooks share one embedded stack (`labkit.up()` attaches to it). A stack that was already
running before pytest started belongs to the user and is left alone.
"""

from __future__ import annotations

import pytest

from labkit.paths import state_dir

_STATE_FILE = "stack.json"
_stack_was_running = False


def pytest_sessionstart(session: pytest.Session) -> None:
    global _stack_was_running
    _stack_was_running = (state_dir() / _STATE_FILE).exists()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _stack_was_running or not (state_dir() / _STATE_FILE).exists():
        return
    try:
        from labkit.stack import down
    except ImportError:
        return
    down()
