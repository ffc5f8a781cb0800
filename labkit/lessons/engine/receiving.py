"""Receiving everything a queue holds, deleting as it goes: the one loop that lesson cells,
exercise checks, the emulator's tests and the benchmarks share.

It long-polls (an empty short poll proves nothing on AWS, which asks only some of its servers)
and stops after ``empty_replies`` empty replies in a row or once ``limit`` messages came.
"""

from __future__ import annotations

from typing import Any

from labkit.waiting import Deadline


def receive_all(
    sqs: Any,
    url: str,
    *,
    wait: int = 1,
    limit: int | None = 1000,
    empty_replies: int = 1,
    timeout: float | None = None,
    **receive: Any,
) -> list[dict]:
    """Receive and delete until ``empty_replies`` long polls in a row come back empty, ``limit``
    messages came (None: no limit) or ``timeout`` seconds passed; ``receive`` adds
    ReceiveMessage parameters (for example ``MessageAttributeNames=["All"]``). Returns the
    messages in the order received."""
    got: list[dict] = []
    empty = 0
    deadline = Deadline(float("inf") if timeout is None else timeout)
    while empty < empty_replies and (limit is None or len(got) < limit) and not deadline.passed():
        reply = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait, **receive
        )
        batch = reply.get("Messages", [])
        empty = 0 if batch else empty + 1
        if batch:
            got.extend(batch)
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
            ]
            sqs.delete_message_batch(QueueUrl=url, Entries=entries)
    return got
