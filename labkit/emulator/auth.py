"""Who is calling, for the HTTP server: a verified caller, or AWS's refusal in each protocol's shape.

With a stack secret (`labkit sqs-server` reads it from `LABKIT_EMULATOR_SECRET`) every request
but the health check and a notification's UnsubscribeURL must be signed (`sigv4.verify`); the
refusal is AWS's 403 in the caller's protocol: JSON for SQS, XML for SNS, `{"error"}` for the
admin routes. Without one (an in-process emulator in a test) the caller is read from the key
id, unverified, as before.

Admin calls act on the caller's own account; the emulator-wide ones (no account named: the
global reset, the shared clock, every account's settings) need the admin key.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from labkit.emulator.accounts import Caller, caller_of
from labkit.emulator.sigv4 import ADMIN_KEY, Request, SignatureError, verify

NOT_ADMIN = (
    "this call acts on the whole emulator and needs the stack's admin key; with your own "
    "credentials name your account (or use lab.admin, which does)"
)


def authenticate(
    secret: str | None, method: str, path: str, headers: Mapping[str, str], body: bytes
) -> Caller:
    """The caller of a request; SignatureError when the emulator checks signatures and this
    one does not verify."""
    if secret is None:
        return caller_of(headers)
    raw_path, _, query = path.partition("?")
    lower = {name.lower(): value for name, value in headers.items()}
    return verify(Request(method, raw_path, query, lower, body), secret)


def is_admin(caller: Caller | None, secret: str | None) -> bool:
    """True when ``caller`` may make emulator-wide admin calls (always, when nothing is
    checked)."""
    return secret is None or (caller is not None and caller.access_key == ADMIN_KEY)


def scoped(params: dict, caller: Caller | None, secret: str | None) -> dict:
    """An admin payload limited to the caller's account: its own account is filled in, and
    another account (or none, when that means every account) is refused with PermissionError
    unless the caller holds the admin key."""
    if is_admin(caller, secret):
        return params
    assert caller is not None
    named = params.get("account")
    if named is not None and named != caller.account:
        raise PermissionError(f"account {named} is not yours (you sign as {caller.account})")
    return {**params, "account": caller.account}


def sqs_refusal(error: SignatureError) -> tuple[int, dict, dict[str, str]]:
    """Status, JSON body and headers of AWS's answer in the JSON protocol."""
    body = {"__type": f"com.amazon.coral.service#{error.code}", "message": error.message}
    return error.status, body, {"x-amzn-query-error": f"{error.code};Sender"}


def sns_refusal(error: SignatureError) -> tuple[int, bytes]:
    """Status and XML body of AWS's answer in the query protocol."""
    from xml.sax.saxutils import escape

    document = (
        '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error>'
        f"<Type>Sender</Type><Code>{escape(error.code)}</Code>"
        f"<Message>{escape(error.message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return error.status, document.encode()
