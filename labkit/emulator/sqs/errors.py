"""SQS errors in the shape AWS's JSON protocol sends, so botocore raises the same exceptions.

AWS answers a JSON-protocol error with ``{"__type": "com.amazonaws.sqs#<Shape>", "message"}``
and an ``x-amzn-query-error: <legacy query code>;Sender`` header. botocore reports the legacy
code as ``Error.Code`` (``QueryErrorCode`` keeps the shape) and picks the modeled exception
class from the shape name. The wording of each message is AWS's (see docs/sqs-emulator.md for
which ones were checked against responses recorded on AWS): teaching hints belong to labkit's
own explanations (`labkit.error_hints`), never to these messages.
"""

from __future__ import annotations

# Shape name -> the legacy query error code AWS sends beside it (and its HTTP status if not 400).
QUERY_CODES = {
    "QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue",
    "QueueNameExists": "QueueAlreadyExists",
    "QueueDeletedRecently": "AWS.SimpleQueueService.QueueDeletedRecently",
    "PurgeQueueInProgress": "AWS.SimpleQueueService.PurgeQueueInProgress",
    "TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    "BatchEntryIdsNotDistinct": "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    "EmptyBatchRequest": "AWS.SimpleQueueService.EmptyBatchRequest",
    "InvalidBatchEntryId": "AWS.SimpleQueueService.InvalidBatchEntryId",
    "BatchRequestTooLong": "AWS.SimpleQueueService.BatchRequestTooLong",
    "MessageNotInflight": "AWS.SimpleQueueService.MessageNotInflight",
    "UnsupportedOperation": "AWS.SimpleQueueService.UnsupportedOperation",
    "ReceiptHandleIsInvalid": "ReceiptHandleIsInvalid",
    "InvalidAttributeName": "InvalidAttributeName",
    "InvalidAttributeValue": "InvalidAttributeValue",
    "InvalidMessageContents": "InvalidMessageContents",
    "OverLimit": "OverLimit",
    "InvalidIdFormat": "InvalidIdFormat",
    "InvalidAddress": "InvalidAddress",
    # Not modeled by botocore (it raises a plain ClientError): AWS's own shape names.
    "InvalidParameterValueException": "InvalidParameterValue",
    "MissingRequiredParameterException": "MissingParameter",
}
STATUS = {"PurgeQueueInProgress": 403, "OverLimit": 403}


class SQSError(Exception):
    """An error the client caused (400 unless AWS says otherwise), named as AWS names it."""

    def __init__(
        self, shape: str, message: str, status: int | None = None, code: str | None = None
    ):
        super().__init__(message)
        self.shape = shape
        self.message = message
        self.status = status if status is not None else STATUS.get(shape, 400)
        self.code = code or QUERY_CODES.get(shape, shape)
        self.fault = "Sender" if self.status < 500 else "Receiver"

    def body(self) -> dict:
        return {"__type": f"com.amazonaws.sqs#{self.shape}", "message": self.message}

    def headers(self) -> dict[str, str]:
        return {"x-amzn-query-error": f"{self.code};{self.fault}"}


def invalid(message: str) -> SQSError:
    """AWS's catch-all for a bad value, code ``InvalidParameterValue`` (botocore: ClientError)."""
    return SQSError("InvalidParameterValueException", message)


def invalid_value(name: str, value: object, reason: str) -> SQSError:
    """``Value <v> for parameter <name> is invalid. Reason: <reason>`` as AWS words it."""
    return invalid(f"Value {value} for parameter {name} is invalid. Reason: {reason}")


def missing(name: str) -> SQSError:
    """``MissingParameter``: a required parameter is absent (or, for MessageBody, empty)."""
    return SQSError(
        "MissingRequiredParameterException", f"The request must contain the parameter {name}."
    )


def no_queue() -> SQSError:
    return SQSError("QueueDoesNotExist", "The specified queue does not exist.")


def unknown_attribute(name: object) -> SQSError:
    return SQSError("InvalidAttributeName", f"Unknown Attribute {name}.")
