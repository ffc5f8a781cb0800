"""Putting a lesson's queues and emulator in a known state: `start_clean`, `drain`,
`is_emulator`, `advance_clock`, `seed_emulator`.

A lesson calls these between runs so a re-run starts from the same place: empty queues, FIFO
deduplication forgotten, the emulator's clock moved on, its random choices seeded. The
emulator's admin routes (AWS has no such thing) go through the client's `QueueContext`
(`labkit.stack.context`, built once by `Lab`), scoped to the account ``sqs`` acts in (a kernel's own): one notebook moving its clock or
emptying its queues leaves every other notebook's alone. Importing this loads no pandas.
"""

from __future__ import annotations

from typing import Any

from labkit.lessons.engine.queue_errors import admin_errors, queue_error
from labkit.lessons.engine.receiving import receive_all
from labkit.stack.context import QueueContext, context_of

#: The FIFO deduplication interval, seconds (AWS: 5 minutes).
DEDUP_INTERVAL = 300


def drain(sqs: Any, queue_url: str, timeout: float = 30.0, empty_replies: int | None = None) -> int:
    """Delete every message visible in the queue now; returns how many went.

    An empty reply to a short poll proves nothing (it asks only some of SQS's servers), so this
    long-polls, which asks them all, and stops after ``empty_replies`` empty replies in a row:
    one on the lab's emulator (its long poll sees every message), two on AWS. PurgeQueue would
    be quicker, but AWS allows it once a minute per queue.
    """
    context = context_of(sqs)
    if empty_replies is None:
        empty_replies = 1 if context.emulator else 2
    try:
        gone = receive_all(
            context.sqs, queue_url, limit=None, empty_replies=empty_replies, timeout=timeout
        )
    except Exception as error:
        raise queue_error(error, context, queue_url) from error
    return len(gone)


def is_emulator(sqs: Any) -> bool:
    """True when ``sqs`` talks to the lab's emulator (which has admin routes) rather than AWS."""
    return context_of(sqs).emulator


def advance_clock(sqs: Any, seconds: float) -> float:
    """Move the emulator's clock forward (dedup windows, visibility timeouts, delays expire as
    if ``seconds`` had passed); returns the emulator's new time. Embedded stack only."""
    with admin_errors():
        return context_of(sqs).admin.advance_clock(seconds)


def seed_emulator(sqs: Any, seed: int) -> None:
    """Seed the emulator's random choices (the order a standard queue hands messages out) in
    this client's account; the experiments that follow take turns so the seed repeats them."""
    context = context_of(sqs)
    with admin_errors():
        context.admin.seed(seed)
    context.seed = int(seed)


def queue_counts(sqs: Any, queue_url: str) -> dict[str, int]:
    """Messages in the queue now: ``visible`` (waiting) and ``in flight`` (received, not yet
    deleted). Both are approximate on AWS (eventually consistent)."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    client = context_of(sqs).sqs
    attrs = client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return {"visible": int(attrs[names[0]]), "in flight": int(attrs[names[1]])}


def queue_depth(sqs: Any, queue_url: str) -> int:
    """Messages in the queue, visible and in flight (`queue_counts` added up)."""
    return sum(queue_counts(sqs, queue_url).values())


def start_clean(sqs: Any, *queue_urls: str, seed: int | None = None) -> str:
    """Empty ``queue_urls`` so a lesson can be re-run; returns one line saying what was done.

    On the emulator each queue is emptied (visible, in flight and delayed messages) and its
    FIFO deduplication forgotten, in this kernel's account only, and ``seed`` seeds this
    account's random choices; no clock moves, so other notebooks running beside this one are
    not disturbed. On AWS the queues are only drained (`drain`): re-sending the same bodies to
    a FIFO queue within 5 minutes is deduplicated there (use a different ``prepend``).
    """
    context: QueueContext = context_of(sqs)
    urls = list(dict.fromkeys(queue_urls))
    if context.emulator:
        if seed is not None:
            seed_emulator(context, seed)
        with admin_errors():
            removed = sum(context.admin.empty_queue(url) for url in urls)
    else:
        removed = sum(drain(context, url, empty_replies=2) for url in urls)
    where = "emulator dedup forgotten" if context.emulator else "AWS: drained only"
    return f"{len(queue_urls)} queue(s) emptied ({removed} old message(s) removed); {where}"
