"""Standard queues: spread over servers, best-effort order, short vs long polls, duplicates."""

from __future__ import annotations

import pytest

from labkit.lessons.engine.receiving import receive_all
from labkit.stack.clients import emulator_client
from labkit.stack.emulator_admin import AdminError, EmulatorAdmin


def _course_tool_run(sqs, url: str) -> list[int]:
    """What `labkit queue` does: 100 single sends, then receives of 10 with a 1 s long poll."""
    for i in range(100):
        sqs.send_message(
            QueueUrl=url,
            MessageBody=f"Message {i}",
            MessageAttributes={"client": {"DataType": "String", "StringValue": "test"}},
        )
    got = receive_all(sqs, url, limit=100, MessageAttributeNames=["client"])
    return [int(m["Body"].split()[1]) for m in got]


def test_order_is_best_effort_and_nothing_is_lost(sqs, make_queue):
    order = _course_tool_run(sqs, make_queue())
    assert sorted(order) == list(range(100)), "every message arrives exactly once"
    inversions = sum(1 for a, b in zip(order, order[1:], strict=False) if b < a)
    assert inversions >= 10, f"a standard queue should visibly reorder, got {order}"


def test_same_seed_same_order(sqs_endpoint, sqs):
    """Per-queue randomness comes from (server seed, queue name): runs repeat exactly."""
    from labkit.emulator.server import start

    orders = []
    for _ in range(2):
        handle = start(seed=99)
        try:
            client = emulator_client(handle.url)
            url = client.create_queue(QueueName="repeatable")["QueueUrl"]
            orders.append(_course_tool_run(client, url))
        finally:
            handle.stop()
    assert orders[0] == orders[1]


def test_short_poll_samples_some_servers(sqs, make_queue):
    url = make_queue()
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(3)]
    )
    sizes = []
    for _ in range(30):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        sizes.append(len(got.get("Messages", [])))
    assert min(sizes) < 3 and max(sizes) > 0, "a short poll can come back short"
    assert all(s <= 3 for s in sizes)
    lone = sqs.create_queue(QueueName=url.rsplit("/", 1)[1] + "-lone")["QueueUrl"]
    sqs.send_message(QueueUrl=lone, MessageBody="only")
    polls = [sqs.receive_message(QueueUrl=lone, VisibilityTimeout=0) for _ in range(20)]
    sqs.delete_queue(QueueUrl=lone)
    assert any("Messages" not in p for p in polls), "a short poll can miss a waiting message"
    # a long poll asks every server: all three at once
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    assert len(got["Messages"]) == 3


def test_duplicate_rate_redelivers_deleted_messages(sqs, sqs_endpoint, account, make_queue):
    url = make_queue()
    admin = EmulatorAdmin(sqs_endpoint, account=account)  # this file's queues alone
    admin.configure(duplicate_rate=0.5)
    try:
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(10)]
        )
        got = receive_all(sqs, url, limit=100)
    finally:
        admin.configure(duplicate_rate=0)
    bodies = [m["Body"] for m in got]
    assert set(bodies) == {str(i) for i in range(10)}
    assert len(bodies) > 10, "with a duplicate rate, some messages come twice"
    ids = [m["MessageId"] for m in got]
    assert len(set(ids)) == 10, "a duplicate is the same message (same MessageId)"


def test_duplicate_rate_of_one_queue(sqs, sqs_endpoint, account, make_queue, queue_name):
    url, other = make_queue(), make_queue("-other")
    admin = EmulatorAdmin(sqs_endpoint, account=account)
    settings = admin.configure(duplicate_rate=1.0, queue=queue_name)
    assert settings["queues"][f"{account}/{queue_name}"] == 1.0
    for target in (url, other):
        sqs.send_message(QueueUrl=target, MessageBody="once")
    assert len(receive_all(sqs, url, limit=3)) >= 3, "every delivery leaves a copy behind"
    assert len(receive_all(sqs, other, limit=1)) == 1
    assert "Messages" not in sqs.receive_message(QueueUrl=other, WaitTimeSeconds=1)
    admin.configure(duplicate_rate=0, queue=queue_name)
    with pytest.raises(AdminError, match="refused config"):
        admin.configure(duplicate_rate=0, queue="nope")


def test_duplicate_rate_defaults_to_zero(sqs_endpoint, account):
    assert EmulatorAdmin(sqs_endpoint).settings()["duplicate_rate"] == 0
    assert EmulatorAdmin(sqs_endpoint, account=account).settings()["duplicate_rate"] == 0


def test_message_ids_repeat_from_the_seed_but_never_within_one_emulator():
    """A fresh emulator reproduces its ids from the seed; re-seeding it (what a lesson's
    start_clean does), re-creating the queue or a reset never brings an id back."""
    from labkit.emulator.server import start

    def run(handle, rounds: int) -> list[list[str]]:
        client = emulator_client(handle.url)
        runs = []
        for i in range(rounds):
            if i == 2:
                EmulatorAdmin(handle.url).reset()
            EmulatorAdmin(handle.url).seed(7)
            url = client.create_queue(QueueName="ids")["QueueUrl"]
            entries = [{"Id": str(n), "MessageBody": str(n)} for n in range(5)]
            sent = client.send_message_batch(QueueUrl=url, Entries=entries)["Successful"]
            runs.append([m["MessageId"] for m in sent])
            client.delete_queue(QueueUrl=url)
        return runs

    first, second = start(seed=7), start(seed=7)
    try:
        runs, again = run(first, 3), run(second, 1)
    finally:
        first.stop()
        second.stop()
    assert again[0] == runs[0], "a fresh emulator with the same seed issues the same ids"
    ids = [i for each in runs for i in each]
    assert len(set(ids)) == len(ids) == 15, "no id comes back after a re-seed or a reset"
