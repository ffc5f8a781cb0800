"""PurgeQueue (API_PurgeQueue.html): one purge a minute; PurgeQueueInProgress is a 403."""

from __future__ import annotations

import pytest

from tests.emulator.conformance.conftest import error_of


def test_one_purge_a_minute(sqs, make_queue, clock, queue_name):
    """Recorded: code AWS.SimpleQueueService.PurgeQueueInProgress, HTTP 403."""
    url = make_queue()
    sqs.send_message(QueueUrl=url, MessageBody="m")
    sqs.purge_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress) as info:
        sqs.purge_queue(QueueUrl=url)
    assert error_of(info.value) == (
        "AWS.SimpleQueueService.PurgeQueueInProgress",
        f"Only one PurgeQueue operation on {queue_name} is allowed every 60 seconds.",
        403,
    )
    clock.advance(61)
    sqs.purge_queue(QueueUrl=url)
