"""A worker killed with SIGKILL in the middle of a calendar job: the job is not lost.

The whole worker (main process and pool, as `docker kill` or a closed laptop lid would) dies
while the job is STARTED. acks_late left the message unacknowledged, so once a worker runs
again kombu gives it back and the job ends SUCCESS, with the same calendar a single run makes.
(A killed pool process alone is tests/taskoverflow/test_pipeline.py::
test_job_survives_its_worker_process_being_killed.)
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from labkit.taskoverflow.calendar import build_calendar
from labkit.taskoverflow.db import db
from labkit.taskoverflow.models import CalendarJob, Todo
from labkit.taskoverflow.settings import MAX_DELAY_SECONDS, celery_config
from labkit.waiting import wait_until
from tests.reliability.conftest import api_app, stop_group, unique, worker_env
from tests.reliability.short_visibility_worker import VISIBILITY_TIMEOUT

# faults injected into running stacks (killed workers, restarts, services gone): about a
# minute in all on two cores, so `make test-extended` (CI runs it on every change)
pytestmark = pytest.mark.extended

SHORT_VISIBILITY_WORKER = [
    sys.executable,
    "-m",
    "celery",
    "--app",
    "tests.reliability.short_visibility_worker",
    "worker",
    "--loglevel=info",
    "--without-mingle",
    "--without-gossip",
]
JOB_SECONDS = 1.5


def test_visibility_timeout_outlasts_the_longest_job() -> None:
    """Else a healthy job longer than the timeout would be handed to a second worker."""
    for broker in ("redis://127.0.0.1:6379/0", "sqs://"):
        options = celery_config({"CELERY_BROKER_URL": broker})
        assert options["task_acks_late"] and options["task_reject_on_worker_lost"]
        assert options["broker_transport_options"]["visibility_timeout"] > MAX_DELAY_SECONDS
    assert JOB_SECONDS < VISIBILITY_TIMEOUT


def status_of(client, task_id: str) -> dict:
    response = client.get(f"/api/v1/todos/ical/{task_id}/status")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_sigkilled_worker_job_completes_on_the_next_worker(
    redis_url: str, start_worker, tmp_path: Path, reliability_home: Path
) -> None:
    queue = unique("ical-killed")
    app = api_app(tmp_path / "todo.db", redis_url, queue, TESTING=True)
    client = app.test_client()
    for title, deadline in (("Proposal", "2025-04-03T14:00:00"), ("Report", "2025-05-01 09:30")):
        assert (
            client.post("/api/v1/todos", json={"title": title, "deadline_at": deadline}).status_code
            == 201
        )
    env = worker_env(redis_url, queue, reliability_home)

    first = start_worker(env, SHORT_VISIBILITY_WORKER, name="doomed")
    reply = client.post("/api/v1/todos/ical", json={"delay_seconds": JOB_SECONDS})
    assert reply.status_code == 202
    task_id = reply.get_json()["task_id"]
    wait_until(
        lambda: (s := status_of(client, task_id))["task_status"] == "STARTED" and s["progress"] > 0,
        timeout=20,
        what="the job STARTED on the first worker",
        poll=0.02,
    )
    stop_group(first, signal.SIGKILL)
    assert status_of(client, task_id)["task_status"] == "STARTED"  # nobody will finish it...

    start_worker(env, SHORT_VISIBILITY_WORKER, name="rescuer")  # ...until a worker runs again
    final = wait_until(
        lambda: (s := status_of(client, task_id))["task_status"] in ("SUCCESS", "FAILURE") and s,
        timeout=VISIBILITY_TIMEOUT + JOB_SECONDS + 15,
        what="the killed job finished on the second worker",
    )
    assert final["task_status"] == "SUCCESS", final
    calendar = client.get(f"/api/v1/todos/ical/{task_id}/result")
    assert calendar.status_code == 200
    with app.app_context():
        job = db.session.get(CalendarJob, task_id)
        todos = [t.to_dict() for t in db.session.query(Todo).order_by(Todo.id)]
        # A redelivered job computes the calendar a single run would: same todos, same stamp.
        assert calendar.get_data(as_text=True) == build_calendar(todos, stamp=job.created_at)
        db.engine.dispose()
