"""AWS mode: SQS on AWS (us-east-1) with the Learner Lab credentials; nothing runs locally.

Credentials come from `.env`, `aws.env` or a `credentials` file through `labkit.config`; keys
are never printed. Every failure is told apart: missing credentials, expired ones (with the
Learner Lab step that renews them), an unknown queue, an unreachable endpoint.
"""

from __future__ import annotations

from typing import Any

REGION = "us-east-1"
AWS_SQS_URL = f"https://sqs.{REGION}.amazonaws.com"

RENEW = (
    "in AWS Academy Learner Lab press Start Lab, wait for the green dot, open AWS Details > "
    "AWS CLI Show, and copy the three values into .env (or credentials)"
)
EXPIRED_CODES = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "AccessDeniedException",
    "RequestExpired",
}
MISSING_QUEUE_CODES = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}


def _as_kwargs(creds: Any) -> dict[str, str]:
    """boto3 keyword arguments from whatever labkit.config returns (mapping or object)."""
    names = {
        "aws_access_key_id": ("AWS_ACCESS_KEY_ID", "aws_access_key_id", "access_key_id"),
        "aws_secret_access_key": (
            "AWS_SECRET_ACCESS_KEY",
            "aws_secret_access_key",
            "secret_access_key",
        ),
        "aws_session_token": ("AWS_SESSION_TOKEN", "aws_session_token", "session_token"),
    }
    out = {}
    for key, candidates in names.items():
        for candidate in candidates:
            value = (
                creds.get(candidate) if isinstance(creds, dict) else getattr(creds, candidate, None)
            )
            if value:
                out[key] = str(value)
                break
    return out


def credentials_kwargs() -> dict[str, str]:
    """The Learner Lab credentials as boto3 arguments; StackError when there are none."""
    from labkit.stack.errors import StackError

    try:
        from labkit.config import load_aws_credentials
    except ImportError:  # labkit.config not there: boto3's own chain (env, ~/.aws)
        return {}
    kwargs = _as_kwargs(load_aws_credentials() or {})
    if not kwargs.get("aws_access_key_id") or not kwargs.get("aws_secret_access_key"):
        raise StackError(f"aws: no AWS credentials found; {RENEW}")
    return kwargs


def sqs_client(endpoint_url: str | None = None):  # noqa: ANN201 - boto3 client
    """A boto3 SQS client for AWS in us-east-1 (or ``endpoint_url``) with the lab's credentials."""
    import boto3

    kwargs = credentials_kwargs() if endpoint_url is None else {}
    return boto3.client("sqs", region_name=REGION, endpoint_url=endpoint_url, **kwargs)


def explain(exc: BaseException, endpoint: str | None = None, queue: str | None = None) -> str:
    """One line that says what went wrong talking to SQS and what to do next."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
    )

    where = endpoint or AWS_SQS_URL
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return f"No AWS credentials found: {RENEW}."
    if isinstance(exc, EndpointConnectionError):
        hint = (
            "check your network connection"
            if endpoint is None
            else "start the lab stack with `labkit up` (or pass --endpoint)"
        )
        return f"Cannot reach SQS at {where}: {hint}."
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code in MISSING_QUEUE_CODES:
            return (
                f"Unable to find a Queue by this name {queue}: check the name, or create it "
                "(queues in terraform/ are created by `labkit up`)."
            )
        if code in EXPIRED_CODES:
            return f"AWS rejected the credentials ({code}; Learner Lab sessions expire): {RENEW}."
        return f"SQS at {where} answered {code}: {exc.response.get('Error', {}).get('Message', '')}"
    return f"SQS at {where} failed: {exc}"


def check(sqs: Any) -> None:
    """Raise StackError with the next step unless SQS accepts the credentials."""
    from labkit.stack.errors import StackError

    try:
        sqs.list_queues(MaxResults=1)
    except Exception as exc:  # noqa: BLE001 - every failure becomes one explained line
        raise StackError(f"aws: {explain(exc)}") from exc
