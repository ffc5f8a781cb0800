"""A real Celery worker process consuming from the emulator over `sqs://`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from labkit.paths import REPO_ROOT

BACKENDS = ["sqlite", "postgresql"]


def _backend_url(kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        return f"db+sqlite:///{tmp / 'results.db'}"
    url = os.environ.get("LABKIT_TEST_DATABASE_URL")
    if not url:
        pytest.skip("LABKIT_TEST_DATABASE_URL is not set (PostgreSQL result backend)")
    return "db+" + url


@pytest.fixture(scope="module", params=BACKENDS)
def celery_env(request, sqs_endpoint, account, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"celery-{request.param}")
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL_SQS": sqs_endpoint,
        "AWS_ACCESS_KEY_ID": account,  # the worker and this producer act in the file's account
        "AWS_SECRET_ACCESS_KEY": "celery-test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LABKIT_TEST_RESULT_BACKEND": _backend_url(request.param, tmp),
        "LABKIT_TEST_QUEUE_PREFIX": f"t{os.getpid()}-{request.param}-",
    }
    env.pop("AWS_PROFILE", None)
    log = tmp / "worker.log"
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "tests.emulator.celery_app", "worker",
                "-P", "solo", "-Q", "roundtrip,orders.fifo", "--loglevel", "info",
                "--without-heartbeat", "--without-gossip", "--without-mingle",
            ],
            cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the producer (this process) uses the same settings
    try:
        yield {"worker": worker, "log": log}
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def celery_app(celery_env):
    import importlib

    import tests.emulator.celery_app as module

    module = importlib.reload(module)  # picks up this backend's environment
    yield module
    module.app.close()


def _get(result, log: Path, timeout: float = 30):
    try:
        return result.get(timeout=timeout, interval=0.02)
    except Exception as exc:  # the worker's log usually says why
        tail = log.read_text(errors="replace")[-3000:]
        raise AssertionError(f"task did not finish: {exc!r}\nworker log:\n{tail}") from exc


def test_task_round_trip(celery_app, celery_env):
    result = celery_app.add.delay(2, 3)
    assert _get(result, celery_env["log"]) == 5
    assert result.status == "SUCCESS"
    # the status survives in the database backend for a fresh lookup
    assert celery_app.app.AsyncResult(result.id).status == "SUCCESS"


def test_fifo_groups_keep_task_order(celery_app, celery_env):
    results = []
    for i in range(5):
        for group in ("alice", "bob"):
            results.append(
                celery_app.stamp.apply_async((group, i), queue="orders.fifo", MessageGroupId=group)
            )
    done = [_get(r, celery_env["log"]) for r in results]
    for group in ("alice", "bob"):
        runs = [(index, ns) for g, index, ns in done if g == group]
        by_time = [index for index, _ in sorted(runs, key=lambda pair: pair[1])]
        assert by_time == list(range(5)), f"group {group} ran out of order: {by_time}"
    fifo_queues = [u for u in sqs_urls(celery_env) if u.endswith("orders.fifo")]
    assert fifo_queues, "the tasks went through a FIFO queue"


def sqs_urls(env) -> list[str]:
    import boto3

    return boto3.client("sqs").list_queues().get("QueueUrls", [])
