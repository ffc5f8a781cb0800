"""Fixtures for the emulator's conformance suite: a boto3 client over HTTP and fresh queues."""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from botocore.exceptions import ClientError

from labkit.stack.clients import emulator_client

_counter = itertools.count()


@pytest.fixture(scope="module")
def sqs(sqs_endpoint, account):
    """A boto3 SQS client on the emulator in the module's account, one attempt per call."""
    return emulator_client(
        sqs_endpoint, account=account, retries={"max_attempts": 1}, read_timeout=30
    )


class AccountClock:
    """The emulator's clock as one account sees it: ``advance`` moves that account's time
    alone (the admin route's per-account clock), so other files' timeouts stay put."""

    def __init__(self, server, account: str) -> None:
        self._service, self._account = server.service, account

    def advance(self, seconds: float) -> float:
        return self._service.advance_account(self._account, seconds)["now"]

    def now(self) -> float:
        return self._service.now(self._account)


@pytest.fixture
def clock(sqs_server, account):
    """The module's account's clock (`AccountClock`)."""
    return AccountClock(sqs_server, account)


@pytest.fixture
def queue_name(request):
    """A name unique to the test (and stable across runs, so the seed reproduces it)."""
    base = re.sub(r"[^A-Za-z0-9_-]", "-", request.node.name)[:60]
    return f"{base}-{next(_counter)}"


def named_after_test(client, base: str) -> Iterator[Callable[..., str]]:
    """``make(suffix="", fifo=False, **attributes)``: a queue (``client`` is SQS's) or a topic
    (SNS's) named ``base + suffix``, ``.fifo`` added for FIFO; each is deleted afterwards."""
    topics = client.meta.service_model.service_name == "sns"
    made = []

    def make(suffix: str = "", fifo: bool = False, **attributes) -> str:
        name = f"{base}{suffix}" + (".fifo" if fifo else "")
        attrs = {k: str(v) for k, v in attributes.items()}
        if fifo:
            attrs["FifoTopic" if topics else "FifoQueue"] = "true"
        if topics:
            made.append(client.create_topic(Name=name, Attributes=attrs)["TopicArn"])
        else:
            made.append(client.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"])
        return made[-1]

    yield make
    for handle in made:
        with contextlib.suppress(ClientError):  # the test deleted it already
            if topics:
                client.delete_topic(TopicArn=handle)
            else:
                client.delete_queue(QueueUrl=handle)


@pytest.fixture
def make_queue(sqs, queue_name):
    yield from named_after_test(sqs, queue_name)


def signed(
    url: str, data: bytes, headers: dict, account: str, service: str = "sqs", region: str = ""
) -> dict:
    """``headers`` with a SigV4 signature by ``account``'s key (as boto3 signs), so a raw
    request acts in that account, not in the default one unsigned requests act in."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from labkit.stack.clients import DEFAULT_REGION, account_credentials

    keys = account_credentials(account)
    request = AWSRequest(method="POST", url=url, data=data, headers=headers)
    credentials = Credentials(keys["AWS_ACCESS_KEY_ID"], keys["AWS_SECRET_ACCESS_KEY"])
    SigV4Auth(credentials, service, region or DEFAULT_REGION).add_auth(request)
    return dict(request.headers.items())


def post(
    url: str, body: bytes | dict, headers: dict | None = None, account: str | None = None
) -> tuple[int, dict, dict]:
    """A raw HTTP POST (for requests boto3 would refuse to send): status, headers, JSON.
    Unsigned (the default account) unless ``account`` is given: then signed by its key."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    if headers is None and "/_labkit/" in url:  # admin routes take only JSON (web_guard)
        headers = {"Content-Type": "application/json"}
    if account is not None:
        headers = signed(url, data, dict(headers or {}), account)
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = {"raw": raw.decode("utf-8", "replace")}
        return err.code, dict(err.headers), parsed


def sqs_call(
    endpoint: str, action: str, params: dict | bytes, account: str | None = None
) -> tuple[int, dict, dict]:
    """A raw SQS JSON call; signed by ``account``'s key when given (else unsigned)."""
    return post(
        endpoint + "/",
        params,
        {"X-Amz-Target": f"AmazonSQS.{action}", "Content-Type": "application/x-amz-json-1.0"},
        account,
    )
