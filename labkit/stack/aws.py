"""AWS mode: SQS on AWS (us-east-1) with the Learner Lab credentials; nothing runs locally.

Credentials come from the environment, `.env`, `aws.env` or a `credentials` file through
`labkit.aws_credentials` (which masks them); failures are told apart there: missing, expired, invalid,
denied, unreachable. This module adds the SQS-specific case, an unknown queue.

The endpoint is AWS's own, named explicitly, unless `AWS_ENDPOINT_URL_SQS` (or
`AWS_ENDPOINT_URL`), botocore's own variables, names another: then every address labkit shows
and a note say so, so SQS elsewhere is never mistaken for AWS. The tests use that to run this
mode against a local endpoint that checks the SigV4 signatures.
"""

from __future__ import annotations

import os
from typing import Any

from labkit.aws_credentials import DEFAULT_REGION as REGION
from labkit.aws_errors import MISSING_QUEUE_CODES, error_code

AWS_SQS_URL = f"https://sqs.{REGION}.amazonaws.com"
#: Nothing runs locally in aws mode, so nothing is recorded in stack.json.
RECORDED = False
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL")


def endpoint_override() -> tuple[str, str] | None:
    """(variable, URL) when the environment points SQS somewhere other than AWS, else None."""
    for variable in ENDPOINT_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value:
            return variable, value.rstrip("/")
    return None


def endpoint() -> str:
    """The SQS endpoint aws mode talks to."""
    override = endpoint_override()
    return override[1] if override else AWS_SQS_URL


def notes() -> list[str]:
    """One line when the endpoint is not AWS's, naming the variable that moved it."""
    override = endpoint_override()
    if override is None:
        return []
    variable, url = override
    return [f"sqs: {variable} points SQS at {url}, not AWS; unset it to use AWS"]


def sqs_client():  # noqa: ANN201 - boto3 client
    """A boto3 SQS client for :func:`endpoint` in us-east-1 with the lab's credentials.

    Raises StackError (missing credentials, with the Learner Lab step) when there are none.
    """
    return _client("sqs", endpoint_url=endpoint())


def _client(service: str, **options: Any) -> Any:
    """A boto3 client of ``service`` in us-east-1 with the Learner Lab credentials."""
    import boto3

    from labkit.aws_credentials import RENEW_STEP, load_aws_credentials
    from labkit.stack.errors import StackError

    credentials = load_aws_credentials()
    if credentials is None:
        raise StackError(
            f"aws: No AWS credentials found (environment, .env, aws.env or credentials). {RENEW_STEP}."
        )
    from labkit.stack.context import register

    client = boto3.client(service, region_name=REGION, **options, **credentials.boto3_kwargs())
    register(client, "aws")  # whatever the endpoint (a test's stand-in for AWS included)
    return client


def state() -> dict[str, Any]:
    """What `Lab` holds for aws mode: the endpoint and the variables a child process needs."""
    env = {"AWS_DEFAULT_REGION": REGION}
    override = endpoint_override()
    if override:
        env["AWS_ENDPOINT_URL_SQS"] = override[1]
    return {"mode": "aws", "urls": {"sqs": endpoint()}, "env": env}


def sns_client():  # noqa: ANN201 - boto3 client
    """A boto3 SNS client for AWS in us-east-1 with the lab's credentials (as `sqs_client`)."""
    return _client("sns")


def explain(exc: BaseException, endpoint: str | None = None, queue: str | None = None) -> str:
    """One line that says what went wrong talking to SQS and what to do next."""
    from botocore.exceptions import ClientError, EndpointConnectionError

    from labkit.aws_credentials import describe_error

    if isinstance(exc, ClientError) and error_code(exc) in MISSING_QUEUE_CODES:
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


def up(current: dict[str, Any] | None, record: Any, **options: Any) -> tuple[dict, list[str]]:
    """The aws mode of `labkit.stack.up`: the credentials checked, the lessons' queues made
    when missing (their attributes are Terraform's on AWS); nothing to record."""
    from labkit.stack.lesson_queues import create_lesson_queues

    sqs = sqs_client()
    check(sqs)
    create_lesson_queues(sqs, update=False)
    return state(), notes()


def down(state: dict[str, Any]) -> list[str]:
    """Nothing runs locally in aws mode: nothing to stop."""
    return []


def status_rows(state: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One row: does SQS at :func:`endpoint` accept the credentials?"""
    from labkit.stack.errors import StackError

    try:
        check(sqs_client())
        ok, detail = True, "credentials accepted"
    except StackError as exc:
        ok, detail = False, str(exc)
    row = {"service": "sqs", "status": "ok" if ok else "down", "url": endpoint()}
    return [{**row, "pid": None, "detail": detail}]
