"""The boto3 SQS client for labkit's emulator, built in one place.

The emulator takes any credentials; fixed dummy ones keep boto3 from searching for real AWS
keys (and from failing when there are none). Timeouts are short and retries few, so a stopped
emulator is an error within seconds, not a long hang in a notebook cell.
"""

from __future__ import annotations

from typing import Any

from labkit.aws_credentials import DEFAULT_REGION

EMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "labkit", "AWS_SECRET_ACCESS_KEY": "labkit"}


def emulator_client(url: str, region: str = DEFAULT_REGION, service: str = "sqs") -> Any:
    """A boto3 SQS client (``service="sns"``: SNS, on the same port) bound to the emulator (or
    any SQS endpoint) at ``url``."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=EMULATOR_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=EMULATOR_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(connect_timeout=2, retries={"max_attempts": 2, "mode": "standard"}),
    )
