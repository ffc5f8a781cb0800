"""Putting `terraform/`'s queues on a running SQS (the emulator or AWS), and comparing them."""

from __future__ import annotations

import json
from typing import Any

from labkit.aws_errors import is_existing_queue, is_missing_queue
from labkit.terraform.facts import QueueDefinition


def queue_drift(sqs_client: Any, definitions: list[QueueDefinition]) -> list[dict[str, Any]]:
    """Terraform's value beside the live one, per queue and declared attribute.

    Rows: queue, attribute, terraform, live, same. A redrive policy is compared by meaning (the
    dead-letter queue's name and maxReceiveCount), since account ids and JSON spacing differ
    between endpoints. A queue that does not exist shows live = None.
    """
    rows: list[dict[str, Any]] = []
    for definition in definitions:
        try:
            url = sqs_client.get_queue_url(QueueName=definition.name)["QueueUrl"]
            live = sqs_client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])[
                "Attributes"
            ]
        except Exception as exc:  # botocore ClientError: the queue does not exist
            if not is_missing_queue(exc):
                raise
            live = None
        for attribute, declared in definition.attributes.items():
            actual = None if live is None else live.get(attribute)
            same = actual is not None and (
                _redrive_key(declared) == _redrive_key(actual)
                if attribute == "RedrivePolicy"
                else declared == actual
            )
            rows.append(
                {
                    "queue": definition.name,
                    "attribute": attribute,
                    "terraform": declared,
                    "live": actual,
                    "same": same,
                }
            )
    return rows


def _redrive_key(policy: str) -> tuple[str, int]:
    parsed = json.loads(policy)
    return str(parsed["deadLetterTargetArn"]).rsplit(":", 1)[-1], int(parsed["maxReceiveCount"])


def ensure_queues(
    sqs_client: Any, definitions: list[QueueDefinition], update: bool = True
) -> dict[str, str]:
    """Create the queues (idempotent) and return {name: queue URL}.

    Redrive policies are pointed at the dead-letter queue's ARN as this endpoint reports it
    (its account id may differ from the offline one). A queue that exists with other settings
    is brought in line with SetQueueAttributes (FifoQueue cannot change and is left alone);
    with ``update=False`` it is left as it is (on AWS, where Terraform owns the queues).
    """
    urls: dict[str, str] = {}
    arns: dict[str, str] = {}
    for definition in definitions:
        attributes = dict(definition.attributes)
        target = definition.dead_letter_target
        if target and target in arns:
            policy = json.loads(attributes["RedrivePolicy"])
            policy["deadLetterTargetArn"] = arns[target]
            attributes["RedrivePolicy"] = json.dumps(policy, separators=(",", ":"))
        try:
            url = sqs_client.create_queue(QueueName=definition.name, Attributes=attributes)[
                "QueueUrl"
            ]
        except Exception as exc:  # botocore ClientError; the code tells whether it already exists
            if not is_existing_queue(exc):
                raise
            url = sqs_client.get_queue_url(QueueName=definition.name)["QueueUrl"]
            changeable = {k: v for k, v in attributes.items() if k != "FifoQueue"}
            if changeable and update:
                sqs_client.set_queue_attributes(QueueUrl=url, Attributes=changeable)
        urls[definition.name] = url
        arns[definition.name] = sqs_client.get_queue_attributes(
            QueueUrl=url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
    return urls
