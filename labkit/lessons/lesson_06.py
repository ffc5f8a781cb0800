"""Lesson 06's plumbing: lesson 04's Celery app on SQS (the handout's section 6).

The broker is `sqs://` on this lab's SQS (the emulator, or AWS with the Learner Lab
credentials), the result backend a database (`database_url`); the lesson's queues are made
fresh on each run (`fresh_queues`), a task message is decoded as kombu sent it
(`decode_task_message`) and the order a worker ran tasks in becomes a frame the plots read
(`order_frame`). Its worker is lesson 04's app, started through `start_worker` below.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from labkit.lessons.engine.queue_state import queue_depth
from labkit.lessons.lesson_04 import APP, celery, configure, fail_late, hello, work

__all__ = [
    "APP",
    "celery",
    "configure",
    "database_url",
    "decode_task_message",
    "fail_late",
    "fresh_queues",
    "hello",
    "order_frame",
    "queue_depth",
    "section6_env",
    "sqs_environment",
    "start_worker",
    "work",
]


def sqs_environment(lab: Any) -> dict[str, str]:
    """The AWS variables a Celery process needs for `sqs://` on this stack: the Learner Lab
    credentials on AWS, else the emulator's endpoint (`AWS_ENDPOINT_URL_SQS`) and its keys."""
    from labkit.aws_credentials import DEFAULT_REGION

    if lab.kind != "emulator":
        from labkit.aws_credentials import load_aws_credentials

        return {**load_aws_credentials().as_env(), "AWS_DEFAULT_REGION": DEFAULT_REGION}
    return {
        "AWS_ENDPOINT_URL_SQS": lab.urls["sqs"],
        "AWS_ACCESS_KEY_ID": lab.env.get("AWS_ACCESS_KEY_ID", "labkit"),
        "AWS_SECRET_ACCESS_KEY": lab.env.get("AWS_SECRET_ACCESS_KEY", "labkit"),
        "AWS_DEFAULT_REGION": lab.env.get("AWS_DEFAULT_REGION", DEFAULT_REGION),
    }


def database_url(lab: Any) -> str:
    """Lesson 06's database as SQLAlchemy names it (the handout's SQLALCHEMY_DATABASE_URI): a
    SQLite file in the state dir, standing for the compose file's PostgreSQL."""
    from labkit.paths import state_dir

    return f"sqlite:///{state_dir() / 'lesson06-results.sqlite'}"


def section6_env(lab: Any) -> dict[str, str]:
    """Section 6's settings for lesson 06's worker and producer: SQS as broker (the AWS
    variables of `sqs_environment`), the database as result backend."""
    return {
        **sqs_environment(lab),
        "CELERY_BROKER_URL": "sqs://",
        "CELERY_RESULT_BACKEND": "db+" + database_url(lab),
    }


def fresh_queues(
    sqs: Any, queues: Mapping[str, bool], visibility_timeout: int = 1800, seed: int | None = None
) -> dict:
    """Create lesson 06's queues (name -> FIFO?) and empty them, in-flight messages included:
    a re-run starts clean. Returns {name: url}. On AWS a purge is allowed once a minute; a
    quick re-run finds the queue drained already."""
    from labkit.lessons.engine.queue_state import start_clean

    urls = {}
    for name, fifo in queues.items():
        attributes = {"VisibilityTimeout": str(visibility_timeout)}
        if fifo:
            attributes["FifoQueue"] = "true"
        urls[name] = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    start_clean(sqs, *urls.values(), seed=seed)
    for url in urls.values():
        with contextlib.suppress(sqs.exceptions.PurgeQueueInProgress):
            sqs.purge_queue(QueueUrl=url)
    return urls


def decode_task_message(body: str) -> tuple[dict, list]:
    """A Celery task message as kombu sends it to SQS: base64 of a JSON envelope whose own
    `body` is base64 of `[args, kwargs, embed]` (protocol 2); returns (envelope, call)."""
    import base64
    import json

    envelope = json.loads(base64.b64decode(body))
    return envelope, json.loads(base64.b64decode(envelope["body"]))


def order_frame(results: list[Any], groups: list[str]):  # noqa: ANN201 - pandas.DataFrame
    """Task number against the order the worker finished them (from the result backend), in
    the columns `plots.plot_standard_vs_fifo` reads."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "number": range(len(results)),
            "group": groups,
            "message_id": [r.id for r in results],
            "done": [r.date_done for r in results],
        }
    )
    frame["position"] = frame["done"].rank(method="first").astype(int) - 1
    frame["client"] = "tasks"
    return frame.sort_values("position", ignore_index=True)


def start_worker(lab: Any, queues: list[str], name: str = "lesson06-worker") -> Any:
    """Lesson 04's app as a worker on SQS (`section6_env`), consuming ``queues``; ready (with
    a progress bar) when returned. A worker this kernel started under ``name`` before is
    stopped first, so re-running the cell replaces it."""
    from labkit.lessons import workers

    return workers.start_worker(APP, section6_env(lab), queues, name)
