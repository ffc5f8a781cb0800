"""AWS mode: SQS on AWS (us-east-1) with the Learner Lab credentials; nothing runs locally.

Credentials come from the environment, `.env`, `aws.env` or a `credentials` file through
`labkit.aws_credentials` (which masks them); failures are told apart there: missing, expired, invalid,
denied, unreachable. This module adds the SQS-specific case, an unknown queue.
"""

from __future__ import annotations

from typing import Any

REGION = "us-east-1"
AWS_SQS_URL = f"https://sqs.{REGION}.amazonaws.com"
MISSING_QUEUE_CODES = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}


def sqs_client():  # noqa: ANN201 - boto3 client
    """A boto3 SQS client for AWS in us-east-1 with the lab's credentials.

    Raises StackError (missing credentials, with the Learner Lab step) when there are none.
    """
    import boto3

    from labkit.aws_credentials import RENEW_STEP, load_aws_credentials
    from labkit.stack.errors import StackError

    credentials = load_aws_credentials()
    if credentials is None:
        raise StackError(
            f"aws: No AWS credentials found (environment, .env, aws.env or credentials). {RENEW_STEP}."
        )
    return boto3.client("sqs", region_name=REGION, **credentials.boto3_kwargs())


def sns_client():  # noqa: ANN201 - boto3 client
    """A boto3 SNS client for AWS in us-east-1 with the lab's credentials (as `sqs_client`)."""
    import boto3

    from labkit.aws_credentials import RENEW_STEP, load_aws_credentials
    from labkit.stack.errors import StackError

    credentials = load_aws_credentials()
    if credentials is None:
        raise StackError(
            f"aws: No AWS credentials found (environment, .env, aws.env or credentials). {RENEW_STEP}."
        )
    return boto3.client("sns", region_name=REGION, **credentials.boto3_kwargs())


def explain(exc: BaseException, endpoint: str | None = None, queue: str | None = None) -> str:
    """One line that says what went wrong talking to SQS and what to do next."""
    from botocore.exceptions import ClientError, EndpointConnectionError

    from labkit.aws_credentials import describe_error

    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code in MISSING_QUEUE_CODES:
            where = "" if endpoint is None else f" at {endpoint}"
            return (
                f"Unable to find a Queue by this name {queue}{where}: check the name, or create "
                "it (the queues in terraform/ are created by `labkit up`)."
            )
    if endpoint is not None and isinstance(exc, EndpointConnectionError):
        return (
            f"Cannot reach SQS at {endpoint}: start the lab stack with `labkit up` "
            "(or pass --endpoint with the right address)."
        )
    return str(describe_error(exc, endpoint or AWS_SQS_URL))


def check(sqs: Any) -> None:
    """Raise StackError with the next step unless SQS on AWS accepts the credentials."""
    from labkit.aws_credentials import CredentialsError, check_credentials
    from labkit.stack.errors import StackError

    try:
        check_credentials(sqs)
    except CredentialsError as exc:
        raise StackError(f"aws: {exc}") from None
