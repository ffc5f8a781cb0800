"""A tiny Celery app for the emulator's round-trip test (run by a real `celery worker`).

Broker `sqs://` with the endpoint from `AWS_ENDPOINT_URL_SQS`, as in the lab's SQS phase;
result backend from `LABKIT_TEST_RESULT_BACKEND` (a `db+...` URL).
"""

from __future__ import annotations

import os
import time

from celery import Celery

app = Celery(
    "sqs_roundtrip",
    broker="sqs://",
    backend=os.environ.get("LABKIT_TEST_RESULT_BACKEND", "db+sqlite:///celery-results.db"),
)
app.conf.update(
    broker_transport_options={
        "region": "us-east-1",
        "wait_time_seconds": 1,  # long polls of 1 s: prompt shutdown, prompt delivery
        "polling_interval": 0.1,
        "visibility_timeout": 60,
        "queue_name_prefix": os.environ.get("LABKIT_TEST_QUEUE_PREFIX", ""),
    },
    task_default_queue="roundtrip",
    result_extended=True,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)


@app.task(name="roundtrip.add")
def add(x: int, y: int) -> int:
    return x + y


@app.task(name="roundtrip.stamp")
def stamp(group: str, index: int) -> list:
    """When this task ran (ns), to check that a FIFO group's tasks ran in order."""
    return [group, index, time.time_ns()]
