"""Compose mode's choices, without a Docker engine: which Compose program, which host ports;
and the worker container's health check against a real Celery worker.

`make test-compose` runs the whole stack under Docker; these are the parts that can be held
to their rules on any machine.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from labkit.stack import compose
from labkit.stack.container_health import worker_beats
from labkit.stack.errors import StackError
from tests.processes import stop_group


def stub(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)


@pytest.fixture
def bare_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH holding only the stubs a test writes (they use shell built-ins only)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    return folder


def test_compose_v2_is_preferred(bare_path):
    stub(bare_path, "docker", '[ "$1 $2" = "compose version" ] && exit 0; exit 1')
    stub(bare_path, "docker-compose", "exit 0")
    assert compose.compose_program() == [str(bare_path / "docker"), "compose"]


def test_compose_v1_when_the_plugin_is_missing(bare_path):
    stub(bare_path, "docker", "echo \"docker: 'compose' is not a docker command.\" >&2; exit 1")
    stub(bare_path, "docker-compose", "exit 0")
    assert compose.compose_program() == [str(bare_path / "docker-compose")]


def test_neither_compose_is_one_line_naming_both(bare_path):
    stub(bare_path, "docker", "exit 1")
    with pytest.raises(StackError) as caught:
        compose.compose_program()
    message = str(caught.value)
    assert "docker compose" in message and "docker-compose" in message and "\n" not in message
    assert "labkit up --mode embedded" in message


def test_the_project_is_named_explicitly(monkeypatch):
    monkeypatch.setenv("COMPOSE_PROJECT_NAME", "Queue-Lab Test!")
    assert compose.project_name() == "queue-labtest"


@pytest.fixture
def taken() -> socket.socket:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    yield holder
    holder.close()


def test_a_taken_default_port_moves_and_says_so(monkeypatch, taken):
    port = taken.getsockname()[1]
    monkeypatch.setenv("LABKIT_DATABASE_PORT", str(port))
    ports, notes = compose.choose_ports({}, {})
    assert ports["database"] != port
    assert f"database: port {port} is taken, using {ports['database']} instead" in notes


def test_a_taken_explicit_port_is_an_error(taken):
    port = taken.getsockname()[1]
    with pytest.raises(StackError, match=f"port {port} for api is in use"):
        compose.choose_ports({"api": port}, {})


def test_the_running_stacks_ports_are_kept(taken):
    port = taken.getsockname()[1]  # held by "our" container
    ports, notes = compose.choose_ports({"api": port}, {"api": port, "sqs": 19324})
    assert ports["api"] == port and ports["sqs"] == 19324
    assert not [note for note in notes if note.startswith(("api", "sqs"))]


def test_urls_follow_the_ports():
    urls = compose.urls_for({"api": 1, "sqs": 2, "redis": 3, "database": 4, "lab": 5})
    assert urls["api"] == "http://127.0.0.1:1" and urls["sqs"] == "http://127.0.0.1:2"
    assert urls["redis"] == "redis://127.0.0.1:3/0"
    assert urls["database"].endswith("@127.0.0.1:4/todo")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_worker_health_check_hears_its_own_node(redis_url, tmp_path):
    node = f"healthprobe{os.getpid()}@{socket.gethostname()}"
    env = {
        **os.environ,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'todo.sqlite3'}",
    }
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [sys.executable, "-m", "labkit", "worker", "--pool", "solo", f"--hostname={node}"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert not worker_beats(redis_url, "celery@elsewhere", timeout=1), "another node's beat"
        heard = any(worker_beats(redis_url, node, timeout=10) for _ in range(6))
        assert heard, (tmp_path / "worker.log").read_text()[-2000:]
    finally:
        stop_group(worker)
        log.close()
    assert not worker_beats(redis_url, node, timeout=3), "a stopped worker still counts as healthy"
