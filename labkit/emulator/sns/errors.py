"""SNS errors by the codes AWS sends (botocore picks the modeled exception from ``Code``)."""

from __future__ import annotations

# Code -> HTTP status, as the service model declares them.
STATUS = {
    "NotFound": 404,
    "ResourceNotFound": 404,
    "InvalidParameter": 400,
    "ParameterValueInvalid": 400,
    "AuthorizationError": 403,
    "TagLimitExceeded": 400,
    "SubscriptionLimitExceeded": 403,
    "FilterPolicyLimitExceeded": 403,
    "TopicLimitExceeded": 403,
    "BatchEntryIdsNotDistinct": 400,
    "EmptyBatchRequest": 400,
    "TooManyEntriesInBatchRequest": 400,
    "InvalidBatchEntryId": 400,
    "BatchRequestTooLong": 400,
    "ValidationError": 400,
    "InvalidAction": 400,
    "MalformedQueryString": 400,
    "InternalError": 500,
}


class SNSError(Exception):
    """An error answer: ``code`` as AWS names it, its message, and the HTTP status."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS.get(code, 400)


def invalid(what: str, reason: str | None = None) -> SNSError:
    """AWS's words: ``Invalid parameter: <what>`` and, when it says why, `` Reason: <why>``."""
    message = f"Invalid parameter: {what}"
    if reason:
        message += f" Reason: {reason}"
    return SNSError("InvalidParameter", message)


def missing(name: str) -> SNSError:
    return SNSError(
        "ValidationError",
        f"1 validation error detected: Value null at '{name}' "
        "failed to satisfy constraint: Member must not be null",
    )


def no_topic() -> SNSError:
    return SNSError("NotFound", "Topic does not exist")


def no_subscription() -> SNSError:
    return SNSError("NotFound", "Subscription does not exist")
