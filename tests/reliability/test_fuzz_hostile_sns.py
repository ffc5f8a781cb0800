"""Hostile input to the emulator's SNS side (the query protocol: forms in, XML out).

Every answer must be under 500 and well-formed XML botocore can read (an error is an
``ErrorResponse`` with a code and a message). The values are the SQS fuzz's hostile text and
numbers plus what broke SNS before (issue 23): numbers past any range, JSON nested 100,000
deep, hundreds of message attributes, control characters, anything-but lists against long
String.Arrays. `make test` replays a fixed 400 requests; `make soak` draws 5,000 new ones.
"""

from __future__ import annotations

import http.client
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from urllib.parse import urlencode, urlparse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labkit.emulator.server import start as start_emulator
from tests.reliability.test_fuzz_hostile import (
    LONG,
    ODD_STRINGS,
    SHORT,
    depth,
    hostile_text,
    huge_number,
    nested,
)

ACTIONS = [
    "Publish", "PublishBatch", "CreateTopic", "SetTopicAttributes", "GetTopicAttributes",
    "Subscribe", "SetSubscriptionAttributes", "TagResource", "ListTagsForResource",
    "ListTopics", "ListSubscriptionsByTopic", "Unsubscribe", "DeleteTopic",
]  # fmt: skip
# What broke SNS before (issue 23), drawn as often as anything else.
KNOWN_BREAKS = ["1e1000000", "-1E+999999999", "[" * 100_000, "a\x01b", "\x1b[2J", "\ufffe"]
TOPIC_ATTRIBUTES = ["DisplayName", "Policy", "DeliveryPolicy", "DataProtectionPolicy", "Junk"]
SUBSCRIPTION_ATTRIBUTES = ["FilterPolicy", "FilterPolicyScope", "RawMessageDelivery",
                           "RedrivePolicy", "Junk"]  # fmt: skip


@pytest.fixture(scope="module")
def emulator() -> Iterator:
    handle = start_emulator(seed=23)
    yield handle
    handle.stop()


def post(url: str, form: list[tuple[str, str]]) -> tuple[int, bytes]:
    parsed = urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    body = urlencode(form, encoding="utf-8", errors="surrogatepass").encode()
    try:
        conn.request("POST", "/", body, {"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _fixtures(url: str) -> dict[str, str]:
    """A standard and a FIFO topic, a queue subscribed to the first (raw delivery)."""
    arns = {}
    for key, name, extra in (("std", "fuzz", []), ("fifo", "fuzz.fifo", [
        ("Attributes.entry.1.key", "FifoTopic"), ("Attributes.entry.1.value", "true"),
        ("Attributes.entry.2.key", "ContentBasedDeduplication"),
        ("Attributes.entry.2.value", "true")])):  # fmt: skip
        status, raw = post(url, [("Action", "CreateTopic"), ("Name", name), *extra])
        assert status == 200, raw
        arns[key] = ET.fromstring(raw).find(".//{*}TopicArn").text
    queue = "arn:aws:sqs:us-east-1:000000000000:sns-fuzz"
    from labkit.stack.clients import emulator_client

    emulator_client(url).create_queue(QueueName="sns-fuzz")
    status, raw = post(url, [("Action", "Subscribe"), ("TopicArn", arns["std"]),
                             ("Protocol", "sqs"), ("Endpoint", queue),
                             ("Attributes.entry.1.key", "RawMessageDelivery"),
                             ("Attributes.entry.1.value", "true")])  # fmt: skip
    assert status == 200, raw
    arns["sub"] = ET.fromstring(raw).find(".//{*}SubscriptionArn").text
    return arns


def hostile_sns_forms(arns: dict[str, str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    arn = st.one_of(st.sampled_from(list(arns.values())), hostile_text)
    deep = depth.map(lambda n: nested(n, '"x"'))
    known = st.sampled_from(KNOWN_BREAKS)
    value = st.one_of(
        known, known, hostile_text, huge_number.map(str), deep, st.sampled_from(ODD_STRINGS)
    )
    long_array = st.integers(1, 5000).map(lambda n: json.dumps([f"v{i}" for i in range(n)]))
    filter_policy = st.one_of(
        deep,
        long_array.map(lambda a: json.dumps({"k": [{"anything-but": json.loads(a)}]})),
        st.just(json.dumps({"k": [{"numeric": [">", 1e308]}]})),
    )

    @st.composite
    def build(draw) -> list[tuple[str, str]]:
        action = draw(st.sampled_from(ACTIONS + ACTIONS[:4] * 2))  # writes more often
        form = [("Action", action), ("TopicArn", draw(arn))]
        if action in ("Publish", "PublishBatch"):
            prefix = "PublishBatchRequestEntries.member.1." if action == "PublishBatch" else ""
            if prefix:
                form.append((prefix + "Id", draw(st.sampled_from(["a", "", "\x01"]))))
            form.append((prefix + "Message", draw(st.one_of(value, deep))))
            if draw(st.booleans()):
                form.append((prefix + "MessageStructure", "json"))
            count = draw(st.sampled_from([1, 2, 11, 599]))
            kind = draw(st.sampled_from(["String", "Number", "String.Array", "Binary", "Junk"]))
            for i in range(1, count + 1):
                item = f"{prefix}MessageAttributes.entry.{i}."
                text = draw(st.one_of(value, long_array)) if i <= 2 else "v"
                form += [(item + "Name", f"a{i}"), (item + "Value.DataType", kind),
                         (item + "Value.StringValue", text)]  # fmt: skip
            form.append((prefix + "MessageGroupId", draw(st.sampled_from(["g", "", "\x00"]))))
        elif action in ("SetTopicAttributes", "SetSubscriptionAttributes"):
            names = TOPIC_ATTRIBUTES if action == "SetTopicAttributes" else SUBSCRIPTION_ATTRIBUTES
            name = draw(st.sampled_from(names))
            given = draw(filter_policy) if name == "FilterPolicy" else draw(value)
            form += [("AttributeName", name), ("AttributeValue", given),
                     ("SubscriptionArn", draw(arn))]  # fmt: skip
        elif action == "TagResource":
            form += [("ResourceArn", draw(arn)), ("Tags.member.1.Key", draw(value)),
                     ("Tags.member.1.Value", draw(value))]  # fmt: skip
        elif action in ("CreateTopic", "Subscribe"):
            form += [("Name", draw(value)), ("Protocol", draw(st.sampled_from(["sqs", "x"]))),
                     ("Endpoint", draw(arn))]  # fmt: skip
        elif action in ("Unsubscribe", "ListTagsForResource"):
            form += [("SubscriptionArn", draw(arn)), ("ResourceArn", draw(arn))]
        return form

    return build()


def _sns_fuzz(emulator, config: settings) -> dict[int, int]:
    arns = _fixtures(emulator.url)
    seen: dict[int, int] = {}

    @config
    @given(hostile_sns_forms(arns))
    def run(form: list[tuple[str, str]]) -> None:
        status, raw = post(emulator.url, form)
        seen[status] = seen.get(status, 0) + 1
        assert status < 500, (status, form[:4], raw[:300])
        document = ET.fromstring(raw)  # well-formed: botocore can read it
        if status >= 400:
            assert document.find(".//{*}Code").text and document.find(".//{*}Message") is not None
        # What a write stored must read back as well-formed XML too (a read stored nothing).
        if form and form[0][0] == "Action" and form[0][1].startswith(("Get", "List")):
            return
        for topic in (arns["std"], arns["fifo"]):
            for action in ("GetTopicAttributes", "ListTagsForResource"):
                status, raw = post(emulator.url, [("Action", action), ("TopicArn", topic),
                                                  ("ResourceArn", topic)])  # fmt: skip
                assert status in (200, 404), raw[:300]  # 404: a drawn DeleteTopic took it
                ET.fromstring(raw)
        if any(action == ("Action", "DeleteTopic") for action in form[:1]):
            _fixtures(emulator.url)  # the same ARNs again, so later requests reach a topic

    run()
    assert post(emulator.url, [("Action", "ListTopics")])[0] == 200  # still serving
    return seen


def test_hostile_requests_to_sns(emulator) -> None:
    seen = _sns_fuzz(emulator, SHORT)
    print(f"\nSNS hostile fuzz: answers by status {dict(sorted(seen.items()))}")
    assert sum(seen.values()) >= 400 and 200 in seen and 400 in seen


@pytest.mark.soak
@pytest.mark.timeout(3600)
def test_hostile_requests_to_sns_long(emulator) -> None:
    seen = _sns_fuzz(emulator, LONG)
    print(f"\nSNS hostile fuzz (soak): answers by status {dict(sorted(seen.items()))}")
    assert sum(seen.values()) >= 5000 and not [s for s in seen if s >= 500]
