"""Who may act on a queue: its own account, and another account only when the queue's policy
grants it, as on AWS (SQS Developer Guide, "Basic examples of Amazon SQS policies": a queue
owner grants another account access with a policy statement naming it as principal).

The HTTP layer calls `authorize` before every SQS action. A refusal is AWS's ``AccessDenied``
(403) in AWS's words: ``User: <caller> is not authorized to perform: sqs:<action> on resource:
<queue ARN> because no resource-based policy allows the sqs:<action> action``.
"""

from __future__ import annotations

from typing import Protocol

from labkit.emulator.policies import DENY, Request, allows, evaluate
from labkit.emulator.sqs.errors import SQSError
from labkit.emulator.sqs.urls import queue_location

# Batch actions are authorized as the action they batch (AWS: sqs:sendmessage for a batch).
_AUTHORIZED_AS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
# What only the owner may do, whatever a policy grants (SQS API Reference, AddPermission:
# "Only you, the owner of the queue, can grant or deny permissions to the queue").
OWNER_ONLY = {"AddPermission", "RemovePermission", "DeleteQueue", "SetQueueAttributes", "TagQueue",
              "UntagQueue"}  # fmt: skip


class _Queue(Protocol):
    arn: str
    account: str
    attributes: dict[str, str]


class _Queues(Protocol):
    def find(self, account: str, region: str, name: str) -> _Queue | None: ...


def denied(caller: str, action: str, resource: str, explicit: bool = False) -> SQSError:
    """AWS's AccessDenied for ``caller`` (an account id) doing ``action`` on ``resource``."""
    verb = f"sqs:{_AUTHORIZED_AS.get(action, action).lower()}"
    why = (
        "with an explicit deny in a resource-based policy"
        if explicit
        else f"because no resource-based policy allows the {verb} action"
    )
    return SQSError(
        "AccessDeniedException",
        f"User: arn:aws:iam::{caller}:root is not authorized to perform: {verb} on resource: "
        f"{resource} {why}",
        status=403,
        code="AccessDenied",
    )


def authorize(queues: _Queues, action: str, params: dict, caller: str, region: str) -> None:
    """Raise AccessDenied unless ``caller`` may do ``action`` on the queue ``params`` names.
    A queue that does not exist is left to the action (QueueDoesNotExist)."""
    if action == "GetQueueUrl":
        owner, name = params.get("QueueOwnerAWSAccountId"), params.get("QueueName")
        owner = owner if isinstance(owner, str) and owner else caller
    elif isinstance(params.get("QueueUrl"), str):
        owner, name = queue_location(params["QueueUrl"], caller)
    else:
        return
    if not isinstance(name, str):
        return
    queue = queues.find(owner, region, name)
    if queue is None:
        return
    policy = queue.attributes.get("Policy")
    if owner == caller and not policy:
        return
    request = Request(f"sqs:{_AUTHORIZED_AS.get(action, action)}", queue.arn, account=caller)
    if owner != caller and action in OWNER_ONLY:
        raise denied(caller, action, queue.arn)
    if not allows(policy, request, owner=owner):
        raise denied(caller, action, queue.arn, explicit=evaluate(policy, request) == DENY)
