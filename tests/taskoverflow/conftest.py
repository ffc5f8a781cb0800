"""TaskOverflow fixtures: apps on SQLite and PostgreSQL, a live API on waitress, a real worker."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from labkit.taskoverflow.app import create_app
from labkit.taskoverflow.client import TaskOverflowClient
from labkit.taskoverflow.db import db
from labkit.taskoverflow.models import CalendarJob, Todo
from labkit.taskoverflow.serve import start
from tests import processes
from tests.processes import stop_group, wait_for_log


@pytest.fixture(scope="session")
def taskoverflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """LABKIT_HOME for the child processes, so nothing lands in the user's .labkit/.

    In-process apps always get an explicit database URI, so they never use the state dir.
    """
    return tmp_path_factory.mktemp("labkit-home")


@pytest.fixture(scope="session")
def test_queue() -> str:
    """A queue of this session's own: other suites on the same Redis db never take its jobs."""
    return f"ical-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_uri(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    """SQLite in a temporary file, or PostgreSQL in a schema made for this module."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'todo.sqlite3'}"
        return
    base = os.environ.get("LABKIT_TEST_DATABASE_URL")
    if not base:
        pytest.skip("LABKIT_TEST_DATABASE_URL is not set (CI sets it when PostgreSQL answers)")
    schema = f"taskoverflow_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(scope="module")
def app(database_uri: str, redis_url: str, test_queue: str):
    """The factory-built app on each database (no worker: validation and errors only)."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_RESULT_BACKEND": redis_url,
            "CELERY_DEFAULT_QUEUE": test_queue,
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def clear_tables(app) -> None:
    with app.app_context():
        db.session.query(Todo).delete()
        db.session.query(CalendarJob).delete()
        db.session.commit()


@pytest.fixture
def client(app):
    """Flask's test client on empty tables."""
    clear_tables(app)
    return app.test_client()


# ---- a live stack: waitress + a real worker process on the real Redis ------------------------


@pytest.fixture(scope="session")
def worker_env(redis_url: str, test_queue: str, taskoverflow_home: Path) -> dict:
    return processes.worker_env(redis_url, test_queue, taskoverflow_home)


@pytest.fixture(scope="session")
def worker(worker_env: dict, tmp_path_factory) -> Iterator[subprocess.Popen]:
    """`labkit worker` as a child process (prefork, 2 processes), ready to take jobs."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "labkit", "worker", "--concurrency", "2"]
            + ["--hostname", f"taskoverflow-test-{os.getpid()}@%h"],
            env=worker_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        wait_for_log(log, " ready.", proc)
        proc.log_path = log  # type: ignore[attr-defined]
        yield proc
    finally:
        stop_group(proc)


@pytest.fixture(scope="session")
def live_app(redis_url: str, test_queue: str, tmp_path_factory):
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path_factory.mktemp('live') / 'todo.db'}",
            "CELERY_BROKER_URL": redis_url,
            "CELERY_RESULT_BACKEND": redis_url,
            "CELERY_DEFAULT_QUEUE": test_queue,
        }
    )


@pytest.fixture(scope="session")
def live_server(live_app, worker):
    """The API over real HTTP (waitress on a free port), with the worker running."""
    handle = start(live_app)
    yield handle
    handle.stop()


@pytest.fixture
def live(live_server, live_app) -> TaskOverflowClient:
    """A client of the live API, on empty tables."""
    clear_tables(live_app)
    return TaskOverflowClient(live_server.url)
