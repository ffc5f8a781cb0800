"""FIFO queues: strict order per group, blocked groups, ordered redelivery, deduplication."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from labkit.lessons.engine.receiving import receive_all


def _send(sqs, url, body, group="g", **kwargs):
    return sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group, **kwargs)


def test_strict_order_within_a_group(sqs, make_queue):
    url = make_queue(fifo=True, ContentBasedDeduplication="true")
    for i in range(30):
        _send(sqs, url, f"m{i}")
    got = receive_all(sqs, url, limit=30)
    assert [m["Body"] for m in got] == [f"m{i}" for i in range(30)]


def test_a_group_with_a_message_in_flight_delivers_nothing_more(sqs, make_queue):
    url = make_queue(fifo=True, ContentBasedDeduplication="true")
    for i in range(3):
        _send(sqs, url, f"a{i}", group="A")
    _send(sqs, url, "b0", group="B")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    assert first[0]["Body"] == "a0"
    rest = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in rest] == ["b0"], "group A is blocked while a0 is in flight"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    after = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in after] == ["a1", "a2"]


def test_a_batch_keeps_one_groups_messages_together(sqs, make_queue):
    url = make_queue(fifo=True, ContentBasedDeduplication="true")
    for i in range(4):
        _send(sqs, url, f"a{i}", group="A")
        _send(sqs, url, f"b{i}", group="B")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=6)["Messages"]
    groups = [m["Body"][0] for m in got]
    assert groups == ["a"] * 4 + ["b"] * 2


def test_redelivery_after_timeout_keeps_the_original_order(sqs, make_queue, clock):
    url = make_queue(fifo=True, ContentBasedDeduplication="true", VisibilityTimeout=30)
    for i in range(5):
        _send(sqs, url, f"m{i}")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3)["Messages"]
    assert [m["Body"] for m in first] == ["m0", "m1", "m2"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[1]["ReceiptHandle"])  # m1 done
    clock.advance(31)
    again = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    )["Messages"]
    assert [m["Body"] for m in again] == ["m0", "m2", "m3", "m4"]
    counts = [m["Attributes"]["ApproximateReceiveCount"] for m in again]
    assert counts == ["2", "2", "1", "1"]


def test_dedup_holds_for_five_minutes_even_after_delete(sqs, make_queue, clock):
    url = make_queue(fifo=True, ContentBasedDeduplication="true")
    sent = _send(sqs, url, "hello")
    got = receive_all(sqs, url, limit=1)
    assert len(got) == 1  # received and deleted
    again = _send(sqs, url, "hello", group="other-group")
    assert again["MessageId"] == sent["MessageId"]
    assert again["SequenceNumber"] == sent["SequenceNumber"]
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages") is None
    clock.advance(301)
    fresh = _send(sqs, url, "hello")
    assert fresh["MessageId"] != sent["MessageId"]
    assert receive_all(sqs, url, limit=1)[0]["Body"] == "hello"


def test_explicit_dedup_id_and_scope(sqs, make_queue):
    url = make_queue(fifo=True)
    with pytest.raises(ClientError) as info:
        _send(sqs, url, "x")  # no dedup id and no content-based dedup
    assert info.value.response["Error"]["Code"] == "InvalidParameterValue"
    a = _send(sqs, url, "one", MessageDeduplicationId="d1")
    b = _send(sqs, url, "two", MessageDeduplicationId="d1")
    assert a["MessageId"] == b["MessageId"]
    per_group = make_queue("-scoped", fifo=True, DeduplicationScope="messageGroup")
    c = _send(sqs, per_group, "x", group="A", MessageDeduplicationId="d")
    d = _send(sqs, per_group, "x", group="B", MessageDeduplicationId="d")
    assert c["MessageId"] != d["MessageId"]


def test_sequence_numbers_are_20_digits_and_increase(sqs, make_queue):
    url = make_queue(fifo=True, ContentBasedDeduplication="true")
    numbers = [_send(sqs, url, f"m{i}", group=f"g{i % 3}")["SequenceNumber"] for i in range(6)]
    assert all(len(n) == 20 and n.isdigit() for n in numbers)
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers)
    assert len(set(numbers)) == 6
    batch = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[{"Id": str(i), "MessageBody": f"b{i}", "MessageGroupId": "g"} for i in range(3)],
    )
    assert all(int(e["SequenceNumber"]) > int(numbers[-1]) for e in batch["Successful"])


def test_fifo_rules_on_send(sqs, make_queue):
    url = make_queue(fifo=True, ContentBasedDeduplication="true")
    with pytest.raises(ClientError) as info:
        sqs.send_message(QueueUrl=url, MessageBody="x")
    assert info.value.response["Error"]["Code"] == "MissingParameter"
    with pytest.raises(ClientError) as info:
        _send(sqs, url, "x", DelaySeconds=5)
    assert info.value.response["Error"]["Code"] == "InvalidParameterValue"
    standard = make_queue("-std")
    with pytest.raises(ClientError):
        sqs.send_message(QueueUrl=standard, MessageBody="x", MessageDeduplicationId="d")


def test_receive_request_attempt_id_repeats_a_lost_answer(sqs, make_queue):
    url = make_queue(fifo=True, ContentBasedDeduplication="true")
    for body in ("a", "b", "c"):
        _send(sqs, url, body)
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="r1")
    retry = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="r1")
    assert [m["Body"] for m in first["Messages"]] == ["a", "b"]
    assert [m["ReceiptHandle"] for m in retry["Messages"]] == [
        m["ReceiptHandle"] for m in first["Messages"]
    ], "a retried attempt returns the same messages and receipt handles"
    for m in first["Messages"]:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    after = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="r1")
    assert [m["Body"] for m in after["Messages"]] == ["c"], "once deleted, the attempt is new"


def test_fifo_system_attributes(sqs, make_queue):
    url = make_queue(fifo=True)
    sent = _send(sqs, url, "m", group="grp", MessageDeduplicationId="dd")
    msg = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])["Messages"][0]
    attrs = msg["Attributes"]
    assert attrs["MessageGroupId"] == "grp"
    assert attrs["MessageDeduplicationId"] == "dd"
    assert attrs["SequenceNumber"] == sent["SequenceNumber"]


def test_deduplicated_sends_are_counted_in_a_header(sqs, make_queue):
    """Emulator-only (AWS's answer does not say): x-labkit-deduplicated counts the sends of one
    call that the 5-minute window dropped; the body stays AWS's."""
    url = make_queue(fifo=True, ContentBasedDeduplication="true")
    first = sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g")
    assert "x-labkit-deduplicated" not in first["ResponseMetadata"]["HTTPHeaders"]
    again = sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g")
    assert again["ResponseMetadata"]["HTTPHeaders"]["x-labkit-deduplicated"] == "1"
    assert again["MessageId"] == first["MessageId"]
    batch = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "1", "MessageBody": "a", "MessageGroupId": "g"},
            {"Id": "2", "MessageBody": "b", "MessageGroupId": "g"},
            {"Id": "3", "MessageBody": "b", "MessageGroupId": "g"},
        ],
    )
    assert batch["ResponseMetadata"]["HTTPHeaders"]["x-labkit-deduplicated"] == "2"
