"""The emulator's HTTP layer under abuse: its clock, idle connections, lengths and nesting."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from labkit.emulator.server import MAX_CLOCK_ADVANCE, start
from labkit.stack.clients import emulator_client
from labkit.waiting import eventually
from tests.reliability.test_web_origin import call

ADMIN = {"Content-Type": "application/json"}
SQS_JSON = {"Content-Type": "application/x-amz-json-1.0"}


@pytest.fixture
def emulator() -> Iterator:
    handle = start(seed=5, idle_timeout=1.0)
    yield handle
    handle.stop()


def sqs(handle):  # noqa: ANN201 - boto3 client
    return emulator_client(handle.url, retries={"max_attempts": 1})


def admin(handle, route: str, payload: object) -> tuple[int, dict]:
    status, _, body = call(
        handle.port, "POST", f"/_labkit/{route}", json.dumps(payload).encode(), ADMIN
    )
    return status, json.loads(body)


@pytest.mark.parametrize(
    "advance", [1e300, MAX_CLOCK_ADVANCE + 1, -1, "1", True, None, [1]], ids=repr
)
def test_clock_moves_a_bounded_finite_amount(emulator, advance: object) -> None:
    status, body = admin(emulator, "clock", {"advance": advance})
    assert status == 400, body
    assert "year" in body["error"]
    assert emulator.clock.offset == 0
    for raw in (b'{"advance": Infinity}', b'{"advance": NaN}', b'{"advance": 1e999}'):
        status, _, _ = call(emulator.port, "POST", "/_labkit/clock", raw, ADMIN)
        assert status == 400
    assert emulator.clock.offset == 0


def test_a_year_is_accepted_and_reset_undoes_every_clock_move(emulator) -> None:
    client = sqs(emulator)
    assert admin(emulator, "clock", {"advance": MAX_CLOCK_ADVANCE})[0] == 200
    assert admin(emulator, "clock", {"advance": MAX_CLOCK_ADVANCE})[0] == 200
    assert emulator.clock.offset == 2 * MAX_CLOCK_ADVANCE
    status, body = admin(emulator, "reset", {})
    assert status == 200 and body["offset"] == 0
    assert emulator.clock.offset == 0
    # After the reset the emulator runs on real time again: messages are kept and delivered.
    url = client.create_queue(QueueName="after-reset")["QueueUrl"]
    client.send_message(QueueUrl=url, MessageBody="still here")
    got = client.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in got] == ["still here"]


@pytest.mark.parametrize("length", ["٣", "²", "1_0", "+5", "5 5", "0x10", "-1", "99999999999999"])
def test_content_length_is_ascii_digits(emulator, length: str) -> None:
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as conn:
        conn.sendall(
            (
                "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AmazonSQS.ListQueues\r\n"
                f"Content-Type: application/x-amz-json-1.0\r\nContent-Length: {length}\r\n\r\n{{}}"
            ).encode()
        )
        status_line = conn.makefile("rb").readline()
    assert status_line.split()[1] in (b"400", b"413"), status_line


@pytest.mark.parametrize("depth", [65, 100_000])
def test_nesting_is_bounded_before_parsing(emulator, depth: int) -> None:
    body = ("[" * depth + "]" * depth).encode()
    wrapped = b'{"QueueName": ' + body + b"}"
    headers = SQS_JSON | {"X-Amz-Target": "AmazonSQS.CreateQueue"}
    status, _, reply = call(emulator.port, "POST", "/", wrapped, headers)
    assert status == 400 and b"SerializationException" in reply
    status, _, _ = call(emulator.port, "POST", "/_labkit/config", wrapped, ADMIN)
    assert status == 400
    # Brackets inside strings do not count: a deeply bracketed message body is fine.
    url = sqs(emulator).create_queue(QueueName="brackets")["QueueUrl"]
    sqs(emulator).send_message(QueueUrl=url, MessageBody="[" * 5000)


def _threads() -> int:
    return threading.active_count()


def test_idle_and_half_open_connections_end(emulator) -> None:
    """1,500 connections that send nothing (or half a request) are closed after the idle
    timeout, and their threads end with them; the emulator answers throughout."""
    baseline = _threads()
    conns = []
    try:
        for i in range(1500):
            conn = socket.create_connection(("127.0.0.1", emulator.port), timeout=5)
            if i % 2:
                conn.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # half a request
            conns.append(conn)
        assert sqs(emulator).list_queues().get("QueueUrls", []) == []
        assert eventually(lambda: _threads() <= baseline + 5, 30, poll=0.1), (
            f"{_threads() - baseline} threads still held"
        )
        assert all(conn.recv(1024) == b"" for conn in conns[:50])  # closed by the server
    finally:
        for conn in conns:
            conn.close()
    assert sqs(emulator).list_queues().get("QueueUrls", []) == []


def test_a_long_poll_outlasts_the_idle_timeout(emulator) -> None:
    client = sqs(emulator)
    url = client.create_queue(QueueName="long-poll")["QueueUrl"]
    started = time.monotonic()
    reply = client.receive_message(QueueUrl=url, WaitTimeSeconds=3)
    assert reply.get("Messages", []) == []
    assert time.monotonic() - started >= 2.9
