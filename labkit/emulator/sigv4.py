"""Who may call the emulator: SigV4 signatures checked against a secret generated per stack.

On a shared machine (a JupyterHub with LocalSpawner) every student's emulator listens on the
same 127.0.0.1, and the access key id alone names an account. So a stack draws a secret when it
starts, keeps it in its 0600 `stack.json`, and the emulator checks every request's signature as
AWS checks its keys. The secret of each access key id is derived from the stack's secret
(`key_secret`): labkit's client builders can sign for any account (a notebook's own, the class
account), while another OS user, who cannot read the stack's files, gets AWS's
``SignatureDoesNotMatch`` whatever account he names.

The admin key id `ADMIN_KEY` signs the emulator-wide admin calls (a global reset); no kernel's
environment carries its secret. Standard library only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from labkit.emulator.accounts import Caller, account_for_key

ALGORITHM = "AWS4-HMAC-SHA256"
ADMIN_KEY = "labkit-admin"
SECRET_VARIABLE = "LABKIT_EMULATOR_SECRET"  # how the stack hands the secret to the emulator
MAX_SKEW_SECONDS = 15 * 60  # AWS: a signature older (or newer) than this is refused
_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/,\s]{1,128})/(?P<date>[0-9]{8})/"
    r"(?P<region>[a-z0-9-]{1,32})/(?P<service>[a-z0-9-]{1,32})/aws4_request\s*,\s*"
    r"SignedHeaders=(?P<headers>[a-z0-9;_.-]{1,1024})\s*,\s*Signature=(?P<signature>[0-9a-f]{64})$"
)
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)


def key_secret(stack_secret: str, access_key: str) -> str:
    """The secret access key of ``access_key`` on the emulator whose secret is ``stack_secret``."""
    digest = hmac.new(stack_secret.encode(), f"labkit-key|{access_key}".encode(), hashlib.sha256)
    return digest.hexdigest()[:40]


class SignatureError(Exception):
    """A request refused for its signature: ``code`` as AWS names it (403)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = 403


@dataclass(frozen=True)
class Request:
    """What a signature covers: method, raw path and query, headers (lower-case names), body."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes


def _canonical_query(query: str) -> str:
    """The query as signed: its ``name=value`` pairs sorted (as botocore sends them, already
    percent-encoded), without a presigned URL's own signature."""
    pairs = []
    for pair in query.split("&") if query else []:
        name, _, value = pair.partition("=")
        if name != "X-Amz-Signature":
            pairs.append((name, value))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _canonical_path(path: str) -> str:
    from urllib.parse import quote

    return quote(path or "/", safe="/~")


def _string_to_sign(request: Request, signed: list[str], amz_date: str, scope: str) -> str:
    headers = "".join(
        f"{name}:{' '.join(str(request.headers.get(name, '')).split())}\n" for name in signed
    )
    payload = (
        request.headers.get("x-amz-content-sha256") or hashlib.sha256(request.body).hexdigest()
    )
    canonical = "\n".join(
        [
            request.method,
            _canonical_path(request.path),
            _canonical_query(request.query),
            headers,
            ";".join(signed),
            payload,
        ]
    )
    digest = hashlib.sha256(canonical.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


def _signature(secret: str, date: str, region: str, service: str, text: str) -> str:
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _fresh(amz_date: str, now: float) -> bool:
    try:
        when = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return False
    return abs(when.timestamp() - now) <= MAX_SKEW_SECONDS


def _payload_matches(request: Request) -> bool:
    declared = request.headers.get("x-amz-content-sha256")
    if not declared or declared == "UNSIGNED-PAYLOAD":
        return True  # the body's hash is what was signed (or the client chose not to sign it)
    return hmac.compare_digest(declared, hashlib.sha256(request.body).hexdigest())


def verify(request: Request, stack_secret: str, now: float | None = None) -> Caller:
    """The caller of a correctly signed ``request``; SignatureError otherwise.

    The secret checked is `key_secret` of the request's own key id, so every account's
    requests are checked, and none can be signed without the stack's secret.
    """
    authorization = request.headers.get("authorization")
    if not authorization:
        raise SignatureError(
            "MissingAuthenticationToken", "Request is missing Authentication Token"
        )
    match = _AUTH.match(authorization.strip())
    if match is None:
        raise SignatureError(
            "IncompleteSignature",
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' "
            "parameters (AWS4-HMAC-SHA256).",
        )
    amz_date = request.headers.get("x-amz-date", "")
    signed = match["headers"].split(";")
    if "host" not in signed or amz_date[:8] != match["date"]:
        raise SignatureError("IncompleteSignature", "The request must sign Host and X-Amz-Date.")
    if not _fresh(amz_date, time.time() if now is None else now):
        raise SignatureError(
            "SignatureDoesNotMatch",
            f"Signature expired: {amz_date} is now earlier or later than 15 minutes from now.",
        )
    scope = f"{match['date']}/{match['region']}/{match['service']}/aws4_request"
    text = _string_to_sign(request, signed, amz_date, scope)
    expected = _signature(
        key_secret(stack_secret, match["key"]),
        match["date"],
        match["region"],
        match["service"],
        text,
    )
    if not hmac.compare_digest(expected, match["signature"]) or not _payload_matches(request):
        raise SignatureError("SignatureDoesNotMatch", SIGNATURE_MISMATCH)
    key = match["key"]
    return Caller(account=account_for_key(key), region=match["region"], access_key=key)
