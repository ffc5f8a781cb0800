"""Helpers for the conformance suite: what AWS answered, compared exactly.

Each test module follows one action of the SQS API Reference
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_<Action>.html) and
names the page it follows; where the reference is silent, the Developer Guide page. Messages
marked "recorded" are the words of responses recorded on AWS (LocalStack's snapshot tests,
recorded against AWS in 2024-2025); the others follow AWS's documented wording and pattern.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError

API = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/"
GUIDE = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"


def error_of(err: ClientError) -> tuple[str, str, int]:
    """(Error.Code, Error.Message, HTTP status) of a botocore error."""
    response = err.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def expect_error(call: Callable[[], object], code: str, message: str, status: int = 400) -> None:
    """``call()`` fails with exactly this code, message and status."""
    with pytest.raises(ClientError) as info:
        call()
    assert error_of(info.value) == (code, message, status)


def modeled(err: ClientError) -> str:
    """The shape AWS named in ``__type`` (botocore keeps it as QueryErrorCode)."""
    return err.response["Error"].get("QueryErrorCode", "")
