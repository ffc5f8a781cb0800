"""The emulator's record: every state change of a message, per account, matching what the
clients saw (receipt handles, attempts), bounded, and readable only by its own account."""

from __future__ import annotations

import pytest
import requests

from labkit.emulator import record as rec
from labkit.emulator.admin import RECORD
from labkit.emulator.server import start
from labkit.stack.clients import emulator_client
from labkit.stack.context import context_of
from labkit.stack.emulator_admin import AdminError, EmulatorAdmin

OTHER = "123456789012"


@pytest.fixture
def emulator():
    handle = start(seed=7)
    try:
        yield handle
    finally:
        handle.stop()


def kinds(events: list[dict], message_id: str) -> list[str]:
    return [e["kind"] for e in events if e["message_id"] == message_id]


def test_a_seeded_run_is_recorded_as_the_consumer_saw_it(emulator) -> None:
    sqs = emulator_client(emulator.url)
    admin = context_of(sqs).admin
    dlq = sqs.create_queue(QueueName="rec-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
    policy = (
        f'{{"deadLetterTargetArn": "{dlq_arn["Attributes"]["QueueArn"]}", "maxReceiveCount": "2"}}'
    )
    url = sqs.create_queue(
        QueueName="rec", Attributes={"VisibilityTimeout": "5", "RedrivePolicy": policy}
    )["QueueUrl"]
    for i in range(0, 12, 4):
        entries = [{"Id": str(n), "MessageBody": f"Message {n}"} for n in range(i, i + 4)]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    seen: list[dict] = []  # what the consumer logged: body, handle, attempt
    for _ in range(3):  # three rounds; messages 0-2 never get deleted
        while True:
            got = sqs.receive_message(  # a long poll: empty means none is visible
                QueueUrl=url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=1,
                AttributeNames=["ApproximateReceiveCount"],
            ).get("Messages", [])
            if not got:
                break
            for m in got:
                attempt = int(m["Attributes"]["ApproximateReceiveCount"])
                seen.append(
                    {"id": m["MessageId"], "receipt": m["ReceiptHandle"], "attempt": attempt}
                )
                if m["Body"] not in ("Message 0", "Message 1", "Message 2"):
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        admin.advance_clock(6)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)  # moves the failing ones out
    events = admin.record()["events"]
    received = {(e["receipt"], e["attempt"]) for e in events if e["kind"] == rec.RECEIVED}
    assert {(s["receipt"], s["attempt"]) for s in seen} <= received
    assert len(received) == len(seen) == 9 + 3 * 2
    ended = {}
    for e in events:
        if e["kind"] in (rec.DELETED, rec.DEAD_LETTER):
            ended[e["message_id"]] = e["kind"]
    sent = [e["message_id"] for e in events if e["kind"] == rec.SENT]
    assert len(sent) == 12 and set(ended) == set(sent), "every message ends deleted or in the DLQ"
    assert sorted(ended.values()).count(rec.DEAD_LETTER) == 3
    failing = next(e["message_id"] for e in events if e["kind"] == rec.DEAD_LETTER)
    assert kinds(events, failing) == [
        "sent", "received", "visible", "received", "visible", "dead_letter", "arrived"
    ]  # fmt: skip
    first, back = [e for e in events if e["message_id"] == failing][1:3]
    assert back["at"] - first["at"] == pytest.approx(5.0), "visible again after its timeout"
    assert next(e for e in events if e["kind"] == rec.ARRIVED)["queue"] == "rec-dlq"
    received_only = admin.record(queue=url)["events"]
    assert {e["queue"] for e in received_only} == {"rec"}


def test_fifo_dedup_delay_visibility_and_purge_are_recorded(emulator) -> None:
    sqs = emulator_client(emulator.url)
    admin = context_of(sqs).admin
    attrs = {"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    fifo = sqs.create_queue(QueueName="rec.fifo", Attributes=attrs)["QueueUrl"]
    first = sqs.send_message(QueueUrl=fifo, MessageBody="same", MessageGroupId="g")
    again = sqs.send_message(QueueUrl=fifo, MessageBody="same", MessageGroupId="g")
    assert again["MessageId"] == first["MessageId"]
    (m,) = sqs.receive_message(QueueUrl=fifo)["Messages"]
    sqs.change_message_visibility(
        QueueUrl=fifo, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
    )
    std = sqs.create_queue(QueueName="rec-std")["QueueUrl"]
    sqs.send_message(QueueUrl=std, MessageBody="later", DelaySeconds=3)
    sqs.purge_queue(QueueUrl=std)
    events = admin.record()["events"]
    sent, dropped = [e for e in events if e["queue"] == "rec.fifo"][:2]
    assert sent["kind"] == "sent" and (sent["group"], sent["dedup"]) == ("g", dropped["dedup"])
    assert dropped["kind"] == "deduplicated" and dropped["message_id"] == first["MessageId"]
    assert kinds(events, first["MessageId"])[2:] == ["received", "visibility", "visible"]
    delayed = [e for e in events if e["queue"] == "rec-std"]
    assert [e["kind"] for e in delayed] == ["sent", "purged"]
    assert delayed[0]["delayed_until"] - delayed[0]["at"] == pytest.approx(3.0)


def test_the_record_is_scoped_to_the_account_and_bounded(emulator) -> None:
    mine = emulator_client(emulator.url)
    theirs = emulator_client(emulator.url, account=OTHER)
    for client in (mine, theirs):
        url = client.create_queue(QueueName="scoped")["QueueUrl"]
        client.send_message(QueueUrl=url, MessageBody="x")
    assert len(context_of(mine).admin.record()["events"]) == 1
    assert len(context_of(theirs).admin.record()["events"]) == 1
    small = rec.Record(limit=3)
    for n in range(5):
        small.add(OTHER, float(n), "q", rec.SENT, str(n))
    page = small.read(OTHER)
    assert [e["message_id"] for e in page["events"]] == ["2", "3", "4"] and page["missed"] == 2
    assert small.read(OTHER, since=page["events"][0]["seq"], limit=1)["more"] is True


def test_bad_record_requests_get_a_clear_400(emulator) -> None:
    route = emulator.url + "/_labkit/record"
    assert requests.post(route, json={}, timeout=5).json()["account"] == "000000000000"
    for body in (
        {"account": "12"},
        {"account": OTHER, "since": -1},
        {"account": OTHER, "limit": "x"},
    ):
        reply = requests.post(route, json=body, timeout=5)
        assert reply.status_code == 400 and "error" in reply.json()
    with pytest.raises(AdminError, match="refused record"):
        EmulatorAdmin(emulator.url, account=OTHER).call(RECORD, {"since": -3})


def test_recording_off_keeps_nothing() -> None:
    handle = start(record=False)
    try:
        sqs = emulator_client(handle.url)
        url = sqs.create_queue(QueueName="off")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="x")
        answer = context_of(sqs).admin.record()
        assert answer["events"] == []
    finally:
        handle.stop()


def test_a_second_copy_is_recorded_under_the_same_message_id(emulator) -> None:
    sqs = emulator_client(emulator.url)
    admin = context_of(sqs).admin
    url = sqs.create_queue(QueueName="rec-twice")["QueueUrl"]
    admin.configure(duplicate_rate=1.0, queue="rec-twice")
    sent = sqs.send_message(QueueUrl=url, MessageBody="once")["MessageId"]
    sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)  # a long poll asks every server
    assert kinds(admin.record()["events"], sent) == ["sent", "received", "duplicated"]
