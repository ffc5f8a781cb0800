"""labkit's own explanations of SQS errors, kept apart from AWS's words.

The emulator answers exactly as AWS does (code and message), so a student meets the same
error text here and on AWS. What the error means for the lesson, and what to do, is labkit's
to add: `with_hint` quotes AWS's message and puts the hint after it, marked as labkit's. The CLI
and the lesson helpers reach it through `labkit.aws_credentials.describe_error`.
"""

from __future__ import annotations

import re

# (error code, pattern in AWS's message or None for any, labkit's hint); first match wins.
_HINTS: list[tuple[str, str | None, str]] = [
    (
        "InvalidParameterValue",
        r"parameter DelaySeconds is invalid\. Reason: The request include parameter",
        "a FIFO queue delays messages per queue only (its DelaySeconds attribute); send "
        "without DelaySeconds, or with DelaySeconds=0",
    ),
    (
        "MissingParameter",
        r"parameter MessageGroupId\.",
        "every message to a FIFO queue needs a MessageGroupId: a group's messages are "
        "delivered in order, one at a time",
    ),
    (
        "InvalidParameterValue",
        r"parameter MessageGroupId\.$",
        "every entry of a batch to a FIFO queue needs a MessageGroupId (one entry without it "
        "refuses the whole batch)",
    ),
    (
        "InvalidParameterValue",
        r"ContentBasedDeduplication enabled or MessageDeduplicationId",
        "a FIFO queue drops a message whose deduplication id it saw in the last 5 minutes: pass "
        "MessageDeduplicationId, or create the queue with ContentBasedDeduplication=true to "
        "use a hash of the body",
    ),
    (
        "InvalidParameterValue",
        r"Message must be shorter than",
        "the body and the message attributes count together against the queue's "
        "MaximumMessageSize (at most 1 MiB); store big data elsewhere and send a reference",
    ),
    (
        "InvalidParameterValue",
        r"^Can only include alphanumeric characters",
        "queue names use letters, digits, - and _ (at most 80); a name ending in .fifo "
        "belongs to a FIFO queue and needs the attribute FifoQueue=true",
    ),
    (
        "InvalidParameterValue",
        r"^The name of a FIFO queue",
        "a FIFO queue's name ends in .fifo, and the suffix counts toward the 80 characters",
    ),
    (
        "InvalidParameterValue",
        r"Dead-letter queue must be same type",
        "the dead-letter queue of a FIFO queue must be a FIFO queue, of a standard queue a "
        "standard queue",
    ),
    (
        "InvalidParameterValue",
        r"Dead letter target does not exist",
        "create the dead-letter queue first and use its QueueArn (GetQueueAttributes), in the "
        "same account and region",
    ),
    (
        "InvalidParameterValue",
        r"The receipt handle has expired",
        "the visibility timeout ended before the delete, so the message is back in the queue: "
        "raise VisibilityTimeout, or extend it with ChangeMessageVisibility while working",
    ),
    (
        "InvalidParameterValue",
        r"parameter MaxNumberOfMessages",
        "one receive returns at most 10 messages: receive again for more",
    ),
    (
        "InvalidParameterValue",
        r"parameter WaitTimeSeconds",
        "a long poll waits at most 20 seconds: poll again to wait longer",
    ),
    (
        "InvalidParameterValue",
        r"^Too many tags",
        "a queue holds at most 50 tags",
    ),
    (
        "InvalidAttributeName",
        r"^Unknown Attribute (FifoQueue|ContentBasedDeduplication)\.",
        "a standard queue has no FIFO attributes: for a FIFO queue, name it NAME.fifo and set "
        "FifoQueue=true when creating it",
    ),
    (
        "InvalidAttributeName",
        r"only when FifoQueue is set to true",
        "this setting belongs to FIFO queues (NAME.fifo with FifoQueue=true)",
    ),
    (
        "ReceiptHandleIsInvalid",
        None,
        "delete or change a message with the ReceiptHandle of its latest receive from this "
        "queue (not its MessageId)",
    ),
    (
        "AWS.SimpleQueueService.PurgeQueueInProgress",
        None,
        "PurgeQueue works once a minute per queue; on the lab's emulator "
        "labkit.lessons.engine.queue_state.start_clean empties a queue at any time",
    ),
    (
        "AWS.SimpleQueueService.BatchRequestTooLong",
        None,
        "a batch's messages together stay within 1 MiB: send fewer in one batch",
    ),
    (
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        None,
        "a batch carries at most 10 entries: split the list",
    ),
    (
        "QueueAlreadyExists",
        None,
        "the queue exists with other settings: use GetQueueUrl, or change them with "
        "SetQueueAttributes",
    ),
]


def hint(code: str, message: str) -> str | None:
    """labkit's hint for an SQS error ``code`` with AWS's ``message``, if it has one."""
    for hint_code, pattern, text in _HINTS:
        if code == hint_code and (pattern is None or re.search(pattern, message)):
            return text
    return None


def with_hint(prefix: str, code: str, message: str) -> str:
    """One line: ``<prefix> <code>: "<AWS's message>"``, then ``-- labkit: <hint>`` if any."""
    line = f'{prefix} {code}: "{message}"'
    extra = hint(code, message)
    return f"{line} -- labkit: {extra}" if extra else line
