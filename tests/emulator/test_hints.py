"""AWS's words on the wire, labkit's hints beside them: the emulator's errors carry no hints;
the CLI's and the lesson helpers' explanations add them, quoted apart."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from labkit.aws_credentials import describe_error
from labkit.error_hints import hint, with_hint
from labkit.stack.aws import explain
from tests.emulator.aws_messages import MISSING_GROUP_ID, fifo_delay, unknown_attribute

FIFO_DELAY = fifo_delay(2)
EXPIRED_RECEIPT_HANDLE = (
    "Value x for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."
)


def _error(call) -> ClientError:
    with pytest.raises(ClientError) as info:
        call()
    return info.value


def test_the_wire_message_is_aws_alone_and_the_hint_is_labkits(sqs, sqs_endpoint, make_queue):
    url = make_queue(fifo=True, ContentBasedDeduplication="true")
    err = _error(
        lambda: sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", DelaySeconds=2)
    )
    assert err.response["Error"]["Message"] == FIFO_DELAY  # no teaching text on the wire
    line = str(describe_error(err, sqs_endpoint))
    assert line.startswith(f'AWS at {sqs_endpoint} answered InvalidParameterValue: "{FIFO_DELAY}"')
    assert line.endswith(
        " -- labkit: a FIFO queue delays messages per queue only (its DelaySeconds attribute); "
        "send without DelaySeconds, or with DelaySeconds=0"
    )
    assert "\n" not in line
    assert explain(err, sqs_endpoint, "q.fifo") == line  # the `labkit queue` CLI's line


def test_lesson_helpers_explain_the_same_way(sqs, make_queue):
    from labkit.lessons.engine.queue_errors import queue_error

    url = make_queue()
    err = _error(lambda: sqs.send_message(QueueUrl=url, MessageBody="x" * 1_048_577))
    text = str(queue_error(err, sqs, url))
    assert (
        '"One or more parameters are invalid. Reason: Message must be shorter than 1048576 ' in text
    )
    assert "-- labkit: the body and the message attributes count together" in text


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        ("MissingParameter", MISSING_GROUP_ID, "MessageGroupId"),
        ("InvalidParameterValue", MISSING_GROUP_ID, "batch"),
        ("InvalidAttributeName", unknown_attribute("FifoQueue"), "NAME.fifo"),
        ("AWS.SimpleQueueService.PurgeQueueInProgress", "Only one PurgeQueue ...", "once a minute"),
        ("InvalidParameterValue", EXPIRED_RECEIPT_HANDLE, "visibility timeout ended"),
    ],
)
def test_hints_by_code_and_message(code, message, expected):
    assert expected in hint(code, message)


def test_no_hint_leaves_aws_words_alone():
    assert hint("AccessDenied", "nope") is None
    assert with_hint("AWS answered", "AccessDenied", "nope") == 'AWS answered AccessDenied: "nope"'
