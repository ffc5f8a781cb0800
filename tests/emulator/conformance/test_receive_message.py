"""ReceiveMessage (API_ReceiveMessage.html): parameter ranges and attribute selection."""

from __future__ import annotations

import pytest

from tests.emulator.conformance.conftest import expect_error
from tests.emulator.conftest import sqs_call


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"MaxNumberOfMessages": 11},
            "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 "
            "and 10, if provided.",  # recorded
        ),
        (
            {"MaxNumberOfMessages": 0},
            "Value 0 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 "
            "and 10, if provided.",
        ),
        (
            {"WaitTimeSeconds": 21},
            "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, "
            "if provided.",  # recorded
        ),
        (
            {"WaitTimeSeconds": -1},
            "Value -1 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, "
            "if provided.",  # recorded
        ),
        (
            {"VisibilityTimeout": 43201},
            "Value 43201 for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and "
            "<= 43200, if provided.",
        ),
    ],
)
def test_parameter_ranges(sqs, make_queue, kwargs, message):
    """API_ReceiveMessage.html: MaxNumberOfMessages 1-10, WaitTimeSeconds 0-20,
    VisibilityTimeout 0-43200."""
    url = make_queue()
    expect_error(
        lambda: sqs.receive_message(QueueUrl=url, **kwargs), "InvalidParameterValue", message
    )


@pytest.mark.parametrize("name", ["MaxNumberOfMessages", "WaitTimeSeconds", "VisibilityTimeout"])
@pytest.mark.parametrize("value", ["²", "ten", "1.5", True, 2.5])
def test_numbers_are_ascii_digits_or_a_400(sqs_endpoint, account, make_queue, name, value):
    """Issue 11: "²" passed str.isdigit() and crashed int(): every numeric parameter is a
    JSON integer or ASCII digits, anything else InvalidParameterValue."""
    url = make_queue()
    params = {"QueueUrl": url, name: value}
    status, headers, body = sqs_call(sqs_endpoint, "ReceiveMessage", params, account)
    assert status == 400, body
    assert body["__type"] == "com.amazonaws.sqs#InvalidParameterValueException"
    assert headers["x-amzn-query-error"] == "InvalidParameterValue;Sender"


def test_message_attribute_names_select(sqs, make_queue):
    """API_ReceiveMessage.html, MessageAttributeNames: "All" or ".*" for every attribute,
    a prefix such as "bar.*"; recorded: "*" also means all, "Hel.*" matches Hello and Help.Me,
    unknown or reserved names match nothing."""
    url = make_queue()
    attributes = {
        name: {"DataType": "String", "StringValue": value}
        for name, value in (("General", "Kenobi"), ("Hello", "There"), ("Help.Me", "Me"))
    }
    sqs.send_message(QueueUrl=url, MessageBody="msg", MessageAttributes=attributes)

    def names(selection):
        got = sqs.receive_message(
            QueueUrl=url, WaitTimeSeconds=1, VisibilityTimeout=0, MessageAttributeNames=selection
        )["Messages"][0]
        return set(got.get("MessageAttributes", {}))

    everything = {"General", "Hello", "Help.Me"}
    assert names(["All"]) == names(["*"]) == names([".*"]) == everything
    assert names(["Hel.*"]) == {"Hello", "Help.Me"}
    assert names(["Foo", "Hello"]) == {"Hello"}
    assert names(["Foo", "Help"]) == names(["AWS."]) == names(["..foo"]) == set()
    assert names([]) == set()


def test_system_attribute_names_select(sqs, make_queue):
    """API_ReceiveMessage.html, MessageSystemAttributeNames (and the deprecated
    AttributeNames): All, or the names asked for."""
    url = make_queue()
    sqs.send_message(QueueUrl=url, MessageBody="m")
    got = sqs.receive_message(
        QueueUrl=url, WaitTimeSeconds=1, VisibilityTimeout=0, MessageSystemAttributeNames=["All"]
    )["Messages"][0]["Attributes"]
    assert set(got) == {
        "SenderId",
        "SentTimestamp",
        "ApproximateReceiveCount",
        "ApproximateFirstReceiveTimestamp",
    }
    only = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, AttributeNames=["SenderId"])
    assert set(only["Messages"][0]["Attributes"]) == {"SenderId"}


def test_an_empty_queue_answers_without_messages(sqs, make_queue):
    """Recorded: an empty receive has no Messages key at all."""
    url = make_queue()
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
