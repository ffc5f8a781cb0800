"""A stand-in for SQS on AWS that checks what AWS checks: the SigV4 signature and the session token.

Every request must carry a SigV4 `Authorization` header whose signature botocore's own signer,
given the secret key the endpoint knows for that access key, computes again over the request as
received; the session token must be the current one. A request that passes is forwarded to
the lab's SQS emulator and its answer returned; one that fails gets AWS's error (status, code,
message) in the protocol the client spoke (JSON or query XML), so botocore raises exactly the
ClientError it raises against AWS. The emulator's own admin routes are not reachable through it,
as on AWS.
"""

from __future__ import annotations

import datetime as dt
import hmac
import http.client
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, ?SignedHeaders=(?P<signed>[^,]+), ?Signature=(?P<sig>[0-9a-f]{64})"
)
MAX_SKEW = dt.timedelta(minutes=15)  # AWS refuses requests signed further from its clock


@dataclass
class Identity:
    """One set of Learner Lab credentials the endpoint knows."""

    secret_key: str
    session_token: str
    expired_tokens: set[str] = field(default_factory=set)


@dataclass
class Verdict:
    """What the endpoint decided about one request (kept for the test's assertions)."""

    action: str
    access_key: str
    token: str | None
    outcome: str  # "forwarded" or the AWS error code returned


class SigV4Endpoint:
    """`with SigV4Endpoint(emulator_url, {key: Identity(...)}) as endpoint:` serves on
    ``endpoint.url`` (127.0.0.1, a free port) until the block ends."""

    def __init__(self, upstream: str, identities: dict[str, Identity]) -> None:
        self.upstream = urlsplit(upstream)
        self.identities = identities
        self.verdicts: list[Verdict] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> SigV4Endpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- checking -------------------------------------------------------------------------------

    def check(self, method: str, path: str, headers: dict[str, str], body: bytes) -> str | None:
        """None when the request is signed right with a current token, else the AWS error code."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        lowered = {k.lower(): v for k, v in headers.items()}
        match = AUTH.fullmatch(lowered.get("authorization", "").strip())
        if not match:
            return "MissingAuthenticationToken"
        identity = self.identities.get(match["key"])
        if identity is None:
            return "InvalidClientTokenId"
        token = lowered.get("x-amz-security-token")
        if token in identity.expired_tokens:
            return "ExpiredToken"
        if token != identity.session_token:
            return "InvalidClientTokenId"
        stamp = lowered.get("x-amz-date", "")
        try:
            signed_at = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        except ValueError:
            return "IncompleteSignature"
        if abs(dt.datetime.now(dt.UTC) - signed_at) > MAX_SKEW or stamp[:8] != match["date"]:
            return "SignatureDoesNotMatch"
        names = match["signed"].split(";")
        if "host" not in names or any(name not in lowered for name in names):
            return "SignatureDoesNotMatch"
        # botocore's signer, handed exactly the signed headers as received, signs them again.
        request = AWSRequest(
            method=method,
            url=f"http://{lowered['host']}{path}",
            data=body,
            headers={name: lowered[name] for name in names},
        )
        request.context["timestamp"] = stamp
        credentials = Credentials(match["key"], identity.secret_key, token)
        signer = SigV4Auth(credentials, match["service"], match["region"])
        if signer.signed_headers(signer.headers_to_sign(request)) != match["signed"]:
            return "SignatureDoesNotMatch"
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if not hmac.compare_digest(expected, match["sig"]):
            return "SignatureDoesNotMatch"
        return None

    # -- serving ---------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self._serve("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._serve("POST")

            def _serve(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = dict(self.headers.items())
                if self.path.startswith("/_labkit"):
                    return self._answer(404, {"Content-Type": "text/plain"}, b"Not Found")
                code = endpoint.check(method, self.path, headers, body)
                token = {k.lower(): v for k, v in headers.items()}.get("x-amz-security-token")
                key = AUTH.search(headers.get("Authorization", ""))
                verdict = Verdict(
                    action=_action(headers, body),
                    access_key=key["key"] if key else "",
                    token=token,
                    outcome=code or "forwarded",
                )
                with endpoint._lock:
                    endpoint.verdicts.append(verdict)
                if code:
                    return self._error(code, headers)
                status, reply_headers, reply = endpoint._forward(method, self.path, headers, body)
                self._answer(status, reply_headers, reply)

            def _error(self, code: str, headers: dict[str, str]) -> None:
                status, message = ERRORS[code]
                if "json" in headers.get("Content-Type", ""):
                    payload = json.dumps(
                        {"__type": f"com.amazon.coral.service#{code}", "message": message}
                    ).encode()
                    reply = {
                        "Content-Type": "application/x-amz-json-1.0",
                        "x-amzn-query-error": f"{code};Sender",
                    }
                else:
                    payload = (
                        "<ErrorResponse><Error><Type>Sender</Type>"
                        f"<Code>{code}</Code><Message>{message}</Message></Error>"
                        "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
                    ).encode()
                    reply = {"Content-Type": "text/xml"}
                self._answer(status, reply, payload)

            def _answer(self, status: int, headers: dict[str, str], payload: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=60)
        try:
            passed = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
            passed["Host"] = self.upstream.netloc
            conn.request(method, path, body=body, headers=passed)
            reply = conn.getresponse()
            return reply.status, dict(reply.getheaders()), reply.read()
        finally:
            conn.close()


ERRORS = {
    "ExpiredToken": (403, "The security token included in the request is expired"),
    "InvalidClientTokenId": (403, "The security token included in the request is invalid."),
    "SignatureDoesNotMatch": (
        403,
        "The request signature we calculated does not match the signature you provided.",
    ),
    "IncompleteSignature": (400, "The request signature does not conform to AWS standards."),
    "MissingAuthenticationToken": (403, "Request is missing Authentication Token"),
}


def _action(headers: dict[str, str], body: bytes) -> str:
    target = headers.get("X-Amz-Target") or headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    found = re.search(rb"Action=([A-Za-z]+)", body)
    return found.group(1).decode() if found else ""
