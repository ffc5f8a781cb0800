"""ListQueues and GetQueueUrl (API_ListQueues.html, API_GetQueueUrl.html); accounts and
regions are in test_accounts.py."""

from __future__ import annotations

from tests.emulator.conformance.conftest import expect_error


def test_prefix_and_pages(sqs, make_queue, queue_name):
    """API_ListQueues.html: QueueNamePrefix; MaxResults 1-1000 with NextToken; no QueueUrls
    key when nothing matches."""
    urls = [make_queue(f"-{i}") for i in range(3)]
    assert sqs.list_queues(QueueNamePrefix=queue_name)["QueueUrls"] == urls
    first = sqs.list_queues(QueueNamePrefix=queue_name, MaxResults=2)
    assert first["QueueUrls"] == urls[:2]
    rest = sqs.list_queues(QueueNamePrefix=queue_name, MaxResults=2, NextToken=first["NextToken"])
    assert rest["QueueUrls"] == urls[2:] and "NextToken" not in rest
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix=queue_name + "-none")
    expect_error(
        lambda: sqs.list_queues(MaxResults=1001),
        "InvalidParameterValue",
        "Value 1001 for parameter MaxResults is invalid. Reason: MaxResults must be an integer "
        "between 1 and 1000.",
    )


def test_unknown_queue(sqs, sqs_endpoint, account):
    """API_GetQueueUrl.html Errors: QueueDoesNotExist (recorded code and message; botocore's
    modeled exception)."""
    expect_error(
        lambda: sqs.get_queue_url(QueueName="no-such-queue"),
        "AWS.SimpleQueueService.NonExistentQueue",
        "The specified queue does not exist.",
    )
    expect_error(
        lambda: sqs.send_message(
            QueueUrl=f"{sqs_endpoint}/{account}/no-such-queue", MessageBody="x"
        ),
        "AWS.SimpleQueueService.NonExistentQueue",
        "The specified queue does not exist.",
    )


def test_every_queue_action_names_a_missing_queue_alike(sqs, sqs_endpoint, account):
    """API_DeleteQueue.html, API_PurgeQueue.html, API_ListQueueTags.html, API_TagQueue.html,
    API_ReceiveMessage.html, API_ListDeadLetterSourceQueues.html: QueueDoesNotExist."""
    url = f"{sqs_endpoint}/{account}/no-such-queue"
    for call in (
        lambda: sqs.delete_queue(QueueUrl=url),
        lambda: sqs.purge_queue(QueueUrl=url),
        lambda: sqs.list_queue_tags(QueueUrl=url),
        lambda: sqs.tag_queue(QueueUrl=url, Tags={"k": "v"}),
        lambda: sqs.receive_message(QueueUrl=url),
        lambda: sqs.list_dead_letter_source_queues(QueueUrl=url),
        lambda: sqs.add_permission(
            QueueUrl=url, Label="l", AWSAccountIds=["111111111111"], Actions=["SendMessage"]
        ),
    ):
        expect_error(
            call, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist."
        )
