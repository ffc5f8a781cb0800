"""Bad input to the SQS emulator, generated: any action, any parameter of any type.

The conformance suite (tests/emulator/test_protocol.py) checks named cases; here hypothesis throws
hundreds of bodies built from the real parameter names with values of every JSON type, and
raw bytes. Every answer must be 200 or an AWS-shaped 4xx (``__type`` and ``message``), and the
server must keep serving.
"""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labkit.emulator.server import start
from labkit.emulator.sqs.actions import ACTIONS

PARAMS = [
    "QueueUrl", "QueueName", "QueueNamePrefix", "MessageBody", "DelaySeconds", "Entries",
    "MaxNumberOfMessages", "VisibilityTimeout", "ReceiptHandle", "Attributes",
    "AttributeNames", "MessageAttributes", "MessageAttributeNames", "MessageSystemAttributeNames",
    "MessageGroupId", "MessageDeduplicationId", "ReceiveRequestAttemptId", "Tags", "TagKeys",
    "NextToken", "MaxResults", "Id", "WaitTimeSeconds",
]  # fmt: skip
ATTRIBUTE_NAMES = [
    "VisibilityTimeout", "DelaySeconds", "MessageRetentionPeriod", "MaximumMessageSize",
    "FifoQueue", "ContentBasedDeduplication", "RedrivePolicy", "Policy", "All", "Nonsense",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**64), 2**64),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["", "0", "-1", "true", "\x00", "x" * 300, "1e9"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


def long_poll(name: str, value: object) -> bool:
    """A WaitTimeSeconds that would make a receive wait (keeps the run fast, not a finding)."""
    return name == "WaitTimeSeconds" and (
        isinstance(value, int | float | str) and str(value).strip() not in ("", "0")
    )


@pytest.fixture(scope="module")
def emulator() -> Iterator:
    handle = start(seed=11)
    yield handle
    handle.stop()


def call(url: str, target: str | None, body: bytes, content_type: str | None = None):
    parsed = urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    headers = {"Content-Type": content_type or "application/x-amz-json-1.0"}
    if target is not None:
        headers["X-Amz-Target"] = target
    try:
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def queue_urls(emulator) -> tuple[str, str]:
    urls = []
    for name, attrs in (("fuzz-std", {}), ("fuzz.fifo", {"FifoQueue": "true"})):
        body = json.dumps({"QueueName": name, "Attributes": attrs}).encode()
        status, raw = call(emulator.url, "AmazonSQS.CreateQueue", body)
        assert status == 200, raw
        urls.append(json.loads(raw)["QueueUrl"])
    return urls[0], urls[1]


def requests_strategy(standard: str, fifo: str) -> st.SearchStrategy:
    queue_url = st.sampled_from([standard, fifo, "http://x/000000000000/missing", "", "/"])
    value = st.one_of(queue_url, json_values)
    entry = st.dictionaries(
        st.sampled_from(["Id", "MessageBody", "ReceiptHandle", "VisibilityTimeout", "Junk"]),
        json_values,
        max_size=4,
    )
    entries = st.lists(entry, max_size=12) | json_values
    attributes = st.dictionaries(st.sampled_from(ATTRIBUTE_NAMES), json_values, max_size=3)

    @st.composite
    def build(draw):
        action = draw(st.sampled_from(sorted(ACTIONS) + ["Explode", "receivemessage", ""]))
        params = {}
        for name in draw(st.lists(st.sampled_from(PARAMS), max_size=6, unique=True)):
            if name == "QueueUrl":
                params[name] = draw(queue_url)
            elif name == "Entries":
                params[name] = draw(entries)
            elif name == "Attributes":
                params[name] = draw(attributes | json_values)
            else:
                params[name] = draw(value)
            if long_poll(name, params[name]):
                params[name] = 0
        shape = draw(st.sampled_from(["object"] * 8 + ["json", "bytes"]))
        if shape == "object":
            body = json.dumps(params).encode()
        elif shape == "json":
            body = json.dumps(draw(json_values)).encode()
        else:
            body = draw(st.binary(max_size=100))
        return f"AmazonSQS.{action}", body

    return build()


def test_generated_requests_get_aws_shaped_answers(emulator) -> None:
    standard, fifo = queue_urls(emulator)
    seen: dict[int, int] = {}

    @settings(
        max_examples=600,
        deadline=None,
        database=None,
        derandomize=os.environ.get("CI") == "true",  # CI replays; local runs explore
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(requests_strategy(standard, fifo))
    def run(request: tuple[str, bytes]) -> None:
        target, body = request
        status, raw = call(emulator.url, target, body)
        seen[status] = seen.get(status, 0) + 1
        assert status in (200, 400, 403, 404, 413), (status, target, body[:200], raw[:300])
        payload = json.loads(raw or b"{}")
        if status != 200:
            assert "__type" in payload and payload.get("message"), (target, body[:200], raw)

    run()
    print(f"\nemulator fuzz: answers by status {dict(sorted(seen.items()))}")
    assert sum(seen.values()) >= 500 and 200 in seen and 400 in seen
    assert call(emulator.url, "AmazonSQS.ListQueues", b"{}")[0] == 200  # still serving


@pytest.mark.parametrize(
    ("target", "body", "content_type"),
    [
        ("AmazonSQS.SendMessage", b'{"QueueUrl": "x", "MessageBody": "\xff\xfe"}', None),
        (
            "AmazonSQS.SendMessage",
            '{"MessageBody": "\ud800"}'.encode("utf-8", "surrogatepass"),
            None,
        ),
        ("AmazonSQS.ListQueues", b"{}", "text/plain"),
        (None, b"", "application/x-www-form-urlencoded"),
        ("AmazonSQS.ListQueues", b'{"MaxResults": 1e999}', None),
        ("AmazonSQS.ListQueues", b"[" * 5000 + b"]" * 5000, None),
    ],
)
def test_odd_bodies_are_refused_cleanly(emulator, target, body, content_type) -> None:
    status, raw = call(emulator.url, target, body, content_type)
    assert status < 500, raw
    assert call(emulator.url, "AmazonSQS.ListQueues", b"{}")[0] == 200
