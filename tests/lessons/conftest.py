"""Fixtures for the lesson helpers: a boto3 client on the session's SQS emulator, fresh queues."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _no_progress_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bars are for people; these tests read the frames (scoped here, not session-wide)."""
    monkeypatch.setenv("TQDM_DISABLE", "1")


_names = itertools.count()


@pytest.fixture(scope="module")
def sqs(sqs_endpoint: str, account: str):
    """A boto3 SQS client on the session's emulator, in the module's own account."""
    from labkit.stack.clients import emulator_client

    return emulator_client(sqs_endpoint, account=account)


@pytest.fixture
def new_queue(sqs) -> Callable[..., str]:
    """Create a queue with a name no other test uses; ``fifo=True`` for a content-deduplicated
    FIFO queue like the course's."""

    def create(fifo: bool = False, **attributes: str) -> str:
        name = f"lessons-{os.getpid()}-{next(_names)}"
        if fifo:
            name += ".fifo"
            attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true", **attributes}
        return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]

    return create


@pytest.fixture
def lab(monkeypatch, sqs_endpoint, redis_url, account):
    """The lab the checks find: the session's services (checks never take it from the student),
    acting in the module's account."""
    from labkit.stack.lab import Lab

    live = Lab(
        {
            "mode": "embedded",
            "urls": {"sqs": sqs_endpoint, "redis": redis_url},
            "env": {"CELERY_BROKER_URL": redis_url, "CELERY_RESULT_BACKEND": redis_url},
        },
        account=account,
    )
    monkeypatch.setattr("labkit.stack.connect", lambda: live)
    for key in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CELERY_DEFAULT_QUEUE"):
        monkeypatch.delenv(key, raising=False)  # restored after the test, whatever it set
    return live
