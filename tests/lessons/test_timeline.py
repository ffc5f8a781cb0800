"""The lessons' record and timelines on a real emulator: the record matches what the consumers
logged, one FIFO group is never held twice at once, a redelivery waits exactly the visibility
timeout, and the step-through view says what happened at each step."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from labkit.emulator.server import start
from labkit.lessons.analysis import figures, queue_record, stepper, timeline
from labkit.lessons.engine import experiments, queue_state
from labkit.stack.clients import emulator_client


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def sqs():
    handle = start(seed=11)
    try:
        yield emulator_client(handle.url)
    finally:
        handle.stop()


def queue_with_dlq(sqs, name: str, max_receives: int = 2) -> str:  # noqa: ANN001
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]
    policy = {"deadLetterTargetArn": arn["QueueArn"], "maxReceiveCount": str(max_receives)}
    attributes = {"VisibilityTimeout": "1", "RedrivePolicy": json.dumps(policy)}
    return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def test_the_record_matches_what_the_consumers_saw(sqs) -> None:
    url = queue_with_dlq(sqs, "lesson-record")
    queue_state.start_clean(sqs, url, seed=5)
    run = experiments.experiment(
        sqs, url, count=12, consumers=2, expected=11, idle_timeout=4, progress=False,
        fail=lambda m: m.number in (2, 6) and m.receive_count == 1 or m.number == 9,
    )  # fmt: skip
    queue_state.advance_clock(sqs, 2)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)  # 9 to the DLQ
    record = queue_record.run_record(sqs, run)
    assert not record.partial
    received = record.of_kind("received")
    logged = set(
        zip(run.deliveries["receipt_handle"], run.deliveries["receive_count"], strict=True)
    )
    recorded = set(zip(received["receipt"], received["attempt"].astype(int), strict=True))
    assert logged == recorded, "every receive a consumer logged, with its handle and attempt"
    assert set(received["consumer"]) == set(run.deliveries["consumer"])
    last = timeline.stretches(record).groupby("label")["state"].last()
    assert len(last) == 12 and set(last) <= {
        timeline.DELETED,
        timeline.DEAD_LETTER,
        timeline.WAITING,
    }
    assert last["Message 9"] == timeline.DEAD_LETTER and (last == timeline.DELETED).sum() == 11
    assert record.settings["lesson-record"] == {"visibility_timeout": 1, "max_receives": 2}


def test_a_redelivery_waits_exactly_the_visibility_timeout(sqs) -> None:
    url = sqs.create_queue(QueueName="lesson-redelivery", Attributes={"VisibilityTimeout": "1"})[
        "QueueUrl"
    ]
    run = experiments.experiment(
        sqs, url, count=8, fail=lambda m: m.number in (1, 4) and m.receive_count == 1,
        progress=False,
    )  # fmt: skip
    record = queue_record.run_record(sqs, run)
    gaps = timeline.redelivery_gaps(record)
    assert len(gaps) == 2 and gaps.tolist() == pytest.approx([1.0, 1.0], abs=1e-6)
    marks = timeline.marks(record)
    assert sorted(marks.loc[marks["mark"] == "redelivered", "label"]) == ["Message 1", "Message 4"]
    ax = timeline.plot_timeline(record)
    text = figures.alt_text(ax)
    assert "2 redeliveries" in text and "came back after 1.0 s" in text
    assert [t.get_text() for t in ax.get_yticklabels()][:3] == [
        "Message 0",
        "Message 1",
        "Message 2",
    ]
    step = int(record.events.index[record.events["kind"] == "visible"][0])
    assert "visible again after its 1 s visibility timeout: receive 2 next" in stepper.caption(
        record, step
    )


def fifo(sqs, name: str) -> str:  # noqa: ANN001
    attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def test_one_fifo_group_is_never_in_flight_twice(sqs) -> None:
    url = fifo(sqs, "lesson-one-group.fifo")
    run = experiments.experiment(
        sqs, url, count=30, consumers=3, max_messages=1, work=0.005, progress=False
    )
    record = queue_record.run_record(sqs, run)
    assert timeline.max_in_flight(record, "group").to_dict() == {"default": 1}
    held = timeline.stretches(record)
    held = held[held["state"] == timeline.IN_FLIGHT].sort_values("start")
    assert (held["start"].to_numpy()[1:] >= held["end"].to_numpy()[:-1]).all()
    assert held["consumer"].nunique() > 1, "the consumers took turns"
    batched = experiments.experiment(sqs, url, count=30, consumers=3, prepend="b-", progress=False)
    assert timeline.max_holders(queue_record.run_record(sqs, batched)).to_dict() == {"default": 1}


def test_consumer_lanes_show_groups_and_say_so(sqs) -> None:
    url = fifo(sqs, "lesson-groups.fifo")
    run = experiments.experiment(
        sqs, url, count=24, consumers=3, groups=3, batch=True, work=0.01, progress=False
    )
    record = queue_record.run_record(sqs, run)
    fig = timeline.plot_timelines({"3 groups": record, "again": record}, lane="consumer")
    assert len(fig.axes) == 2 and fig.axes[0].get_title() == "3 groups"
    text = figures.alt_text(fig)
    assert text.startswith("3 groups. Timeline of 24 messages") and "3 message group(s)" in text
    assert len(fig.axes[0].get_legend().get_texts()) == 3


def test_aws_mode_builds_a_partial_record_from_the_clients(sqs) -> None:
    url = sqs.create_queue(QueueName="lesson-partial")["QueueUrl"]
    run = experiments.experiment(sqs, url, count=5, progress=False)
    record = queue_record.from_clients([run])
    assert record.partial and "partial" in record.note
    assert list(record.events["kind"].value_counts().sort_index().items()) == [
        ("deleted", 5), ("received", 5), ("sent", 5)
    ]  # fmt: skip
    assert "Partial record" in figures.alt_text(timeline.plot_timeline(record))


def test_the_step_through_view_moves_with_its_slider(sqs) -> None:
    url = queue_with_dlq(sqs, "lesson-steps")
    run = experiments.experiment(sqs, url, count=4, progress=False)
    view = stepper.step_through(queue_record.run_record(sqs, run))
    first = view.view.value
    assert "Message 0 sent to lesson-steps" in first and "Waiting (visible or delayed): 1" in first
    view.slider.value = view.slider.max
    assert view.view.value != first and "Gone (deleted, purged, expired): 4" in view.view.value
    assert view._repr_mimebundle_()["text/plain"].startswith("Step-through view of 12 events")
    boxes = stepper.state_at(view.record, 5)
    assert sum(len(names) for names in boxes.values()) == len(
        set(view.record.events["label"].iloc[:6])
    )


def test_an_empty_record_still_draws_and_says_why() -> None:
    empty = queue_record.QueueRecord(pd.DataFrame(columns=queue_record.COLUMNS), partial=True,
                                     note=queue_record.PARTIAL_NOTE)  # fmt: skip
    ax = timeline.plot_timeline(empty)
    assert "Timeline of 0 messages" in figures.alt_text(ax)
    assert stepper.step_through(empty).summary().startswith("No events recorded. partial")
