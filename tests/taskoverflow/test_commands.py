"""`labkit api`, `labkit worker` and `celery --app labkit.taskoverflow.worker` as users run them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import requests

from labkit.net import free_port

VENV_BIN = Path(sys.executable).parent


def test_labkit_api_serves_with_waitress(worker_env, tmp_path):
    port = free_port()
    env = dict(worker_env, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'todo.db'}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "labkit", "api", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        first_line = proc.stdout.readline().strip()
        assert first_line == f"TaskOverflow API listening on http://127.0.0.1:{port}"
        health = requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5)
        assert health.json() == {"status": "ok"}
        assert health.headers["Server"] == "taskoverflow"  # waitress, not Flask's debug server
        page = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 200 and "TaskOverflow" in page.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_labkit_api_port_in_use_is_one_line(worker_env):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "labkit", "api", "--port", str(port)],
            env=worker_env,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert f"port {port} is in use" in result.stderr and "--port" in result.stderr


def test_labkit_worker_without_broker_is_one_line(worker_env):
    env = {k: v for k, v in worker_env.items() if k != "CELERY_BROKER_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "labkit", "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "labkit: CELERY_BROKER_URL is not set: e.g. export CELERY_BROKER_URL=redis://localhost:6379"
    )


def test_celery_app_module_resolves(worker_env):
    result = subprocess.run(
        [str(VENV_BIN / "celery"), "--app", "labkit.taskoverflow.worker", "report"],
        env=worker_env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    assert result.returncode == 0, result.stderr
    assert "task_default_queue" in result.stdout and "task_acks_late: True" in result.stdout
