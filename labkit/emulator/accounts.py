"""Who is calling: the account and region of a request, read from its SigV4 signature.

AWS keeps every queue (and topic) in one account and one region. The emulator follows the
convention LocalStack and moto use, so several people can share one emulator without seeing
each other's queues: an access key id of exactly 12 digits IS the account id; any other key id
is the default account ``000000000000``. The region is the one in the signature's credential
scope (``Credential=KEY/20260101/us-west-2/sqs/aws4_request``), us-east-1 when unsigned.

Standard library only; the SNS side of the emulator uses `caller_of` for its topic ARNs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
_SCOPE = re.compile(r"Credential=([^/,\s]+)/[0-9]{8}/([a-z0-9-]{1,32})/")


@dataclass(frozen=True)
class Caller:
    """The account and region a request acts in (and the key id it was signed with)."""

    account: str = DEFAULT_ACCOUNT
    region: str = DEFAULT_REGION
    access_key: str = ""

    def arn(self, service: str, resource: str) -> str:
        """``arn:aws:<service>:<region>:<account>:<resource>``, e.g. a queue's or topic's ARN."""
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"


def account_for_key(access_key_id: str) -> str:
    """The account a key id acts in: itself when it is 12 ASCII digits, else the default."""
    return access_key_id if _ACCOUNT_ID.match(access_key_id or "") else DEFAULT_ACCOUNT


def is_account_id(value: object) -> bool:
    """True for a 12-digit account id (ASCII digits only)."""
    return isinstance(value, str) and bool(_ACCOUNT_ID.match(value))


def caller_from_authorization(authorization: str | None) -> Caller:
    """The caller named by an ``Authorization`` header's SigV4 credential scope (unsigned: the
    default account in us-east-1)."""
    match = _SCOPE.search(authorization or "")
    if match is None:
        return Caller()
    key, region = match.group(1), match.group(2)
    return Caller(account=account_for_key(key), region=region, access_key=key)


def caller_of(headers: Mapping[str, str]) -> Caller:
    """The caller of an HTTP request, from its headers (any mapping with ``get``)."""
    value = headers.get("Authorization")
    if value is None:
        value = headers.get("authorization")
    return caller_from_authorization(value)
