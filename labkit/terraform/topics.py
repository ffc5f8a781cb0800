"""SNS topics and their SQS subscriptions declared in `terraform/`, read offline and made on
an endpoint: the topic side of what `labkit.terraform.facts` and `sync` do for queues.

`topic_definitions()` turns each `aws_sns_topic` and the `aws_sns_topic_subscription` blocks
that name it into plain facts; `ensure_topics(sns, sqs, ...)` creates them (idempotent) with
the queue ARNs the endpoint reports, so a topic of the class account and one of a student's
account get their own account's queues. Each subscribed queue gets the queue policy that lets
the topic send to it (`allow_topic`, the statement `aws_sqs_queue_policy` declares): AWS and the
emulator both deliver only where that policy allows. `queue_policies()` lists the declared ones.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from labkit.emulator.policies import ALLOW, Request, evaluate
from labkit.terraform.attributes import api_attributes
from labkit.terraform.facts import TerraformFolder
from labkit.terraform.read import Unresolved

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubscriptionDefinition:
    """A queue subscribed to a topic: the queue's name and the subscription's attributes."""

    resource: str
    queue: str
    protocol: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TopicDefinition:
    """One `aws_sns_topic`, its attributes and the subscriptions that name it."""

    resource: str
    name: str
    attributes: dict[str, str] = field(default_factory=dict)
    subscriptions: tuple[SubscriptionDefinition, ...] = ()


def _attributes(folder: TerraformFolder, rtype: str, body: dict, where: str) -> dict[str, str]:
    attributes, skipped = api_attributes(folder, rtype, body)
    for argument, reason in skipped:
        log.warning("%s: %s skipped: %s", where, argument, reason)
    return attributes


def topic_definitions(folder: TerraformFolder | None = None) -> list[TopicDefinition]:
    """Every `aws_sns_topic` of the folder with its SQS subscriptions, in file order."""
    folder = folder or TerraformFolder()
    queues = {
        f"arn:aws:sqs:{folder.region}:{folder.account_id}:{folder.evaluate(b.get('name'))}": str(
            folder.evaluate(b.get("name"))
        )
        for b in folder.resources("aws_sqs_queue").values()
    }
    by_topic: dict[str, list[SubscriptionDefinition]] = {}
    for resource, body in folder.resources("aws_sns_topic_subscription").items():
        where = f"aws_sns_topic_subscription.{resource}"
        try:
            topic_arn = str(folder.evaluate(body.get("topic_arn")))
            endpoint = str(folder.evaluate(body.get("endpoint")))
            protocol = str(folder.evaluate(body.get("protocol")))
        except Unresolved as exc:
            log.warning("%s skipped: %s", where, exc)
            continue
        if protocol != "sqs" or endpoint not in queues:
            log.warning("%s skipped: only subscriptions of this folder's SQS queues", where)
            continue
        attributes = _attributes(folder, "aws_sns_topic_subscription", body, where)
        by_topic.setdefault(topic_arn, []).append(
            SubscriptionDefinition(resource, queues[endpoint], protocol, attributes)
        )
    topics = []
    for resource, body in folder.resources("aws_sns_topic").items():
        try:
            name = str(folder.evaluate(body.get("name")))
        except Unresolved as exc:
            log.warning("aws_sns_topic.%s skipped: its name %s", resource, exc)
            continue
        arn = f"arn:aws:sns:{folder.region}:{folder.account_id}:{name}"
        attributes = _attributes(folder, "aws_sns_topic", body, f"aws_sns_topic.{resource}")
        topics.append(TopicDefinition(resource, name, attributes, tuple(by_topic.get(arn, []))))
    return topics


def queue_policies(folder: TerraformFolder | None = None) -> dict[str, dict]:
    """{queue name: policy document} of every `aws_sqs_queue_policy` that resolves offline."""
    folder = folder or TerraformFolder()
    out = {}
    for resource, body in folder.resources("aws_sqs_queue_policy").items():
        try:
            url = str(folder.evaluate(body.get("queue_url")))
            out[url.rsplit("/", 1)[-1]] = json.loads(folder.evaluate(body.get("policy")))
        except (Unresolved, ValueError, TypeError) as exc:
            log.warning("aws_sqs_queue_policy.%s skipped: %s", resource, exc)
    return out


def ensure_topics(sns: Any, sqs: Any, definitions: list[TopicDefinition]) -> dict[str, dict]:
    """Create each topic and subscribe its queues (the queues must exist; `ensure_queues`
    makes them). Idempotent: an existing subscription gets the declared attributes again.
    Returns {topic name: {"arn": topic ARN, "subscriptions": {queue name: subscription ARN}}}.
    """
    made: dict[str, dict] = {}
    for topic in definitions:
        arn = sns.create_topic(Name=topic.name, Attributes=dict(topic.attributes))["TopicArn"]
        existing = {
            s["Endpoint"]: s["SubscriptionArn"]
            for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn)
            for s in page["Subscriptions"]
        }
        subscriptions = {}
        for sub in topic.subscriptions:
            url = sqs.get_queue_url(QueueName=sub.queue)["QueueUrl"]
            queue_arn = allow_topic(sqs, url, arn)
            if queue_arn in existing:
                sub_arn = existing[queue_arn]
                current = sns.get_subscription_attributes(SubscriptionArn=sub_arn)["Attributes"]
                for name, value in sub.attributes.items():
                    if current.get(name) != value:
                        sns.set_subscription_attributes(
                            SubscriptionArn=sub_arn, AttributeName=name, AttributeValue=value
                        )
            else:
                sub_arn = sns.subscribe(
                    TopicArn=arn,
                    Protocol=sub.protocol,
                    Endpoint=queue_arn,
                    Attributes=dict(sub.attributes),
                    ReturnSubscriptionArn=True,
                )["SubscriptionArn"]
            subscriptions[sub.queue] = sub_arn
        made[topic.name] = {"arn": arn, "subscriptions": subscriptions}
    return made


def topic_send_statement(queue_arn: str, topic_arn: str) -> dict:
    """terraform/sns.tf's queue policy statement: SNS may send to the queue from this topic."""
    return {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
    }


def allow_topic(sqs: Any, queue_url: str, topic_arn: str) -> str:
    """Give the queue the policy SNS needs to deliver from ``topic_arn`` (on AWS and on the
    emulator alike), keeping the statements it has; returns the queue's ARN."""
    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn", "Policy"])
    queue_arn = attrs["Attributes"]["QueueArn"]
    current = attrs["Attributes"].get("Policy") or ""
    sender = Request(
        "sqs:SendMessage",
        queue_arn,
        service="sns.amazonaws.com",
        context={"aws:SourceArn": topic_arn},
    )
    if evaluate(current, sender) == ALLOW:
        return queue_arn  # e.g. terraform's aws_sqs_queue_policy is there already
    try:
        document = json.loads(current or "{}")
    except ValueError:
        document = {}
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    statements = statements if isinstance(statements, list) else [statements]
    statement = topic_send_statement(queue_arn, topic_arn)
    policy = {"Version": "2012-10-17", "Statement": [*statements, statement]}
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})
    return queue_arn
