"""Lesson 03's plumbing: its queues (with a dead-letter queue), the emulator's duplicate rate,
time passing, queue depths, and the deposit consumer whose handlers the lesson compares.

Kept out of the notebook so its cells show the SQS calls that teach, not the set-up.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from labkit.lessons.engine.queue_state import queue_counts

#: Messages visible and in flight in a queue (the engine's one definition, under the name the
#: lesson's cells use).
counts = queue_counts

QUEUE, DEAD_LETTER_QUEUE = "csse6400_lesson03", "csse6400_lesson03_dlq"


def lesson_queues(sqs: Any, visibility_timeout: int = 30, max_receives: int = 3) -> tuple[str, str]:
    """Create (or update) `csse6400_lesson03` and its dead-letter queue; (queue, dlq) URLs.

    The same as the Terraform in the lesson: a redrive policy moves a message to the DLQ after
    ``max_receives`` receives.
    """
    dlq = sqs.create_queue(QueueName=DEAD_LETTER_QUEUE)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]
    queue = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
    policy = {"deadLetterTargetArn": arn["QueueArn"], "maxReceiveCount": max_receives}
    sqs.set_queue_attributes(
        QueueUrl=queue,
        Attributes={
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps(policy),
        },
    )
    return queue, dlq


def set_duplicate_rate(sqs: Any, rate: float, queue: str = QUEUE) -> None:
    """Emulator only: the share of ``queue``'s deliveries that leave a second copy behind (AWS
    does this rarely and unpredictably; the emulator makes it visible in a short run)."""
    from labkit.lessons.engine.queue_errors import admin_errors
    from labkit.stack.context import context_of

    context = context_of(sqs)
    if context.emulator:
        with admin_errors():
            context.admin.configure(duplicate_rate=rate, queue=queue)


def let_time_pass(sqs: Any, seconds: float) -> None:
    """On the emulator its clock jumps forward; on AWS this really waits."""
    from labkit.lessons.engine.queue_state import advance_clock, is_emulator

    if is_emulator(sqs):
        advance_clock(sqs, seconds)
    else:
        time.sleep(seconds)


def send_deposits(sqs: Any, url: str, count: int, amount: int) -> None:
    """``count`` messages ``"deposit {i}: {amount}"``, in batches of 10."""
    for start in range(0, count, 10):
        entries = [
            {"Id": str(i), "MessageBody": f"deposit {i}: {amount}"}
            for i in range(start, min(start + 10, count))
        ]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def run_consumer(
    sqs: Any,
    url: str,
    handlers: Iterable[Callable[[dict], None]],
    crash_on: Iterable[int] = (),
    quiet_polls: int = 2,
) -> list[dict]:
    """Receive, handle, delete until ``quiet_polls`` long polls in a row come back empty.

    Each message goes to every handler; after handling the deposits in ``crash_on`` the first
    time, the consumer "crashes" (skips the delete), so they come back after the 1 s
    visibility timeout. One row per delivery: deposit number, message id, seconds since start,
    and ``why`` it came: ``first``, ``after a crash`` (the redelivery of a deposit whose delete
    was skipped) or ``duplicate copy`` (any other repeat: the queue's second copy).
    """
    handlers, crash_on = list(handlers), set(crash_on)
    deliveries: list[dict] = []
    crashed: set[int] = set()
    seen: set[str] = set()
    awaiting: set[int] = set()  # crashed deposits whose redelivery has not come yet
    quiet, start = 0, time.monotonic()
    while quiet < quiet_polls:
        reply = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=1
        )
        messages = reply.get("Messages", [])
        quiet = 0 if messages else quiet + 1
        for message in messages:
            for handle in handlers:
                handle(message)
            number = int(message["Body"].split()[1].rstrip(":"))
            deliveries.append(
                {
                    "deposit": number,
                    "message_id": message["MessageId"],
                    "at_s": time.monotonic() - start,
                    "why": _why(message["MessageId"], number, seen, awaiting),
                }
            )
            if number in crash_on and number not in crashed:
                crashed.add(number)
                awaiting.add(number)
                continue  # the work is done, the delete never happens
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return deliveries


def _why(message_id: str, number: int, seen: set[str], awaiting: set[int]) -> str:
    """Why this delivery came: the first, the redelivery after a crash, or a duplicate copy."""
    if message_id not in seen:
        seen.add(message_id)
        return "first"
    if number in awaiting:
        awaiting.discard(number)
        return "after a crash"
    return "duplicate copy"
