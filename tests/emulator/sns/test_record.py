"""The record notes each publish, each copy a subscription got (with the copy's MessageId in
its queue) and each copy a filter policy left out; the lessons draw that fan-out."""

from __future__ import annotations

import matplotlib

from labkit.lessons.analysis import figures, queue_record, timeline
from labkit.lessons.engine.receiving import receive_all
from labkit.stack.context import context_of

matplotlib.use("Agg")


def test_fan_out_with_a_filtered_copy_is_recorded_and_drawn(sns, sqs, make_topic, subscribed):
    topic = make_topic()
    everything, _ = subscribed(topic, "-all")
    created_only, _ = subscribed(topic, "-created", FilterPolicy={"event": ["created"]})
    attributes = {"event": {"DataType": "String", "StringValue": "updated"}}
    published = sns.publish(TopicArn=topic, Message="todo 7", MessageAttributes=attributes)
    message_id = published["MessageId"]
    (copy,) = receive_all(sqs, everything, limit=1)
    assert receive_all(sqs, created_only, limit=None, empty_replies=1, timeout=2) == []

    events = [e for e in context_of(sqs).admin.record()["events"] if e["message_id"] == message_id]
    kinds = {e["kind"]: e for e in events}
    assert sorted(kinds) == ["delivered", "filtered", "published"]
    assert kinds["published"]["queue"] == topic.rsplit(":", 1)[-1]
    assert kinds["delivered"]["subscription"] == everything.rsplit("/", 1)[-1]
    assert kinds["delivered"]["copy"] == copy["MessageId"]
    assert kinds["filtered"]["subscription"] == created_only.rsplit("/", 1)[-1]

    record = queue_record.fanout_record(sqs, message_id)
    lanes = set(record.events["label"])
    assert lanes == {f"copy in {everything.rsplit('/', 1)[-1]}",
                     f"filtered out for {created_only.rsplit('/', 1)[-1]}"}  # fmt: skip
    assert list(record.of_kind("sent", "received", "deleted")["kind"]) == [
        "sent", "received", "deleted"
    ]  # fmt: skip
    ax = timeline.plot_timeline(record, title="One event, two subscriptions")
    assert len(ax.get_yticklabels()) == 2
    assert "filtered out" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert figures.alt_text(ax).startswith("One event, two subscriptions. Timeline of 2 messages")
