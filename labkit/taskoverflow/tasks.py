"""The ``ical`` task: the handout's calendar job, with its slow part as a setting.

The todos travel in the message (as in the course), so the worker needs no database. The job is
a pure function of its arguments, so a redelivered job (acks_late) produces the same calendar.
"""

from __future__ import annotations

import os
import time
from datetime import datetime

from celery import shared_task
from flask import current_app

from labkit.taskoverflow.calendar import build_calendar
from labkit.taskoverflow.dates import parse_datetime
from labkit.waiting import Deadline

PROGRESS_EVERY_SECONDS = 0.5


def _wait_with_progress(task, seconds: float) -> None:
    """Stand for slow work; report the fraction done as STARTED metadata along the way."""
    deadline = Deadline(seconds)
    tracked = task.request.id is not None and not task.request.called_directly
    while (left := deadline.left()) > 0:
        if tracked:
            task.update_state(
                state="STARTED",
                meta={
                    "progress": round(1 - left / seconds, 3),
                    "delay_seconds": seconds,
                    "pid": os.getpid(),
                },
            )
        time.sleep(min(left, PROGRESS_EVERY_SECONDS))


@shared_task(name="ical", bind=True)
def create_ical(
    self, todos: list[dict], stamp: str | None = None, delay_seconds: float | None = None
) -> str:
    """The calendar of ``todos`` as iCalendar text, after the configured delay.

    ``stamp`` (ISO 8601, UTC) is when the calendar was asked for; ``delay_seconds`` overrides
    the worker's ``ICAL_DELAY_SECONDS`` for this job.
    """
    if delay_seconds is None:
        delay_seconds = float(current_app.config.get("ICAL_DELAY_SECONDS") or 0)
    if delay_seconds > 0:
        _wait_with_progress(self, float(delay_seconds))
    when: datetime | None = parse_datetime(stamp) if stamp else None
    return build_calendar(todos, stamp=when)
