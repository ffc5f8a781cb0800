"""The queues the lessons use, created on whichever SQS the stack talks to.

They come from the Terraform definitions in `terraform/` (`labkit.terraform`), so the emulator
and AWS hold the same queues with the same attributes (dead-letter queues first). Without that
module or folder, the three queues SPEC names are used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class _Queue:
    name: str
    attributes: dict[str, str] = field(default_factory=dict)
    dead_letter_target: str | None = None


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
    return list(queue_definitions()) or list(FALLBACK_QUEUES)


def ensure_queues(
    sqs: Any, definitions: list[Any] | None = None, *, update: bool = True
) -> dict[str, str]:
    """Create each queue unless it exists (idempotent); return {name: queue URL}.

    ``update=False`` leaves an existing queue's attributes alone: on AWS, Terraform owns them.
    """
    from labkit.terraform import ensure_queues as create

    return create(sqs, definitions if definitions is not None else lesson_queues(), update=update)
