"""ChangeMessageVisibility and its batch (API_ChangeMessageVisibility.html,
sqs-visibility-timeout.html)."""

from __future__ import annotations

import pytest

from tests.emulator.conformance.conftest import error_of, expect_error


def _counts(sqs, url):
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return int(got[names[0]]), int(got[names[1]])


def test_after_the_timeout_ended_it_answers_success_and_changes_nothing(sqs, make_queue, clock):
    """Recorded: ChangeMessageVisibility with a handle whose visibility timeout has expired
    returns {} (the message stays visible)."""
    url = make_queue(VisibilityTimeout=10)
    sqs.send_message(QueueUrl=url, MessageBody="m")
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]
    clock.advance(11)
    reply = sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=got["ReceiptHandle"], VisibilityTimeout=100
    )
    assert set(reply) == {"ResponseMetadata"}
    assert _counts(sqs, url) == (1, 0)


def test_zero_makes_the_message_visible_at_once(sqs, make_queue):
    """sqs-visibility-timeout.html: "set the visibility timeout to 0" to release a message."""
    url = make_queue(VisibilityTimeout=60)
    sqs.send_message(QueueUrl=url, MessageBody="m")
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]
    assert _counts(sqs, url) == (0, 1)
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=got["ReceiptHandle"], VisibilityTimeout=0
    )
    assert _counts(sqs, url) == (1, 0)


def test_twelve_hours_from_the_receive_at_most(sqs, make_queue, clock):
    """API_ChangeMessageVisibility.html: the timeout may not extend beyond 12 hours from the
    time of the receive."""
    url = make_queue()
    sqs.send_message(QueueUrl=url, MessageBody="m")
    handle = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]["ReceiptHandle"]
    clock.advance(20)
    expect_error(
        lambda: sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43_200
        ),
        "InvalidParameterValue",
        "Value 43200 for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout "
        "for the message is beyond the limit [43200 seconds]",
    )
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43_000)
    expect_error(
        lambda: sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43_201
        ),
        "InvalidParameterValue",
        "Value 43201 for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= "
        "43200, if provided.",
    )


def test_deleted_message_and_bad_handles(sqs, make_queue):
    url = make_queue()
    sqs.send_message(QueueUrl=url, MessageBody="m")
    handle = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]["ReceiptHandle"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    expect_error(
        lambda: sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=5
        ),
        "InvalidParameterValue",
        f"Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist "
        "or is not available for visibility timeout change.",
    )
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle="nope", VisibilityTimeout=5)


def test_batch(sqs, make_queue):
    """API_ChangeMessageVisibilityBatch.html: per-entry results, the batch errors."""
    url = make_queue()
    with pytest.raises(sqs.exceptions.EmptyBatchRequest) as info:
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=[])
    assert error_of(info.value)[1] == (
        "There should be at least one ChangeMessageVisibilityBatchRequestEntry in the request."
    )
    sqs.send_message(QueueUrl=url, MessageBody="m")
    handle = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]["ReceiptHandle"]
    result = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok", "ReceiptHandle": handle, "VisibilityTimeout": 0},
            {"Id": "bad", "ReceiptHandle": "bad", "VisibilityTimeout": 0},
        ],
    )
    assert [e["Id"] for e in result["Successful"]] == ["ok"]
    assert result["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
