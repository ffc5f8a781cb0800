"""The calendar pipeline end to end: HTTP -> waitress -> Redis -> a real worker -> HTTP."""

from __future__ import annotations

import os
import signal

import icalendar
import pytest
import requests

from labkit.taskoverflow.api import queue_calendar
from labkit.taskoverflow.calendar import PRODID, event_uid
from labkit.taskoverflow.client import CalendarJobFailed, TaskOverflowError
from labkit.waiting import wait_until


def wait_for(live, task_id, states=("SUCCESS", "FAILURE"), timeout=15.0):
    """The job's status once it is in ``states``, and every state seen on the way."""
    seen = []

    def reached() -> dict | None:
        status = live.calendar_status(task_id)
        if not seen or seen[-1] != status["task_status"]:
            seen.append(status["task_status"])
        return status if status["task_status"] in states else None

    status = wait_until(reached, timeout, f"job {task_id} in {states} (seen {seen})", poll=0.01)
    return status, seen


def test_calendar_end_to_end(live):
    made = [
        live.create_todo(
            "Project Proposal", "CSSE6400 Project Proposal Due", deadline_at="2023-04-03T14:00:00"
        ),
        live.create_todo("No deadline, no description"),
        live.create_todo("Café ☕ 締め切り", deadline_at="2025-04-09 14:00:00.000"),
        live.create_todo("Fractional", "f", deadline_at="2025-04-09T14:00:00.250"),
    ]
    response = requests.post(f"{live.api_url}/todos/ical", timeout=10)  # no body, as in the handout
    assert response.status_code == 202
    job = response.json()
    assert set(job) == {"task_id", "task_url"}
    assert job["task_url"] == f"{live.api_url}/todos/ical/{job['task_id']}/status"

    status, _ = wait_for(live, job["task_id"])
    assert status["task_status"] == "SUCCESS", status
    assert status["result_url"] == f"{live.api_url}/todos/ical/{job['task_id']}/result"

    result = requests.get(status["result_url"], timeout=10)
    assert result.status_code == 200
    assert result.headers["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(result.text)
    assert str(cal["PRODID"]) == PRODID and str(cal["VERSION"]) == "2.0"
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    with_deadline = [t for t in made if t["deadline_at"]]
    assert set(events) == {event_uid(t["id"]) for t in with_deadline}
    assert str(events[event_uid(made[2]["id"])]["SUMMARY"]) == "Café ☕ 締め切り"
    assert "DESCRIPTION" not in events[event_uid(made[2]["id"])]
    for event in events.values():
        assert "DTSTAMP" in event and "DTSTART" in event


def test_started_is_reported_with_progress(live):
    live.create_todo("t", deadline_at="2025-01-01T00:00:00")
    job = live.start_calendar(delay_seconds=1.0)
    status, _ = wait_for(live, job["task_id"], states=("STARTED",))
    assert 0.0 <= status["progress"] < 1.0
    final, _ = wait_for(live, job["task_id"])
    assert final["task_status"] == "SUCCESS" and final["progress"] == 1.0


def test_unfinished_result_says_so(live):
    job = live.start_calendar(delay_seconds=1.0)
    with pytest.raises(TaskOverflowError) as caught:
        live.calendar_result(job["task_id"])
    assert caught.value.status_code == 404 and caught.value.message == "Task not finished"
    wait_for(live, job["task_id"])


def test_failed_job_reports_its_reason(live, live_app):
    # A todo list the calendar function rejects, queued as POST /todos/ical queues its todos
    # (the API itself stores only valid todos, so its route cannot send one).
    with live_app.app_context():
        task_id = queue_calendar([{"id": 1, "title": "t", "deadline_at": "not a date"}], {})
    assert live.calendar_status(task_id)["task_status"] in {"PENDING", "STARTED", "FAILURE"}
    status, _ = wait_for(live, task_id)
    assert status["task_status"] == "FAILURE"
    assert "CalendarInputError" in status["error"] and "deadline_at" in status["error"]
    result = requests.get(status["result_url"], timeout=10)
    assert result.status_code == 409
    assert result.json()["error"] == "Calendar job failed"
    assert "deadline_at" in result.json()["reason"]
    with pytest.raises(CalendarJobFailed):
        live.wait_for_calendar(task_id, timeout=5)


def test_job_survives_its_worker_process_being_killed(live, live_app):
    """acks_late + reject_on_worker_lost: the job goes back on the queue and completes."""
    live.create_todo("t", deadline_at="2025-01-01T00:00:00")
    job = live.start_calendar(delay_seconds=1.0)
    wait_until(
        lambda: (
            (s := live.calendar_status(job["task_id"]))["task_status"] == "STARTED"
            and s.get("progress", 0) > 0
        ),
        15,
        "the job STARTED with progress",
        poll=0.02,
    )
    meta_pid = worker_pid(live_app, job["task_id"])
    os.kill(meta_pid, signal.SIGKILL)
    final, _ = wait_for(live, job["task_id"], timeout=20)
    assert final["task_status"] == "SUCCESS", final
    assert "VEVENT" in live.calendar_result(job["task_id"])


def worker_pid(app, task_id) -> int:
    """The worker process running the job, from the STARTED metadata in the result backend."""
    meta = app.extensions["celery"].backend.get_task_meta(task_id)
    assert meta["status"] == "STARTED", meta
    return int(meta["result"]["pid"])
