"""RedrivePolicy and ListDeadLetterSourceQueues (sqs-dead-letter-queues.html,
API_SetQueueAttributes.html RedrivePolicy, API_ListDeadLetterSourceQueues.html)."""

from __future__ import annotations

import json

import pytest

from tests.emulator.conformance.conftest import expect_error


def _arn(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


@pytest.mark.parametrize(
    ("policy", "reason"),
    [
        (
            '{"deadLetterTargetArn": "dummy", "maxReceiveCount": 42}',
            "Invalid value for deadLetterTargetArn.",  # recorded
        ),
        ("not json", "Redrive policy is not a valid JSON map."),
        ("[" * 100_000, "Redrive policy is not a valid JSON map."),  # issue 11: was a 500
        (
            '{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:ACCOUNT:nowhere", '
            '"maxReceiveCount": 3}',
            "Dead letter target does not exist.",
        ),
    ],
)
def test_invalid_policies(sqs, account, make_queue, policy, reason):
    """The error names the policy as it was written (recorded); ACCOUNT: the caller's own."""
    url = make_queue()
    policy = policy.replace("ACCOUNT", account)
    expect_error(
        lambda: sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": policy}),
        "InvalidParameterValue",
        f"Value {policy} for parameter RedrivePolicy is invalid. Reason: {reason}",
    )


def test_max_receive_count_range(sqs, make_queue):
    url, dlq = make_queue(), make_queue("-dlq")
    for count in (0, 1001):
        policy = json.dumps({"deadLetterTargetArn": _arn(sqs, dlq), "maxReceiveCount": count})
        expect_error(
            lambda policy=policy: sqs.set_queue_attributes(
                QueueUrl=url, Attributes={"RedrivePolicy": policy}
            ),
            "InvalidParameterValue",
            f"Value {policy} for parameter RedrivePolicy is invalid. Reason: Invalid value for "
            f"maxReceiveCount: {count}, valid values are from 1 to 1000 both inclusive.",
        )


def test_the_dead_letter_queue_has_the_source_type(sqs, make_queue):
    """sqs-dead-letter-queues.html: "The dead-letter queue of a FIFO queue must also be a FIFO
    queue" (AWS's error, as seen by CloudFormation users)."""
    fifo, standard_dlq = make_queue(fifo=True), make_queue("-dlq")
    policy = json.dumps({"deadLetterTargetArn": _arn(sqs, standard_dlq), "maxReceiveCount": "15"})
    expect_error(
        lambda: sqs.set_queue_attributes(QueueUrl=fifo, Attributes={"RedrivePolicy": policy}),
        "InvalidParameterValue",
        f"Value {policy} for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must "
        "be same type of queue as the source.",
    )


def test_empty_policy_removes_it_and_sources_are_listed(sqs, make_queue):
    """Recorded: RedrivePolicy "" removes the policy; API_ListDeadLetterSourceQueues.html
    lists the queues naming this one, with MaxResults/NextToken paging."""
    dlq = make_queue("-dlq")
    policy = json.dumps({"deadLetterTargetArn": _arn(sqs, dlq), "maxReceiveCount": 2})
    sources = [make_queue(f"-src{i}", RedrivePolicy=policy) for i in range(3)]
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == sources
    page = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=2)
    assert page["queueUrls"] == sources[:2]
    rest = sqs.list_dead_letter_source_queues(
        QueueUrl=dlq, MaxResults=2, NextToken=page["NextToken"]
    )
    assert rest["queueUrls"] == sources[2:] and "NextToken" not in rest
    sqs.set_queue_attributes(QueueUrl=sources[0], Attributes={"RedrivePolicy": ""})
    got = sqs.get_queue_attributes(QueueUrl=sources[0], AttributeNames=["RedrivePolicy"])
    assert "Attributes" not in got
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == sources[1:]
