"""Lesson 05's helper: a calendar job watched from the moment it is queued.

A student reads between cells; a 2 s job queued behind another is over before the next cell
runs. `watch_job` starts polling the job's status URL in the cell that queues it and records
every status, so the cell that shows the states replays them all (PENDING while it waited,
STARTED, SUCCESS) whatever the reader's pace. The thread prints nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from labkit.taskoverflow.client import FINISHED, CalendarJobFailed
from labkit.waiting import Deadline


class JobWatch:
    """Polls one calendar job's status every ``poll`` seconds until it ends (or ``limit``)."""

    def __init__(self, api: Any, task_id: str, poll: float = 0.05, limit: float = 900.0) -> None:
        self.api, self.task_id = api, task_id
        self.statuses: list[dict] = []
        self._changed = threading.Condition()
        self._done = False
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._follow, args=(poll, limit), name=f"watch-{task_id[:8]}", daemon=True
        )
        self._thread.start()

    def _follow(self, poll: float, limit: float) -> None:
        deadline = Deadline(limit)
        try:
            while not deadline.passed():
                status = self.api.calendar_status(self.task_id)
                with self._changed:
                    self.statuses.append(status)
                    self._changed.notify_all()
                if status["task_status"] in FINISHED or self._stop.wait(poll):
                    break
        except BaseException as error:  # noqa: BLE001 - handed to the cell that waits
            self._error = error
        finally:
            with self._changed:
                self._done = True
                self._changed.notify_all()

    def wait(self, timeout: float = 120.0, on_status: Callable[[dict], None] | None = None) -> str:
        """Every status recorded so far, then each new one, to ``on_status``; the calendar text
        once the job succeeded. CalendarJobFailed when it failed, TimeoutError after ``timeout``."""
        deadline, seen = Deadline(timeout), 0
        while True:
            with self._changed:
                self._changed.wait_for(
                    lambda n=seen: self._done or len(self.statuses) > n, deadline.left()
                )
                batch, finished = self.statuses[seen:], self._done
            seen += len(batch)
            for status in batch:
                if on_status is not None:
                    on_status(dict(status))
            if finished and seen == len(self.statuses):
                break
            if deadline.passed():
                self._stop.set()
                last = self.statuses[-1]["task_status"] if self.statuses else "unknown"
                raise TimeoutError(f"calendar job {self.task_id} still {last} after {timeout:g} s")
        if self._error is not None:
            raise self._error
        last = self.statuses[-1]
        if last["task_status"] != "SUCCESS":
            raise CalendarJobFailed(409, last.get("error") or last["task_status"], dict(last))
        return self.api.calendar_result(self.task_id)


def watch_job(api: Any, task_id: str) -> JobWatch:
    """Start watching ``task_id`` now (the cell that queued it); `JobWatch.wait` replays it."""
    return JobWatch(api, task_id)
