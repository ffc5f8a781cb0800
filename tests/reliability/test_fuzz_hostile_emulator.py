"""Hostile input to the SQS emulator (the API's half is test_fuzz_hostile.py, which says why).

`make test` replays a fixed (derandomized) 400 requests; `make soak` draws 5,000 new ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labkit.emulator.server import start as start_emulator
from tests.reliability.test_fuzz_hostile import (
    LONG,
    ODD_STRINGS,
    SHORT,
    depth,
    dumps,
    hostile_json,
    hostile_text,
    huge_number,
    nested,
    odd_digit,
)
from tests.reliability.test_sqs_input import ATTRIBUTE_NAMES, PARAMS, call, queue_urls

# ---- the emulator ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emulator() -> Iterator:
    handle = start_emulator(seed=12)
    yield handle
    handle.stop()


NUMERIC = [
    "DelaySeconds",
    "MaxNumberOfMessages",
    "VisibilityTimeout",
    "WaitTimeSeconds",
    "MaxResults",
]


def hostile_sqs_requests(standard: str, fifo: str) -> st.SearchStrategy[tuple[str, bytes]]:
    queue_url = st.sampled_from([standard, fifo])
    odd_number = st.one_of(st.sampled_from(ODD_STRINGS), huge_number, odd_digit)
    message_attributes = st.dictionaries(
        st.sampled_from(["client", "n", "x"]),
        st.fixed_dictionaries(
            {
                "DataType": st.one_of(
                    st.sampled_from(["String", "Number", "Binary", "String.\ud800"]),
                    hostile_text.map(lambda t: "String." + t),
                ),
                "StringValue": st.one_of(hostile_text, odd_number.map(str)),
            }
        ),
        max_size=2,
    )
    attributes = st.dictionaries(
        st.sampled_from(ATTRIBUTE_NAMES),
        st.one_of(
            odd_number.map(str),
            hostile_text,
            depth.map(lambda n: nested(n, '"x"')),
            depth.map(
                lambda n: json.dumps(
                    {"deadLetterTargetArn": nested(n, '"arn"'), "maxReceiveCount": "²"}
                )
            ),
        ),
        max_size=3,
    )

    @st.composite
    def build(draw):
        action = draw(st.sampled_from(sorted({"SendMessage", "ReceiveMessage",
                                              "ChangeMessageVisibility", "CreateQueue",
                                              "SetQueueAttributes", "SendMessageBatch",
                                              "ListQueues", "GetQueueAttributes"})))  # fmt: skip
        params: dict = {"QueueUrl": draw(queue_url)}
        if action == "CreateQueue":
            params = {"QueueName": draw(hostile_text), "Attributes": draw(attributes)}
        for name in draw(st.lists(st.sampled_from(PARAMS), max_size=4, unique=True)):
            if name in NUMERIC:
                params[name] = draw(odd_number)
            elif name == "MessageAttributes":
                params[name] = draw(message_attributes)
            elif name == "Attributes":
                params[name] = draw(attributes)
            elif name != "QueueUrl":
                params[name] = draw(hostile_json)
        if action == "SendMessageBatch":
            params["Entries"] = [
                {"Id": "a", "MessageBody": "x", "DelaySeconds": draw(odd_number),
                 "MessageAttributes": draw(message_attributes)}
            ]  # fmt: skip
        if action == "ReceiveMessage":
            params["WaitTimeSeconds"] = draw(st.sampled_from([0, "²", "٣", "0"]))
        shape = draw(st.sampled_from(["object"] * 6 + ["deep"]))
        body = dumps(params) if shape == "object" else nested(draw(depth)).encode()
        return f"AmazonSQS.{action}", body

    return build()


def _emulator_fuzz(emulator, config: settings) -> dict[int, int]:
    standard, fifo = queue_urls(emulator)
    seen: dict[int, int] = {}

    @config
    @given(hostile_sqs_requests(standard, fifo))
    def run(request: tuple[str, bytes]) -> None:
        target, body = request
        status, raw = call(emulator.url, target, body)
        seen[status] = seen.get(status, 0) + 1
        assert status in (200, 400, 404, 413), (status, target, body[:200], raw[:300])
        if status != 200:
            payload = json.loads(raw)
            assert "__type" in payload and payload.get("message"), (target, body[:200], raw)

    run()
    assert call(emulator.url, "AmazonSQS.ListQueues", b"{}")[0] == 200  # still serving
    return seen


def test_hostile_requests_to_the_emulator(emulator) -> None:
    seen = _emulator_fuzz(emulator, SHORT)
    print(f"\nemulator hostile fuzz: answers by status {dict(sorted(seen.items()))}")
    assert sum(seen.values()) >= 400 and 200 in seen and 400 in seen


@pytest.mark.soak
@pytest.mark.timeout(1800)
def test_hostile_requests_to_the_emulator_long(emulator) -> None:
    seen = _emulator_fuzz(emulator, LONG)
    print(f"\nemulator hostile fuzz (soak): answers by status {dict(sorted(seen.items()))}")
    assert sum(seen.values()) >= 5000
