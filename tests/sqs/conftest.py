"""Fixtures for the emulator's conformance suite: a boto3 client over HTTP and fresh queues."""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import urllib.request

import boto3
import pytest
from botocore.config import Config

_counter = itertools.count()


@pytest.fixture(scope="session")
def sqs(sqs_endpoint):
    """A boto3 SQS client on the emulator; made-up credentials, as students would use."""
    return boto3.client(
        "sqs",
        endpoint_url=sqs_endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIDLABKITTEST",
        aws_secret_access_key="not-a-secret",
        config=Config(retries={"max_attempts": 1}, read_timeout=30),
    )


@pytest.fixture
def clock(sqs_server):
    return sqs_server.clock


@pytest.fixture
def queue_name(request):
    """A name unique to the test (and stable across runs, so the seed reproduces it)."""
    base = re.sub(r"[^A-Za-z0-9_-]", "-", request.node.name)[:60]
    return f"{base}-{next(_counter)}"


@pytest.fixture
def make_queue(sqs, queue_name):
    made = []

    def make(suffix: str = "", fifo: bool = False, **attributes) -> str:
        name = f"{queue_name}{suffix}" + (".fifo" if fifo else "")
        attrs = {k: str(v) for k, v in attributes.items()}
        if fifo:
            attrs["FifoQueue"] = "true"
        url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
        made.append(url)
        return url

    yield make
    for url in made:
        with contextlib.suppress(sqs.exceptions.QueueDoesNotExist):
            sqs.delete_queue(QueueUrl=url)


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


def receive_all(sqs, url: str, expected: int, **kwargs) -> list[dict]:
    """Receive (and delete) until ``expected`` messages came or a receive comes back empty."""
    got: list[dict] = []
    kwargs.setdefault("MaxNumberOfMessages", 10)
    kwargs.setdefault("WaitTimeSeconds", 1)
    while len(got) < expected:
        batch = sqs.receive_message(QueueUrl=url, **kwargs).get("Messages", [])
        if not batch:
            break
        got.extend(batch)
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
            ],
        )
    return got
