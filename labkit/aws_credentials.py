"""AWS Learner Lab credentials: where they are found, how they are shown, whether AWS takes them.

The Learner Lab hands out three values (access key id, secret key, session token) that expire
with the session. Students paste them into `.env`, `aws.env` or a `credentials` file; this module
finds them there (or in the environment), never prints a key in full, and turns AWS's error
codes into one sentence naming the problem and the Learner Lab step that fixes it.
"""

from __future__ import annotations

import configparser
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labkit.aws_errors import error_code
from labkit.emulator.accounts import DEFAULT_REGION
from labkit.error_hints import explain
from labkit.paths import REPO_ROOT, TERRAFORM_DIR
from labkit.redact import mask, mask_secret, mask_url, redact, scrub  # noqa: F401 - re-exported

log = logging.getLogger(__name__)

ENV_NAMES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
FILE_NAMES = (".env", "aws.env", "credentials")

RENEW_STEP = (
    "Learner Lab > Start Lab, then AWS Details > Show, copy the three values "
    "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) into .env"
)

EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
INVALID_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "InvalidToken",
        "MissingAuthenticationToken",
    }
)
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException"})


@dataclass(frozen=True)
class AwsCredentials:
    """Learner Lab credentials and where they were found. Its repr masks every key."""

    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    source: str = ""

    def __repr__(self) -> str:
        return (
            f"AwsCredentials(access_key_id={mask(self.access_key_id)!r}, "
            f"secret_access_key={mask_secret(self.secret_access_key)!r}, "
            f"session_token={mask_secret(self.session_token)!r}, source={self.source!r})"
        )

    __str__ = __repr__

    def boto3_kwargs(self) -> dict[str, str]:
        """Keyword arguments for `boto3.client(...)` / `boto3.Session(...)`."""
        kwargs = {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
        }
        if self.session_token:
            kwargs["aws_session_token"] = self.session_token
        return kwargs

    def as_env(self) -> dict[str, str]:
        """The environment variables a child process (a Celery worker, `terraform`) reads."""
        return {name.upper(): value for name, value in self.boto3_kwargs().items()}

    def session(self, region: str = DEFAULT_REGION) -> Any:
        """A boto3 Session with these credentials."""
        import boto3

        return boto3.Session(region_name=region, **self.boto3_kwargs())


class CredentialsError(RuntimeError):
    """AWS did not accept the credentials; the message says why and what to do next.

    ``reason`` is one of: missing, expired, invalid, denied, unreachable, error.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# --- Finding them -----------------------------------------------------------------------------


def default_search() -> list[Path]:
    """The folders searched for credential files: the cwd, the repository root, `terraform/`."""
    folders: list[Path] = []
    for folder in (Path.cwd(), REPO_ROOT, TERRAFORM_DIR):
        resolved = folder.resolve()
        if resolved not in folders:
            folders.append(resolved)
    return folders


def _from_mapping(values: dict[str, str | None], source: str) -> AwsCredentials | None:
    lowered = {k.strip().lower(): (v or "").strip().strip("\"'") for k, v in values.items() if k}
    key = lowered.get("aws_access_key_id")
    secret = lowered.get("aws_secret_access_key")
    token = lowered.get("aws_session_token") or None
    if key and secret:
        return AwsCredentials(key, secret, token, source)
    if key or secret:
        log.warning("%s has only part of the AWS credentials; ignoring it", source)
    return None


def read_credentials_file(path: Path) -> AwsCredentials | None:
    """Credentials from one file: dotenv lines (`AWS_ACCESS_KEY_ID=...`) or the INI block the
    Learner Lab shows (`[default]` / `aws_access_key_id=...`), whichever the file holds."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError:
        return None
    if re.search(r"^\s*\[[^\]]+\]\s*$", text, re.M):
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text)
        except configparser.Error as exc:
            log.warning("%s is not a valid credentials file (%s); ignoring it", path, exc)
            return None
        section = "default" if parser.has_section("default") else (parser.sections() or [None])[0]
        if section is None:
            return None
        return _from_mapping(dict(parser.items(section)), str(path))
    from dotenv import dotenv_values

    return _from_mapping(dict(dotenv_values(path)), str(path))


def load_aws_credentials(search: list[Path] | None = None) -> AwsCredentials | None:
    """The first complete set of credentials: the environment, then `.env`, `aws.env` and
    `credentials` in each folder of ``search`` (default: cwd, repository root, `terraform/`).

    A path in ``search`` that is a file is read directly. None when nothing complete is found.
    """
    from_env = _from_mapping({name: os.environ.get(name) for name in ENV_NAMES}, "environment")
    if from_env:
        return from_env
    for place in search if search is not None else default_search():
        place = Path(place)
        candidates = [place] if place.is_file() else [place / name for name in FILE_NAMES]
        for path in candidates:
            if path.is_file():
                found = read_credentials_file(path)
                if found:
                    return found
    return None


# --- Checking them ----------------------------------------------------------------------------


def describe_error(exc: BaseException, endpoint: str) -> CredentialsError:
    """Turn a botocore failure into a CredentialsError that names the cause and the next step."""
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
        ReadTimeoutError,
    )

    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return CredentialsError(
            "missing",
            f"No AWS credentials found (looked in the environment and in {', '.join(FILE_NAMES)}"
            f" in the current folder, the repository and terraform/). {RENEW_STEP}.",
        )
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        return CredentialsError(
            "unreachable",
            f"Cannot reach AWS at {endpoint}: check your network connection (nothing is wrong "
            "with the credentials yet).",
        )
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code in EXPIRED_CODES:
            return CredentialsError(
                "expired",
                f"The AWS credentials have expired ({code}): Learner Lab sessions last about "
                f"four hours. {RENEW_STEP}.",
            )
        if code in INVALID_CODES:
            return CredentialsError(
                "invalid",
                f"AWS does not recognise the credentials ({code}): a value was copied "
                f"incompletely, or is from an old session. {RENEW_STEP}.",
            )
        if code in DENIED_CODES:
            return CredentialsError(
                "denied",
                f"AWS accepted the credentials but refused the call ({code}): the Learner Lab "
                f"may have ended. {RENEW_STEP}.",
            )
        message = scrub(str(exc.response.get("Error", {}).get("Message", "")))
        # AWS's words quoted, labkit's hint (if any) after them, marked as ours
        return CredentialsError("error", explain(f"AWS at {endpoint} answered", code, message))
    return CredentialsError(
        "error", f"Checking the AWS credentials at {endpoint} failed: {scrub(str(exc))}"
    )


def check_credentials(session_or_client: Any = None, region: str = DEFAULT_REGION) -> None:
    """Make one cheap signed call; raise `CredentialsError` unless AWS accepts the credentials.

    Takes a boto3 Session (calls STS GetCallerIdentity), an STS client (the same), an SQS client
    (ListQueues, one result), `AwsCredentials`, or None (the credentials `load_aws_credentials`
    finds). The message never contains a key.
    """
    import boto3
    from botocore.config import Config

    target = session_or_client
    if target is None:
        target = load_aws_credentials()
        if target is None:
            from botocore.exceptions import NoCredentialsError

            raise describe_error(NoCredentialsError(), "AWS")
    if isinstance(target, AwsCredentials):
        target = target.session(region)
    quick = Config(
        retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=10
    )
    if isinstance(target, boto3.Session):
        client = target.client("sts", region_name=target.region_name or region, config=quick)
    else:
        client = target
    service = client.meta.service_model.service_name
    endpoint = client.meta.endpoint_url
    try:
        if service == "sqs":
            client.list_queues(MaxResults=1)
        elif service == "sts":
            client.get_caller_identity()
        else:
            raise TypeError(f"check_credentials takes an STS or SQS client, not {service}")
    except TypeError:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure becomes one explained message
        raise describe_error(exc, endpoint) from None
