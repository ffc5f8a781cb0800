"""AddPermission and RemovePermission: statements in the queue's ``Policy`` attribute.

AWS writes a policy of its own (Version 2008-10-17, Id ``<queue arn>/SQSDefaultPolicy``) and
adds one statement per label; RemovePermission takes the label's statement out again, and the
Policy attribute disappears with the last one. The emulator stores the same document and
enforces it for other accounts (`access.py`, through `labkit.emulator.policies`).
"""

from __future__ import annotations

import json
import re

from labkit.emulator.accounts import is_account_id
from labkit.emulator.sqs.attributes import load_json
from labkit.emulator.sqs.errors import SQSError, invalid_value, missing

MAX_ACTIONS = 7
# What a permission may name (AWS: "the name of any action or *"; the queue owner alone may
# create, delete, tag or change the queue and its permissions).
GRANTABLE = {
    "*",
    "SendMessage",
    "ReceiveMessage",
    "DeleteMessage",
    "ChangeMessageVisibility",
    "GetQueueAttributes",
    "GetQueueUrl",
    "ListDeadLetterSourceQueues",
    "PurgeQueue",
    "ListQueueTags",
    "StartMessageMoveTask",
    "CancelMessageMoveTask",
    "ListMessageMoveTasks",
}
OWNER_ONLY = {
    "AddPermission",
    "RemovePermission",
    "CreateQueue",
    "DeleteQueue",
    "ListQueues",
    "SetQueueAttributes",
    "TagQueue",
    "UntagQueue",
}
_LABEL = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def _policy(current: str | None, queue_arn: str) -> dict:
    if current:
        try:
            document = load_json(current)
        except (ValueError, RecursionError):
            document = None
        if isinstance(document, dict) and isinstance(document.get("Statement", []), list):
            document.setdefault("Statement", [])
            return document
    return {"Version": "2008-10-17", "Id": f"{queue_arn}/SQSDefaultPolicy", "Statement": []}


def _dump(document: dict) -> str:
    return json.dumps(document, separators=(",", ":"))


def add_statement(
    current: str | None, queue_arn: str, label: str, accounts: list[str], actions: list[str]
) -> str:
    """The Policy after AddPermission(label, accounts, actions), or AWS's error."""
    if not accounts:
        raise missing("AWSAccountIds")
    if not actions:
        raise missing("Actions")
    if not _LABEL.match(label):
        raise invalid_value(
            "Label",
            label,
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        )
    for account in accounts:
        if not is_account_id(account):
            raise invalid_value("PrincipalId", account, "Unable to verify.")
    if len(actions) > MAX_ACTIONS:
        raise SQSError(
            "OverLimit", f"{len(actions)} Actions were found, maximum allowed is {MAX_ACTIONS}."
        )
    for action in actions:
        if action in OWNER_ONLY:
            raise invalid_value(
                "ActionName",
                f"SQS:{action}",
                "Only the queue owner is allowed to invoke this action.",
            )
        if action not in GRANTABLE:
            raise invalid_value(
                "ActionName",
                f"SQS:{action}",
                "Please refer to the appropriate WSDL for a list of valid actions. ",
            )
    document = _policy(current, queue_arn)
    if any(s.get("Sid") == label for s in document["Statement"] if isinstance(s, dict)):
        raise invalid_value("Label", label, "Already exists.")
    principals = [f"arn:aws:iam::{account}:root" for account in accounts]
    named = [f"SQS:{action}" for action in actions]
    document["Statement"].append(
        {
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": principals if len(principals) > 1 else principals[0]},
            "Action": named if len(named) > 1 else named[0],
            "Resource": queue_arn,
        }
    )
    return _dump(document)


def remove_statement(current: str | None, queue_arn: str, label: str) -> str:
    """The Policy after RemovePermission(label) ("" once no statement is left), or AWS's error."""
    document = _policy(current, queue_arn)
    kept = [s for s in document["Statement"] if not (isinstance(s, dict) and s.get("Sid") == label)]
    if len(kept) == len(document["Statement"]):
        raise invalid_value("Label", label, "can't find label.")
    document["Statement"] = kept
    return _dump(document) if kept else ""
