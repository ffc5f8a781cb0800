"""SendMessageBatch (API_SendMessageBatch.html) and the batch errors of CommonErrors and
quotas-messages.html."""

from __future__ import annotations

import pytest

from tests.emulator.aws_messages import MISSING_GROUP_ID, fifo_delay
from tests.emulator.conformance.conftest import error_of, expect_error, modeled

MIB = 1_048_576


def test_request_level_errors(sqs, make_queue):
    """API_SendMessageBatch.html Errors: EmptyBatchRequest, TooManyEntriesInBatchRequest,
    BatchEntryIdsNotDistinct, InvalidBatchEntryId (recorded messages where marked)."""
    url = make_queue()
    with pytest.raises(sqs.exceptions.EmptyBatchRequest) as info:
        sqs.send_message_batch(QueueUrl=url, Entries=[])
    assert error_of(info.value) == (
        "AWS.SimpleQueueService.EmptyBatchRequest",
        "There should be at least one SendMessageBatchRequestEntry in the request.",
        400,
    )
    eleven = [{"Id": str(i), "MessageBody": "x"} for i in range(11)]
    with pytest.raises(sqs.exceptions.TooManyEntriesInBatchRequest) as info:
        sqs.send_message_batch(QueueUrl=url, Entries=eleven)
    assert error_of(info.value)[1] == (
        "Maximum number of entries per request are 10. You have sent 11."  # recorded
    )
    with pytest.raises(sqs.exceptions.BatchEntryIdsNotDistinct) as info:
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "1"}, {"Id": "a", "MessageBody": "2"}]
        )
    assert error_of(info.value)[1] == "Id a repeated."
    for bad in ("no spaces", "x" * 81, "invalid:id"):
        with pytest.raises(sqs.exceptions.InvalidBatchEntryId) as info:
            sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": bad, "MessageBody": "1"}])
        assert error_of(info.value)[1] == (
            "A batch entry id can only contain alphanumeric characters, hyphens and "
            "underscores. It can be at most 80 letters long."  # recorded
        )


def test_the_whole_batch_is_at_most_1_mib(sqs, make_queue):
    """quotas-messages.html: a batch's messages together at most 1 MiB; recorded
    BatchRequestTooLong message."""
    url = make_queue()
    entries = [
        {"Id": "1", "MessageBody": "x" * (MIB - 200)},
        {"Id": "2", "MessageBody": "y" * 201},
    ]
    with pytest.raises(sqs.exceptions.BatchRequestTooLong) as info:
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert error_of(info.value) == (
        "AWS.SimpleQueueService.BatchRequestTooLong",
        f"Batch requests cannot be longer than {MIB} bytes. You have sent {MIB + 1} bytes.",
        400,
    )
    assert modeled(info.value) == "BatchRequestTooLong"
    entries[1]["MessageBody"] = "y" * 200  # exactly 1 MiB in all
    assert len(sqs.send_message_batch(QueueUrl=url, Entries=entries)["Successful"]) == 2


def test_one_bad_entry_fails_alone(sqs, make_queue):
    """API_SendMessageBatch.html: "The result of sending each message is reported
    individually"; recorded wording of an entry over the queue's MaximumMessageSize."""
    url = make_queue(MaximumMessageSize=1024)
    result = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok", "MessageBody": "fine"},
            {"Id": "big", "MessageBody": "x" * 1025},
            {"Id": "bad", "MessageBody": "\x00"},
            {"Id": "empty", "MessageBody": ""},
        ],
    )
    assert [e["Id"] for e in result["Successful"]] == ["ok"]
    failed = {e["Id"]: (e["Code"], e["Message"], e["SenderFault"]) for e in result["Failed"]}
    assert failed["big"] == (
        "InvalidParameterValue",
        "One or more parameters cannot be validated. Reason: Message must be shorter than 1024 "
        "bytes.",
        True,
    )
    assert failed["bad"][0] == "InvalidMessageContents"
    assert failed["empty"][:2] == (
        "MissingParameter",
        "The request must contain the parameter MessageBody.",
    )


def test_fifo_batch_without_group_or_dedup_id_rejects_the_whole_request(sqs, make_queue):
    """Recorded: a FIFO batch with an entry lacking MessageGroupId, or lacking a deduplication
    id on a queue without ContentBasedDeduplication, fails as a whole (InvalidParameterValue),
    and nothing is sent."""
    url = make_queue(fifo=True)
    ok = {"Id": "ok", "MessageBody": "1", "MessageGroupId": "g", "MessageDeduplicationId": "d"}
    expect_error(
        lambda: sqs.send_message_batch(
            QueueUrl=url, Entries=[ok, {"Id": "b", "MessageBody": "2", "MessageGroupId": "g"}]
        ),
        "InvalidParameterValue",
        "The queue should either have ContentBasedDeduplication enabled or "
        "MessageDeduplicationId provided explicitly",
    )
    expect_error(
        lambda: sqs.send_message_batch(
            QueueUrl=url,
            Entries=[ok, {"Id": "b", "MessageBody": "2", "MessageDeduplicationId": "e"}],
        ),
        "InvalidParameterValue",
        MISSING_GROUP_ID,
    )
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert counts["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_fifo_batch_entry_with_delay_zero_is_accepted(sqs, make_queue):
    """API_SendMessageBatchRequestEntry.html: DelaySeconds per message is refused on FIFO
    queues, but an explicit 0 is accepted (recorded for SendMessage)."""
    url = make_queue(fifo=True, ContentBasedDeduplication="true")
    result = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "MessageBody": "a", "MessageGroupId": "g", "DelaySeconds": 0},
            {"Id": "b", "MessageBody": "b", "MessageGroupId": "g", "DelaySeconds": 3},
        ],
    )
    assert [e["Id"] for e in result["Successful"]] == ["a"]
    assert result["Failed"][0]["Message"] == fifo_delay(3)
