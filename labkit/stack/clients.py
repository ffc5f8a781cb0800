"""The boto3 SQS client for labkit's emulator, built in one place, and whose account it uses.

The emulator keys queues by account, the way AWS does, and takes the account from the access
key id: a key id of exactly 12 digits IS the account, any other is the class account
``000000000000``. The CLI and a tutor's terminals use the class account; each notebook kernel
(each process calling `labkit.up()`) uses an account of its own, so two notebooks running at
once never take each other's messages while the queue names stay the handout's.

Timeouts are short and retries few, so a stopped emulator is an error within seconds, not a
long hang in a notebook cell.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import socket
import time
from typing import Any

from labkit.aws_credentials import DEFAULT_REGION

CLASS_ACCOUNT = "000000000000"
#: Credentials of the class account (any key id that is not 12 digits maps to it).
EMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "labkit", "AWS_SECRET_ACCESS_KEY": "labkit"}
SECRET = "labkit"
_ACCOUNT = re.compile(r"^\d{12}$")


def is_account(value: str | None) -> bool:
    return bool(value and _ACCOUNT.match(value))


@functools.cache
def process_account() -> str:
    """This process's own 12-digit account: ``LABKIT_ACCOUNT`` when set, else drawn from the
    host, pid and start time, so it stays the same for the life of a kernel and differs
    between kernels (a restarted kernel starts in a fresh, empty account)."""
    chosen = os.environ.get("LABKIT_ACCOUNT", "").strip()
    if chosen:
        if not is_account(chosen):
            from labkit.stack.errors import StackError

            raise StackError(
                f"LABKIT_ACCOUNT must be 12 digits (an account id), not {chosen!r}; "
                f"unset it, or use {CLASS_ACCOUNT} for the class account"
            )
        return chosen
    started = _process_start()
    digest = hashlib.sha256(f"{socket.gethostname()}|{os.getpid()}|{started}".encode()).digest()
    first = 1 + int.from_bytes(digest[:8], "big") % 9  # never the class account's 0
    return f"{first}{int.from_bytes(digest[8:16], 'big') % 10**11:011d}"


def _process_start() -> float:
    try:
        import psutil

        return psutil.Process().create_time()
    except Exception:  # noqa: BLE001 - any stable value will do
        return time.time()


def account_credentials(account: str | None = None) -> dict[str, str]:
    """AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY for ``account`` on the emulator (the class
    account when None)."""
    if account is None or account == CLASS_ACCOUNT:
        return dict(EMULATOR_CREDENTIALS)
    return {"AWS_ACCESS_KEY_ID": account, "AWS_SECRET_ACCESS_KEY": SECRET}


def emulator_client(
    url: str,
    region: str = DEFAULT_REGION,
    service: str = "sqs",
    account: str | None = None,
    **config: Any,
) -> Any:
    """A boto3 SQS client (``service="sns"``: SNS, on the same port) bound to the emulator (or
    any SQS endpoint) at ``url``, acting in ``account`` (default: the class account).

    ``config`` overrides botocore `Config` options (e.g. ``retries={"max_attempts": 1}``,
    ``read_timeout=30``, ``max_pool_connections=60`` for a load test). The client's
    `QueueContext` (`labkit.stack.context`) is recorded here: kind by its URL, the account.
    """
    import boto3
    from botocore.config import Config

    from labkit.stack.context import is_aws_endpoint, register

    credentials = account_credentials(account)
    options = {"connect_timeout": 2, "retries": {"max_attempts": 2, "mode": "standard"}, **config}
    client = boto3.client(
        service,
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        config=Config(**options),
    )
    register(client, "aws" if is_aws_endpoint(url) else "emulator", account or CLASS_ACCOUNT)
    return client
