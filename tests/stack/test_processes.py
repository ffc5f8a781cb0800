"""Child processes: Celery workers started for lessons, process groups stopped whole."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from labkit.stack.errors import StackError
from labkit.stack.processes import (
    pid_alive,
    spawn,
    start_celery_worker,
    stop_group,
    stop_recorded,
)
from labkit.waiting import wait_until

TREE = """
import subprocess, sys, time
kids = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) for _ in range(2)]
print(" ".join(str(k.pid) for k in kids), flush=True)
time.sleep(60)
"""


def wait_for_line(path: Path, timeout: float = 10.0) -> str:
    """The first line the child wrote to ``path`` (spawn's own `---` header left out)."""

    def first_line() -> str | None:
        lines = [line for line in path.read_text().splitlines() if not line.startswith("---")]
        return lines[0] if lines else None

    return wait_until(first_line, timeout, f"a line in {path}", poll=0.02)


def test_stop_group_ends_the_child_and_what_it_forked(tmp_path: Path) -> None:
    log = tmp_path / "tree.log"
    proc, _ = spawn([sys.executable, "-c", TREE], log)
    grandchildren = [int(pid) for pid in wait_for_line(log).split()]
    assert pid_alive(proc.pid) and all(pid_alive(pid) for pid in grandchildren)
    stop_group(proc.pid, timeout=2)
    assert proc.poll() is not None
    assert not any(pid_alive(pid) for pid in grandchildren)


def test_pid_alive_guards_against_a_reused_pid(tmp_path: Path) -> None:
    proc, _ = spawn([sys.executable, "-c", "import time; time.sleep(30)"], tmp_path / "s.log")
    started = psutil.Process(proc.pid).create_time()
    assert pid_alive(proc.pid, started) and not pid_alive(proc.pid, started - 100)
    stop_group(proc.pid)
    assert not pid_alive(proc.pid, started)


def test_stop_recorded_leaves_a_reused_pid_alone(tmp_path: Path) -> None:
    # stack.json may name a pid that now belongs to another process (pid reuse, a reboot).
    proc, _ = spawn([sys.executable, "-c", "import time; time.sleep(30)"], tmp_path / "s.log")
    started = psutil.Process(proc.pid).create_time()
    try:
        assert stop_recorded(proc.pid, started - 100, timeout=1) is False
        assert proc.poll() is None
        assert stop_recorded(proc.pid, started, timeout=2) is True
        assert proc.wait(5) is not None
    finally:
        stop_group(proc.pid, timeout=1)


def test_stop_recorded_ends_what_a_killed_leader_left_behind(tmp_path: Path) -> None:
    log = tmp_path / "tree.log"
    proc, _ = spawn([sys.executable, "-c", TREE], log)
    started = psutil.Process(proc.pid).create_time()
    grandchildren = [int(pid) for pid in wait_for_line(log).split()]
    proc.kill()
    proc.wait(5)
    assert all(pid_alive(pid) for pid in grandchildren)
    assert stop_recorded(proc.pid, started, timeout=2) is True
    assert not any(pid_alive(pid) for pid in grandchildren)


def test_redis_server_start_keeps_no_handle_on_its_log(tmp_path: Path) -> None:
    from labkit.stack.redis import start_redis_server

    log = tmp_path / "redis.log"
    proc, _ = start_redis_server(logfile=log)
    try:
        assert str(log) not in [f.path for f in psutil.Process().open_files()]
    finally:
        stop_group(proc.pid, timeout=2)
        proc.wait(5)


@pytest.fixture
def broker_env(redis_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict:
    monkeypatch.setenv("LABKIT_HOME", str(tmp_path))
    return {"CELERY_BROKER_URL": redis_url, "CELERY_RESULT_BACKEND": redis_url}


def test_celery_worker_handle_runs_tasks_and_stops_cleanly(broker_env: dict) -> None:
    from labkit.lessons import lesson_04

    lesson_04.configure(broker_env)
    worker = start_celery_worker(
        lesson_04.APP, broker_env, concurrency=2, queues=["proc-test"], name="proc-test"
    ).wait_ready(timeout=30)
    try:
        assert worker.log_path.name == "proc-test.log" and " ready." in worker.log(50)
        pool = [child.pid for child in psutil.Process(worker.pid).children(recursive=True)]
        assert len(pool) >= 2
        result = lesson_04.hello.apply_async(queue="proc-test")
        assert result.get(timeout=10) == "Hello World"
    finally:
        worker.stop()
    assert not worker.alive()
    assert not any(pid_alive(pid) for pid in pool)


def test_a_worker_that_cannot_start_says_why(broker_env: dict) -> None:
    worker = start_celery_worker("no_such_module_here", broker_env, name="broken")
    with pytest.raises(StackError, match="exited .* before it was ready"):
        worker.wait_ready(timeout=30)
    assert "no_such_module_here" in worker.log(30)
    worker.stop()


def test_compose_without_a_docker_engine_is_one_line(tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    docker = fake / "docker"
    # Compose v2 answers (so the machine's own docker-compose, or its absence, does not
    # matter); every engine call fails as it does with the daemon stopped.
    docker.write_text(
        '#!/bin/sh\n[ "$1 $2" = "compose version" ] && { echo "Docker Compose version v2"; exit 0; }\n'
        "echo 'Cannot connect to the Docker daemon' >&2\nexit 1\n"
    )
    docker.chmod(0o755)
    argv = [sys.executable, "-m", "labkit", "up", "--mode", "compose"]
    env = {"PATH": f"{fake}:/usr/bin:/bin", "LABKIT_HOME": str(tmp_path / "home")}
    for path, expected in (
        (env["PATH"], "no Docker engine answers"),
        ("/nonexistent", "not installed"),
    ):
        result = subprocess.run(
            argv, capture_output=True, text=True, env={**env, "PATH": path}, timeout=30
        )
        assert result.returncode == 1
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert expected in result.stderr and "labkit up --mode embedded" in result.stderr


OWNER = """
import json, sys, time
from labkit.lessons import lesson_04
from labkit.stack.processes import start_celery_worker
env = json.loads(sys.argv[1])
lesson_04.configure(env)
worker = start_celery_worker(
    lesson_04.APP, env, concurrency=2, queues=["owner-test"], name="owner-test"
).wait_ready(timeout=60)
print(worker.pid, flush=True)
time.sleep(120)
"""


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_a_lesson_worker_ends_when_its_owner_dies(
    broker_env: dict, tmp_path: Path, how: str
) -> None:
    """A kernel that dies (however: SIGKILL too) takes its lesson worker and pool with it."""
    import json
    import os
    import signal

    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, json.dumps(broker_env)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        line = owner.stdout.readline()
        assert line.strip().isdigit(), f"the owner did not start its worker: {line!r}"
        worker = psutil.Process(int(line))
        family = [worker, *worker.children(recursive=True)]
        assert len(family) >= 3  # the worker and its two pool processes
        owner.send_signal(getattr(signal, how))
        owner.wait(10)
        gone, alive = psutil.wait_procs(family, timeout=20)
        assert not alive, f"still running after the owner died: {alive}"
    finally:
        owner.kill()
        owner.wait(5)
        for record in (tmp_path / "lesson-workers").glob("*.json"):
            stop_recorded(json.loads(record.read_text())["pid"], None, timeout=1)


def test_a_real_session_token_is_not_passed_beside_the_emulator_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from labkit.stack.clients import EMULATOR_CREDENTIALS
    from labkit.stack.processes import child_env

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIA" + "REALKEYREALKEY00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-session-token")
    monkeypatch.setenv("AWS_PROFILE", "learner-lab")
    env = child_env(dict(EMULATOR_CREDENTIALS))
    assert env["AWS_ACCESS_KEY_ID"] == "labkit"
    assert "AWS_SESSION_TOKEN" not in env and "AWS_PROFILE" not in env
    # A child given no keys of its own (AWS mode) keeps the caller's whole set.
    assert child_env({})["AWS_SESSION_TOKEN"] == "real-session-token"


def test_a_private_emulator_is_a_child_process_stopped_whole(monkeypatch, tmp_path: Path) -> None:
    """What lesson 07 starts on AWS (its clock exists only locally): `labkit sqs-server` through
    spawn, like every other process labkit starts, not a server thread inside the kernel."""
    from labkit.net import port_answers
    from labkit.stack.clients import emulator_client
    from labkit.stack.processes import start_emulator

    monkeypatch.setenv("LABKIT_HOME", str(tmp_path))
    handle, url = start_emulator(seed=1, name="private-test")
    try:
        assert handle.pid != psutil.Process().pid and handle.alive()
        sqs = emulator_client(url)
        queue = sqs.create_queue(QueueName="private")["QueueUrl"]
        sqs.send_message(QueueUrl=queue, MessageBody="kept apart")
        got = sqs.receive_message(
            QueueUrl=queue, WaitTimeSeconds=1
        )  # a long poll asks every server
        assert got["Messages"][0]["Body"] == "kept apart"
    finally:
        handle.stop()
    port = int(url.rsplit(":", 1)[1])
    assert not handle.alive() and not port_answers(port)


def test_lesson_07_on_aws_replaces_its_private_emulator(monkeypatch, tmp_path: Path) -> None:
    """Running lesson 07's cell again (aws mode: the clock exists only on an emulator) stops the
    private emulator it started before instead of leaving it running."""
    from labkit.lessons import lesson_07
    from labkit.stack.lab import Lab

    monkeypatch.setenv("LABKIT_HOME", str(tmp_path))
    aws = Lab({"mode": "aws", "urls": {"sqs": "https://sqs.us-east-1.amazonaws.com"}})
    first = lesson_07.emulator_for(aws)
    [first_handle] = lesson_07._private
    second = lesson_07.emulator_for(aws)
    [second_handle] = lesson_07._private
    try:
        assert not first_handle.alive() and second_handle.alive()
        assert first.meta.endpoint_url != second.meta.endpoint_url
        assert second.create_queue(QueueName="lesson07-ical")["QueueUrl"]
    finally:
        second_handle.stop()
        lesson_07._private.clear()
