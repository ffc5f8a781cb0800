"""Fixtures for the SNS conformance tests: boto3's sns client on the emulator, topics, queues."""

from __future__ import annotations

import contextlib
import json

import boto3
import pytest
from botocore.config import Config


@pytest.fixture(scope="session")
def sns(sqs_endpoint):
    """A boto3 SNS client on the emulator (the query protocol, XML answers)."""
    return boto3.client(
        "sns",
        endpoint_url=sqs_endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIDLABKITTEST",
        aws_secret_access_key="not-a-secret",
        config=Config(retries={"max_attempts": 1}, read_timeout=30),
    )


@pytest.fixture
def make_topic(sns, queue_name):
    made = []

    def make(suffix: str = "", fifo: bool = False, **attributes) -> str:
        name = f"{queue_name}{suffix}" + (".fifo" if fifo else "")
        attrs = {k: str(v) for k, v in attributes.items()}
        if fifo:
            attrs["FifoTopic"] = "true"
        arn = sns.create_topic(Name=name, Attributes=attrs)["TopicArn"]
        made.append(arn)
        return arn

    yield make
    for arn in made:
        with contextlib.suppress(Exception):
            sns.delete_topic(TopicArn=arn)


def queue_arn(sqs, url: str) -> str:
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return got["Attributes"]["QueueArn"]


@pytest.fixture
def subscribed(sns, sqs, make_queue):
    """``subscribed(topic, suffix, **attributes)``: a new queue subscribed to ``topic``;
    returns (queue URL, subscription ARN)."""

    def make(topic: str, suffix: str, fifo: bool = False, **attributes) -> tuple[str, str]:
        url = make_queue(suffix, fifo=fifo)
        attrs = {k: v if isinstance(v, str) else json.dumps(v) for k, v in attributes.items()}
        arn = sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(sqs, url), Attributes=attrs
        )["SubscriptionArn"]
        return url, arn

    return make


def bodies(sqs, url: str, expected: int, raw: bool = False) -> list:
    """Receive and delete up to ``expected`` messages; envelopes come back parsed."""
    from tests.sqs.conftest import receive_all

    got = receive_all(sqs, url, expected, MessageAttributeNames=["All"], AttributeNames=["All"])
    return got if raw else [json.loads(m["Body"]) for m in got]
