"""GetQueueAttributes and SetQueueAttributes (API_GetQueueAttributes.html,
API_SetQueueAttributes.html)."""

from __future__ import annotations

import json

import pytest

from tests.emulator.aws_messages import fifo_only, unknown_attribute
from tests.emulator.conformance.conftest import expect_error


def test_unknown_attribute_names(sqs, make_queue):
    """API_GetQueueAttributes.html: InvalidAttributeName "The specified attribute doesn't
    exist" (message: "Unknown Attribute <name>.")."""
    url = make_queue()
    expect_error(
        lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["NoSuchAttribute"]),
        "InvalidAttributeName",
        unknown_attribute("NoSuchAttribute"),
    )
    expect_error(
        lambda: sqs.set_queue_attributes(QueueUrl=url, Attributes={"Colour": "blue"}),
        "InvalidAttributeName",
        unknown_attribute("Colour"),
    )
    expect_error(
        lambda: sqs.set_queue_attributes(QueueUrl=url, Attributes={"QueueArn": "x"}),
        "InvalidAttributeName",
        unknown_attribute("QueueArn"),
    )


@pytest.mark.parametrize(
    ("attribute", "value", "message"),
    [
        ("FifoQueue", "true", unknown_attribute("FifoQueue")),  # recorded
        ("FifoQueue", "false", unknown_attribute("FifoQueue")),
        ("ContentBasedDeduplication", "true", unknown_attribute("ContentBasedDeduplication")),
        ("DeduplicationScope", "messageGroup", fifo_only("DeduplicationScope")),
    ],
)
def test_fifo_attributes_on_a_standard_queue(sqs, make_queue, attribute, value, message):
    """API_SetQueueAttributes.html: FIFO-only attributes; recorded as InvalidAttributeName."""
    url = make_queue()
    expect_error(
        lambda: sqs.set_queue_attributes(QueueUrl=url, Attributes={attribute: value}),
        "InvalidAttributeName",
        message,
    )


def test_values_are_checked_and_stored_as_aws_returns_them(sqs, make_queue):
    """API_SetQueueAttributes.html ranges; booleans come back lower case."""
    url = make_queue(fifo=True)
    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={"ContentBasedDeduplication": "TRUE", "VisibilityTimeout": "0045"},
    )
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert got["ContentBasedDeduplication"] == "true" and got["VisibilityTimeout"] == "45"
    for value in ("43201", "²", "1e3", " 5"):
        expect_error(
            lambda value=value: sqs.set_queue_attributes(
                QueueUrl=url, Attributes={"VisibilityTimeout": value}
            ),
            "InvalidAttributeValue",
            "Invalid value for the parameter VisibilityTimeout.",
        )


def test_kms_settings_replace_sqs_managed_encryption(sqs, make_queue):
    """Recorded: after KmsMasterKeyId is set, SqsManagedSseEnabled reads false; both at once
    is refused."""
    url = make_queue()
    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={"KmsMasterKeyId": "testKeyId", "KmsDataKeyReusePeriodSeconds": "6000"},
    )
    got = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled"],
    )["Attributes"]
    assert got == {
        "KmsMasterKeyId": "testKeyId",
        "KmsDataKeyReusePeriodSeconds": "6000",
        "SqsManagedSseEnabled": "false",
    }
    expect_error(
        lambda: sqs.set_queue_attributes(
            QueueUrl=url, Attributes={"KmsMasterKeyId": "k", "SqsManagedSseEnabled": "true"}
        ),
        "InvalidAttributeName",
        "You can use one type of server-side encryption (SSE) at one time. You can either "
        "enable KMS SSE or SQS SSE.",
    )


def test_policy_is_stored_and_deeply_nested_json_refused(sqs, make_queue):
    """API_SetQueueAttributes.html, Policy: a valid IAM policy document."""
    url = make_queue()
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]
    assert json.loads(got["Policy"]) == json.loads(policy)
    deep = '{"a":' * 50_000 + "1" + "}" * 50_000
    expect_error(
        lambda: sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": deep}),
        "InvalidAttributeValue",
        "Invalid value for the parameter Policy.",
    )
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])


def test_missing_queue(sqs, sqs_endpoint, account):
    """API_GetQueueAttributes.html: QueueDoesNotExist (recorded message and code)."""
    url = f"{sqs_endpoint}/{account}/no-such-queue"
    for call in (
        lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]),
        lambda: sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "1"}),
    ):
        expect_error(
            call, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist."
        )
