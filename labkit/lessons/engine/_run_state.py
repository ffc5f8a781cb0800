"""What the publisher and consumer threads of one run share (private to `labkit.lessons`).

`publishing`, `consuming` and `experiments` all start worker threads on one queue, record into
one `Shared`, take turns through one `Lockstep` on a seeded emulator and end the same way; the
pieces live here so none of those modules imports another for them.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from labkit.lessons.engine.queue_errors import queue_error
from labkit.lessons.progress import follow


def is_fifo(queue_url: str) -> bool:
    return queue_url.rstrip("/").endswith(".fifo")


@dataclass(frozen=True)
class Queue:
    """The queue a thread works on, and how its failures are worded."""

    sqs: Any
    url: str

    @property
    def fifo(self) -> bool:
        return is_fifo(self.url)

    def error(self, error: Exception) -> Exception:
        return queue_error(error, self.sqs, self.url)


class Stopped(Exception):
    """The run stopped while a thread waited for its turn."""


class Lockstep:
    """Publishers' calls and consumers' receives take turns in a fixed order (publisher 0, 1,
    ..., consumer 0, 1, ..., again), so a seeded emulator sees the same sequence of calls, and
    makes the same random choices, whatever the threads' timing: a seed then repeats the
    arrival order. Work and deletes happen outside the turns (in parallel, as before).
    """

    def __init__(self, slots: list[str], calls: dict[str, int]) -> None:
        self.order = list(slots)
        self.active = set(slots)
        self.calls = dict(calls)  # turns left for each publisher; it drops out after its last
        self.at = 0
        self.cond = threading.Condition()

    def _advance(self) -> None:
        for step in range(1, len(self.order) + 1):
            following = (self.at + step) % len(self.order)
            if self.order[following] in self.active:
                self.at = following
                return

    @contextlib.contextmanager
    def turn(self, slot: str, stop: threading.Event) -> Iterator[None]:
        """Hold the turn of ``slot`` (waits for it); Stopped when the run stops meanwhile."""
        with self.cond:
            while self.order[self.at] != slot:
                if stop.is_set():
                    raise Stopped
                self.cond.wait(0.05)
        try:
            yield
        finally:
            with self.cond:
                if slot in self.calls:
                    self.calls[slot] -= 1
                    if self.calls[slot] <= 0:
                        self.active.discard(slot)
                self._advance()
                self.cond.notify_all()

    def leave(self, slot: str) -> None:
        """``slot``'s thread has ended: the turns skip it from now on."""
        with self.cond:
            self.active.discard(slot)
            if self.active and self.order[self.at] == slot:
                self._advance()
            self.cond.notify_all()

    def publishing(self) -> bool:
        """True while a publisher has turns left (asked in a turn: the same answer every run)."""
        with self.cond:
            return any(slot in self.calls for slot in self.active)


@dataclass
class Shared:
    """State the worker threads share; only counters and lists, guarded by one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    sends: list[dict] = field(default_factory=list)
    deliveries: list[dict] = field(default_factory=list)
    handled: set[str] = field(default_factory=set)
    position: int = 0
    last_activity: float = field(default_factory=time.monotonic)
    errors: list[Exception] = field(default_factory=list)
    #: (client, body) of every message this run sends; deliveries of others are foreign
    ours: set[tuple[str, str]] | None = None
    foreign: int = 0
    #: Set on seeded emulator runs: sends and receives take turns in a fixed order
    lockstep: Lockstep | None = None

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    def fail(self, error: Exception) -> None:
        """Record ``error`` for the calling thread to raise, and stop every worker thread."""
        with self.lock:
            self.errors.append(error)
        self.stop.set()


def start_threads(
    role: str, target: Callable[..., None], arguments: list[tuple]
) -> list[threading.Thread]:
    """One daemon thread of ``target`` per tuple of ``arguments``, named ``role-<index>``,
    all started before any is joined."""
    threads = [
        threading.Thread(target=target, args=args, name=f"{role}-{index}", daemon=True)
        for index, args in enumerate(arguments)
    ]
    for thread in threads:
        thread.start()
    return threads


def see_through(
    threads: list[threading.Thread],
    shared: Shared,
    done: Callable[[], int],
    total: int | None,
    desc: str,
    progress: bool,
) -> None:
    """Show ``done()`` of ``total`` until ``threads`` end, then raise the first error they met.
    An interrupted cell stops them: none may run on into the next run's messages."""
    try:
        follow(threads, done, total, desc, progress=progress)
    finally:
        shared.stop.set()
    if shared.errors:
        raise shared.errors[0]
