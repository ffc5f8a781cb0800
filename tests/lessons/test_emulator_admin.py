"""Lesson helpers that drive the emulator's clock, on a private emulator (the shared one's clock
is left alone for other tests)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from labkit.lessons.analysis import plots
from labkit.lessons.engine import experiments, publishing, queue_state
from labkit.lessons.engine.queue_errors import QueueError
from labkit.net import free_port
from labkit.stack.aws import AWS_SQS_URL
from labkit.stack.clients import emulator_client


@pytest.fixture
def private_sqs():
    from labkit.emulator.server import start

    handle = start(seed=1)
    try:
        yield emulator_client(handle.url)
    finally:
        handle.stop()


def fifo_queue(sqs, name: str) -> str:  # noqa: ANN001
    """A FIFO queue that deduplicates by body, as the lessons' are; its URL."""
    attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def test_the_dedup_window_closes_when_the_clock_moves(private_sqs) -> None:
    sqs = private_sqs
    url = fifo_queue(sqs, "dedup.fifo")
    assert queue_state.is_emulator(sqs)
    first = experiments.experiment(sqs, url, count=5, progress=False)
    assert first.summary.delivered == 5
    blocked = experiments.experiment(sqs, url, count=5, idle_timeout=0.5, progress=False)
    assert blocked.deliveries.empty, "within 5 minutes the same bodies are deduplicated"
    queue_state.advance_clock(sqs, queue_state.DEDUP_INTERVAL + 1)
    after = experiments.experiment(sqs, url, count=5, progress=False)
    assert after.summary.delivered == 5


def test_start_clean_empties_queues_and_forgets_dedup(private_sqs) -> None:
    sqs = private_sqs
    fifo = fifo_queue(sqs, "clean.fifo")
    publishing.publish(sqs, fifo, count=5, progress=False)
    line = queue_state.start_clean(sqs, fifo, seed=3)
    assert line.startswith("1 queue(s) emptied (5 old message(s) removed)")
    again = experiments.experiment(sqs, fifo, count=5, progress=False)
    assert again.summary.delivered == 5 and again.summary.missing == 0


def test_admin_routes_refuse_aws_and_name_a_dead_emulator() -> None:
    aws = emulator_client(AWS_SQS_URL)  # an SQS client for AWS (never called here)
    with pytest.raises(QueueError, match="needs the lab's SQS emulator"):
        queue_state.advance_clock(aws, 1)
    assert not queue_state.is_emulator(aws)
    dead = emulator_client(f"http://127.0.0.1:{free_port()}")
    assert queue_state.is_emulator(dead), "decided once by its builder: no HTTP probe per call"
    with pytest.raises(QueueError, match="does not answer.*labkit up"):
        queue_state.advance_clock(dead, 1)


def test_groups_are_handled_in_parallel_and_drawn_per_consumer(private_sqs) -> None:
    sqs = private_sqs
    url = fifo_queue(sqs, "groups.fifo")
    run = experiments.experiment(
        sqs, url, count=12, consumers=3, groups=3, batch=True, work=0.01, progress=False
    )
    frame = run.deliveries
    assert (frame["handled_at"] >= frame["started_at"]).all()
    assert (frame["started_at"] >= frame["received_at"]).all()
    # While one consumer holds a group's messages, no other consumer gets that group.
    for _, part in frame.groupby("group"):
        assert part["number"].is_monotonic_increasing
    # One group: consumers take turns, so never two messages in work at once.
    one = experiments.experiment(
        sqs, url, count=12, consumers=3, prepend="one-", work=0.01, progress=False
    )
    assert one.summary.max_parallel == 1 and one.summary.group_violations == 0
    assert one.deliveries["consumer"].nunique() >= 1
    ax = plots.plot_consumer_timeline(run)
    assert ax.get_ylabel() == "consumer" and ax.get_legend().get_title().get_text()
    assert len(ax.patches) == 12
    plt.close("all")


def test_start_clean_also_removes_messages_in_flight(private_sqs) -> None:
    sqs = private_sqs
    url = sqs.create_queue(QueueName="clean-standard")["QueueUrl"]
    for start in (0, 10):
        entries = [{"Id": str(i), "MessageBody": f"Message {start + i}"} for i in range(10)]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    taken = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5, VisibilityTimeout=3600)
    assert len(taken["Messages"]) == 5  # a consumer of an earlier run holds these
    line = queue_state.start_clean(sqs, url, url)
    assert line.startswith("2 queue(s) emptied (20 old message(s) removed)"), line
    left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert left["ApproximateNumberOfMessages"] == left["ApproximateNumberOfMessagesNotVisible"]
    assert left["ApproximateNumberOfMessages"] == "0"


def test_admin_calls_touch_only_the_callers_account(private_sqs) -> None:
    """Two notebooks side by side: one moving its clock or starting clean leaves the other's
    queues, messages and dedup window alone."""
    from labkit.stack.clients import emulator_client

    endpoint = private_sqs.meta.endpoint_url
    one, two = (emulator_client(endpoint, account=a) for a in ("111111111111", "222222222222"))
    urls = [fifo_queue(c, "side.fifo") for c in (one, two)]
    for client, url in zip((one, two), urls, strict=True):
        publishing.publish(client, url, count=5, progress=False)
    queue_state.advance_clock(one, queue_state.DEDUP_INTERVAL + 1)
    assert queue_state.start_clean(one, urls[0]).startswith("1 queue(s) emptied (5 old")
    left = two.get_queue_attributes(
        QueueUrl=urls[1], AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert left["Attributes"]["ApproximateNumberOfMessages"] == "5", "two's messages stay"
    publishing.publish(two, urls[1], count=5, prepend="", progress=False)
    left = two.get_queue_attributes(
        QueueUrl=urls[1], AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert left["Attributes"]["ApproximateNumberOfMessages"] == "5", "two's dedup window holds"
    again = experiments.experiment(one, urls[0], count=5, progress=False)
    assert again.summary.delivered == 5


def _lesson_01_orders(sqs, standard: str, fifo: str) -> list:  # noqa: ANN001
    """Lesson 01's four experiments after start_clean(seed=6400): each one's arrival order."""
    queue_state.start_clean(sqs, standard, fifo, seed=6400)
    many = dict(publishers=3, consumers=2, clients=["A", "B", "C"], prepend=["A-", "B-", "C-"])
    runs = [
        experiments.experiment(sqs, standard, count=100, progress=False),
        experiments.experiment(sqs, fifo, count=100, progress=False),
        experiments.experiment(sqs, standard, count=100, progress=False, **many),
        experiments.experiment(sqs, fifo, count=100, progress=False, **many),
    ]
    for run in runs:
        assert run.summary.missing == 0
    return [
        (run.inversions, list(zip(run.deliveries["client"], run.deliveries["number"], strict=True)))
        for run in runs
    ]


def test_the_same_seed_repeats_the_arrival_order(private_sqs) -> None:
    """SEED 6400 again, in another kernel's account: the same inversions, message for message,
    whatever the threads' timing."""
    from labkit.stack.clients import emulator_client

    endpoint = private_sqs.meta.endpoint_url
    seen = []
    for account in ("111111111111", "222222222222"):
        sqs = emulator_client(endpoint, account=account)
        standard = sqs.create_queue(QueueName="csse6400_prac")["QueueUrl"]
        fifo = fifo_queue(sqs, "csse6400_prac.fifo")
        seen.append(_lesson_01_orders(sqs, standard, fifo))
    assert seen[0][0][0] > 0 and seen[0][2][0] > 0, "a standard queue reorders"
    assert seen[0][1][0] == 0 and seen[0][3][0] == 0, "a FIFO queue does not"
    assert seen[1] == seen[0]
