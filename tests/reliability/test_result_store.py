"""A Redis blip while the worker stores a result must not turn finished work into FAILURE.

The result backend is a Redis of the test's own, stopped while a calendar job runs and started
again a few seconds later on the same port; the broker (another Redis) stays up. The worker
retries its result writes (`settings.WORKER_RESULT_RETRIES`), so the job ends SUCCESS.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from labkit.taskoverflow.db import db
from labkit.waiting import wait_until
from tests.reliability.conftest import RedisServer, api_app, unique, worker_env

BLIP_SECONDS = 3  # how long the result backend is away (the fault itself, not a wait)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """The test's result backend. Every write reaches the append-only file at once: what the
    test takes away is the backend's availability, not the records written before the blip."""
    server = RedisServer(tmp_path / "redis.log", appendfsync="always")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_result_written_across_a_backend_blip(
    redis_url: str, own_redis: RedisServer, start_worker, tmp_path: Path, reliability_home: Path
) -> None:
    queue = unique("ical-blip")
    app = api_app(
        tmp_path / "todo.db", redis_url, queue, TESTING=True, CELERY_RESULT_BACKEND=own_redis.url
    )
    client = app.test_client()
    env = worker_env(redis_url, queue, reliability_home, CELERY_RESULT_BACKEND=own_redis.url)
    start_worker(env, name="blip")
    task_id = client.post("/api/v1/todos/ical", json={"delay_seconds": 1.0}).get_json()["task_id"]

    def status() -> dict:
        return client.get(f"/api/v1/todos/ical/{task_id}/status").get_json()

    wait_until(lambda: status().get("task_status") == "STARTED", 20, "the job STARTED", 0.02)
    own_redis.stop()  # progress updates and the final result now fail to store...
    time.sleep(BLIP_SECONDS)
    own_redis.start()  # ...until the backend is back on the same port
    final = wait_until(
        lambda: (s := status()).get("task_status") in ("SUCCESS", "FAILURE") and s,
        60,
        "the job finished",
    )
    assert final["task_status"] == "SUCCESS", final
    assert client.get(f"/api/v1/todos/ical/{task_id}/result").status_code == 200
    with app.app_context():
        db.engine.dispose()
