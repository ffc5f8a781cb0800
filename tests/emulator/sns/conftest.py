"""Fixtures for the SNS conformance tests: boto3's sns client on the emulator, topics, queues."""

from __future__ import annotations

import json

import pytest

from labkit.lessons.engine.receiving import receive_all
from labkit.stack.clients import emulator_client
from labkit.terraform.topics import allow_topic
from tests.emulator.conftest import named_after_test


@pytest.fixture(scope="module")
def sns(sqs_endpoint, account):
    """A boto3 SNS client on the emulator in the module's account (the query protocol, XML
    answers)."""
    return emulator_client(
        sqs_endpoint, service="sns", account=account, retries={"max_attempts": 1}, read_timeout=30
    )


@pytest.fixture
def make_topic(sns, queue_name):
    yield from named_after_test(sns, queue_name)


def queue_arn(sqs, url: str) -> str:
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return got["Attributes"]["QueueArn"]


@pytest.fixture
def subscribed(sns, sqs, make_queue):
    """``subscribed(topic, suffix, **attributes)``: a new queue subscribed to ``topic``, with
    the queue policy AWS needs to deliver (``allowed=False``: none); returns (queue URL,
    subscription ARN)."""

    def make(
        topic: str, suffix: str, fifo: bool = False, allowed: bool = True, **attributes
    ) -> tuple[str, str]:
        url = make_queue(suffix, fifo=fifo)
        endpoint = allow_topic(sqs, url, topic) if allowed else queue_arn(sqs, url)
        attrs = {k: v if isinstance(v, str) else json.dumps(v) for k, v in attributes.items()}
        arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=endpoint, Attributes=attrs)[
            "SubscriptionArn"
        ]
        return url, arn

    return make


def bodies(sqs, url: str, expected: int, raw: bool = False) -> list:
    """Receive and delete up to ``expected`` messages; envelopes come back parsed."""
    got = receive_all(
        sqs, url, limit=expected, MessageAttributeNames=["All"], AttributeNames=["All"]
    )
    return got if raw else [json.loads(m["Body"]) for m in got]
