"""Waiting for a condition, in one place: poll a predicate until it holds or the time is up.

Every layer waits the same way (the stack for a port or a process, the tests for a job, the
lessons behind a progress bar: `labkit.lessons.progress.wait_until`), so a stuck wait always
ends with a TimeoutError naming what it waited for, never a silent hang or a bare False.

A loop whose body blocks by itself (a long poll, a read with a timeout) has nothing to poll, so
it asks a `Deadline` instead of adding seconds to `time.monotonic()` by hand; several waits that
share one budget (start the services, then the worker, in 180 s) share one `Deadline` too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Deadline:
    """A budget of ``seconds`` that starts when it is made."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._start = time.monotonic()
        self._end = self._start + seconds

    def left(self) -> float:
        """Seconds left (0 once the deadline has passed)."""
        return max(self._end - time.monotonic(), 0.0)

    def spent(self) -> float:
        """Seconds since the start, at most the whole budget."""
        return min(time.monotonic() - self._start, self.seconds)

    def passed(self) -> bool:
        return time.monotonic() >= self._end


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
    deadline = Deadline(timeout)
    while True:
        result = predicate()
        if result:
            return result
        if deadline.passed():
            seen = "" if result is None or result is False else f" (last: {result!r})"
            raise TimeoutError(f"gave up after {timeout:g} s waiting for {what}{seen}")
        if on_poll is not None:
            on_poll(deadline.spent())
        time.sleep(min(poll, deadline.left()))


def eventually(predicate: Callable[[], object], timeout: float, poll: float = 0.02) -> bool:
    """True as soon as ``predicate`` holds, False when ``timeout`` seconds pass first (for
    callers that decide themselves what a timeout means)."""
    try:
        wait_until(predicate, timeout, "a condition", poll)
    except TimeoutError:
        return False
    return True
