"""Queue attributes: AWS's names, defaults, ranges, and which ones a queue type accepts.

The error for each rule is the one AWS answers (InvalidAttributeName for a name the queue type
does not have, InvalidAttributeValue for a value out of range, InvalidParameterValue for a bad
RedrivePolicy), so the same boto3 code fails the same way here and on AWS.
"""

from __future__ import annotations

import json
import re

from labkit.emulator.sqs.errors import SQSError, invalid_value, unknown_attribute
from labkit.web_guard import json_depth

MAX_MESSAGE_SIZE = 1_048_576  # 1 MiB: AWS's limit for a message and for a whole batch

# name -> (low, high) for the integer attributes, in AWS's units (seconds or bytes).
RANGES = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, MAX_MESSAGE_SIZE),
    "MessageRetentionPeriod": (60, 1_209_600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43_200),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400),
}
BOOLEANS = {"FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled"}
CHOICES = {
    "DeduplicationScope": ("messageGroup", "queue"),
    "FifoThroughputLimit": ("perQueue", "perMessageGroupId"),
}
JSON_VALUED = {"RedrivePolicy", "RedriveAllowPolicy", "Policy"}
FREE_TEXT = {"KmsMasterKeyId"}
# On a standard queue AWS does not know these two at all ("Unknown Attribute") ...
FIFO_ONLY_NAMES = {"FifoQueue", "ContentBasedDeduplication"}
# ... and these two it names, but refuses ("only when FifoQueue is set to true").
FIFO_ONLY_SETTINGS = {"DeduplicationScope", "FifoThroughputLimit"}
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
    "MaximumMessageSize": str(MAX_MESSAGE_SIZE),
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
MAX_JSON_DEPTH = 32  # a policy deeper than this is refused before it is parsed
_DIGITS = re.compile(r"^-?[0-9]{1,20}$")  # ASCII only: str.isdigit() also accepts "²"
_QUEUE_ARN = re.compile(r"^arn:aws:sqs:[a-z0-9-]{1,32}:[0-9]{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$")


def _bad_value(name: str) -> SQSError:
    return SQSError("InvalidAttributeValue", f"Invalid value for the parameter {name}.")


def load_json(text: str) -> object:
    """``json.loads`` for a policy document, refusing deep nesting first (ValueError)."""
    if json_depth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep")
    return json.loads(text)


def parse_redrive_policy(value: str) -> tuple[str, int]:
    """``(deadLetterTargetArn, maxReceiveCount)`` from the RedrivePolicy JSON, or AWS's error."""
    try:
        policy = load_json(value)
    except (ValueError, RecursionError):
        policy = None
    if not isinstance(policy, dict):
        raise invalid_value("RedrivePolicy", value, "Redrive policy is not a valid JSON map.")
    arn = policy.get("deadLetterTargetArn")
    if not isinstance(arn, str) or not _QUEUE_ARN.match(arn):
        raise invalid_value("RedrivePolicy", value, "Invalid value for deadLetterTargetArn.")
    count = policy.get("maxReceiveCount")
    if count is None:
        raise invalid_value("RedrivePolicy", value, "Invalid value for maxReceiveCount.")
    number = _as_int(count)
    if number is None or not 1 <= number <= 1000:
        raise invalid_value(
            "RedrivePolicy",
            value,
            f"Invalid value for maxReceiveCount: {count}, valid values are from 1 to 1000 both "
            "inclusive.",
        )
    return arn, number


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _DIGITS.match(value):
        return int(value)
    return None


def _check_name(name: object, fifo: bool) -> str:
    if not isinstance(name, str) or name not in SETTABLE:
        raise unknown_attribute(name)
    if not fifo and name in FIFO_ONLY_NAMES:
        raise unknown_attribute(name)
    if not fifo and name in FIFO_ONLY_SETTINGS:
        raise SQSError(
            "InvalidAttributeName",
            f"You can specify the {name} only when FifoQueue is set to true.",
        )
    return name


def _check_value(name: str, value: object) -> str:
    if isinstance(value, bool):  # JSON true/false where AWS wants "true"/"false"
        value = "true" if value else "false"
    elif isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise _bad_value(name)
    if name in RANGES:
        low, high = RANGES[name]
        number = _as_int(value)
        if number is None or not low <= number <= high:
            raise _bad_value(name)
        return str(number)
    if name in BOOLEANS:
        if value.lower() not in ("true", "false"):
            raise _bad_value(name)
        return value.lower()
    if name in CHOICES and value not in CHOICES[name]:
        raise _bad_value(name)
    if name == "RedrivePolicy" and value:
        arn, count = parse_redrive_policy(value)
        return json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": count})
    if name in ("RedriveAllowPolicy", "Policy") and value:
        try:
            document = load_json(value)
        except (ValueError, RecursionError):
            document = None
        if not isinstance(document, dict):
            raise _bad_value(name)
    return value


def normalise(attributes: object, fifo: bool, creating: bool) -> dict[str, str]:
    """Check attributes from CreateQueue/SetQueueAttributes; values come back as strings.

    ``fifo`` is the queue's type (on CreateQueue: what its FifoQueue attribute asks for).
    """
    if attributes is None:
        return {}
    if not isinstance(attributes, dict):
        raise invalid_value("Attributes", attributes, "Attributes must be a map.")
    out: dict[str, str] = {}
    for name, value in attributes.items():
        out[_check_name(name, fifo)] = _check_value(name, value)
    if out.get("FifoQueue") == "false" and fifo:
        raise SQSError(
            "InvalidAttributeValue",
            "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not "
            "supported.",
        )
    if out.get("KmsMasterKeyId") and out.get("SqsManagedSseEnabled") == "true":
        raise SQSError(
            "InvalidAttributeName",
            "You can use one type of server-side encryption (SSE) at one time. You can either "
            "enable KMS SSE or SQS SSE.",
        )
    if out.get("KmsMasterKeyId") and "SqsManagedSseEnabled" not in out:
        out["SqsManagedSseEnabled"] = "false"  # KMS encryption replaces SQS-managed SSE
    return out
