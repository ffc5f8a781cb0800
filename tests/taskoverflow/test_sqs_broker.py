"""Handout section 6 offline: Celery over `sqs://` (the labkit emulator), results in a database.

The broker URL names the emulator (`sqs://KEY:SECRET@127.0.0.1:PORT`), so neither the API nor
the worker needs AWS credentials; the result backend is `db+postgresql://` when PostgreSQL is
available (as in the handout), else Redis.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text

from labkit.taskoverflow.app import create_app
from labkit.taskoverflow.client import TaskOverflowClient
from labkit.taskoverflow.serve import start
from tests.processes import stop_group, wait_for_log


@pytest.fixture(scope="module")
def sqs_stack(sqs_endpoint, redis_url, worker_env, tmp_path_factory):
    port = urlsplit(sqs_endpoint).port
    broker = f"sqs://labkit:labkit@127.0.0.1:{port}"
    database = os.environ.get("LABKIT_TEST_DATABASE_URL")
    schema = f"taskoverflow_results_{uuid.uuid4().hex[:8]}"
    if database:  # Celery's tables in a schema of their own, dropped afterwards
        engine = create_engine(database)
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in database else "?"
        backend = f"db+{database}{separator}options=-csearch_path%3D{schema}"
    else:
        backend = redis_url
    queue = f"ical-sqs-{uuid.uuid4().hex[:8]}"
    env = dict(
        worker_env,
        CELERY_BROKER_URL=broker,
        CELERY_RESULT_BACKEND=backend,
        CELERY_DEFAULT_QUEUE=queue,
        AWS_DEFAULT_REGION="us-east-1",
    )
    log = tmp_path_factory.mktemp("sqs-worker") / "worker.log"
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "labkit", "worker", "--pool", "solo"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path_factory.mktemp('sqs') / 'db.sqlite3'}",
            "CELERY_BROKER_URL": broker,
            "CELERY_RESULT_BACKEND": backend,
            "CELERY_DEFAULT_QUEUE": queue,
        }
    )
    server = start(app)
    try:
        wait_for_log(log, " ready.", worker)
        yield TaskOverflowClient(server.url), backend
    finally:
        server.stop()
        stop_group(worker)
        if database:
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()


def test_calendar_over_sqs(sqs_stack):
    client, backend = sqs_stack
    client.create_todo("Deploy with SQS", deadline_at="2025-04-11T14:00:00")
    client.create_todo("No deadline")
    text = client.export_calendar(timeout=30, poll_interval=0.02)
    assert text.count("BEGIN:VEVENT") == 1
    assert "SUMMARY:Deploy with SQS" in text
