"""The embedded stack end to end: real child processes, health checks, attach, restart, down."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

import psutil
import pytest

import labkit.stack as stack
from labkit.stack.errors import ServiceUnavailable, StackError
from labkit.stack.state import read_state, state_path
from labkit.waiting import eventually
from tests.stack.conftest import StackPlace, stack_processes

COLUMNS = ["service", "status", "url", "pid", "detail"]


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for init, which may never reap it)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@pytest.fixture(scope="module")
def lab(place: StackPlace) -> stack.Lab:
    return stack.up(**place.options())


def test_lab_hands_out_clients_bound_to_the_stack(lab: stack.Lab, place: StackPlace) -> None:
    assert lab.mode == "embedded"
    assert lab.urls["sqs"] == f"http://127.0.0.1:{place.sqs_port}"
    assert lab.urls["api"] == f"http://127.0.0.1:{place.api_port}"
    assert lab.urls["redis"].rsplit("/", 1)[-1] == os.environ["LABKIT_STACK_REDIS_DB"] != "0"
    assert lab.urls["database"].startswith("sqlite:///" + str(place.home))
    assert lab.sqs.meta.region_name == "us-east-1"
    assert lab.sqs.meta.endpoint_url == lab.urls["sqs"]
    assert {"csse6400_prac", "csse6400_prac.fifo", "ical"} <= set(lab.queue_names())
    assert lab.queue_url("csse6400_prac.fifo").endswith("/csse6400_prac.fifo")
    fifo = lab.sqs.get_queue_attributes(
        QueueUrl=lab.queue_url("csse6400_prac.fifo"), AttributeNames=["All"]
    )["Attributes"]
    assert fifo["ContentBasedDeduplication"] == "true"
    assert lab.api.health()["status"] == "ok"
    assert lab.env["AWS_ENDPOINT_URL_SQS"] == lab.urls["sqs"]
    assert lab.env["AWS_ENDPOINT_URL_SNS"] == lab.urls["sqs"]  # SNS on the emulator's port
    assert lab.env["CELERY_BROKER_URL"] == lab.urls["redis"]
    assert lab.env["AWS_DEFAULT_REGION"] == "us-east-1" and lab.env["ICAL_DELAY_SECONDS"] == "0"
    assert "sqs" in lab._repr_html_() and "embedded" in repr(lab)


def test_status_is_a_table_of_healthy_services(lab: stack.Lab) -> None:
    frame = lab.status()
    assert list(frame.columns) == COLUMNS
    assert set(frame["service"]) == {"sqs", "redis", "database", "api", "worker"}
    assert (frame["status"] == "ok").all(), frame.to_string()


def test_unknown_queue_is_a_clear_error(lab: stack.Lab) -> None:
    with pytest.raises(StackError, match="no queue named 'no_such_queue'.*labkit up"):
        lab.queue_url("no_such_queue")


def test_calendar_job_runs_on_the_stack_worker(lab: stack.Lab) -> None:
    lab.api.create_todo("Write the report", deadline_at="2025-04-09T14:00:00")
    calendar = lab.api.export_calendar(timeout=20, poll_interval=0.02)
    assert "BEGIN:VCALENDAR" in calendar and "SUMMARY:Write the report" in calendar


def test_second_process_attaches_to_the_same_stack(lab: stack.Lab, place: StackPlace) -> None:
    before = read_state()
    script = "import json, labkit; lab = labkit.up(); print(json.dumps(lab.urls))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(out.stdout) == lab.urls
    after = read_state()
    pids = {name: svc.get("pid") for name, svc in before["services"].items()}
    assert pids == {name: svc.get("pid") for name, svc in after["services"].items()}


def test_cli_status_exit_code_and_logs(lab: stack.Lab, place: StackPlace) -> None:
    result = subprocess.run(place.cli("status"), capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split()[:5] == COLUMNS
    logs = subprocess.run(place.cli("logs", "worker", "-n", "5000"), capture_output=True, text=True)
    assert logs.returncode == 0 and " ready." in logs.stdout


def test_a_new_ical_delay_restarts_only_api_and_worker(lab: stack.Lab) -> None:
    before = {name: svc.get("pid") for name, svc in read_state()["services"].items()}
    slower = stack.up(ical_delay=0.25)
    after = {name: svc.get("pid") for name, svc in read_state()["services"].items()}
    assert slower.env["ICAL_DELAY_SECONDS"] == "0.25" and slower.urls == lab.urls
    assert after["sqs"] == before["sqs"] and after["redis"] == before["redis"]
    assert after["api"] != before["api"] and after["worker"] != before["worker"]
    assert stack.up().env["ICAL_DELAY_SECONDS"] == "0.25"  # attaching keeps it


def test_killed_worker_is_reported_then_restarted(lab: stack.Lab, place: StackPlace) -> None:
    old = read_state()["services"]["worker"]["pid"]
    pool = [child.pid for child in psutil.Process(old).children(recursive=True)]
    os.kill(old, signal.SIGKILL)
    result = subprocess.run(place.cli("status"), capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    row = next(line for line in result.stdout.splitlines() if line.startswith("worker"))
    assert "down" in row and "labkit up" in row

    again = stack.up()
    new = read_state()["services"]["worker"]["pid"]
    assert new != old and psutil.pid_exists(new)
    assert "worker: not running, restarted" in again.notes
    assert (stack.status()["status"] == "ok").all()
    assert not [pid for pid in pool if running(pid)], "the old pool outlived its worker"
    assert lab.api.export_calendar(timeout=20, poll_interval=0.02).startswith("BEGIN:VCALENDAR")


def test_down_stops_a_lesson_worker_a_notebook_left_running(
    lab: stack.Lab, place: StackPlace
) -> None:
    from labkit.stack.processes import start_celery_worker

    worker = start_celery_worker("labkit.lessons.lesson_04", lab.env, name="left-behind")
    worker.wait_ready(30)  # the notebook that started it fails here and never stops it
    assert "lesson workers" in stack.down()
    assert not running(worker.pid), "a lesson's worker outlived `labkit down`"
    stack.up(**place.options())


def test_down_then_up_twice_leaves_nothing_behind_and_replaces_taken_ports(
    lab: stack.Lab, place: StackPlace
) -> None:
    for round_ in range(2):
        assert stack_processes(place.home)
        stopped = stack.down()
        assert {"sqs", "api", "worker"} <= set(stopped)
        assert eventually(lambda: not stack_processes(place.home), 5), (
            "a process of the stack survived `down`"
        )
        assert not state_path().exists()
        assert stack.down() == []
        if round_ == 0:
            relaunched = stack.up(**place.options())
            assert relaunched.urls["sqs"] == f"http://127.0.0.1:{place.sqs_port}"
            continue
        with socket.socket() as squatter:  # someone else holds the SQS port
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            squatter.bind(("127.0.0.1", place.sqs_port))
            squatter.listen()
            relaunched = stack.up(**place.options())
        assert relaunched.urls["sqs"] != f"http://127.0.0.1:{place.sqs_port}"
        assert any(f"port {place.sqs_port} is taken" in note for note in relaunched.notes)
        assert (relaunched.status()["status"] == "ok").all()


def test_concurrent_up_starts_one_stack(lab: stack.Lab, place: StackPlace) -> None:
    stack.down()
    opts = ["--sqs-port", str(place.sqs_port), "--api-port", str(place.api_port)]
    procs = [
        subprocess.Popen(place.cli("up", *opts), stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=60)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    servers = [p for p in stack_processes(place.home) if "sqs-server" in " ".join(p.cmdline())]
    assert len(servers) == 1


def test_status_and_errors_without_a_stack(place: StackPlace) -> None:
    stack.down()
    result = subprocess.run(place.cli("status"), capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and "labkit up" in result.stdout
    with pytest.raises(ServiceUnavailable, match="labkit up"):
        stack.connect()
