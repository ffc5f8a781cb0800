"""What a restart or a stuck service does to the stack, on a real embedded stack.

- a calendar job in progress, then `labkit down` and `labkit up`: the job ends FAILURE saying
  the stack was restarted (it showed PENDING for ever);
- a worker stopped with SIGSTOP: `labkit status` says so and exits non-zero; `labkit up`
  replaces it;
- stack.json damaged, or `labkit up` killed mid-start: `labkit down` still stops everything.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

import labkit.stack as stack
from labkit.stack.state import read_state, state_path
from labkit.waiting import wait_until
from tests.reliability.test_stack_faults import cli
from tests.stack.conftest import stack_processes

# faults injected into running stacks (killed workers, restarts, services gone): about a
# minute in all on two cores, so `make test-extended` (CI runs it on every change)
pytestmark = pytest.mark.extended


def _status(api: str, task_id: str) -> dict:
    reply = requests.get(f"{api}/api/v1/todos/ical/{task_id}/status", timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_job_in_progress_across_down_and_up_ends_failure_with_the_reason(
    place: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stack's own Redis (as students have it): its data goes with `down`, so the job is lost.
    # A Redis outside the stack (LABKIT_REDIS_URL) keeps the job, which a worker then redoes.
    monkeypatch.delenv("LABKIT_REDIS_URL", raising=False)
    lab = stack.up(ical_delay=60, **place["ports"])
    api = lab.urls["api"]
    requests.post(
        f"{api}/api/v1/todos", json={"title": "t", "deadline_at": "2030-01-01"}, timeout=10
    )
    task_id = requests.post(f"{api}/api/v1/todos/ical", timeout=10).json()["task_id"]
    wait_until(lambda: _status(api, task_id)["task_status"] == "STARTED", 30, "the job STARTED")
    stack.down()
    lab = stack.up(ical_delay=60, **place["ports"])
    started = time.monotonic()
    final = wait_until(
        lambda: (s := _status(lab.urls["api"], task_id))["task_status"] != "PENDING" and s,
        10,
        "the lost job is reported",
    )
    assert final["task_status"] == "FAILURE", final
    assert "the lab stack was restarted" in final["error"]
    assert time.monotonic() - started < 10
    result = requests.get(f"{lab.urls['api']}/api/v1/todos/ical/{task_id}/result", timeout=10)
    assert result.status_code == 409 and "the lab stack was restarted" in result.json()["reason"]
    # A job asked for now, on the new stack, is queued as usual (not mistaken for a lost one).
    fresh = requests.post(f"{lab.urls['api']}/api/v1/todos/ical", timeout=10).json()["task_id"]
    assert _status(lab.urls["api"], fresh)["task_status"] in ("PENDING", "STARTED")


def test_a_stopped_worker_fails_status_and_up_replaces_it(place: dict) -> None:
    lab = stack.up(**place["ports"])
    assert cli(place["env"], "status").returncode == 0
    assert lab.urls["api"]
    pid = read_state()["services"]["worker"]["pid"]
    os.kill(pid, signal.SIGSTOP)
    try:
        done = cli(place["env"], "status")
        assert done.returncode != 0
        row = next(line for line in done.stdout.splitlines() if line.startswith("worker"))
        assert "down" in row and "ping" in row, done.stdout
        assert cli(place["env"], "up").returncode == 0
        assert cli(place["env"], "status").returncode == 0
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    finally:
        if psutil.pid_exists(pid):
            os.kill(pid, signal.SIGCONT)


def test_down_stops_everything_when_stack_json_is_damaged(place: dict) -> None:
    stack.up(**place["ports"])
    assert stack_processes(place["home"])
    state_path().write_text("{ this is not json")
    done = cli(place["env"], "down")
    assert done.returncode == 0, done.stderr
    wait_until(lambda: not stack_processes(place["home"]), 10, "every service stopped")


def test_down_stops_what_an_interrupted_up_started(place: dict) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "labkit", "up", "--sqs-port", str(place["ports"]["sqs_port"])],
        env=place["env"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until(lambda: stack_processes(place["home"]), 60, "some service started")
    finally:
        proc.kill()  # `up` itself only: the services it spawned run in sessions of their own
        proc.wait(timeout=10)
    done = cli(place["env"], "down")
    assert done.returncode == 0, done.stderr
    wait_until(lambda: not stack_processes(place["home"]), 10, "every service stopped")
    assert not Path(state_path()).exists()
