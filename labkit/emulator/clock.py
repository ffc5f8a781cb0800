"""The one clock every time-dependent SQS rule reads (delays, timeouts, retention, dedup).

It follows real time plus an offset that tests and notebooks can push forward, so a five
minute deduplication window is checked in milliseconds. Long polls still wait in real time;
advancing the clock wakes them so they re-check what became visible.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

# The lab's budget (AWS has no such clock): ten years ahead of real time in all, far past any
# lesson's needs and far from datetime's year 9999 (8,100 one-year moves made every SNS answer
# a 500 "year 10121 is out of range").
MAX_TOTAL_OFFSET = 10 * 365 * 24 * 3600.0


def check_offset(total: float) -> None:
    """ValueError (a 400 from the admin route) when ``total`` passes `MAX_TOTAL_OFFSET`."""
    if total > MAX_TOTAL_OFFSET:
        raise ValueError(
            f"the clock may run at most {MAX_TOTAL_OFFSET / 86400:.0f} days (10 years) ahead of "
            f"real time in all, and this move would take it {total / 86400:.0f} days ahead; "
            "reset the emulator (POST /_labkit/reset) to start from real time again"
        )


class Clock:
    """Seconds since the epoch (float), real time plus whatever `advance` added."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (never back) and return the new time."""
        if not math.isfinite(seconds):
            raise ValueError("the clock moves by a finite number of seconds")
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            check_offset(self._offset + seconds)
            self._offset += seconds
            listeners = list(self._listeners)
        for listener in listeners:
            listener()
        return self.now()

    def rewind(self) -> None:
        """Back to real time (the admin reset): whatever `advance` added is undone."""
        with self._lock:
            self._offset = 0.0
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

    @property
    def offset(self) -> float:
        return self._offset

    def on_advance(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every `advance` (the server wakes its long polls)."""
        with self._lock:
            self._listeners.append(listener)
