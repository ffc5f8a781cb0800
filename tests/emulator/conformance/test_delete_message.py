"""DeleteMessage and DeleteMessageBatch (API_DeleteMessage.html, API_DeleteMessageBatch.html)
and receipt handles (sqs-queue-message-identifiers.html)."""

from __future__ import annotations

import pytest

from tests.emulator.conformance.conftest import error_of, expect_error


def test_a_malformed_handle(sqs, make_queue):
    """API_DeleteMessage.html Errors: ReceiptHandleIsInvalid (AWS knowledge center
    "sqs-receipt-handle-error": 'The input receipt handle ... is not a valid receipt handle')."""
    url = make_queue()
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid) as info:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage")
    assert error_of(info.value) == (
        "ReceiptHandleIsInvalid",
        'The input receipt handle "garbage" is not a valid receipt handle.',
        400,
    )


def test_a_handle_of_another_queue(sqs, make_queue):
    """The same knowledge-center page: a handle from another queue is not valid for this one."""
    url, other = make_queue(), make_queue("-other")
    sqs.send_message(QueueUrl=other, MessageBody="m")
    handle = sqs.receive_message(QueueUrl=other, WaitTimeSeconds=1)["Messages"][0]["ReceiptHandle"]
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid) as info:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert error_of(info.value)[1] == f'The receipt handle "{handle}" is not valid for this queue.'


def test_standard_outdated_handle_succeeds_without_deleting(sqs, make_queue, clock):
    """API_DeleteMessage.html: with an old ReceiptHandle "the request will succeed, but the
    message might not be deleted"; the latest handle deletes even after its timeout ended
    (recorded: the queue is then empty)."""
    url = make_queue(VisibilityTimeout=5)
    sqs.send_message(QueueUrl=url, MessageBody="m")
    first = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]["ReceiptHandle"]
    clock.advance(6)
    second = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]["ReceiptHandle"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first)  # succeeds ...
    clock.advance(6)
    third = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]  # ... not deleted
    assert second != third[0]["ReceiptHandle"]
    clock.advance(6)  # the latest handle still deletes once its timeout ended
    sqs.delete_message(QueueUrl=url, ReceiptHandle=third[0]["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)


def test_fifo_expired_handle_is_refused(sqs, make_queue, clock):
    """Recorded (and knowledge center): on a FIFO queue a handle expires with its visibility
    timeout: InvalidParameterValue "The receipt handle has expired." Extending the timeout
    first keeps it valid (recorded)."""
    url = make_queue(fifo=True, ContentBasedDeduplication="true", VisibilityTimeout=5)
    sqs.send_message(QueueUrl=url, MessageBody="foobar", MessageGroupId="g")
    handle = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]["ReceiptHandle"]
    clock.advance(6)
    expect_error(
        lambda: sqs.delete_message(QueueUrl=url, ReceiptHandle=handle),
        "InvalidParameterValue",
        f"Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has "
        "expired.",
    )
    again = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]["ReceiptHandle"]
    clock.advance(4)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=again, VisibilityTimeout=10)
    clock.advance(4)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again)
    clock.advance(20)
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)


def test_batch_reports_each_entry(sqs, make_queue):
    """API_DeleteMessageBatch.html: per-entry results; EmptyBatchRequest wording names the
    entry type."""
    url = make_queue()
    with pytest.raises(sqs.exceptions.EmptyBatchRequest) as info:
        sqs.delete_message_batch(QueueUrl=url, Entries=[])
    assert error_of(info.value)[1] == (
        "There should be at least one DeleteMessageBatchRequestEntry in the request."
    )
    batch = sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "1", "ReceiptHandle": "bad"}])
    assert batch["Failed"] == [
        {
            "Id": "1",
            "SenderFault": True,
            "Code": "ReceiptHandleIsInvalid",
            "Message": 'The input receipt handle "bad" is not a valid receipt handle.',
        }
    ]
    twenty = [{"Id": str(i), "ReceiptHandle": "x"} for i in range(20)]
    with pytest.raises(sqs.exceptions.TooManyEntriesInBatchRequest) as info:
        sqs.delete_message_batch(QueueUrl=url, Entries=twenty)
    assert error_of(info.value)[1] == (
        "Maximum number of entries per request are 10. You have sent 20."  # recorded
    )
