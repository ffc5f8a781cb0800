"""The FIFO queue's stores are bounded and O(1) a request (issue 23): receive attempt ids
expire after five minutes (AWS's rule) and at most `MAX_ATTEMPTS` stay; deduplication ids
expire from the front and at most `MAX_DEDUP_IDS` live ones are kept (RequestThrottled past
that)."""

from __future__ import annotations

import random
import time

import pytest

from labkit.emulator.sqs.errors import SQSError
from labkit.emulator.sqs.queues import MAX_ATTEMPTS, MAX_DEDUP_IDS, FifoQueue


def _queue() -> FifoQueue:
    arn = "arn:aws:sqs:us-east-1:000000000000:q.fifo"
    return FifoQueue("q.fifo", arn, {"FifoQueue": "true"}, 0.0, random.Random(1))


def test_receive_attempt_ids_expire_and_are_bounded() -> None:
    queue = _queue()
    for i in range(34_093):  # the count of fresh attempt ids
        queue.remember_attempt(f"attempt-{i}", 0.0, [], [{"Body": "x"}])
    assert len(queue._attempts) == MAX_ATTEMPTS
    assert queue.repeat_attempt("attempt-34092", 299.0) == [{"Body": "x"}]
    assert queue.repeat_attempt("attempt-0", 1.0) is None  # the oldest went first
    assert queue.repeat_attempt("attempt-34092", 300.0) is None  # five minutes: expired
    assert len(queue._attempts) == 0


def test_deduplication_ids_are_o1_and_bounded() -> None:
    queue = _queue()
    for i in range(30_000):
        key = queue.dedup_key("g", f"d{i}")
        assert queue.seen(key, 0.0) is None
        queue.remember(key, 0.0, f"m{i}", str(i))
    started = time.perf_counter()
    for i in range(2_000):
        queue.seen(queue.dedup_key("g", f"new{i}"), 1.0)
    assert time.perf_counter() - started < 0.5  # a lookup, not a scan of 30,000 ids
    assert queue.seen(queue.dedup_key("g", "d7"), 1.0) == ("m7", "7")
    queue.seen(queue.dedup_key("g", "x"), 300.0)  # the window passed: every id left
    assert len(queue._dedup) == 0


def test_a_full_deduplication_store_throttles_instead_of_growing() -> None:
    queue = _queue()
    for i in range(MAX_DEDUP_IDS):
        queue.remember(("", f"d{i}"), 0.0, "m", "1")
    with pytest.raises(SQSError) as caught:
        queue.remember(("", "one-more"), 0.0, "m", "1")
    assert caught.value.code == "RequestThrottled" and caught.value.status == 403
    queue.seen(("", "anything"), 300.0)
    queue.remember(("", "one-more"), 300.0, "m", "1")  # five minutes on there is room again
