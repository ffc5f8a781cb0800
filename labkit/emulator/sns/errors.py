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


def bad_arn(name: str, arn: object) -> SNSError:
    """A malformed ARN: AWS counts its ``:``-separated elements when there are fewer than 6."""
    parts = len(arn.split(":")) if isinstance(arn, str) else 1
    if parts < 6:
        return invalid(name, f"An ARN must have at least 6 elements, not {parts}")
    return invalid(name)


def not_authorized(account: str, action: str, resource: str) -> SNSError:
    """AWS's AuthorizationError for another account acting on a topic its policy does not
    open to it (IAM's wording: ``User: ... is not authorized to perform: ...``)."""
    return SNSError(
        "AuthorizationError",
        f"User: arn:aws:iam::{account}:root is not authorized to perform: SNS:{action} on "
        f"resource: {resource} because no resource-based policy allows the SNS:{action} action",
    )


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


class Detail(Exception):  # noqa: N818 - not an answer itself: the action words it
    """What is wrong with one attribute, in AWS's words (``RawMessageDelivery: Invalid value
    [x]. Must be true or false.``). Subscribe answers it after ``Invalid parameter: Attributes
    Reason:``, SetSubscriptionAttributes after ``Invalid parameter:``, as AWS does."""

    def as_error(self, in_attributes: bool) -> SNSError:
        return invalid("Attributes", str(self)) if in_attributes else invalid(str(self))
