"""The boto3 SQS client for labkit's emulator, built in one place, and whose account it uses.

The emulator keys queues by account, the way AWS does, and takes the account from the access
key id: a key id of exactly 12 digits IS the account, any other is the class account
``000000000000``. The CLI and a tutor's terminals use the class account; each notebook kernel
(each process calling `labkit.up()`) uses an account of its own, so two notebooks running at
once never take each other's messages while the queue names stay the handout's.

The stack's emulator checks SigV4 signatures: the secret key of every key id is derived from
the secret the stack drew when it started (`labkit.emulator.sigv4.key_secret`), which lives in
the 0600 stack.json (and, for the compose containers, in their environment). So these builders
sign for any account, and another user of the machine, who cannot read the file, cannot.

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
CLASS_KEY = "labkit"  # the class account's key id (any key id that is not 12 digits maps to it)
#: Credentials of the class account on an emulator that checks no signature (a test's own).
EMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID": CLASS_KEY, "AWS_SECRET_ACCESS_KEY": "labkit"}
SECRET = "labkit"  # the secret of every key on an emulator without a stack secret
_ACCOUNT = re.compile(r"^\d{12}$")


def stack_secret() -> str | None:
    """The running stack's emulator secret: `LABKIT_EMULATOR_SECRET` (the compose lab
    container's environment), else the one recorded in stack.json; None when neither exists."""
    from labkit.emulator.sigv4 import SECRET_VARIABLE

    found = os.environ.get(SECRET_VARIABLE)
    if found:
        return found
    from labkit.stack.state import read_state

    state = read_state() or {}
    return state.get("emulator_secret") or (state.get("passwords") or {}).get("emulator")


SECRET_FILE = "emulator.secret"


def emulator_secret() -> str:
    """The emulator's SigV4 secret of this LABKIT_HOME (`labkit.emulator.sigv4`): drawn once
    and kept in a 0600 file in the 0700 state folder, so `labkit down` and `up` keep working
    the clients kernels already hold."""
    import secrets

    from labkit.paths import open_private, state_dir

    path = state_dir() / SECRET_FILE
    try:
        found = path.read_text().strip()
    except OSError:
        found = ""
    if found:
        return found
    drawn = secrets.token_urlsafe(32)
    with open_private(path, "w") as out:
        out.write(drawn + "\n")
    return drawn


def key_credentials(key: str, secret: str | None = None) -> dict[str, str]:
    """AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY for key id ``key`` on the stack's emulator
    (``secret``: the stack's, by default the running one's)."""
    from labkit.emulator.sigv4 import key_secret

    secret = secret or stack_secret()
    derived = key_secret(secret, key) if secret else SECRET
    return {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": derived}


def class_credentials(secret: str | None = None) -> dict[str, str]:
    """The class account's credentials (the CLI, the stack's worker, a tutor's demo)."""
    return key_credentials(CLASS_KEY, secret)


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


def account_credentials(account: str | None = None, secret: str | None = None) -> dict[str, str]:
    """AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY for ``account`` on the emulator (the class
    account when None), signed with the stack's secret (``secret``, else the running stack's)."""
    if account is None or account == CLASS_ACCOUNT:
        return class_credentials(secret)
    return key_credentials(account, secret)


def client_account(sqs: Any) -> str:
    """The emulator account a boto3 client acts in: its key id when that is 12 digits, else the
    class account (the emulator's rule, and LocalStack's)."""
    key = None
    signer = getattr(sqs, "_request_signer", None)
    credentials = getattr(signer, "_credentials", None)
    if credentials is not None:
        key = getattr(credentials, "access_key", None)
    return key if is_account(key) else CLASS_ACCOUNT


def emulator_client(
    url: str,
    region: str = DEFAULT_REGION,
    service: str = "sqs",
    account: str | None = None,
    secret: str | None = None,
    **config: Any,
) -> Any:
    """A boto3 SQS client (``service="sns"``: SNS, on the same port) bound to the emulator (or
    any SQS endpoint) at ``url``, acting in ``account`` (default: the class account).

    ``secret`` is the emulator's stack secret (default: the running stack's, see
    `stack_secret`). ``config`` overrides botocore `Config` options (e.g. ``retries={"max_attempts": 1}``,
    ``read_timeout=30``, ``max_pool_connections=60`` for a load test).
    """
    import boto3
    from botocore.config import Config

    credentials = account_credentials(account, secret)
    options = {"connect_timeout": 2, "retries": {"max_attempts": 2, "mode": "standard"}, **config}
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        config=Config(**options),
    )
