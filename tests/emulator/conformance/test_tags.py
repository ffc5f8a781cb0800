"""TagQueue, UntagQueue, ListQueueTags (API_TagQueue.html, API_UntagQueue.html,
sqs-queue-tags.html: at most 50 tags a queue, keys up to 128 characters, values up to 256)."""

from __future__ import annotations

from tests.emulator.conformance.conftest import expect_error


def test_tag_untag_list(sqs, make_queue):
    """Recorded: an empty tag value is kept; ListQueueTags of an untagged queue has no Tags."""
    url = make_queue()
    assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)
    sqs.tag_queue(QueueUrl=url, Tags={"tag1": "value1", "tag2": "value2", "tag3": ""})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {
        "tag1": "value1",
        "tag2": "value2",
        "tag3": "",
    }
    sqs.untag_queue(QueueUrl=url, TagKeys=["tag1", "tag3", "absent"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"tag2": "value2"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["tag2"])
    assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)


def test_at_most_50_tags(sqs, make_queue, queue_name):
    url = make_queue()
    sqs.tag_queue(QueueUrl=url, Tags={f"k{i}": "v" for i in range(50)})
    expect_error(
        lambda: sqs.tag_queue(QueueUrl=url, Tags={"one-more": "v"}),
        "InvalidParameterValue",
        f"Too many tags added for queue {queue_name}.",
    )
    sqs.tag_queue(QueueUrl=url, Tags={"k0": "changed"})  # replacing a value adds no tag
    assert len(sqs.list_queue_tags(QueueUrl=url)["Tags"]) == 50


def test_keys_and_values(sqs, make_queue):
    url = make_queue()
    expect_error(
        lambda: sqs.tag_queue(QueueUrl=url, Tags={"k" * 129: "v"}),
        "InvalidParameterValue",
        "Tag keys must be between 1 and 128 characters in length.",
    )
    expect_error(
        lambda: sqs.untag_queue(QueueUrl=url, TagKeys=[]),
        "InvalidParameterValue",
        "Tag keys must be between 1 and 128 characters in length.",
    )
    expect_error(
        lambda: sqs.tag_queue(QueueUrl=url, Tags={}),
        "MissingParameter",
        "The request must contain the parameter Tags.",
    )
