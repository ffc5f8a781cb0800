"""Exercises of lesson 06, Celery on SQS: the broker and result-backend settings of handout
section 6 (checked by a real worker on them), and questions."""

from __future__ import annotations

import uuid
from typing import Any

from labkit.lessons.grading.checker import NotTried, exercise, known_answer, known_choice
from labkit.lessons.grading.exercises._live import current_lab

known_choice(
    "06.no_backend",
    "795d9950f187e413f9aff26a0a9e2677b2c1b78f02402bca8ae44aa065f3ac3e",
    hint="which of the three needs to read what the worker wrote after the task ran?",
)
known_answer(
    "06.body_encoding",
    "2815d77c89884e97bb72edcf80a05f3e45d74b934cbf22b048ab70d8c1bad8d0",
    hint="look at the first cell of the lesson that decodes the message: what undoes it?",
)
known_answer(
    "06.ordered_tasks",
    "6386617fa022faf063f6d7715ccf8c47e46a2ce579b6c3d94601db7d1bb7ffc6",
    hint="the same argument SQS's SendMessage takes to keep a FIFO queue's order per group",
)

_KEYS = ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")


def _static_hint(broker: str, backend: str) -> str | None:
    if not broker.startswith("sqs://"):
        if broker.startswith("redis"):
            return "that broker is Redis (section 5); section 6 puts the queue on SQS: sqs://"
        if broker.startswith("http"):
            return (
                "that is an SQS endpoint, not a Celery broker URL: the broker is sqs://, and kombu "
                "finds the endpoint in AWS_ENDPOINT_URL_SQS (the lab sets it)"
            )
        return "the broker URL for SQS is sqs:// (credentials and endpoint from the AWS variables)"
    if not backend:
        return (
            "no result backend: tasks still run, but every status lookup fails; give Celery a "
            "database to store states in (db+...)"
        )
    if backend.startswith("sqs"):
        return "SQS only carries messages; it cannot store results: use a database (db+...)"
    if backend.split(":", 1)[0] in ("postgresql", "postgres", "sqlite", "mysql"):
        return (
            "Celery reads a database URL with db+ in front (db+postgresql://..., db+sqlite:///...),"
            " as the handout's CELERY_RESULT_BACKEND does"
        )
    if not backend.startswith("db+"):
        return "section 6 keeps results in the database: a db+... URL"
    return None


@exercise(
    "06.sqs_settings",
    points=2,
    hint="CELERY_BROKER_URL = 'sqs://', CELERY_RESULT_BACKEND = 'db+' + a database URL",
)
def _check_sqs_settings(answer: Any, data: Any = None) -> bool | str:
    if not isinstance(answer, dict):
        raise ValueError("pass the dict of settings, e.g. {'CELERY_BROKER_URL': ..., ...}")
    unknown = sorted(str(key) for key in answer if key not in _KEYS)
    if unknown:
        return (
            f"{', '.join(unknown)}: not a variable the handout sets; the two are "
            "CELERY_BROKER_URL and CELERY_RESULT_BACKEND"
        )
    if all(answer.get(key) in (None, ...) for key in _KEYS):
        raise NotTried("fill in both settings (replace the ...)")
    broker, backend = (str(answer.get(key) or "") for key in _KEYS)
    if answer.get("CELERY_RESULT_BACKEND") is Ellipsis:
        backend = ""
    hint = _static_hint(broker, backend)
    if hint:
        return hint
    return _runs_on(broker, backend)


def _runs_on(broker: str, backend: str) -> bool | str:
    """A real worker on these settings runs `hello` from a scratch queue; its result is read
    back through the backend."""
    import os

    from celery import Celery

    from labkit.lessons import lesson_06, workers
    from labkit.stack.errors import StackError

    lab = current_lab()
    aws_env = lesson_06.sqs_environment(lab)
    os.environ.update(aws_env)
    queue = f"check06-{uuid.uuid4().hex[:8]}"
    url = lab.sqs.create_queue(QueueName=queue)["QueueUrl"]
    settings = {"CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": backend}
    worker = workers.start_worker(
        lesson_06.APP, {**aws_env, **settings}, [queue], "check06-worker", wait=False
    )
    # Celery prefers CELERY_BROKER_URL / CELERY_RESULT_BACKEND from the environment to its
    # configuration: hide this kernel's (if any) while the producer runs on the settings.
    hidden = {key: os.environ.pop(key) for key in _KEYS if key in os.environ}
    producer = Celery("check06", broker=broker, backend=backend, set_as_current=False)
    try:
        try:
            worker.wait_ready(timeout=45)
        except StackError as error:
            return f"a worker with these settings does not start: {str(error).splitlines()[-1]}"
        result = producer.send_task("hello", queue=queue)
        try:
            value = result.get(timeout=30, interval=0.05)
        except Exception as error:  # noqa: BLE001 - reported to the student
            return f"the task did not come back through these settings: {type(error).__name__}: {error}"
        return value == "Hello World" or f"the worker answered {value!r}"
    finally:
        os.environ.update(hidden)
        workers.stop_worker("check06-worker")
        producer.close()
        lab.sqs.delete_queue(QueueUrl=url)
