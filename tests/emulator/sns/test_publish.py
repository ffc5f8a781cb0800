"""Publish and PublishBatch over HTTP, and what each subscribed queue receives."""

from __future__ import annotations

import base64
import json
import re
import urllib.request

import pytest
from botocore.exceptions import ClientError

from labkit.stack.clients import emulator_client
from labkit.terraform.topics import allow_topic
from tests.emulator.sns.conftest import bodies, queue_arn

ATTRS = {
    "event": {"DataType": "String", "StringValue": "order_placed"},
    "price": {"DataType": "Number", "StringValue": "210.75"},
    "tags": {"DataType": "String.Array", "StringValue": '["a", "b"]'},
    "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
}


def test_fan_out_each_queue_gets_a_copy(sns, sqs, make_topic, subscribed):
    topic = make_topic()
    queues = [subscribed(topic, f"-{n}")[0] for n in ("billing", "shipping", "email")]
    ids = [sns.publish(TopicArn=topic, Message=f"order {i}")["MessageId"] for i in range(5)]
    for url in queues:
        got = bodies(sqs, url, 5)
        assert sorted(m["MessageId"] for m in got) == sorted(ids)
        assert sorted(m["Message"] for m in got) == [f"order {i}" for i in range(5)]


def test_envelope_fields(sns, sqs, make_topic, subscribed, sqs_endpoint):
    topic = make_topic()
    url, sub = subscribed(topic, "-a")
    message_id = sns.publish(
        TopicArn=topic, Message="hello", Subject="Greeting", MessageAttributes=ATTRS
    )["MessageId"]
    [received] = bodies(sqs, url, 1, raw=True)
    assert "MessageAttributes" not in received  # they travel inside the envelope
    note = json.loads(received["Body"])
    assert list(note) == [
        "Type",
        "MessageId",
        "TopicArn",
        "Subject",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "UnsubscribeURL",
        "MessageAttributes",
    ]
    assert note["Type"] == "Notification"
    assert note["MessageId"] == message_id
    assert note["TopicArn"] == topic
    assert (note["Subject"], note["Message"]) == ("Greeting", "hello")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", note["Timestamp"])
    assert note["SignatureVersion"] == "1" and base64.b64decode(note["Signature"])
    assert note["UnsubscribeURL"].startswith(sqs_endpoint + "/?Action=Unsubscribe")
    assert note["MessageAttributes"] == {
        "event": {"Type": "String", "Value": "order_placed"},
        "price": {"Type": "Number", "Value": "210.75"},
        "tags": {"Type": "String.Array", "Value": '["a", "b"]'},
        "blob": {"Type": "Binary", "Value": base64.b64encode(b"\x00\x01").decode()},
    }
    # the envelope's UnsubscribeURL works, as AWS's does (a GET)
    with urllib.request.urlopen(note["UnsubscribeURL"], timeout=10) as answer:
        assert answer.status == 200 and b"UnsubscribeResponse" in answer.read()
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_subscription_attributes(SubscriptionArn=sub)


def test_raw_delivery_keeps_body_and_attributes(sns, sqs, make_topic, subscribed):
    topic = make_topic()
    url, _ = subscribed(topic, "-raw", RawMessageDelivery="true")
    sns.publish(TopicArn=topic, Message='{"id": 7}', Subject="ignored", MessageAttributes=ATTRS)
    [received] = bodies(sqs, url, 1, raw=True)
    assert received["Body"] == '{"id": 7}'
    attrs = received["MessageAttributes"]
    assert attrs["event"] == {"StringValue": "order_placed", "DataType": "String"}
    assert attrs["price"] == {"StringValue": "210.75", "DataType": "Number"}
    assert attrs["tags"]["DataType"] == "String.Array"
    assert attrs["blob"] == {"BinaryValue": b"\x00\x01", "DataType": "Binary"}


def test_message_structure_json_picks_the_sqs_entry(sns, sqs, make_topic, subscribed):
    topic = make_topic()
    url, _ = subscribed(topic, "-a")
    raw_url, _ = subscribed(topic, "-b", RawMessageDelivery="true")
    sns.publish(
        TopicArn=topic,
        MessageStructure="json",
        Message=json.dumps({"default": "for everyone", "sqs": "for queues"}),
    )
    assert bodies(sqs, url, 1)[0]["Message"] == "for queues"
    assert bodies(sqs, raw_url, 1, raw=True)[0]["Body"] == "for queues"
    with pytest.raises(sns.exceptions.InvalidParameterException, match="No default entry"):
        sns.publish(TopicArn=topic, MessageStructure="json", Message='{"sqs": "x"}')


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"Message": ""}, "InvalidParameter"),
        ({"Message": "x" * 262_145}, "InvalidParameter"),
        ({"Message": "x", "Subject": "two\nlines"}, "InvalidParameter"),
        ({"Message": "x", "Subject": "s" * 101}, "InvalidParameter"),
        ({"Message": "x", "MessageStructure": "xml"}, "InvalidParameter"),
        ({"Message": "x", "MessageDeduplicationId": "d"}, "InvalidParameter"),
        (
            {
                "Message": "x",
                "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "ten"}},
            },
            "ParameterValueInvalid",
        ),
        (
            {"Message": "x", "MessageAttributes": {"n": {"DataType": "Date", "StringValue": "1"}}},
            "ParameterValueInvalid",
        ),
        (
            {
                "Message": "x",
                "MessageAttributes": {"AWS.x": {"DataType": "String", "StringValue": "1"}},
            },
            "ParameterValueInvalid",
        ),
        (
            {
                "Message": "x",
                "MessageAttributes": {"a": {"DataType": "String.Array", "StringValue": "[{}]"}},
            },
            "ParameterValueInvalid",
        ),
        (
            {"Message": "x", "MessageAttributes": {"s": {"DataType": "String", "StringValue": ""}}},
            "ParameterValueInvalid",
        ),
    ],
)
def test_publish_refusals(sns, make_topic, kwargs, code):
    topic = make_topic()
    with pytest.raises(ClientError) as err:
        sns.publish(TopicArn=topic, **kwargs)
    assert err.value.response["Error"]["Code"] == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_publish_to_missing_topic_and_target_arn(sns, sqs, account, make_topic, subscribed):
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.publish(TopicArn=f"arn:aws:sns:us-east-1:{account}:absent", Message="x")
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.publish(PhoneNumber="+61400000000", Message="x")
    topic = make_topic()
    url, _ = subscribed(topic, "-a")
    sns.publish(TargetArn=topic, Message="by target")
    assert bodies(sqs, url, 1)[0]["Message"] == "by target"


def test_publish_batch(sns, sqs, make_topic, subscribed):
    topic = make_topic()
    queues = [subscribed(topic, f"-{n}")[0] for n in range(3)]
    entries = [{"Id": f"e{i}", "Message": f"m{i}"} for i in range(9)]
    answer = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
    assert [s["Id"] for s in answer["Successful"]] == [f"e{i}" for i in range(9)]
    assert answer["Failed"] == []
    for url in queues:
        assert sorted(m["Message"] for m in bodies(sqs, url, 9)) == [f"m{i}" for i in range(9)]


def test_publish_batch_refusals(sns, make_topic):
    topic = make_topic()
    with pytest.raises(sns.exceptions.EmptyBatchRequestException):
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[])
    with pytest.raises(sns.exceptions.TooManyEntriesInBatchRequestException):
        sns.publish_batch(
            TopicArn=topic,
            PublishBatchRequestEntries=[{"Id": str(i), "Message": "x"} for i in range(11)],
        )
    with pytest.raises(sns.exceptions.BatchEntryIdsNotDistinctException):
        sns.publish_batch(
            TopicArn=topic,
            PublishBatchRequestEntries=[{"Id": "a", "Message": "x"}, {"Id": "a", "Message": "y"}],
        )
    with pytest.raises(sns.exceptions.InvalidBatchEntryIdException):
        sns.publish_batch(
            TopicArn=topic, PublishBatchRequestEntries=[{"Id": "no spaces", "Message": "x"}]
        )
    with pytest.raises(sns.exceptions.BatchRequestTooLongException):
        sns.publish_batch(
            TopicArn=topic,
            PublishBatchRequestEntries=[{"Id": str(i), "Message": "x" * 30_000} for i in range(10)],
        )
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.publish_batch(
            TopicArn=topic + "-gone", PublishBatchRequestEntries=[{"Id": "a", "Message": "x"}]
        )


def test_fifo_topic_to_fifo_queues_keeps_group_order_and_deduplicates(
    sns, sqs, make_topic, subscribed
):
    topic = make_topic(fifo=True)
    queues = [subscribed(topic, f"-{n}", fifo=True)[0] for n in range(2)]
    sequence = []
    for i in range(6):
        answer = sns.publish(
            TopicArn=topic,
            Message=f"step {i}",
            MessageGroupId=f"order-{i % 2}",
            MessageDeduplicationId=f"d{i}",
        )
        sequence.append(int(answer["SequenceNumber"]))
    assert sequence == sorted(sequence) and len(set(sequence)) == 6
    again = sns.publish(
        TopicArn=topic,
        Message="step 0 again",
        MessageGroupId="order-0",
        MessageDeduplicationId="d0",
    )
    assert int(again["SequenceNumber"]) == sequence[0]  # the first publish's answer
    for url in queues:
        got = bodies(sqs, url, 7, raw=True)
        assert len(got) == 6
        for group in ("order-0", "order-1"):
            steps = [
                json.loads(m["Body"])["Message"]
                for m in got
                if m["Attributes"]["MessageGroupId"] == group
            ]
            start = 0 if group == "order-0" else 1
            assert steps == [f"step {i}" for i in range(start, 6, 2)]
        note = json.loads(got[0]["Body"])
        assert "SequenceNumber" in note


def test_fifo_topic_rules(sns, sqs, make_topic, subscribed):
    topic = make_topic(fifo=True)
    with pytest.raises(sns.exceptions.InvalidParameterException, match="MessageGroupId"):
        sns.publish(TopicArn=topic, Message="x")
    with pytest.raises(sns.exceptions.InvalidParameterException, match="ContentBasedDeduplication"):
        sns.publish(TopicArn=topic, Message="x", MessageGroupId="g")
    sns.set_topic_attributes(
        TopicArn=topic, AttributeName="ContentBasedDeduplication", AttributeValue="true"
    )
    fifo_url, _ = subscribed(topic, "-f", fifo=True)
    standard_url, _ = subscribed(topic, "-s")  # FIFO topics deliver to standard queues too
    first = sns.publish(TopicArn=topic, Message="same body", MessageGroupId="g")
    second = sns.publish(TopicArn=topic, Message="same body", MessageGroupId="g")
    assert first["MessageId"] == second["MessageId"]
    assert len(bodies(sqs, fifo_url, 2)) == 1
    assert len(bodies(sqs, standard_url, 2)) == 1


def test_fifo_dedup_window_is_five_minutes(sns, sqs, make_topic, subscribed, clock):
    topic = make_topic(fifo=True, ContentBasedDeduplication="true")
    url, _ = subscribed(topic, "-f", fifo=True, RawMessageDelivery="true")
    sns.publish(TopicArn=topic, Message="tick", MessageGroupId="g")
    assert len(bodies(sqs, url, 1, raw=True)) == 1
    clock.advance(301)  # this file's account's clock: the topic's window reads its owner's
    sns.publish(TopicArn=topic, Message="tick", MessageGroupId="g")
    assert len(bodies(sqs, url, 1, raw=True)) == 1


def test_fifo_publish_batch_numbers_in_order(sns, sqs, make_topic, subscribed):
    topic = make_topic(fifo=True, ContentBasedDeduplication="true")
    url, _ = subscribed(topic, "-f", fifo=True, RawMessageDelivery="true")
    answer = sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[
            {"Id": str(i), "Message": f"m{i}", "MessageGroupId": "g"} for i in range(10)
        ],
    )
    numbers = [int(s["SequenceNumber"]) for s in answer["Successful"]]
    assert numbers == sorted(numbers)
    assert [m["Body"] for m in bodies(sqs, url, 10, raw=True)] == [f"m{i}" for i in range(10)]


def test_undeliverable_copies_go_to_the_subscription_dead_letter_queue(
    sns, sqs, make_topic, make_queue, subscribed
):
    topic = make_topic()
    dead = make_queue("-dlq")
    allow_topic(sqs, dead, topic)  # SNS sends to the dead-letter queue only with its policy too
    url, _ = subscribed(topic, "-gone", RedrivePolicy={"deadLetterTargetArn": queue_arn(sqs, dead)})
    other, _ = subscribed(topic, "-fine")
    sqs.delete_queue(QueueUrl=url)
    sns.publish(TopicArn=topic, Message="nobody home")
    assert bodies(sqs, dead, 1)[0]["Message"] == "nobody home"
    assert bodies(sqs, other, 1)[0]["Message"] == "nobody home"


def test_delivery_reaches_a_queue_of_another_account(sns, make_topic, sqs_endpoint):
    """The queue ARN names the account: a topic of this file's account feeds a student's
    queue."""
    theirs = emulator_client(sqs_endpoint, account="210987654321")
    url = theirs.create_queue(QueueName="cross-account-inbox")["QueueUrl"]
    try:
        topic = make_topic()
        endpoint = allow_topic(theirs, url, topic)  # the queue's owner lets the topic send
        assert endpoint == "arn:aws:sqs:us-east-1:210987654321:cross-account-inbox"
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=endpoint)
        sns.publish(TopicArn=topic, Message="across accounts")
        assert bodies(theirs, url, 1)[0]["Message"] == "across accounts"
    finally:
        theirs.delete_queue(QueueUrl=url)
