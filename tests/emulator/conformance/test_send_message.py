"""SendMessage (API_SendMessage.html), with the message quotas (quotas-messages.html) and
message attributes (sqs-message-metadata.html)."""

from __future__ import annotations

import pytest

from tests.emulator.aws_messages import MISSING_GROUP_ID, fifo_delay
from tests.emulator.conformance.conftest import expect_error, modeled

MIB = 1_048_576
INVALID_CHARACTERS = (
    "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | "
    "#xE000 to #xFFFD | #x10000 to #x10FFFF"
)


def test_empty_body_is_a_missing_parameter(sqs, make_queue):
    """API_SendMessage.html, MessageBody: "The minimum size is one character" (recorded:
    MissingParameter, not InvalidParameterValue)."""
    url = make_queue()
    with pytest.raises(sqs.exceptions.ClientError) as info:
        sqs.send_message(QueueUrl=url, MessageBody="")
    assert info.value.response["Error"]["Code"] == "MissingParameter"
    assert info.value.response["Error"]["Message"] == (
        "The request must contain the parameter MessageBody."
    )
    assert modeled(info.value) == "MissingRequiredParameterException"


def test_the_limit_is_1_mib_of_body_and_attributes(sqs, make_queue):
    """quotas-messages.html: message size 1 byte to 1 MiB (1,048,576 bytes), attributes
    included (recorded message)."""
    url = make_queue()
    sqs.send_message(QueueUrl=url, MessageBody="x" * MIB)
    expect_error(
        lambda: sqs.send_message(QueueUrl=url, MessageBody="x" * (MIB + 1)),
        "InvalidParameterValue",
        f"One or more parameters are invalid. Reason: Message must be shorter than {MIB} bytes.",
    )
    attrs = {"a": {"DataType": "String", "StringValue": "y" * 100}}
    expect_error(
        lambda: sqs.send_message(
            QueueUrl=url, MessageBody="x" * (MIB - 50), MessageAttributes=attrs
        ),
        "InvalidParameterValue",
        f"One or more parameters are invalid. Reason: Message must be shorter than {MIB} bytes.",
    )
    small = make_queue("-small", MaximumMessageSize=1024)  # recorded
    expect_error(
        lambda: sqs.send_message(QueueUrl=small, MessageBody="x" * 1025),
        "InvalidParameterValue",
        "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.",
    )


@pytest.mark.parametrize("body", ["bell \x07", "nul \x00", "lone \ud800 surrogate"])
def test_characters_outside_xml_are_invalid_message_contents(sqs, make_queue, body):
    """API_SendMessage.html, MessageBody: allowed characters #x9 | #xA | #xD | #x20 to #xD7FF
    | #xE000 to #xFFFD | #x10000 to #x10FFFF."""
    url = make_queue()
    with pytest.raises(sqs.exceptions.InvalidMessageContents) as info:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    assert info.value.response["Error"]["Message"] == INVALID_CHARACTERS


def test_delay_seconds(sqs, make_queue):
    """API_SendMessage.html, DelaySeconds: 0 to 900."""
    url = make_queue()
    for value in (901, -1):
        expect_error(
            lambda value=value: sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=value),
            "InvalidParameterValue",
            f"Value {value} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be "
            ">= 0 and <= 900.",
        )


def test_fifo_rules(sqs, make_queue):
    """API_SendMessage.html, FIFO: MessageGroupId required; "You can't set DelaySeconds per
    message" (an explicit 0 is accepted, recorded); a deduplication id or
    ContentBasedDeduplication (recorded messages)."""
    url = make_queue(fifo=True)
    sqs.send_message(
        QueueUrl=url, MessageBody="zero", MessageGroupId="g", MessageDeduplicationId="d0",
        DelaySeconds=0,
    )  # fmt: skip
    expect_error(
        lambda: sqs.send_message(
            QueueUrl=url,
            MessageBody="x",
            MessageGroupId="g",
            MessageDeduplicationId="d1",
            DelaySeconds=2,
        ),  # fmt: skip
        "InvalidParameterValue",
        fifo_delay(2),
    )
    expect_error(
        lambda: sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d"),
        "MissingParameter",
        MISSING_GROUP_ID,
    )
    expect_error(
        lambda: sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g"),
        "InvalidParameterValue",
        "The queue should either have ContentBasedDeduplication enabled or "
        "MessageDeduplicationId provided explicitly",
    )


def test_fifo_queue_delay_applies_to_a_zero_delay_message(sqs, make_queue, clock):
    """Recorded: DelaySeconds=0 on a FIFO queue with a queue delay is delayed by the queue."""
    url = make_queue(fifo=True, DelaySeconds=60, ContentBasedDeduplication="true")
    sqs.send_message(QueueUrl=url, MessageBody="m", MessageGroupId="g", DelaySeconds=0)
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    clock.advance(61)
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]["Body"] == "m"


@pytest.mark.parametrize("value", ["", "a" * 129, "group 123", "naïve"])
def test_group_and_deduplication_ids(sqs, make_queue, value):
    """API_SendMessage.html: up to 128 alphanumeric and punctuation characters (recorded)."""
    url = make_queue(fifo=True, ContentBasedDeduplication="true")
    for name in ("MessageGroupId", "MessageDeduplicationId"):
        ids = {"MessageGroupId": "g", "MessageDeduplicationId": "d", name: value}
        expect_error(
            lambda ids=ids: sqs.send_message(QueueUrl=url, MessageBody="x", **ids),
            "InvalidParameterValue",
            f"Value {value} for parameter {name} is invalid. Reason: {name} can only include "
            "alphanumeric and punctuation characters. 1 to 128 in length.",
        )


def test_standard_queue_ids(sqs, make_queue):
    """API_SendMessage.html: MessageDeduplicationId applies only to FIFO queues; a
    MessageGroupId on a standard queue is kept (fair queues, recorded)."""
    url = make_queue()
    expect_error(
        lambda: sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d"),
        "InvalidParameterValue",
        "Value d for parameter MessageDeduplicationId is invalid. Reason: The request includes "
        "a parameter that is not valid for this queue type.",
    )
    sqs.send_message(QueueUrl=url, MessageBody="fair", MessageGroupId="tenant-1")
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MessageSystemAttributeNames=["All"])
    assert got["Messages"][0]["Attributes"]["MessageGroupId"] == "tenant-1"


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        (
            {"ErrorDetails": {"DataType": "String", "StringValue": ""}},
            "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type "
            "'String'.",  # recorded
        ),
        (
            {"n": {"DataType": "Number", "StringValue": "twelve"}},
            "Can't cast the value of message (user) attribute 'n' to a number.",
        ),
        (
            {"AWS.reserved": {"DataType": "String", "StringValue": "v"}},
            "You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These "
            "strings are reserved for internal use. Additionally, they cannot start or end with "
            "'.'.",
        ),
        (
            {"has space": {"DataType": "String", "StringValue": "v"}},
            "Message (user) attributes name can only contain upper and lower score characters, "
            "digits, periods, hyphens and underscores. ",
        ),
        (
            {"t": {"DataType": "Text", "StringValue": "v"}},
            "Type for parameter MessageAttributes.Attribute_name.DataType must be prefixed with "
            '"String", "Binary", or "Number", but was: Text',
        ),
        (
            {"t": {"DataType": "String.\ud800", "StringValue": "v"}},  # issue 11: was a 500
            "Type for parameter MessageAttributes.Attribute_name.DataType must be prefixed with "
            '"String", "Binary", or "Number", but was: String.\ud800',
        ),
        (
            {"s": {"DataType": "String", "StringValue": "bell \x07"}},
            INVALID_CHARACTERS,
        ),
        (
            {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)},
            "Number of message attributes [11] exceeds the allowed maximum [10].",
        ),
    ],
)
def test_message_attributes(sqs, make_queue, attributes, message):
    """sqs-message-metadata.html: names, the data types String, Number, Binary (with custom
    labels), at most 10 attributes."""
    url = make_queue()
    expect_error(
        lambda: sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attributes),
        "InvalidParameterValue",
        message,
    )


@pytest.mark.parametrize(
    "attribute",
    [
        {"DataType": "Number", "StringValue": "-1.5e3"},
        {"DataType": "Number.kg", "StringValue": "42"},
        {"DataType": "Binary.png", "BinaryValue": b"\x89PNG"},
    ],
    ids=lambda attribute: attribute["DataType"],
)
def test_numbers_and_custom_types_are_accepted(sqs, make_queue, attribute):
    """A custom label after the data type is kept; the value comes back as sent."""
    url = make_queue()
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes={"a": attribute})
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MessageAttributeNames=["All"])
    assert got["Messages"][0]["MessageAttributes"] == {"a": attribute}
