"""Another student on the same machine, attacking a stack he does not own (standard library only).

`tests/stack/test_two_users.py` copies this file where a second OS user can read it and runs it
as that user, with what that user can learn on a shared machine: the ports (`ss`, `ps`), the
account id in a queue URL or topic ARN (shared in a chat), the paths under the owner's
LABKIT_HOME. It has no labkit, no password and no secret. It prints one JSON object: each
attack's name -> what came back; the test says which answers count as refused.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import json
import socket
import sys
from urllib.parse import urlencode, urlsplit


def redis_command(port: int, *args: str) -> str:
    """One command on a fresh connection, in the Redis protocol; the first reply line."""
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"".join(parts))
        return sock.recv(4096).decode(errors="replace").splitlines()[0]


def _sign(method: str, url: str, body: bytes, headers: dict, key: str, secret: str) -> dict:
    """SigV4 as boto3 signs: what a forged key id with a guessed secret looks like."""
    parts = urlsplit(url)
    now = datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017 - any Python 3 here
    amz_date, date = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    headers = {**headers, "host": parts.netloc, "x-amz-date": amz_date}
    names = sorted(name.lower() for name in headers)
    lower = {name.lower(): value for name, value in headers.items()}
    canonical = "\n".join(
        [
            method,
            parts.path or "/",
            parts.query,
            "".join(f"{name}:{lower[name]}\n" for name in names),
            ";".join(names),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/us-east-1/sqs/aws4_request"
    text = (
        f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    )
    signing = ("AWS4" + secret).encode()
    for part in (date, "us-east-1", "sqs", "aws4_request"):
        signing = hmac.new(signing, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(signing, text.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={';'.join(names)}, "
        f"Signature={signature}"
    )
    return headers


def http_call(
    method: str, url: str, body: bytes = b"", headers: dict | None = None, key: str | None = None
) -> str:
    """``status code`` and the first 200 characters of the answer (signed with a guessed
    secret when ``key`` is given)."""
    headers = dict(headers or {})
    if key is not None:
        headers = _sign(method, url, body, headers, key, "labkit")
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, target or "/", body=body, headers=headers)
        answer = conn.getresponse()
        return f"{answer.status} {answer.read()[:200].decode(errors='replace')}"
    finally:
        conn.close()


def sqs(url: str, action: str, params: dict, key: str) -> str:
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AmazonSQS.{action}"}
    return http_call("POST", url + "/", json.dumps(params).encode(), headers, key)


def sns(url: str, form: dict, key: str) -> str:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return http_call("POST", url + "/", urlencode(form).encode(), headers, key)


def admin(url: str, route: str, payload: dict | None, key: str | None) -> str:
    body = json.dumps(payload).encode() if payload is not None else b""
    method = "POST" if payload is not None else "GET"
    return http_call(method, url + route, body, {"Content-Type": "application/json"}, key)


def read_file(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return f"read {len(handle.read(100))} bytes"
    except OSError as exc:
        return f"refused {exc.__class__.__name__}"


def _attacks(target: dict) -> dict[str, object]:
    url, account = target["sqs"], target["account"]
    queue, topic, sub = target["queue_url"], target["topic_arn"], target["subscription_arn"]
    mine = "arn:aws:sqs:us-east-1:999999999999:intruder"
    return {
        "sqs send (class key)": lambda: sqs(url, "SendMessage", {"QueueUrl": queue, "MessageBody": "x"}, "labkit"),
        "sqs send (account key)": lambda: sqs(url, "SendMessage", {"QueueUrl": queue, "MessageBody": "x"}, account),
        "sqs receive": lambda: sqs(url, "ReceiveMessage", {"QueueUrl": queue}, account),
        "sqs purge": lambda: sqs(url, "PurgeQueue", {"QueueUrl": queue}, account),
        "sqs delete message": lambda: sqs(url, "DeleteMessage", {"QueueUrl": queue, "ReceiptHandle": "x"}, account),
        "sqs list queues": lambda: sqs(url, "ListQueues", {}, account),
        "sqs unsigned": lambda: http_call("POST", url + "/", b"{}", {"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0"}),
        "sns subscribe": lambda: sns(url, {"Action": "Subscribe", "TopicArn": topic, "Protocol": "sqs", "Endpoint": mine}, account),
        "sns publish": lambda: sns(url, {"Action": "Publish", "TopicArn": topic, "Message": "x"}, account),
        "sns set filter": lambda: sns(url, {"Action": "SetSubscriptionAttributes", "SubscriptionArn": sub, "AttributeName": "FilterPolicy", "AttributeValue": '{"a":["b"]}'}, account),
        "sns delete topic": lambda: sns(url, {"Action": "DeleteTopic", "TopicArn": topic}, account),
        "sns delete topic by GET": lambda: http_call("GET", f"{url}/?{urlencode({'Action': 'DeleteTopic', 'TopicArn': topic})}"),
        "admin reset": lambda: admin(url, "/_labkit/reset", {}, None),
        "admin reset (signed)": lambda: admin(url, "/_labkit/reset", {}, "labkit-admin"),
        "admin clock": lambda: admin(url, "/_labkit/clock", {"advance": 3600}, None),
        "admin config": lambda: admin(url, "/_labkit/config", {"duplicate_rate": 1, "account": account}, account),
        "admin config list": lambda: admin(url, "/_labkit/config", None, None),
        **{f"redis {name} {cmd[0]}": (lambda p=port, c=cmd: redis_command(p, *c))
           for name, port in target["redis"].items()
           for cmd in (["PING"], ["EVAL", "os.execute('id > /tmp/pwned')", "0"],
                       ["CONFIG", "SET", "dir", "/tmp"], ["MODULE", "LIST"],
                       ["AUTH", "guess"])},
        **{f"file {path.rsplit('/', 1)[-1]}": (lambda p=path: read_file(p)) for path in target["files"]},
    }  # fmt: skip


def main() -> int:
    with open(sys.argv[1]) as handle:
        target = json.load(handle)
    results = {}
    for name, attack in _attacks(target).items():
        try:
            results[name] = attack()
        except Exception as exc:  # noqa: BLE001 - a refused connection is a result too
            results[name] = f"error {exc.__class__.__name__}: {exc}"
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
