"""Lesson 05's job watch: the states of a job queued behind another show however late the
reader gets to the cell that displays them (issue 22: PENDING was missed when stepping)."""

from __future__ import annotations

from labkit.lessons.lesson_05 import watch_job
from labkit.taskoverflow.client import FINISHED
from labkit.waiting import wait_until


def test_states_show_after_the_job_ended_unwatched(live) -> None:
    for _ in range(2):  # occupy the test worker's two processes
        live.start_calendar(delay_seconds=1.0)
    job = live.start_calendar(delay_seconds=1.0)  # waits behind it
    watch = watch_job(live, job["task_id"])
    # the reader is still reading: the next cell runs only once the job is long over
    wait_until(lambda: live.calendar_status(job["task_id"])["task_status"] in FINISHED, 60, "job")
    seen: list[str] = []
    text = watch.wait(timeout=30, on_status=lambda status: seen.append(status["task_status"]))
    states = list(dict.fromkeys(seen))
    assert states == ["PENDING", "STARTED", "SUCCESS"], states
    assert "BEGIN:VCALENDAR" in text
    again: list[str] = []  # the cell re-run: the same states again
    watch.wait(timeout=5, on_status=lambda status: again.append(status["task_status"]))
    assert again == seen
