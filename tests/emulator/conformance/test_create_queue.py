"""CreateQueue, as the API Reference (API_CreateQueue.html) and the quotas page describe it."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.emulator.aws_messages import fifo_only, unknown_attribute
from tests.emulator.conformance.conftest import error_of, expect_error, modeled

NAME_RULE = "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
FIFO_NAME_RULE = (
    "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
    "underscores, must end with .fifo suffix and be 1 to 80 in length"
)


@pytest.mark.parametrize(
    ("name", "attributes", "message"),
    [
        ("plain.fifo", {}, NAME_RULE),  # .fifo without FifoQueue=true is a standard queue name
        ("bad name!", {}, NAME_RULE),
        ("x" * 81, {}, NAME_RULE),
        ("needs-suffix", {"FifoQueue": "true"}, FIFO_NAME_RULE),
        ("x" * 76 + ".fifo", {"FifoQueue": "true"}, FIFO_NAME_RULE),  # .fifo counts toward 80
    ],
)
def test_queue_names(sqs, name, attributes, message):
    """API_CreateQueue.html, QueueName: up to 80 alphanumerics, hyphens and underscores; a
    FIFO queue's name ends in .fifo, which counts toward the 80."""
    expect_error(
        lambda: sqs.create_queue(QueueName=name, Attributes=attributes),
        "InvalidParameterValue",
        message,
    )


def test_longest_names_are_accepted(sqs):
    for name, attrs in (("s" * 80, {}), ("f" * 75 + ".fifo", {"FifoQueue": "true"})):
        url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
        sqs.delete_queue(QueueUrl=url)


@pytest.mark.parametrize(
    ("attribute", "value", "message"),
    [
        ("FifoQueue", "false", unknown_attribute("FifoQueue")),  # recorded
        ("FifoQueue", "true", None),  # a standard name: the FIFO name rule applies first
        ("ContentBasedDeduplication", "false", unknown_attribute("ContentBasedDeduplication")),
        ("DeduplicationScope", "queue", fifo_only("DeduplicationScope")),
        ("FifoThroughputLimit", "perQueue", fifo_only("FifoThroughputLimit")),
        ("Colour", "blue", unknown_attribute("Colour")),
        ("QueueArn", "arn:aws:sqs:us-east-1:000000000000:x", unknown_attribute("QueueArn")),
    ],
)
def test_fifo_attributes_on_a_standard_queue(sqs, queue_name, attribute, value, message):
    """API_CreateQueue.html, Attributes: FifoQueue, ContentBasedDeduplication and the
    high-throughput settings "apply only to FIFO queues" (recorded: InvalidAttributeName)."""
    with pytest.raises(ClientError) as info:
        sqs.create_queue(QueueName=queue_name, Attributes={attribute: value})
    if message is None:
        assert error_of(info.value) == ("InvalidParameterValue", FIFO_NAME_RULE, 400)
    else:
        assert error_of(info.value) == ("InvalidAttributeName", message, 400)
        assert isinstance(info.value, sqs.exceptions.InvalidAttributeName)


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("VisibilityTimeout", "43201"),
        ("VisibilityTimeout", "-1"),
        ("DelaySeconds", "901"),
        ("MessageRetentionPeriod", "59"),
        ("MessageRetentionPeriod", "1209601"),
        ("ReceiveMessageWaitTimeSeconds", "21"),
        ("MaximumMessageSize", "1023"),
        ("MaximumMessageSize", "1048577"),
        ("VisibilityTimeout", "²"),  # not ASCII digits (issue 11: was a 500)
        ("VisibilityTimeout", "3.5"),
        ("SqsManagedSseEnabled", "maybe"),
        ("Policy", "{not json"),
        ("Policy", "[" * 100_000),  # nesting bounded before parsing (issue 11: was a 500)
    ],
)
def test_attribute_values_out_of_range(sqs, queue_name, attribute, value):
    """API_SetQueueAttributes.html lists each attribute's range (quotas-queues.html: the
    maximum message size is 1 MiB); AWS answers InvalidAttributeValue."""
    expect_error(
        lambda: sqs.create_queue(QueueName=queue_name, Attributes={attribute: value}),
        "InvalidAttributeValue",
        f"Invalid value for the parameter {attribute}.",
    )


def test_defaults_and_the_1_mib_maximum(sqs, make_queue):
    """API_SetQueueAttributes.html: MaximumMessageSize 1,024 to 1,048,576 bytes (1 MiB, the
    default); recorded defaults of a new queue."""
    url = make_queue()
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert {k: attrs[k] for k in ("MaximumMessageSize", "MessageRetentionPeriod")} == {
        "MaximumMessageSize": "1048576",
        "MessageRetentionPeriod": "345600",
    }
    assert attrs["VisibilityTimeout"] == "30" and attrs["SqsManagedSseEnabled"] == "true"
    big = make_queue("-big", MaximumMessageSize=1_048_576)
    got = sqs.get_queue_attributes(QueueUrl=big, AttributeNames=["MaximumMessageSize"])
    assert got["Attributes"]["MaximumMessageSize"] == "1048576"


def test_same_name_same_attributes_is_idempotent_else_queue_name_exists(sqs, queue_name):
    """API_CreateQueue.html: "If you provide the name of an existing queue along with the exact
    names and values of all the queue's attributes, CreateQueue returns the queue URL";
    otherwise QueueNameExists (recorded message, code QueueAlreadyExists)."""
    url = sqs.create_queue(QueueName=queue_name, Attributes={"DelaySeconds": "4"})["QueueUrl"]
    try:
        again = sqs.create_queue(QueueName=queue_name, Attributes={"DelaySeconds": "4"})
        assert again["QueueUrl"] == url
        with pytest.raises(sqs.exceptions.QueueNameExists) as info:
            sqs.create_queue(QueueName=queue_name, Attributes={"DelaySeconds": "5"})
        assert error_of(info.value) == (
            "QueueAlreadyExists",
            "A queue already exists with the same name and a different value for attribute "
            "DelaySeconds",
            400,
        )
        assert modeled(info.value) == "QueueNameExists"
    finally:
        sqs.delete_queue(QueueUrl=url)


def test_sse_kms_and_sqs_are_exclusive(sqs, queue_name):
    """API_SetQueueAttributes.html, server-side encryption: one of SSE-KMS or SSE-SQS
    (recorded message)."""
    expect_error(
        lambda: sqs.create_queue(
            QueueName=queue_name,
            Attributes={"KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": "true"},
        ),
        "InvalidAttributeName",
        "You can use one type of server-side encryption (SSE) at one time. You can either "
        "enable KMS SSE or SQS SSE.",
    )


def test_fifo_queue_true_is_accepted_on_a_fifo_queue(sqs, make_queue):
    """Recorded: FifoQueue=true on a FIFO queue is accepted (as CreateQueue and
    SetQueueAttributes); FifoQueue=false is "Modifying queue type is not supported"."""
    url = make_queue(fifo=True)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "true"})
    expect_error(
        lambda: sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "false"}),
        "InvalidAttributeValue",
        "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.",
    )


def test_tags_at_creation(sqs, queue_name):
    """API_CreateQueue.html, tags; sqs-queue-tags.html: at most 50 tags per queue."""
    url = sqs.create_queue(QueueName=queue_name, tags={"team": "csse6400"})["QueueUrl"]
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "csse6400"}
    sqs.delete_queue(QueueUrl=url)
    tags = {f"k{i}": "v" for i in range(51)}
    expect_error(
        lambda: sqs.create_queue(QueueName=queue_name, tags=tags),
        "InvalidParameterValue",
        f"Too many tags added for queue {queue_name}.",
    )
