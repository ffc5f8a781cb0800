"""Publishers and consumers on the SQS emulator, checked against runs whose answer is known."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from labkit.lessons.analysis import metrics
from labkit.lessons.engine import _run_state, consuming, experiments, publishing, queue_state
from labkit.lessons.engine.experiment_options import ConsumeOptions, PublishOptions
from labkit.lessons.engine.queue_errors import QueueError
from labkit.net import free_port
from labkit.stack.clients import emulator_client


def test_fifo_run_arrives_in_order_with_nothing_missing(sqs, new_queue) -> None:
    url = new_queue(fifo=True)
    run = experiments.experiment(sqs, url, count=100, progress=False)
    assert len(run.sends) == 100 and run.sends["error"].isna().all()
    assert (run.sends["group"] == "default").all()  # the course tool's group
    row = run.summary
    assert row.delivered == 100 and row.missing == 0 and row.duplicates == 0
    assert row.inversions == 0 and row.longest_run == 100 and row.group_violations == 0
    assert list(run.deliveries["number"]) == list(range(100))
    assert list(run.deliveries["client"].unique()) == ["Client 1"]
    sequence = run.deliveries["sequence_number"].map(int)
    assert sequence.is_monotonic_increasing and sequence.is_unique
    assert (run.deliveries["received_at"] >= run.deliveries["sent_at"]).all()
    assert row.p50_s <= row.p90_s <= row.p99_s


def test_seeded_standard_run_reorders_as_the_handouts_aws_run_did(sqs, new_queue) -> None:
    """Lesson 01's headline contrast: on AWS (the handout's run) 6 of the first 17 messages
    arrived after a higher-numbered one; the emulator's model must show as much (about 40% of
    messages overtaken, 100+ inversions per 100), not a near-diagonal (10-25 inversions)."""
    url = new_queue()
    queue_state.start_clean(sqs, url, seed=6400)
    run = experiments.experiment(sqs, url, count=100, progress=False)
    numbers = list(run.deliveries["number"])
    overtaken = sum(1 for i, n in enumerate(numbers) if n < max(numbers[: i + 1]))
    assert run.summary.missing == 0 and run.summary.duplicates == 0
    assert run.summary.inversions >= 60, run.summary.inversions
    assert 25 <= overtaken <= 60, overtaken


def test_resending_to_fifo_is_deduplicated_until_prepended(sqs, new_queue, capsys) -> None:
    url = new_queue(fifo=True)
    experiments.experiment(sqs, url, count=10, progress=False)
    assert capsys.readouterr().out == "", "a run that got everything prints nothing"
    again = experiments.experiment(
        sqs, url, count=10, clients=["Client 2"], idle_timeout=0.5, progress=False
    )
    assert again.sends["error"].isna().all(), "a deduplicated send still succeeds"
    assert again.deliveries.empty and again.summary.missing == 10
    note = capsys.readouterr().out
    assert "10 message(s)" in note and "deduplication" in note and "prepend=" in note, note
    prefixed = experiments.experiment(sqs, url, count=10, prepend="A-", progress=False)
    assert list(prefixed.deliveries["body"]) == [f"A-Message {i}" for i in range(10)]
    assert list(prefixed.deliveries["number"]) == list(range(10))


def test_groups_keep_order_within_each_group(sqs, new_queue) -> None:
    url = new_queue(fifo=True)
    run = experiments.experiment(
        sqs, url, count=40, consumers=3, groups=4, batch=True, progress=False
    )
    assert sorted(run.sends["group"].unique()) == ["group-0", "group-1", "group-2", "group-3"]
    table = metrics.group_order_violations(run.deliveries)
    assert list(table["delivered"]) == [10, 10, 10, 10]
    assert table["violations"].sum() == 0
    for _, part in run.deliveries.groupby("group"):
        assert part["number"].is_monotonic_increasing
    assert run.summary.missing == 0


def test_many_publishers_and_consumers_on_a_standard_queue(sqs, new_queue) -> None:
    url = new_queue()
    run = experiments.experiment(
        sqs, url, count=30, publishers=3, consumers=2, batch=True, progress=False
    )
    assert sorted(run.sends["client"].unique()) == ["Client 1", "Client 2", "Client 3"]
    assert run.summary.missing == 0
    assert run.deliveries["message_id"].nunique() == 90
    assert set(run.deliveries["consumer"]) <= {"Consumer 1", "Consumer 2"}
    assert list(run.deliveries["position"]) == list(range(len(run.deliveries)))


def test_failed_deliveries_are_not_deleted_and_come_back(sqs, new_queue) -> None:
    url = new_queue()
    doomed = {3, 7, 11}
    run = experiments.experiment(
        sqs,
        url,
        count=15,
        fail=lambda m: m.number in doomed and m.receive_count == 1,
        visibility_timeout=0,
        progress=False,
    )
    first = run.deliveries[run.deliveries["receive_count"] == 1]
    assert set(first.loc[~first["deleted"], "number"]) == doomed
    again = run.deliveries[run.deliveries["receive_count"] > 1]
    assert sorted(again["number"]) == sorted(doomed)
    assert (again["receive_count"] == 2).all() and again["deleted"].all()
    assert run.summary.redeliveries == 3 and run.summary.duplicates == 0
    assert run.summary.missing == 0


def test_seeded_failure_rate_repeats(sqs, new_queue) -> None:
    rows = []
    for _ in range(2):
        url = new_queue()
        publishing.publish(sqs, url, count=20, batch=True, progress=False)
        got = consuming.consume(
            sqs, url, expected=20, fail=0.3, seed=5, visibility_timeout=0, progress=False
        )
        rows.append(sorted(got.loc[~got["deleted"], "body"]))
    assert rows[0] == rows[1] and rows[0], "the same seed fails the same messages"


def test_publish_then_consume_separately(sqs, new_queue) -> None:
    url = new_queue()
    sent = publishing.publish(
        sqs, url, count=12, publishers=2, prepend=["A-", "B-"], progress=False
    )
    assert sorted(sent["body"].str[:2].unique()) == ["A-", "B-"]
    got = consuming.consume(sqs, url, expected=24, consumers=2, progress=False)
    assert set(got["message_id"]) == set(sent["message_id"])
    assert got["sent_at"].notna().all()  # from SentTimestamp when the sends are not at hand
    assert queue_state.drain(sqs, url) == 0


def test_consumer_stops_when_idle(sqs, new_queue) -> None:
    got = consuming.consume(sqs, new_queue(), idle_timeout=0.5, progress=False)
    assert got.empty and list(got.columns) == consuming.DELIVERY_COLUMNS


def test_a_missing_queue_is_named(sqs, sqs_endpoint, account) -> None:
    url = f"{sqs_endpoint}/{account}/no-such-queue"
    with pytest.raises(QueueError, match="no queue at .*no-such-queue"):
        publishing.publish(sqs, url, count=1, progress=False)


def test_an_unreachable_endpoint_says_how_to_start_it() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    client = emulator_client(endpoint, retries={"max_attempts": 1})
    with pytest.raises(QueueError, match=f"cannot reach SQS at {endpoint}.*labkit up"):
        consuming.consume(client, f"{endpoint}/000000000000/q", idle_timeout=0.5, progress=False)


def test_bad_arguments_are_refused_before_anything_starts(sqs, new_queue) -> None:
    url = new_queue()
    with pytest.raises(ValueError, match="one prepend per publisher"):
        publishing.publish(sqs, url, publishers=2, prepend=["A-"], progress=False)
    with pytest.raises(ValueError, match="rate between 0 and 1"):
        consuming.consume(sqs, url, fail=2.0, progress=False)


def test_message_number() -> None:
    assert consuming.message_number("Message 7") == 7
    assert consuming.message_number("A-Message 42") == 42
    assert consuming.message_number("hello") is None


def test_drain_leaves_nothing_behind(sqs, new_queue) -> None:
    # A short poll asks only half the emulator's servers; an early empty reply used to stop the
    # drain with messages left (about one queue in six).
    urls = [new_queue() for _ in range(5)]
    for url in urls:
        for start in (0, 10):
            entries = [{"Id": str(i), "MessageBody": f"Message {start + i}"} for i in range(10)]
            sqs.send_message_batch(QueueUrl=url, Entries=entries)
    with ThreadPoolExecutor(len(urls)) as pool:
        removed = list(pool.map(lambda url: queue_state.drain(sqs, url), urls))
    assert removed == [20] * len(urls)
    for url in urls:
        left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert left["ApproximateNumberOfMessages"] == "0", url


@pytest.mark.parametrize(
    ("rule", "what"),
    [
        ({"work": lambda m: 1 / 0}, "work"),
        ({"fail": lambda m: m.nope}, "fail"),
        ({"groups": lambda publisher, number: {}[number]}, "groups"),
    ],
)
def test_a_raising_student_function_is_one_clear_error(sqs, new_queue, rule, what) -> None:
    printed: list[threading.ExceptHookArgs] = []
    hook, threading.excepthook = threading.excepthook, printed.append
    try:
        with pytest.raises(QueueError, match=f"your {what} function raised") as caught:
            experiments.experiment(
                sqs, new_queue(fifo=True), count=5, idle_timeout=5, progress=False, **rule
            )
    finally:
        threading.excepthook = hook
    assert printed == [], "no traceback printed from a worker thread"
    assert "\n" not in str(caught.value) and caught.value.__cause__ is not None


def test_an_interrupted_experiment_stops_its_threads(sqs, new_queue, monkeypatch) -> None:
    started: list[threading.Thread] = []

    def interrupted(threads, *args, **kwargs) -> None:  # the student presses stop mid-wait
        started.extend(threads)
        raise KeyboardInterrupt

    monkeypatch.setattr(_run_state, "follow", interrupted)
    with pytest.raises(KeyboardInterrupt):
        experiments.experiment(
            sqs, new_queue(), count=5, consumers=2, expected=1000, idle_timeout=60, progress=False
        )
    for thread in started:
        thread.join(timeout=5)
    assert not any(t.is_alive() for t in started), "consumers kept receiving after the interrupt"


def test_options_objects_and_keywords_mean_the_same(sqs, new_queue) -> None:
    publishing = PublishOptions(count=6, prepend="P-", batch=True)
    consuming = ConsumeOptions(consumers=2, names=["left", "right"])
    run = experiments.experiment(
        sqs, new_queue(), publishing=publishing, consuming=consuming, progress=False
    )
    assert sorted(run.deliveries["body"]) == sorted(f"P-Message {i}" for i in range(6))
    assert set(run.deliveries["consumer"]) <= {"left", "right"} and run.summary.missing == 0
    # a keyword beside an options object overrides that one field
    again = experiments.experiment(sqs, new_queue(), publishing=publishing, count=3, progress=False)
    assert list(again.sends["body"]) == [f"P-Message {i}" for i in range(3)]


def test_an_unknown_keyword_names_the_accepted_ones(sqs, new_queue) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument.*countt.*count"):
        experiments.experiment(sqs, new_queue(), countt=5, progress=False)
    with pytest.raises(TypeError, match="ConsumeOptions takes"):
        consuming.consume(sqs, new_queue(), prepend="A-", progress=False)


def test_foreign_messages_are_named_and_left_out(sqs, new_queue, capsys) -> None:  # noqa: ANN001
    """On AWS the queues are real and shared: a run says when it met someone else's messages."""
    url = new_queue()
    for i in range(3):
        sqs.send_message(
            QueueUrl=url,
            MessageBody=f"someone else's {i}",
            MessageAttributes={"client": {"DataType": "String", "StringValue": "Stranger"}},
        )
    run = experiments.experiment(sqs, url, count=5, progress=False)
    assert run.foreign == 3 and run.summary.delivered == 5 and run.summary.missing == 0
    assert set(run.deliveries["client"]) == {"Client 1"}
    note = capsys.readouterr().out.strip()
    assert (
        note.startswith("Note: 3 message(s) received came from someone else") and "\n" not in note
    )
    from labkit.stack.aws import AWS_SQS_URL

    aws = emulator_client(AWS_SQS_URL)  # an SQS client for AWS (never called here)
    line = experiments.foreign_note(aws, "https://sqs.us-east-1.amazonaws.com/1/csse6400_prac", 2)
    assert "on AWS csse6400_prac is one real queue shared" in line
