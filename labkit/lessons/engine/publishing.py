"""`publish`: publisher threads sending course messages, one DataFrame row per send.

Defaults follow the course's queue tool: each publisher sends ``"{prepend}Message {i}"`` one
SendMessage at a time with a String attribute ``client``; a ``.fifo`` queue gets MessageGroupId
``"default"`` and no deduplication id. `experiments.experiment` starts these same threads beside
its consumers.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import pandas as pd

from labkit import course_messages
from labkit.lessons.engine._run_state import Queue, Shared, Stopped, see_through, start_threads
from labkit.lessons.engine.experiment_options import (
    GroupRule,
    PublishOptions,
    apply_settings,
    with_positional,
)
from labkit.lessons.engine.queue_errors import QueueError, student_error
from labkit.stack.context import client_of

SEND_COLUMNS = [
    "publisher",
    "client",
    "body",
    "number",
    "group",
    "message_id",
    "sequence_number",
    "sent_at",
    "error",
]


def _group_for(groups: GroupRule, fifo: bool, publisher: int, number: int) -> str | None:
    if not fifo:
        return None
    if groups is None:
        return "default"
    if callable(groups):
        return str(groups(publisher, number))
    if isinstance(groups, int):
        return f"group-{number % groups}"
    names = list(groups)
    return names[number % len(names)]


def _entries(
    options: PublishOptions, fifo: bool, index: int, numbers: range, prepend: str, client: str
) -> list[dict[str, Any]]:
    """The SendMessage arguments of messages ``numbers``; QueueError when the notebook's
    groups function raised."""
    attributes = course_messages.client_attributes(client)
    entries = []
    for i in numbers:
        entry = {"MessageBody": course_messages.body(prepend, i), "MessageAttributes": attributes}
        try:
            group = _group_for(options.groups, fifo, index, i)
        except Exception as error:  # reported by the calling thread, not printed
            raise student_error("groups", error, f"publisher {index}, message {i}") from error
        if group is not None:
            entry["MessageGroupId"] = group
        entries.append(entry)
    return entries


def _send(queue: Queue, batch: bool, numbers: range, entries: list[dict], rows: list[dict]) -> None:
    """One SendMessage (or SendMessageBatch) call; fills the rows' ids or errors."""
    if not batch:
        reply = queue.sqs.send_message(QueueUrl=queue.url, **entries[0])
        rows[0]["message_id"] = reply["MessageId"]
        rows[0]["sequence_number"] = reply.get("SequenceNumber")
        return
    first = numbers[0]
    batch_entries = [{"Id": str(i), **e} for i, e in zip(numbers, entries, strict=True)]
    reply = queue.sqs.send_message_batch(QueueUrl=queue.url, Entries=batch_entries)
    by_id = {int(ok["Id"]) - first: ok for ok in reply.get("Successful", [])}
    failed = {int(bad["Id"]) - first: bad for bad in reply.get("Failed", [])}
    for offset, row in enumerate(rows):
        if offset in by_id:
            row["message_id"] = by_id[offset]["MessageId"]
            row["sequence_number"] = by_id[offset].get("SequenceNumber")
        else:
            bad = failed.get(offset, {})
            row["error"] = f"{bad.get('Code', 'Failed')}: {bad.get('Message', '')}"


def _publisher(
    queue: Queue, index: int, client: str, prepend: str, options: PublishOptions, shared: Shared
) -> None:
    try:
        _publish_all(queue, index, client, prepend, options, shared)
    except Stopped:
        pass
    finally:
        if shared.lockstep is not None:
            shared.lockstep.leave(f"p{index}")


def _publish_all(
    queue: Queue, index: int, client: str, prepend: str, options: PublishOptions, shared: Shared
) -> None:
    step = 10 if options.batch else 1
    for first in range(0, options.count, step):
        if shared.errors or shared.stop.is_set():
            return
        numbers = range(first, min(first + step, options.count))
        try:
            entries = _entries(options, queue.fifo, index, numbers, prepend, client)
        except QueueError as error:
            shared.fail(error)
            return
        sent_at = time.time()
        rows = [
            {
                "publisher": index,
                "client": client,
                "body": e["MessageBody"],
                "number": i,
                "group": e.get("MessageGroupId"),
                "message_id": None,
                "sequence_number": None,
                "sent_at": sent_at,
                "error": None,
            }
            for i, e in zip(numbers, entries, strict=True)
        ]
        lockstep = shared.lockstep
        try:
            with lockstep.turn(f"p{index}", shared.stop) if lockstep else contextlib.nullcontext():
                _send(queue, options.batch, numbers, entries, rows)
        except Stopped:
            return
        except Exception as error:  # reported by the calling thread
            shared.fail(queue.error(error))
            return
        with shared.lock:
            shared.sends.extend(rows)
            shared.touch()
        if options.interval:
            time.sleep(options.interval)


def start_publishers(
    queue: Queue, shared: Shared, options: PublishOptions
) -> list[threading.Thread]:
    """One started thread per publisher, recording its sends into ``shared``."""
    names = options.client_names()
    prefixes = options.prefixes()
    arguments = [
        (queue, p, names[p], prefixes[p], options, shared) for p in range(options.publishers)
    ]
    return start_threads("publisher", _publisher, arguments)


def sends_frame(shared: Shared) -> pd.DataFrame:
    """The recorded sends, one row each (SEND_COLUMNS), in the order they went."""
    frame = pd.DataFrame(shared.sends, columns=SEND_COLUMNS)
    frame = frame.sort_values(["sent_at", "publisher", "number"], kind="stable")
    frame["number"] = frame["number"].astype("Int64")
    return frame.reset_index(drop=True)


def publish(
    sqs: Any,
    queue_url: str,
    count: int | None = None,
    publishers: int | None = None,
    *,
    publishing: PublishOptions | None = None,
    progress: bool = True,
    **settings: Any,
) -> pd.DataFrame:
    """Send ``count`` (default 100) course messages from each of ``publishers`` (default 1)
    threads; one row per send.

    ``publishing`` (a `PublishOptions`) or its fields as keywords: ``clients``, ``prepend``,
    ``groups``, ``batch``, ``interval``.
    """
    settings = with_positional(settings, count=count, publishers=publishers)
    opts = apply_settings(PublishOptions, publishing, settings, "publish")
    shared = Shared()
    threads = start_publishers(Queue(client_of(sqs), queue_url), shared, opts)
    total = opts.count * opts.publishers
    see_through(threads, shared, lambda: len(shared.sends), total, "sending", progress)
    return sends_frame(shared)
