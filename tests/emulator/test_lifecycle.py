"""Rules both queue types share: visibility, delays, retention, dead letters, long polls."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator

import pytest

from labkit.lessons.engine.receiving import receive_all
from labkit.stack.clients import emulator_client
from labkit.stack.emulator_admin import EmulatorAdmin


def _counts(sqs, url) -> tuple[int, int, int]:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return (
        int(attrs["ApproximateNumberOfMessages"]),
        int(attrs["ApproximateNumberOfMessagesNotVisible"]),
        int(attrs["ApproximateNumberOfMessagesDelayed"]),
    )


def test_visibility_timeout_hides_then_redelivers(sqs, make_queue, clock):
    url = make_queue(VisibilityTimeout=30)
    sqs.send_message(QueueUrl=url, MessageBody="m")
    first = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]
    assert _counts(sqs, url) == (0, 1, 0)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    clock.advance(31)
    again = sqs.receive_message(
        QueueUrl=url, WaitTimeSeconds=1, MessageSystemAttributeNames=["ApproximateReceiveCount"]
    )["Messages"][0]
    assert again["MessageId"] == first["MessageId"]
    assert again["ReceiptHandle"] != first["ReceiptHandle"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    # AWS: an outdated receipt handle succeeds but does not delete the message
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    assert _counts(sqs, url) == (0, 1, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
    assert _counts(sqs, url) == (0, 0, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])  # idempotent


def test_change_message_visibility(sqs, make_queue, clock):
    url = make_queue(VisibilityTimeout=30)
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(2)]
    )
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    assert len(got) == 2
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"], VisibilityTimeout=0
    )
    back = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert back[0]["MessageId"] == got[0]["MessageId"], "timeout 0 makes it visible at once"
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=got[1]["ReceiptHandle"], VisibilityTimeout=600
    )
    clock.advance(20)  # got[1] is hidden for 600 s, back[0] for 30 s
    assert "Messages" not in sqs.receive_message(
        QueueUrl=url, WaitTimeSeconds=0, MaxNumberOfMessages=10
    )
    result = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "ReceiptHandle": back[0]["ReceiptHandle"], "VisibilityTimeout": 0},
            {"Id": "b", "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 0},
        ],
    )
    assert [e["Id"] for e in result["Successful"]] == ["a"]
    assert result["Failed"][0]["Id"] == "b"  # a stale handle cannot change visibility


def test_delay_seconds_per_queue_and_per_message(sqs, make_queue, clock):
    url = make_queue(DelaySeconds=60)
    sqs.send_message(QueueUrl=url, MessageBody="queue-delay")
    sqs.send_message(QueueUrl=url, MessageBody="no-delay", DelaySeconds=0)
    sqs.send_message(QueueUrl=url, MessageBody="long-delay", DelaySeconds=600)
    assert _counts(sqs, url) == (1, 0, 2)
    assert [m["Body"] for m in receive_all(sqs, url, limit=1)] == ["no-delay"]
    clock.advance(61)
    assert [m["Body"] for m in receive_all(sqs, url, limit=1)] == ["queue-delay"]
    clock.advance(600)
    assert [m["Body"] for m in receive_all(sqs, url, limit=1)] == ["long-delay"]


def test_fifo_queue_delay(sqs, make_queue, clock):
    url = make_queue(fifo=True, ContentBasedDeduplication="true", DelaySeconds=30)
    sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g")
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    clock.advance(31)
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "a"


def test_retention_period_drops_old_messages(sqs, make_queue, clock):
    url = make_queue(MessageRetentionPeriod=60)
    sqs.send_message(QueueUrl=url, MessageBody="old")
    clock.advance(30)
    sqs.send_message(QueueUrl=url, MessageBody="young")
    clock.advance(31)
    assert _counts(sqs, url) == (1, 0, 0)
    assert [m["Body"] for m in receive_all(sqs, url, limit=1)] == ["young"]


def test_redrive_to_dead_letter_queue(sqs, make_queue, clock):
    dlq = make_queue("-dlq")
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})
    url = make_queue(VisibilityTimeout=5, RedrivePolicy=policy)
    sent = sqs.send_message(QueueUrl=url, MessageBody="poison")
    for expected in ("1", "2"):
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, AttributeNames=["All"])
        assert got["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == expected
        clock.advance(6)
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    dead = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1, MessageSystemAttributeNames=["All"])
    message = dead["Messages"][0]
    assert message["MessageId"] == sent["MessageId"] and message["Body"] == "poison"
    assert message["Attributes"]["DeadLetterQueueSourceArn"].endswith(url.rsplit("/", 1)[1])
    sources = sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"]
    assert sources == [url]


def test_fifo_redrive(sqs, make_queue, clock):
    dlq = make_queue("-dlq", fifo=True)
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 1})
    url = make_queue(
        fifo=True, ContentBasedDeduplication="true", VisibilityTimeout=5, RedrivePolicy=policy
    )
    for body in ("a", "b"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "a"
    clock.advance(6)
    assert [
        m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    ] == ["b"]
    assert sqs.receive_message(QueueUrl=dlq)["Messages"][0]["Body"] == "a"


def test_redrive_policy_must_name_an_existing_queue(sqs, account, make_queue):
    policy = json.dumps(
        {"deadLetterTargetArn": f"arn:aws:sqs:us-east-1:{account}:nowhere", "maxReceiveCount": 3}
    )
    with pytest.raises(Exception) as info:
        make_queue(RedrivePolicy=policy)
    assert info.value.response["Error"]["Code"] == "InvalidParameterValue"


class _Waiters:
    """Counts the threads that have waited on a queue's condition (each long poll is served
    on its own thread), so a test can act once N polls are really waiting."""

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._changed = threading.Condition()

    def saw(self) -> None:
        with self._changed:
            self._seen.add(threading.get_ident())
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = 10) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self._seen) >= count, timeout)


@contextlib.contextmanager
def _watched_queue(name: str) -> Iterator[tuple[object, str, str, _Waiters]]:
    """A private emulator (its clock moves alone) with queue ``name`` whose condition reports
    each long poll that waits on it: (client, queue url, emulator url, waiters)."""
    from labkit.emulator.accounts import DEFAULT_ACCOUNT, DEFAULT_REGION
    from labkit.emulator.server import start

    handle = start()
    try:
        client = emulator_client(handle.url)
        url = client.create_queue(QueueName=name)["QueueUrl"]
        waiters = _Waiters()

        class Watched(threading.Condition):
            def wait(self, timeout: float | None = None) -> bool:
                waiters.saw()
                return super().wait(timeout)

        handle.service.find(DEFAULT_ACCOUNT, DEFAULT_REGION, name).cond = Watched()
        yield client, url, handle.url, waiters
    finally:
        handle.stop()


def _poll_in_background(client, url: str) -> tuple[threading.Thread, dict]:
    """Start one 10 s long poll on a thread; its messages land in the returned dict's "got"."""
    results: dict = {}

    def poll() -> None:
        reply = client.receive_message(QueueUrl=url, WaitTimeSeconds=10)
        results["got"] = reply.get("Messages", [])

    thread = threading.Thread(target=poll)
    thread.start()
    return thread, results


def test_long_poll_wakes_at_once_on_send():
    """The send comes only once the poll is waiting (not before, where any receive would find
    the message): the send itself must wake it, well before its 10 s wait ends."""
    with _watched_queue("wake-on-send") as (client, url, _, waiting):
        begun = time.monotonic()
        thread, results = _poll_in_background(client, url)
        assert waiting.wait_for(1), "the long poll never waited"
        assert "got" not in results, "the poll returned before anything was sent"
        client.send_message(QueueUrl=url, MessageBody="wake up")
        thread.join(timeout=10)
        assert results["got"][0]["Body"] == "wake up"
        assert time.monotonic() - begun < 8, "a send must wake a waiting long poll, not its timeout"


def test_long_poll_wakes_when_the_clock_passes_a_delay():
    """A poll already waiting is woken by the clock: the queue's condition reports when the poll
    waits, and only then the clock moves."""
    with _watched_queue("wake") as (client, url, emulator_url, waiting):
        client.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=300)
        begun = time.monotonic()
        thread, results = _poll_in_background(client, url)
        assert waiting.wait_for(1), "the long poll never waited"
        assert "got" not in results, "the delayed message came out before the clock moved"
        EmulatorAdmin(emulator_url).advance_clock(301)
        thread.join(timeout=10)
        assert results["got"][0]["Body"] == "later"
        assert time.monotonic() - begun < 8, "woken by the clock, not by its 10 s wait ending"


def test_long_poll_returns_empty_after_its_wait(sqs, make_queue):
    url = make_queue(ReceiveMessageWaitTimeSeconds=1)
    start = time.monotonic()
    got = sqs.receive_message(QueueUrl=url)  # the queue's default wait applies
    elapsed = time.monotonic() - start
    assert "Messages" not in got
    assert 0.9 <= elapsed < 3


def test_system_and_message_attributes(sqs, account, make_queue):
    url = make_queue()
    before = int(time.time() * 1000) - 1000
    sqs.send_message(
        QueueUrl=url,
        MessageBody="m",
        MessageAttributes={
            "client": {"DataType": "String", "StringValue": "alice"},
            "count": {"DataType": "Number", "StringValue": "3"},
            "raw": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
            "weight.kg": {"DataType": "Number.kg", "StringValue": "2.5"},
        },
    )
    msg = sqs.receive_message(
        QueueUrl=url,
        WaitTimeSeconds=1,
        MessageSystemAttributeNames=[
            "SentTimestamp",
            "SenderId",
            "ApproximateFirstReceiveTimestamp",
        ],
        MessageAttributeNames=["client", "weight.*"],
    )["Messages"][0]
    assert set(msg["Attributes"]) == {
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert int(msg["Attributes"]["SentTimestamp"]) >= before
    # the caller's account (AWS: the user or role id; never the access key id)
    assert msg["Attributes"]["SenderId"] == account
    assert set(msg["MessageAttributes"]) == {"client", "weight.kg"}
    assert msg["MessageAttributes"]["weight.kg"]["DataType"] == "Number.kg"
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=0
    )
    plain = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]
    assert "Attributes" not in plain and "MessageAttributes" not in plain


def test_queue_attributes_and_arn(sqs, account, make_queue, queue_name):
    url = make_queue(VisibilityTimeout=45)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["QueueArn"] == f"arn:aws:sqs:us-east-1:{account}:{queue_name}"
    assert attrs["VisibilityTimeout"] == "45"
    assert attrs["MessageRetentionPeriod"] == "345600"
    assert attrs["MaximumMessageSize"] == "1048576"
    assert "FifoQueue" not in attrs
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "5"})
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds"])["Attributes"]
    assert got == {"DelaySeconds": "5"}
    fifo = make_queue("-f", fifo=True)
    fattrs = sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["All"])["Attributes"]
    assert fattrs["FifoQueue"] == "true" and fattrs["ContentBasedDeduplication"] == "false"


def test_list_get_delete_and_tags(sqs, make_queue, queue_name):
    urls = [make_queue(f"-{i}") for i in range(3)]
    listed = sqs.list_queues(QueueNamePrefix=queue_name)["QueueUrls"]
    assert listed == sorted(urls)
    page = sqs.list_queues(QueueNamePrefix=queue_name, MaxResults=2)
    assert len(page["QueueUrls"]) == 2 and page["NextToken"]
    rest = sqs.list_queues(QueueNamePrefix=queue_name, MaxResults=2, NextToken=page["NextToken"])
    assert rest["QueueUrls"] == sorted(urls)[2:]
    assert sqs.get_queue_url(QueueName=f"{queue_name}-1")["QueueUrl"] == urls[1]
    sqs.tag_queue(QueueUrl=urls[0], Tags={"course": "csse6400", "week": "6"})
    sqs.untag_queue(QueueUrl=urls[0], TagKeys=["week"])
    assert sqs.list_queue_tags(QueueUrl=urls[0])["Tags"] == {"course": "csse6400"}
    sqs.delete_queue(QueueUrl=urls[2])
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName=f"{queue_name}-2")


def test_purge_empties_the_queue(sqs, make_queue):
    url = make_queue()
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(5)]
    )
    sqs.purge_queue(QueueUrl=url)
    assert _counts(sqs, url) == (0, 0, 0)


def test_reset_forgets_every_queue(sqs_endpoint):
    """Run on a private server: reset would disturb the shared one."""
    from labkit.emulator.server import start

    handle = start()
    try:
        client = emulator_client(handle.url)
        client.create_queue(QueueName="gone")
        EmulatorAdmin(handle.url).reset()
        assert client.list_queues().get("QueueUrls", []) == []
    finally:
        handle.stop()


def test_sleeping_long_poll_wakes_for_a_timeout_that_expires_during_its_wait():
    """Two polls wait; a send wakes one, which takes the message for 1 s. The other, asleep
    since before, must wake when that timeout runs out, not at the end of its own wait."""
    with _watched_queue("two-sleepers") as (client, url, _, waiting):
        results = []

        def poll():
            start = time.monotonic()
            got = client.receive_message(QueueUrl=url, WaitTimeSeconds=10, VisibilityTimeout=1)
            results.append((got.get("Messages", []), time.monotonic() - start))

        threads = [threading.Thread(target=poll) for _ in range(2)]
        for thread in threads:
            thread.start()
        assert waiting.wait_for(2), "the two long polls never both waited"
        client.send_message(QueueUrl=url, MessageBody="m")
        for thread in threads:
            thread.join(timeout=15)
        assert [len(messages) for messages, _ in results] == [1, 1]
        assert max(elapsed for _, elapsed in results) < 4, results


def test_a_long_poll_whose_caller_left_takes_nothing():
    """A stopped worker's pending long poll must not swallow the next message."""
    import http.client
    import json as _json

    with _watched_queue("orphaned") as (sqs, url, endpoint, waiting):
        got = {}

        def live_poll():
            got["live"] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])

        host, port = endpoint.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.request(
            "POST",
            "/",
            body=_json.dumps({"QueueUrl": url, "WaitTimeSeconds": 5}),
            headers={
                "X-Amz-Target": "AmazonSQS.ReceiveMessage",
                "Content-Type": "application/x-amz-json-1.0",
            },
        )
        assert waiting.wait_for(1), "the first long poll never waited"
        conn.close()  # the caller goes away mid-poll
        live = threading.Thread(target=live_poll)
        live.start()  # a live consumer waits behind the orphaned poll
        assert waiting.wait_for(2), "the live long poll never waited"
        start = time.monotonic()
        sqs.send_message(QueueUrl=url, MessageBody="for the live consumer")
        live.join(timeout=10)
        assert [m["Body"] for m in got["live"]] == ["for the live consumer"]
        assert time.monotonic() - start < 2, "the wake-up must reach the live poll at once"
