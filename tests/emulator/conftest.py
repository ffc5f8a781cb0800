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


@pytest.fixture(scope="session")
def sqs(sqs_endpoint):
    """A boto3 SQS client on the emulator (the class account), one attempt per call."""
    return emulator_client(sqs_endpoint, retries={"max_attempts": 1}, read_timeout=30)


@pytest.fixture
def clock(sqs_server):
    return sqs_server.clock


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


def post(url: str, body: bytes | dict, headers: dict | None = None) -> tuple[int, dict, dict]:
    """A raw HTTP POST (for requests boto3 would refuse to send): status, headers, JSON."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    if headers is None and "/_labkit/" in url:  # admin routes take only JSON (web_guard)
        headers = {"Content-Type": "application/json"}
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


def sqs_call(endpoint: str, action: str, params: dict | bytes) -> tuple[int, dict, dict]:
    return post(
        endpoint + "/",
        params,
        {"X-Amz-Target": f"AmazonSQS.{action}", "Content-Type": "application/x-amz-json-1.0"},
    )
