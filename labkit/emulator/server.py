"""The HTTP face of the emulator, and only that: parsing, size limits, the Host/Origin guard,
and routing by protocol: SQS's AWS JSON 1.0 (what boto3 and kombu send) to `sqs.actions`, SNS's
query protocol to `sns.actions`, `/_labkit/` to `admin`.

`start()` runs it on a background thread for tests and notebooks; `labkit sqs-server` runs it
in the foreground. Standard library only, so the stack can start it as a child in well under
a second.
"""

from __future__ import annotations

import json
import logging
import os
import re
import select
import socket
import sys
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from labkit.emulator.accounts import DEFAULT_REGION, Caller, caller_of
from labkit.emulator.admin import HEALTH, MAX_CLOCK_ADVANCE, Admin, is_admin_path
from labkit.emulator.auth import authenticate, sns_refusal, sqs_refusal
from labkit.emulator.clock import Clock
from labkit.emulator.context import Context
from labkit.emulator.sigv4 import SECRET_VARIABLE, SignatureError
from labkit.emulator.sns.actions import SNSService
from labkit.emulator.sqs.access import authorize
from labkit.emulator.sqs.actions import dispatch
from labkit.emulator.sqs.backend import SQSBackend
from labkit.emulator.sqs.errors import SQSError
from labkit.web_guard import MAX_JSON_DEPTH, configured_hosts, is_json_type, json_depth, refusal

JSON_TYPE = "application/x-amz-json-1.0"
MAX_REQUEST_BYTES = 4 * 1024 * 1024  # 1 MiB of messages, JSON-escaped (at most 3x) and more
_log = logging.getLogger(__name__)


_MAX_HEADERS = 100
IDLE_TIMEOUT_SECONDS = 60.0  # a connection that sends nothing this long is closed
_CONTENT_LENGTH = re.compile(r"[0-9]{1,12}")


def as_json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


class _Headers(dict):
    """Request headers by lower-cased name; ``get`` ignores the case of the name asked for."""

    def get(self, name: str, default=None):  # noqa: ANN001, ANN201 - dict's signature
        return super().get(name.lower(), default)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: boto3 reuses its connections
    disable_nagle_algorithm = True  # or every reply waits ~40 ms for a delayed ACK
    server_version = "labkit-sqs"
    sys_version = ""
    service: SQSBackend  # set on the subclass built by `make_server`
    sns: SNSService  # topics on the same port (query protocol), delivering into ``service``
    admin: Admin  # the /_labkit/ routes
    allowed_hosts: frozenset[str] = frozenset()  # LABKIT_ALLOWED_HOSTS, read by `make_server`
    secret: str | None = None  # the stack's SigV4 secret; None: signatures are not checked
    _caller: Caller | None = None  # who sent the request being answered (`_authenticate`)
    # Socket timeout of every read and write: an idle keep-alive or half-open connection ends
    # (and its thread with it) instead of holding a thread for ever. A long poll waits in the
    # service, not on the socket, so it is not cut short.
    timeout = IDLE_TIMEOUT_SECONDS

    def parse_request(self) -> bool:
        """Request line and headers, parsed directly (the stdlib's email-based parser costs a
        sixth of the server's time per call); keep-alive as HTTP/1.1 defines it."""
        line = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        self.requestline = line
        parts = line.split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            self.request_version = "HTTP/1.0"
            self.close_connection = True
            self.send_error(400, "Bad request line")
            return False
        self.command, self.path, self.request_version = parts
        self._caller = None  # each request on a kept-alive connection proves itself anew
        headers = _Headers()
        for _ in range(_MAX_HEADERS):
            raw = self.rfile.readline(65537)
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("iso-8859-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        else:
            self.close_connection = True
            self.send_error(431, "Too many headers")
            return False
        self.headers = headers  # type: ignore[assignment]
        connection = headers.get("Connection", "").lower()
        self.close_connection = connection == "close" or (
            self.request_version == "HTTP/1.0" and connection != "keep-alive"
        )
        return self._guard()

    def _guard(self) -> bool:
        """Refuse (403, connection closed) a foreign Host, a cross-site write, and an admin
        write that is not JSON: what a web page in the student's browser could send."""
        reason = refusal(
            self.command,
            self.headers.get("Host"),
            self.headers.get("Origin"),
            self.allowed_hosts,
            fetch_site=self.headers.get("Sec-Fetch-Site"),
            # An SNS action may come as a GET (`?Action=Publish...`): it writes all the same.
            writes=self.command != "GET" or "Action=" in self.path,
            signed=self._signed_or_unsubscribe(),
        )
        if (
            reason is None
            and self.command == "POST"
            and is_admin_path(self.path)
            and not is_json_type(self.headers.get("Content-Type"))
        ):
            reason = "admin routes take only Content-Type: application/json"
        if reason is None:
            return True
        self.close_connection = True
        self._send(403, as_json({"error": reason}), "application/json")
        return False

    def _signed_or_unsubscribe(self) -> bool:
        """A signed request, or a notification's UnsubscribeURL."""
        if "Authorization" in self.headers or "X-Amz-Signature=" in self.path:
            return True
        return self._unsubscribe_url()

    def _unsubscribe_url(self) -> bool:
        """A GET of a notification's UnsubscribeURL (AWS takes it unsigned: the subscription
        ARN in it is the capability)."""
        query = parse_qs(self.path.partition("?")[2])
        return (
            self.command == "GET"
            and query.get("Action") == ["Unsubscribe"]
            and "SubscriptionArn" in query
        )

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        pass  # quiet: students read their own output, not an access log

    # --- plumbing ---------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None):
        """Status line, headers and body in one write: one TCP segment for small replies."""
        lines = [
            f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}",
            f"Server: {self.server_version}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}",
            f"x-amzn-RequestId: {uuid.uuid4()}",
        ]
        lines += [f"{key}: {value}" for key, value in (headers or {}).items()]
        if self.close_connection:
            lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def _error(self, err: SQSError) -> None:
        self._send(err.status, as_json(err.body()), JSON_TYPE, err.headers())

    def _read_body(self) -> bytes | None:
        length = self.headers.get("Content-Length")
        # ASCII digits only: int() would also take "٣", "1_0" or " +5 ".
        size = (
            int(length) if length and _CONTENT_LENGTH.fullmatch(length) else (-1 if length else 0)
        )
        if size < 0 or size > MAX_REQUEST_BYTES:
            self.close_connection = True
            left = min(size, 64 * MAX_REQUEST_BYTES)  # drain it, so the client reads our answer
            while left > 0:
                chunk = self.rfile.read(min(left, 65536))
                if not chunk:
                    break
                left -= len(chunk)
            self._error(
                SQSError(
                    "RequestEntityTooLarge" if size > 0 else "InvalidParameterValue",
                    f"The request body must be at most {MAX_REQUEST_BYTES} bytes "
                    "with a valid Content-Length.",
                    status=413 if size > 0 else 400,
                    code="RequestEntityTooLarge" if size > 0 else None,
                )
            )
            return None
        return self.rfile.read(size) if size else b""

    def _context(self) -> Context:
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        caller = self._caller or caller_of(self.headers)
        return Context.of(f"http://{host}", caller, client_gone=self._client_gone)

    def _authenticate(self, body: bytes, shape: str) -> bool:
        """Verify the request's signature (with a stack secret); answer AWS's 403 in the
        request's own ``shape`` ("sqs", "sns" or "admin") and return False when it fails."""
        try:
            self._caller = authenticate(self.secret, self.command, self.path, self.headers, body)
            return True
        except SignatureError as error:
            self._caller = None
            if shape == "sqs":
                status, answer, headers = sqs_refusal(error)
                self._send(status, as_json(answer), JSON_TYPE, headers)
            elif shape == "sns":
                status, xml = sns_refusal(error)
                self._send(status, xml, "text/xml")
            else:
                self._send(error.status, as_json({"error": error.message}), "application/json")
            return False

    def _client_gone(self) -> bool:
        """True when the caller closed its connection (a stopped worker's pending long poll)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    # --- routes -----------------------------------------------------------------------------
    def do_GET(self) -> None:
        if "Action=" in self.path:
            unsubscribe = self._unsubscribe_url()  # AWS takes it unsigned, as here
            if not unsubscribe and not self._authenticate(b"", "sns"):
                return
            if self._sns(self.path.partition("?")[2].encode()):
                return
        route = self.path.split("?")[0]
        if route != HEALTH.path and not self._authenticate(b"", "admin"):
            return
        answer = self.admin.get(self.path, self._caller, self.secret)
        if answer is not None:
            self._send(answer[0], as_json(answer[1]), "application/json")
            return
        self._error(SQSError("UnsupportedOperation", "Use POST with the AWS JSON 1.0 protocol."))

    def do_POST(self) -> None:
        body = self._read_body()
        if body is None:
            return
        if is_admin_path(self.path):
            if not self._authenticate(body, "admin"):
                return
            path = self.path.split("?")[0]
            status, answer = self.admin.post(path, body, self._caller, self.secret)
            self._send(status, as_json(answer), "application/json")
            return
        target = self.headers.get("X-Amz-Target")
        if not self._authenticate(body, "sqs" if target else "sns"):
            return
        if target is None:
            self._query_protocol(body)
            return
        prefix, _, action = target.partition(".")
        if prefix != "AmazonSQS" or not action:
            self._error(
                SQSError(
                    "UnknownOperationException",
                    f"Unknown operation {target}.",
                    code="UnknownOperationException",
                )
            )
            return
        try:
            if json_depth(body) > MAX_JSON_DEPTH:  # bounded before parsing, not by recursion
                raise ValueError("nested too deeply")
            params = json.loads(body or b"{}")
        except (ValueError, RecursionError):
            self._error(
                SQSError(
                    "SerializationException",
                    "The request body is not valid JSON.",
                    code="SerializationException",
                )
            )
            return
        if not isinstance(params, dict):
            self._error(
                SQSError(
                    "SerializationException",
                    "The request body must be a JSON object.",
                    code="SerializationException",
                )
            )
            return
        try:
            ctx = self._context()
            authorize(self.service, action, params, ctx.account, ctx.region)
            result = dispatch(self.service, action, params, ctx)
        except SQSError as err:
            self._error(err)
            return
        except Exception as exc:  # a bug of ours: still an AWS-shaped answer, never a hang
            self._error(SQSError("InternalError", f"Internal error: {exc!r}", status=500))
            return
        self._send(200, as_json(result), JSON_TYPE, ctx.reply_headers)

    def _sns(self, form: bytes) -> bool:
        """Answer an SNS action (boto3's sns client posts the query protocol); False if the
        form is no SNS action."""
        answer = self.sns.handle(form, self._context())
        if answer is not None:
            self._send(answer[0], answer[1], "text/xml")
        return answer is not None

    def _query_protocol(self, body: bytes) -> None:
        """SNS actions go to the topics; old SDKs' SQS query requests are told JSON is needed."""
        if self._sns(body):
            return
        form = parse_qs(body.decode("utf-8", "replace"))
        action = (form.get("Action") or ["(none)"])[0]
        message = (
            f"This emulator speaks the AWS JSON 1.0 protocol (botocore >= 1.31.64); the query "
            f"protocol request Action={action} is not supported. Upgrade boto3/botocore."
        )
        xml = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code>"
            f"<Message>{message}</Message></Error><RequestId>{uuid.uuid4()}</RequestId>"
            "</ErrorResponse>"
        ).encode()
        self._send(400, xml, "text/xml")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001 - stdlib signature
        """Never print from the server's threads: in-process, that text lands in a student's
        notebook cell. A caller hanging up (a stopped worker, an interrupted cell) is normal;
        anything else goes to this module's logger at debug level."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        _log.debug("request from %s failed", client_address, exc_info=True)


def make_server(
    host: str,
    port: int,
    service: SQSBackend,
    idle_timeout: float = IDLE_TIMEOUT_SECONDS,
    secret: str | None = None,
) -> ThreadingHTTPServer:
    """The emulator's HTTP server; hosts from `LABKIT_ALLOWED_HOSTS` are read once, here.
    With ``secret`` every request must be SigV4-signed with a key derived from it
    (`labkit.emulator.sigv4`)."""
    sns = SNSService(service)
    handler = type(
        "SQSHandler",
        (_Handler,),
        {
            "service": service,
            "sns": sns,
            "admin": Admin(service, sns),
            "allowed_hosts": configured_hosts(),
            "timeout": idle_timeout,
            "secret": secret or None,
        },
    )
    return _Server((host, port), handler)


@dataclass
class SQSServerHandle:
    """A running emulator: ``url``, ``host``, ``port``, ``clock``, ``service`` (its SQS
    backend); ``stop()``."""

    url: str
    host: str
    port: int
    clock: Clock
    service: SQSBackend
    _server: ThreadingHTTPServer
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._service_wake()
        self._thread.join(timeout=5)

    def _service_wake(self) -> None:
        self.service.reset()  # wakes long polls still waiting so their threads end


def start(
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int | None = None,
    clock: Clock | None = None,
    idle_timeout: float = IDLE_TIMEOUT_SECONDS,
    secret: str | None = None,
) -> SQSServerHandle:
    """Run the emulator on a background thread; ``port=0`` picks a free port; ``secret``:
    check SigV4 signatures (as the stack's emulator does)."""
    service = SQSBackend(clock=clock, seed=seed)
    server = make_server(host, port, service, idle_timeout, secret)
    actual = server.server_address[1]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="sqs-emulator", daemon=True
    )
    thread.start()
    return SQSServerHandle(
        url=f"http://{host}:{actual}",
        host=host,
        port=actual,
        clock=service.clock,
        service=service,
        _server=server,
        _thread=thread,
    )


def serve_forever(host: str = "127.0.0.1", port: int = 9324, seed: int | None = None) -> None:
    """Foreground server for `labkit sqs-server`: prints the URL first, then serves. The
    stack's secret comes in `LABKIT_EMULATOR_SECRET` (never on the command line)."""
    service = SQSBackend(seed=seed)
    secret = os.environ.get(SECRET_VARIABLE) or None
    server = make_server(host, port, service, secret=secret)
    print(f"SQS emulator listening on http://{host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


__all__ = ["DEFAULT_REGION", "MAX_CLOCK_ADVANCE", "SQSServerHandle", "serve_forever", "start"]
