"""AWS error codes, read in one place: which code a failure carries and what it means.

botocore puts the code of an AWS answer in ``exc.response["Error"]["Code"]``; SQS answers an
unknown queue with one of two codes depending on the protocol (JSON: QueueDoesNotExist, query:
AWS.SimpleQueueService.NonExistentQueue), and an existing queue with other attributes likewise.
"""

from __future__ import annotations

MISSING_QUEUE_CODES = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})
QUEUE_EXISTS_CODES = frozenset({"QueueAlreadyExists", "QueueNameExists"})


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError (or anything with its ``response``); ""."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    return str((response.get("Error") or {}).get("Code") or "")


def is_missing_queue(exc: BaseException) -> bool:
    """True when SQS answered that the queue does not exist."""
    return error_code(exc) in MISSING_QUEUE_CODES


def is_existing_queue(exc: BaseException) -> bool:
    """True when CreateQueue answered that the queue exists (with other attributes)."""
    return error_code(exc) in QUEUE_EXISTS_CODES
