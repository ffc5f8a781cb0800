"""terraform/sns.tf and labkit.terraform.topics: the lesson 08 topic, its queue subscriptions
and the queue policies that let it send, read offline and made on the emulator (and moto)."""

from __future__ import annotations

import json

import pytest

from labkit.stack.clients import emulator_client
from labkit.terraform import TerraformFolder, ensure_queues, queue_definitions
from labkit.terraform.topics import (
    ensure_topics,
    queue_policies,
    topic_definitions,
    topic_send_statement,
)

TOPIC_ARN = "arn:aws:sns:us-east-1:000000000000:todo-events"
QUEUES = {"todo-events-calendar", "todo-events-email", "todo-events-audit"}


def test_one_topic_three_queue_subscriptions() -> None:
    [topic] = topic_definitions()
    assert topic.name == "todo-events" and topic.attributes == {}
    subs = {s.queue: s for s in topic.subscriptions}
    assert set(subs) == QUEUES
    assert all(s.protocol == "sqs" for s in subs.values())
    assert json.loads(subs["todo-events-calendar"].attributes["FilterPolicy"]) == {
        "event": ["todo.created", "todo.updated", "todo.deleted"]
    }
    assert json.loads(subs["todo-events-email"].attributes["FilterPolicy"]) == {
        "event": ["todo.created", "todo.completed"]
    }
    assert subs["todo-events-calendar"].attributes["RawMessageDelivery"] == "true"
    audit = subs["todo-events-audit"].attributes
    assert audit.get("RawMessageDelivery", "false") == "false" and "FilterPolicy" not in audit, (
        "the audit log keeps every envelope"
    )
    assert {q.name for q in queue_definitions()} >= QUEUES, "the queues are declared too"


def test_every_subscribed_queue_lets_only_the_topic_send() -> None:
    policies = queue_policies()
    assert set(policies) == QUEUES
    for queue, policy in policies.items():
        [statement] = policy["Statement"]
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
        assert statement["Action"] == "sqs:SendMessage"
        assert statement["Resource"] == f"arn:aws:sqs:us-east-1:000000000000:{queue}"
        assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": TOPIC_ARN}}
        # labkit attaches the very statement sns.tf declares (allow_topic), on AWS and offline
        assert statement == topic_send_statement(statement["Resource"], TOPIC_ARN)


def test_the_topic_arn_resolves_offline() -> None:
    folder = TerraformFolder()
    assert folder.evaluate("${aws_sns_topic.todo_events.arn}") == TOPIC_ARN
    subscription = folder.resources("aws_sns_topic_subscription")['todo_events["audit"]']
    assert folder.evaluate(subscription["endpoint"]).endswith(":todo-events-audit")


@pytest.fixture(params=["emulator", "moto"])
def clients(request):
    endpoint = request.getfixturevalue(
        "sqs_endpoint" if request.param == "emulator" else "moto_endpoint"
    )
    # on the emulator, this module's own account: other files' topics never show here (and
    # the clean-up below deletes only this file's)
    account = request.getfixturevalue("account") if request.param == "emulator" else None
    sns = emulator_client(endpoint, service="sns", account=account)
    sqs = emulator_client(endpoint, account=account)
    yield sns, sqs
    for topic in sns.list_topics()["Topics"]:
        sns.delete_topic(TopicArn=topic["TopicArn"])
    for url in sqs.list_queues().get("QueueUrls", []):
        sqs.delete_queue(QueueUrl=url)


def test_ensure_topics_makes_them_and_fans_out(clients) -> None:
    sns, sqs = clients
    urls = ensure_queues(sqs, queue_definitions())
    made = ensure_topics(sns, sqs, topic_definitions())
    assert ensure_topics(sns, sqs, topic_definitions()) == made, "a second run changes nothing"
    topic = made["todo-events"]["arn"]
    assert len(sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]) == 3
    event = {"event": {"DataType": "String", "StringValue": "todo.completed"}}
    sns.publish(TopicArn=topic, Message='{"id": 1}', MessageAttributes=event)
    got = {
        name: sqs.receive_message(QueueUrl=urls[name], WaitTimeSeconds=1).get("Messages", [])
        for name in QUEUES
    }
    assert [m["Body"] for m in got["todo-events-email"]] == ['{"id": 1}'], "raw, filtered in"
    assert got["todo-events-calendar"] == [], "filtered out"
    [audit] = got["todo-events-audit"]
    assert json.loads(audit["Body"])["Message"] == '{"id": 1}', "the envelope"
    # each queue now carries the policy sns.tf declares, so delivery works on AWS as here
    for name in QUEUES:
        policy = sqs.get_queue_attributes(QueueUrl=urls[name], AttributeNames=["Policy"])
        [statement] = json.loads(policy["Attributes"]["Policy"])["Statement"]
        assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": topic}}
