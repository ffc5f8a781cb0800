"""`QueueError`, the one error every lesson queue helper raises, and how a failure is worded.

A notebook shows one sentence that says what to do next, never a botocore traceback: the
publishers, the consumers and the emulator helpers all turn their failures into a `QueueError`
here, so a student sees the same words whichever helper met the problem.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


class QueueError(RuntimeError):
    """A queue call failed for a reason the student can act on (the message says how)."""


def queue_error(error: Exception, sqs: Any, queue_url: str) -> Exception:
    """Turn a botocore failure of ``sqs`` (a client or its `QueueContext`) into one sentence
    that says what to do next: a `QueueError` (any other error is returned as it is).

    Only the two cases a notebook words differently (no stack running, no such queue) are
    handled here; credentials and every other AWS answer are `labkit.aws_credentials.describe_error`'s.
    """
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    from labkit.aws_credentials import describe_error
    from labkit.aws_errors import is_missing_queue
    from labkit.stack.context import context_of

    context = context_of(sqs)
    endpoint = context.endpoint
    if isinstance(error, EndpointConnectionError) and context.emulator:
        return QueueError(
            f"cannot reach SQS at {endpoint}: start the lab stack (`labkit up`, or "
            "labkit.up() in a notebook) and run the cell again"
        )
    if isinstance(error, ClientError) and is_missing_queue(error):
        return QueueError(f"no queue at {queue_url}: create it first (lab.queue_url(name))")
    if isinstance(error, ClientError | BotoCoreError):
        return QueueError(str(describe_error(error, endpoint)))
    return error


def student_error(what: str, error: Exception, where: str) -> QueueError:
    """A function the notebook passed in (``work``, ``fail``, ``groups``) raised in a worker
    thread: one line for the calling thread, with the original traceback chained."""
    wrapped = QueueError(
        f"your {what} function raised {type(error).__name__}: {error} ({where}); "
        "fix it and run the cell again"
    )
    wrapped.__cause__ = error
    return wrapped


@contextlib.contextmanager
def admin_errors() -> Iterator[None]:
    """An emulator admin call's failure as a QueueError, the error every lesson helper raises."""
    from labkit.stack.emulator_admin import AdminError

    try:
        yield
    except AdminError as error:
        raise QueueError(str(error)) from None
