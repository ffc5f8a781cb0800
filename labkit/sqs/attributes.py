"""Queue attributes: AWS's names, defaults, ranges, and which ones a queue type accepts."""

from __future__ import annotations

import json

from labkit.sqs.errors import SQSError

# name -> (low, high) for the integer attributes, in AWS's units (seconds or bytes).
RANGES = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, 262144),
    "MessageRetentionPeriod": (60, 1209600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43200),
    "KmsDataKeyReusePeriodSeconds": (60, 86400),
}
BOOLEANS = {"FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled"}
CHOICES = {
    "DeduplicationScope": ("messageGroup", "queue"),
    "FifoThroughputLimit": ("perQueue", "perMessageGroupId"),
}
JSON_VALUED = {"RedrivePolicy", "RedriveAllowPolicy", "Policy"}
FREE_TEXT = {"KmsMasterKeyId"}
FIFO_ONLY = {"ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}
SETTABLE = set(RANGES) | BOOLEANS | set(CHOICES) | JSON_VALUED | FREE_TEXT
READ_ONLY = {
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
}
ALL_NAMES = SETTABLE | READ_ONLY

DEFAULTS = {
    "VisibilityTimeout": "30",
    "MaximumMessageSize": "262144",
    "MessageRetentionPeriod": "345600",
    "DelaySeconds": "0",
    "ReceiveMessageWaitTimeSeconds": "0",
    "SqsManagedSseEnabled": "true",
}
FIFO_DEFAULTS = {
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}


def _bad_value(name: str, reason: str) -> SQSError:
    return SQSError(
        "InvalidAttributeValue", f"Invalid value for the parameter {name}. Reason: {reason}"
    )


def parse_redrive_policy(value: str) -> tuple[str, int]:
    """``(deadLetterTargetArn, maxReceiveCount)`` from the RedrivePolicy JSON."""
    try:
        policy = json.loads(value)
    except ValueError:
        raise _bad_value("RedrivePolicy", "Redrive policy is not a valid JSON map.") from None
    if not isinstance(policy, dict):
        raise _bad_value("RedrivePolicy", "Redrive policy is not a valid JSON map.")
    arn = policy.get("deadLetterTargetArn")
    count = policy.get("maxReceiveCount")
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        raise _bad_value("RedrivePolicy", "Redrive policy needs a deadLetterTargetArn.")
    try:
        count = int(count)
    except (TypeError, ValueError):
        raise _bad_value("RedrivePolicy", "maxReceiveCount must be an integer.") from None
    if not 1 <= count <= 1000:
        raise _bad_value("RedrivePolicy", "maxReceiveCount must be between 1 and 1000.")
    return arn, count


def normalise(attributes: object, fifo: bool, creating: bool) -> dict[str, str]:
    """Check attributes from CreateQueue/SetQueueAttributes; values come back as strings."""
    if attributes is None:
        return {}
    if not isinstance(attributes, dict):
        raise SQSError("InvalidAttributeName", "Attributes must be a map of names to strings.")
    out: dict[str, str] = {}
    for name, value in attributes.items():
        if name not in SETTABLE:
            raise SQSError("InvalidAttributeName", f"Unknown Attribute {name}.")
        if name == "FifoQueue" and not creating:
            raise _bad_value(name, "FifoQueue can only be set when the queue is created.")
        if name in FIFO_ONLY and not fifo:
            raise _bad_value(name, f"{name} is only valid for FIFO queues.")
        if isinstance(value, bool):
            value = "true" if value else "false"
        if isinstance(value, int):
            value = str(value)
        if not isinstance(value, str):
            raise _bad_value(name, "attribute values are strings.")
        if name in RANGES:
            low, high = RANGES[name]
            try:
                number = int(value)
            except ValueError:
                raise _bad_value(name, f"must be an integer from {low} to {high}.") from None
            if not low <= number <= high:
                raise _bad_value(name, f"must be an integer from {low} to {high}.")
            value = str(number)
        elif name in BOOLEANS:
            if value.lower() not in ("true", "false"):
                raise _bad_value(name, "must be true or false.")
            value = value.lower()
        elif name in CHOICES and value not in CHOICES[name]:
            raise _bad_value(name, f"must be one of {', '.join(CHOICES[name])}.")
        elif name == "RedrivePolicy" and value:
            arn, count = parse_redrive_policy(value)
            value = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": count})
        elif name in ("RedriveAllowPolicy", "Policy") and value:
            try:
                json.loads(value)
            except ValueError:
                raise _bad_value(name, "must be a JSON document.") from None
        out[name] = value
    return out
