"""`consume`: consumer threads receiving from a queue, one DataFrame row per delivery.

Consumers receive up to 10 messages with a 1 s long poll, as the course's queue tool does, do
their pretend work, and delete each message once handled unless the fail rule says otherwise.
`experiments.experiment` starts these same threads beside its publishers.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from types import SimpleNamespace
from typing import Any

import pandas as pd

from labkit import course_messages
from labkit.course_messages import number as message_number
from labkit.lessons.engine._run_state import Queue, Shared, Stopped, see_through, start_threads
from labkit.lessons.engine.experiment_options import (
    ConsumeOptions,
    FailRule,
    WorkRule,
    apply_settings,
    with_positional,
)
from labkit.lessons.engine.queue_errors import student_error
from labkit.stack.context import client_of
from labkit.waiting import Deadline

DELIVERY_COLUMNS = [
    "position",
    "consumer",
    "client",
    "body",
    "number",
    "message_id",
    "group",
    "sequence_number",
    "receive_count",
    "sent_at",
    "received_at",
    "started_at",
    "handled_at",
    "deleted",
    "receipt_handle",  # matches the emulator's record of this receive (labkit.emulator.record)
]


def _fails(rule: FailRule, seed: int, delivery: SimpleNamespace) -> bool:
    if rule is None:
        return False
    if callable(rule):
        return bool(rule(delivery))
    # Decided by a hash of the message and its attempt, so runs repeat whatever the threads do.
    key = f"{seed}|{delivery.client}|{delivery.body}|{delivery.receive_count}".encode()
    draw = int.from_bytes(hashlib.sha256(key).digest()[:8], "big") / 2**64
    return draw < float(rule)


def _work_seconds(rule: WorkRule, delivery: SimpleNamespace) -> float:
    return float(rule(delivery)) if callable(rule) else float(rule)


def _delivery_row(
    message: dict[str, Any], position: int, consumer: str, received_at: float
) -> dict[str, Any]:
    """One row of DELIVERY_COLUMNS for a received message (not yet handled)."""
    attrs = message.get("Attributes", {})
    body = message.get("Body", "")
    return {
        "position": position,
        "consumer": consumer,
        "client": course_messages.client_of(message),
        "body": body,
        "number": message_number(body),
        "message_id": message.get("MessageId"),
        "group": attrs.get("MessageGroupId"),
        "sequence_number": attrs.get("SequenceNumber"),
        "receive_count": int(attrs.get("ApproximateReceiveCount", 1)),
        "sent_at": int(attrs["SentTimestamp"]) / 1000 if "SentTimestamp" in attrs else None,
        "received_at": received_at,
        "started_at": time.time(),
        "handled_at": None,
        "deleted": False,
        "receipt_handle": message.get("ReceiptHandle"),
    }


def _handle(
    queue: Queue, message: dict, row: dict[str, Any], options: ConsumeOptions, shared: Shared
) -> bool:
    """Work on one delivery, then delete it unless the fail rule says otherwise; False when a
    function the notebook passed in raised (the error is recorded and every thread stops)."""
    view = SimpleNamespace(**row)
    where = (
        f"{row['consumer']}, message {row['body'] if row['number'] is None else row['number']!r}"
    )
    try:
        pause = _work_seconds(options.work, view)
    except Exception as error:  # the notebook's work function: reported, not printed
        shared.fail(student_error("work", error, where))
        return False
    if pause > 0:
        time.sleep(pause)
    row["handled_at"] = time.time()  # the work is done; deleting tells SQS so
    try:
        failed = _fails(options.fail, options.seed, view)
    except Exception as error:
        shared.fail(student_error("fail", error, where))
        return False
    if not failed:
        try:
            queue.sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
            row["deleted"] = True
        except Exception as error:
            with shared.lock:
                shared.errors.append(queue.error(error))
    return True


def _record_delivery(row: dict[str, Any], shared: Shared, expected: int | None) -> None:
    with shared.lock:
        if shared.ours is not None and (row["client"], row["body"]) not in shared.ours:
            shared.foreign += 1  # someone else's message (AWS: the queue is shared)
            shared.touch()
            return
        shared.deliveries.append(row)
        if row["deleted"]:
            shared.handled.add(row["message_id"])
        shared.touch()
        if expected is not None and len(shared.handled) >= expected:
            shared.stop.set()


def _consumer(
    queue: Queue, name: str, shared: Shared, options: ConsumeOptions, deadline: Deadline
) -> None:
    """Receive until told to stop, the deadline passes, or the queue stayed idle too long."""
    try:
        _consume_all(queue, name, shared, options, deadline)
    except Stopped:
        pass
    finally:
        if shared.lockstep is not None:
            shared.lockstep.leave(f"c{options.consumer_names().index(name)}")


def _receive(
    queue: Queue, slot: str, shared: Shared, arguments: dict[str, Any]
) -> tuple[list[dict], int, float]:
    """One ReceiveMessage (in its turn on a seeded run: a short poll while publishers still
    send, so nobody waits a long poll out); the messages and the position of the first."""
    lockstep = shared.lockstep if shared.lockstep and slot in shared.lockstep.order else None
    with lockstep.turn(slot, shared.stop) if lockstep else contextlib.nullcontext():
        if lockstep is not None and lockstep.publishing():
            arguments = {**arguments, "WaitTimeSeconds": 0}
        reply = queue.sqs.receive_message(QueueUrl=queue.url, **arguments)
        messages = reply.get("Messages", [])
        with shared.lock:
            if messages:
                shared.touch()
            first_position = shared.position
            shared.position += len(messages)
    return messages, first_position, time.time()


def _consume_all(
    queue: Queue, name: str, shared: Shared, options: ConsumeOptions, deadline: Deadline
) -> None:
    arguments = options.receive_arguments()
    slot = f"c{options.consumer_names().index(name)}"
    while not shared.stop.is_set():
        idle = time.monotonic() - shared.last_activity
        if deadline.passed() or idle >= options.idle_timeout:
            shared.stop.set()
            return
        try:
            messages, first_position, received_at = _receive(queue, slot, shared, arguments)
        except Stopped:
            return
        except Exception as error:
            shared.fail(queue.error(error))
            return
        for offset, message in enumerate(messages):
            row = _delivery_row(message, first_position + offset, name, received_at)
            if not _handle(queue, message, row, options, shared):
                return
            _record_delivery(row, shared, options.expected)


def start_consumers(
    queue: Queue, shared: Shared, options: ConsumeOptions
) -> list[threading.Thread]:
    """One started thread per consumer, recording its deliveries into ``shared``."""
    labels = options.consumer_names()
    options.check()
    deadline = Deadline(options.timeout)  # one budget: every consumer stops at the same time
    arguments = [(queue, label, shared, options, deadline) for label in labels]
    return start_threads("consumer", _consumer, arguments)


def deliveries_frame(shared: Shared) -> pd.DataFrame:
    """The recorded deliveries, one row each (DELIVERY_COLUMNS), in arrival order."""
    frame = pd.DataFrame(shared.deliveries, columns=DELIVERY_COLUMNS)
    frame = frame.sort_values("position", kind="stable").reset_index(drop=True)
    frame["number"] = frame["number"].astype("Int64")
    frame["deleted"] = frame["deleted"].astype(bool)
    frame["receive_count"] = frame["receive_count"].astype(int)
    for column in ("sent_at", "received_at", "started_at", "handled_at"):
        frame[column] = frame[column].astype(float)
    return frame


def consume(
    sqs: Any,
    queue_url: str,
    expected: int | None = None,
    consumers: int | None = None,
    *,
    consuming: ConsumeOptions | None = None,
    progress: bool = True,
    **settings: Any,
) -> pd.DataFrame:
    """Receive with ``consumers`` (default 1) threads until ``expected`` distinct messages were handled
    (deleted), or nothing arrived for ``idle_timeout`` seconds; one row per delivery.

    ``consuming`` (a `ConsumeOptions`) or its fields as keywords: ``names``, ``max_messages``,
    ``wait_time``, ``visibility_timeout``, ``fail``, ``seed``, ``work``, ``idle_timeout``,
    ``timeout``.
    """
    settings = with_positional(settings, expected=expected, consumers=consumers)
    opts = apply_settings(ConsumeOptions, consuming, settings, "consume")
    shared = Shared()
    threads = start_consumers(Queue(client_of(sqs), queue_url), shared, opts)
    see_through(threads, shared, lambda: len(shared.handled), opts.expected, "receiving", progress)
    return deliveries_frame(shared)
