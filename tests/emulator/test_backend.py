"""The SQS backend's entry for other services (`SQSBackend.deliver`, what SNS calls) and the
admin route table, each exercised on a real backend or server of its own."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from labkit.emulator.admin import HEALTH, ROUTES
from labkit.emulator.sqs.backend import SQSBackend
from labkit.emulator.sqs.errors import SQSError
from labkit.emulator.sqs.message_actions import renderer

ACCOUNT, REGION = "123456789012", "eu-west-1"


def _receive(backend: SQSBackend, name: str) -> list[dict]:
    queue = backend.queue(ACCOUNT, REGION, name)
    return backend.receive_messages(queue, 10, 30, 0, renderer({"All"}, ["All"]))


def test_deliver_stores_what_a_receive_hands_out() -> None:
    backend = SQSBackend(seed=1)
    queue = backend.create_queue(ACCOUNT, REGION, "orders", False, {}, {})
    attrs = {"event": {"DataType": "String", "StringValue": "placed"}}
    sent = backend.deliver(queue.arn, "order 1", attrs)
    [got] = _receive(backend, "orders")
    assert (got["MessageId"], got["Body"]) == (sent.message_id, "order 1")
    assert got["MessageAttributes"] == attrs
    assert got["Attributes"]["SenderId"] == ACCOUNT  # the queue's account by default


def test_deliver_refuses_as_send_message_does() -> None:
    backend = SQSBackend(seed=1)
    small = backend.create_queue(
        ACCOUNT, REGION, "small", False, {"MaximumMessageSize": "1024"}, {}
    )
    with pytest.raises(SQSError) as gone:
        backend.deliver(small.arn.replace("small", "gone"), "x")
    assert gone.value.shape == "QueueDoesNotExist"
    with pytest.raises(SQSError, match="Message must be shorter than 1024 bytes"):
        backend.deliver(small.arn, "x" * 1025)
    with pytest.raises(SQSError, match="Invalid characters"):
        backend.deliver(small.arn, "bad \x00")
    fifo = backend.create_queue(ACCOUNT, REGION, "f.fifo", True, {"FifoQueue": "true"}, {})
    with pytest.raises(SQSError, match="MessageGroupId"):
        backend.deliver(fifo.arn, "x", dedup_id="d")
    assert _receive(backend, "small") == []


def test_deliver_to_fifo_deduplicates() -> None:
    backend = SQSBackend(seed=1)
    fifo = backend.create_queue(ACCOUNT, REGION, "f.fifo", True, {"FifoQueue": "true"}, {})
    first = backend.deliver(fifo.arn, "a", group_id="g", dedup_id="d")
    again = backend.deliver(fifo.arn, "b", group_id="g", dedup_id="d")
    assert again.deduplicated and again.message_id == first.message_id
    assert [m["Body"] for m in _receive(backend, "f.fifo")] == ["a"]


@pytest.fixture
def emulator() -> Iterator[str]:
    from labkit.emulator.server import start

    handle = start(seed=1)
    try:
        yield handle.url
    finally:
        handle.stop()


def _request(url: str, method: str, path: str) -> int:
    parsed = urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    try:
        body = b"{}" if method == "POST" else None
        conn.request(method, path, body, {"Content-Type": "application/json"})
        reply = conn.getresponse()
        json.loads(reply.read())
        return reply.status
    finally:
        conn.close()


def test_every_route_in_the_table_is_answered(emulator: str) -> None:
    for path, route in ROUTES.items():
        for method in route.methods:
            assert _request(emulator, method, path) == 200, (method, path)
    assert _request(emulator, "POST", HEALTH.path) == 404  # a method the table does not list
