"""Issue 23's breaks of the SNS side, each now a clear 4xx: no 500, no unreadable XML, no
message silently lost."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from tests.emulator.sns.conftest import bodies

DEEP = "[" * 100_000


def _refused(call, code: str | None = None) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()
    status = caught.value.response["ResponseMetadata"]["HTTPStatusCode"]
    assert 400 <= status < 500, caught.value.response
    if code:
        assert caught.value.response["Error"]["Code"] == code, caught.value.response
    return caught.value


def test_a_number_past_awss_range_is_refused_not_a_500(sns, sqs, make_topic, make_queue):
    topic = make_topic()
    number = {"n": {"DataType": "Number", "StringValue": "1e1000000"}}
    _refused(lambda: sns.publish(TopicArn=topic, Message="m", MessageAttributes=number))
    url = make_queue("n")
    _refused(lambda: sqs.send_message(QueueUrl=url, MessageBody="m", MessageAttributes=number))
    fine = {"n": {"DataType": "Number", "StringValue": "-9.5e125"}}
    sns.publish(TopicArn=topic, Message="m", MessageAttributes=fine)


@pytest.mark.parametrize(
    "where", ["String.Array", "MessageStructure", "Policy", "DataProtectionPolicy", "Redrive"]
)
def test_json_nested_100000_deep_is_refused_not_a_500(sns, make_topic, subscribed, where):
    topic = make_topic()
    if where == "String.Array":
        deep = {"a": {"DataType": "String.Array", "StringValue": DEEP}}
        call = lambda: sns.publish(TopicArn=topic, Message="m", MessageAttributes=deep)  # noqa: E731
    elif where == "MessageStructure":
        call = lambda: sns.publish(TopicArn=topic, Message=DEEP, MessageStructure="json")  # noqa: E731
    elif where == "Redrive":
        _, sub = subscribed(topic, "deep")
        call = lambda: sns.set_subscription_attributes(  # noqa: E731
            SubscriptionArn=sub, AttributeName="RedrivePolicy", AttributeValue=DEEP
        )
    else:
        call = lambda: sns.set_topic_attributes(  # noqa: E731
            TopicArn=topic, AttributeName=where, AttributeValue=DEEP
        )
    _refused(call)


def test_more_than_ten_attributes_are_refused_not_lost(sns, sqs, make_topic, subscribed):
    """599 attributes used to answer 200 while a raw subscriber got nothing."""
    topic = make_topic()
    url, _ = subscribed(topic, "raw", RawMessageDelivery="true")
    many = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(599)}
    error = _refused(lambda: sns.publish(TopicArn=topic, Message="m", MessageAttributes=many))
    assert "[599] exceeds the allowed maximum [10]" in str(error)
    ten = dict(list(many.items())[:10])
    sns.publish(TopicArn=topic, Message="ten", MessageAttributes=ten)
    (got,) = bodies(sqs, url, 1, raw=True)
    assert got["Body"] == "ten" and len(got["MessageAttributes"]) == 10


def test_control_characters_never_reach_the_xml(sns, make_topic):
    """A DisplayName or tag with a control character made every later answer about the
    topic ill-formed XML that boto3 could not parse."""
    topic = make_topic()
    _refused(
        lambda: sns.set_topic_attributes(
            TopicArn=topic, AttributeName="DisplayName", AttributeValue="a\x01b"
        )
    )
    _refused(lambda: sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "k", "Value": "v\x02"}]))
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"] == ""
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == []


def test_the_xml_writer_replaces_what_xml_cannot_carry() -> None:
    import xml.etree.ElementTree as ET

    from labkit.emulator.sns.protocol import encode_result

    document = encode_result("GetTopicAttributes", {"Attributes": {"DisplayName": "a\x01<b>"}})
    parsed = ET.fromstring(document)
    assert "a\ufffd<b>" in "".join(parsed.itertext())


def test_a_filter_policy_over_256_kb_is_refused(sns, make_topic, subscribed):
    topic = make_topic()
    _, sub = subscribed(topic, "big")
    values = [f"value-{i:07d}" for i in range(20_000)]  # about 300 KB
    policy = json.dumps({"kind": [{"anything-but": values}]})
    error = _refused(
        lambda: sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=policy
        ),
        "InvalidParameter",
    )
    assert "256 KB" in str(error)


def test_anything_but_against_a_long_string_array_is_one_lookup_a_value(
    sns, sqs, make_topic, subscribed
):
    """4,000 values against a 4,000-item String.Array took 6 s a Publish (16 million
    comparisons under the topic lock); now it is a set lookup per item."""
    topic = make_topic()
    excluded = [f"x{i}" for i in range(4000)]
    url, _ = subscribed(topic, "ab", FilterPolicy={"kind": [{"anything-but": excluded}]})
    array = json.dumps([f"y{i}" for i in range(4000)])
    attributes = {"kind": {"DataType": "String.Array", "StringValue": array}}
    started = time.perf_counter()
    for _ in range(3):
        sns.publish(TopicArn=topic, Message="m", MessageAttributes=attributes)
    assert time.perf_counter() - started < 3.0  # was about 18 s; generous for a loaded machine
    assert len(bodies(sqs, url, 3)) == 3
    same = {"kind": {"DataType": "String.Array", "StringValue": json.dumps(excluded)}}
    sns.publish(TopicArn=topic, Message="excluded", MessageAttributes=same)
    assert bodies(sqs, url, 1) == []


def test_fifo_topic_deduplication_is_o1_a_publish(sns, make_topic):
    """30,000 live deduplication ids made each PublishBatch scan them all (p50 1.4 -> 41 ms)."""
    from labkit.emulator.sns.topics import Topic

    topic = Topic(
        arn="arn:aws:sns:us-east-1:000000000000:t.fifo",
        name="t.fifo",
        account="000000000000",
        region="us-east-1",
        fifo=True,
        attributes={},
    )
    for i in range(30_000):
        assert topic.seen(f"id-{i}", 0.0) is None
        topic.remember(f"id-{i}", 0.0, f"m{i}", str(i))
    started = time.perf_counter()
    for i in range(1000):
        topic.seen(f"new-{i}", 1.0)
    assert time.perf_counter() - started < 0.5  # a full scan each time took ~3 s
    assert topic.seen("id-5", 1.0) == ("m5", "5")
    topic.seen("anything", 301.0)  # five minutes on: every id expired, and left the store
    assert len(topic.deduplication) == 0
