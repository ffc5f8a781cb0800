"""Terraform arguments as AWS API attributes: which argument of which resource type is which
attribute, and the string the API takes for its evaluated value. `facts` (queues) and `topics`
(topics and subscriptions) both turn a block's arguments into attributes through here.
"""

from __future__ import annotations

import json
from typing import Any

from labkit.terraform.read import TerraformFiles, Unresolved

#: Terraform argument -> AWS API attribute name, per resource type.
API_ATTRIBUTES: dict[str, dict[str, str]] = {
    "aws_sqs_queue": {
        "fifo_queue": "FifoQueue",
        "content_based_deduplication": "ContentBasedDeduplication",
        "visibility_timeout_seconds": "VisibilityTimeout",
        "message_retention_seconds": "MessageRetentionPeriod",
        "delay_seconds": "DelaySeconds",
        "receive_wait_time_seconds": "ReceiveMessageWaitTimeSeconds",
        "max_message_size": "MaximumMessageSize",
        "redrive_policy": "RedrivePolicy",
    },
    "aws_sns_topic": {
        "fifo_topic": "FifoTopic",
        "content_based_deduplication": "ContentBasedDeduplication",
        "display_name": "DisplayName",
    },
    "aws_sns_topic_subscription": {
        "raw_message_delivery": "RawMessageDelivery",
        "filter_policy": "FilterPolicy",
        "filter_policy_scope": "FilterPolicyScope",
        "redrive_policy": "RedrivePolicy",
    },
}
#: Attributes whose value is a JSON document (an HCL object is encoded; any other must be one).
JSON_ATTRIBUTES = frozenset({"RedrivePolicy", "FilterPolicy"})


def api_string(attribute: str, value: Any) -> str:
    """An evaluated argument as the API's string attribute value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dict, list)):
        if attribute not in JSON_ATTRIBUTES:
            raise ValueError(f"{attribute} must be a single value, not {type(value).__name__}")
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def api_attributes(
    files: TerraformFiles, rtype: str, body: dict
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The block's mapped arguments as API attributes, and (argument, reason) for each mapped
    argument whose value is not known offline or is not an attribute value."""
    attributes: dict[str, str] = {}
    skipped: list[tuple[str, str]] = []
    for argument, attribute in API_ATTRIBUTES[rtype].items():
        if argument not in body:
            continue
        try:
            value = files.evaluate(body[argument])
            if value is not None:  # null: the argument is not set
                attributes[attribute] = api_string(attribute, value)
        except (Unresolved, ValueError, TypeError) as exc:
            skipped.append((argument, str(exc)))
    return attributes, skipped
