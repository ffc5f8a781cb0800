"""SQS errors in the shape AWS's JSON protocol sends, so botocore raises the same exceptions.

AWS answers a JSON-protocol error with ``{"__type": "com.amazonaws.sqs#<Shape>", "message"}``
and an ``x-amzn-query-error: <legacy query code>;Sender`` header. botocore reports the legacy
code as ``Error.Code`` and picks the modeled exception class from the shape name.
"""

from __future__ import annotations

# Modeled shape name -> the legacy query error code AWS sends beside it.
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
}


class SQSError(Exception):
    """An error the client caused (400 unless said otherwise), named as AWS names it."""

    def __init__(self, shape: str, message: str, status: int = 400, code: str | None = None):
        super().__init__(message)
        self.shape = shape
        self.message = message
        self.status = status
        self.code = code or QUERY_CODES.get(shape, shape)
        self.fault = "Sender" if status < 500 else "Receiver"

    def body(self) -> dict:
        return {"__type": f"com.amazonaws.sqs#{self.shape}", "message": self.message}

    def headers(self) -> dict[str, str]:
        return {"x-amzn-query-error": f"{self.code};{self.fault}"}


def invalid(message: str) -> SQSError:
    """AWS's catch-all for a bad value (not a modeled shape: botocore raises ClientError)."""
    return SQSError("InvalidParameterValue", message)


def missing(name: str) -> SQSError:
    return SQSError("MissingParameter", f"The request must contain the parameter {name}.")


def no_queue() -> SQSError:
    return SQSError("QueueDoesNotExist", "The specified queue does not exist.")
