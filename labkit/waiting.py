"""Waiting for a condition, in one place: poll a predicate until it holds or the time is up.

Every layer waits the same way (the stack for a port or a process, the tests for a job, the
lessons behind a progress bar: `labkit.lessons.progress.wait_until`), so a stuck wait always
ends with a TimeoutError naming what it waited for, never a silent hang or a bare False.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T],
    timeout: float,
    what: str,
    poll: float = 0.05,
    on_poll: Callable[[float], None] | None = None,
) -> T:
    """Call ``predicate`` every ``poll`` seconds until it returns something truthy; return that.

    Raises TimeoutError naming ``what`` (and the last value seen) when ``timeout`` seconds
    pass first. ``on_poll`` is called with the seconds elapsed after each miss (a progress bar).
    """
    start = time.monotonic()
    deadline = start + timeout
    while True:
        result = predicate()
        if result:
            return result
        now = time.monotonic()
        if now >= deadline:
            seen = "" if result is None or result is False else f" (last: {result!r})"
            raise TimeoutError(f"gave up after {timeout:g} s waiting for {what}{seen}")
        if on_poll is not None:
            on_poll(min(now - start, timeout))
        time.sleep(min(poll, max(deadline - now, 0.0)))


def eventually(predicate: Callable[[], object], timeout: float, poll: float = 0.02) -> bool:
    """True as soon as ``predicate`` holds, False when ``timeout`` seconds pass first (for
    callers that decide themselves what a timeout means)."""
    try:
        wait_until(predicate, timeout, "a condition", poll)
    except TimeoutError:
        return False
    return True
