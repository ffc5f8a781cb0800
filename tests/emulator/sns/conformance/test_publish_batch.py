"""PublishBatch's refusals as AWS answers them (API_PublishBatch.html; recorded:
test_publish_batch_exceptions, test_publish_batch_too_long_message; the entry-id messages are
those LocalStack's provider gives after AWS's)."""

from __future__ import annotations

import json

from tests.emulator.sns.conformance.conftest import expect_error


def test_entry_ids(sns, make_topic):
    """snapshot: test_publish_batch_exceptions / too-many-msg, same-msg-id."""
    topic = make_topic()
    batch = lambda entries: sns.publish_batch(  # noqa: E731
        TopicArn=topic, PublishBatchRequestEntries=entries
    )
    expect_error(
        lambda: batch([{"Id": str(i), "Message": "x"} for i in range(11)]),
        "TooManyEntriesInBatchRequest",
        "The batch request contains more entries than permissible.",
    )
    expect_error(
        lambda: batch([{"Id": "a", "Message": "x"}, {"Id": "a", "Message": "y"}]),
        "BatchEntryIdsNotDistinct",
        "Two or more batch entries in the request have the same Id.",
    )
    expect_error(
        lambda: batch([{"Id": "no spaces", "Message": "x"}]),
        "InvalidBatchEntryId",
        "The Id of a batch entry in the batch request contains an impermissible character: "
        "no spaces",
    )
    long_id = "i" * 81
    expect_error(
        lambda: batch([{"Id": long_id, "Message": "x"}]),
        "InvalidBatchEntryId",
        f"The Id of a batch entry in the batch request is too long: {long_id}",
    )


def test_fifo_topic_refuses_the_whole_request(sns, make_topic):
    """snapshot: test_publish_batch_exceptions / no-group-id, no-dedup-id, no-default-key-json:
    a 400 for the request, not a Failed entry."""
    topic = make_topic(fifo=True)
    ok = {"Id": "ok", "Message": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d"}
    cases = [
        ({"Id": "1", "Message": "x", "MessageDeduplicationId": "d2"},
         "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"),
        ({"Id": "1", "Message": "x", "MessageGroupId": "g"},
         "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or "
         "MessageDeduplicationId provided explicitly"),
        ({"Id": "1", "Message": json.dumps({"sqs": "x"}), "MessageStructure": "json",
          "MessageGroupId": "g", "MessageDeduplicationId": "d3"},
         "Invalid parameter: Message Structure - No default entry in JSON message body"),
    ]  # fmt: skip
    for entry, message in cases:
        expect_error(
            lambda e=entry: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[ok, e]),
            "InvalidParameter",
            message,
        )


def test_too_long_together(sns, make_topic):
    """snapshot: test_publish_batch_too_long_message / error-no-attrs."""
    topic = make_topic()
    entries = [{"Id": str(i), "Message": "x" * 30_000} for i in range(10)]
    expect_error(
        lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries),
        "BatchRequestTooLong",
        "The length of all the messages put together is more than the limit.",
    )
