"""The queues the lessons use, created on whichever SQS the stack talks to.

They come from the Terraform definitions in `terraform/` (`labkit.terraform.queue_definitions`),
so the emulator and AWS hold the same queues with the same attributes. Until that module exists
the three queues SPEC names are used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class _Queue:
    name: str
    attributes: dict[str, str] = field(default_factory=dict)


FALLBACK_QUEUES = (
    _Queue("csse6400_prac"),
    _Queue("csse6400_prac.fifo", {"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
    _Queue("ical"),
)


def lesson_queues() -> list[Any]:
    """Queue definitions from terraform/ (objects with `name` and `attributes`)."""
    try:
        from labkit.terraform import queue_definitions
    except ImportError:
        return list(FALLBACK_QUEUES)
    return list(queue_definitions())


def ensure_queues(sqs: Any, definitions: list[Any] | None = None) -> dict[str, str]:
    """Create each queue unless it exists; return {name: queue URL}.

    CreateQueue is idempotent for equal attributes; a queue that exists with other attributes is
    kept as it is (a student may have changed it on purpose) and its URL returned.
    """
    from botocore.exceptions import ClientError

    urls = {}
    for queue in definitions if definitions is not None else lesson_queues():
        attributes = {k: str(v) for k, v in dict(queue.attributes).items()}
        try:
            urls[queue.name] = sqs.create_queue(QueueName=queue.name, Attributes=attributes)[
                "QueueUrl"
            ]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if "QueueAlreadyExists" not in code and "QueueNameExists" not in code:
                raise
            urls[queue.name] = sqs.get_queue_url(QueueName=queue.name)["QueueUrl"]
    return urls
