"""Exercises of lesson 08, events and fan-out: subscribing a queue to the topic and writing a
filter policy, both checked against the live emulator (or AWS) with a probe event, and a
question on fan-out versus competing consumers."""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

from labkit.lessons.grading.checker import exercise, known_answer
from labkit.terraform.topics import allow_topic

#: Seconds the filter-policy check waits for probes on AWS (they may take a while there).
AWS_PROBE_WAIT = 20
#: Exercise 2's probe events: (event, priority) and whether the policy must let it through.
POLICY_PROBES = [
    (("todo.completed", 5), True),
    (("todo.completed", 3), True),
    (("todo.completed", 2), False),
    (("todo.created", 5), False),
    (("todo.deleted", 4), False),
]


def _subscription_arn(answer: Any) -> str | None:
    if isinstance(answer, dict):
        return None
    return answer if isinstance(answer, str) else None


def _remove_subscriptions(events: Any, queue_arn: str) -> int:
    """Unsubscribe every subscription of the lesson's topic that delivers to ``queue_arn``."""
    removed = 0
    pages = events.sns.get_paginator("list_subscriptions_by_topic")
    for page in pages.paginate(TopicArn=events.topic_arn):
        for sub in page["Subscriptions"]:
            if sub["Endpoint"] == queue_arn:
                events.sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])
                removed += 1
    return removed


@exercise(
    "08.subscribe",
    points=2,
    hint="subscribe the queue's ARN (not its URL) to the topic with Protocol='sqs' and "
    "Attributes={'RawMessageDelivery': 'true'}, then give the SubscriptionArn",
    needs="events (what ev.setup(lab) returned)",
)
def _subscribe(answer: Any, data: Any = None, **context: Any) -> bool | str:
    """Judged by `_judge_subscription`; a wrong try's subscriptions of todo-events-mine are
    removed, so the corrected subscribe is not refused as "already exists with different
    attributes" (SNS answers that for the same queue and topic with other attributes). A right
    subscription whose probe did not arrive (the queue's policy) is kept: the fix is the policy."""
    events = data
    verdict = _judge_subscription(answer, events)
    if verdict is True or verdict.startswith("a probe event"):
        return verdict
    try:
        mine = events.sqs.get_queue_url(QueueName="todo-events-mine")["QueueUrl"]
    except Exception:  # QueueDoesNotExist: nothing of the student's to clear  # noqa: BLE001
        return verdict
    if _remove_subscriptions(events, events.queue_arn(mine)):
        verdict += (
            " (your subscription of todo-events-mine was removed: fix the cell, run it again)"
        )
    return verdict


def _judge_subscription(answer: Any, events: Any) -> bool | str:
    if isinstance(answer, dict):
        return "subscribe() answers a dict: the answer is its ['SubscriptionArn']"
    arn = _subscription_arn(answer)
    if arn == events.topic_arn:
        return "that is the topic's ARN; the answer is the SubscriptionArn that subscribe() returns"
    if arn is not None and arn.startswith("arn:aws:sqs:"):
        return "that is the queue's ARN; the answer is the SubscriptionArn that subscribe() returns"
    if arn is None or not arn.startswith("arn:aws:sns:"):
        return "the answer is the subscription's ARN, a string starting arn:aws:sns:"
    sns, sqs = events.sns, events.sqs
    try:
        attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    except Exception:  # NotFound or InvalidParameter: not a live subscription  # noqa: BLE001
        return "no such subscription: run your subscribe cell again (after the setup cell)"
    if attrs["TopicArn"] != events.topic_arn:
        return f"that subscription is on {attrs['TopicArn']}, not on the lesson's topic"
    try:
        mine = sqs.get_queue_url(QueueName="todo-events-mine")["QueueUrl"]
    except Exception:  # QueueDoesNotExist  # noqa: BLE001
        return "there is no queue todo-events-mine: run the notebook's Setup cell (it makes it)"
    if attrs["Endpoint"] != events.queue_arn(mine):
        return f"that subscription delivers to {attrs['Endpoint']}, not to todo-events-mine"
    if attrs.get("RawMessageDelivery") != "true":
        return (
            "the queue gets SNS's JSON envelope: set RawMessageDelivery to the string 'true' "
            "(Attributes={'RawMessageDelivery': 'true'})"
        )
    if "FilterPolicy" in attrs:
        return "this subscription should get every event: remove its FilterPolicy"
    from labkit.lessons.engine.receiving import receive_all

    receive_all(sqs, mine)  # leftovers of earlier tries
    probe = f"probe-{uuid.uuid4().hex[:8]}"
    sns.publish(TopicArn=events.topic_arn, Message=probe)
    bodies = [m["Body"] for m in receive_all(sqs, mine)]
    if probe not in bodies:
        return (
            "a probe event published to the topic did not arrive in todo-events-mine: SNS "
            "delivers only where the queue's policy lets the topic send (sqs:SendMessage for "
            "sns.amazonaws.com with aws:SourceArn = the topic, as aws_sqs_queue_policy in "
            "terraform/sns.tf); run the Setup cell again, it gives the queue that policy"
        )
    return True


def _policy_text(answer: Any) -> str | None:
    if isinstance(answer, dict):
        return json.dumps(answer)
    if isinstance(answer, str):
        try:
            json.loads(answer)
        except ValueError:
            return None
        return answer
    return None


def _shape_hint(policy: dict) -> str | None:
    """A specific hint for the usual mistakes in a policy's shape."""
    for key, value in policy.items():
        if not isinstance(value, list | dict):
            return f'each value is a list of conditions: "{key}": [{json.dumps(value)}]'
    priority = policy.get("priority")
    if isinstance(priority, list) and any(v in ("<", "<=", ">", ">=", "=") for v in priority):
        return (
            f"priority {json.dumps(priority)}: a comparison goes inside a numeric condition, "
            '{"numeric": [">=", 3]}'
        )
    if isinstance(priority, list) and any(isinstance(v, int | float) for v in priority):
        return (
            f"priority {json.dumps(priority)} matches exactly those numbers; "
            'for 3 or more use a numeric condition, {"numeric": [">=", 3]}'
        )
    if isinstance(priority, list) and any(isinstance(v, str) for v in priority):
        return (
            'priority is a Number attribute: "3" matches only the string "3"; use a numeric '
            'condition, {"numeric": [">=", 3]}'
        )
    if any(key.lower() != key and key.lower() in ("event", "priority") for key in policy):
        return "attribute names are case-sensitive: the events carry 'event' and 'priority'"
    return None


@exercise(
    "08.filter_policy",
    points=2,
    hint="two keys, both must match: event exactly todo.completed, priority numeric >= 3",
    needs="events (what ev.setup(lab) returned)",
)
def _filter_policy(answer: Any, data: Any = None, **context: Any) -> bool | str:
    events = data
    text = _policy_text(answer)
    if text is None:
        return 'give the policy as a dict (or a JSON string), e.g. {"event": [...]}'
    policy = json.loads(text)
    if not isinstance(policy, dict):
        return "a filter policy is a JSON object of attribute names to lists of conditions"
    hint = _shape_hint(policy)
    if hint:
        return hint
    sns, sqs = events.sns, events.sqs
    tag = uuid.uuid4().hex[:8]
    topic = sns.create_topic(Name=f"lesson08-check-{tag}")["TopicArn"]
    url = sqs.create_queue(QueueName=f"lesson08-check-{tag}")["QueueUrl"]
    try:
        try:
            sns.subscribe(
                TopicArn=topic,
                Protocol="sqs",
                Endpoint=allow_topic(sqs, url, topic),  # the queue policy SNS needs
                Attributes={"FilterPolicy": text, "RawMessageDelivery": "true"},
            )
        except Exception as exc:  # SNS refuses the policy: its own words are the best hint
            message = getattr(exc, "response", {}).get("Error", {}).get("Message", str(exc))
            return f"SNS refused the policy: {message}"
        for index, ((event, priority), _) in enumerate(POLICY_PROBES):
            sns.publish(
                TopicArn=topic,
                Message=str(index),
                MessageAttributes={
                    "event": {"DataType": "String", "StringValue": event},
                    "priority": {"DataType": "Number", "StringValue": str(priority)},
                },
            )
        got = _probe_results(events, sqs, url)
    finally:
        with contextlib.suppress(Exception):
            sns.delete_topic(TopicArn=topic)
        with contextlib.suppress(Exception):
            sqs.delete_queue(QueueUrl=url)
    verdict = _probe_verdict(got)
    if verdict is not True and not events.emulator:
        from labkit.lessons.lesson_08 import FILTER_DELAY

        return f"{verdict} ({FILTER_DELAY}: if your policy is right, check again later)"
    return verdict


def _probe_results(events: Any, sqs: Any, url: str) -> set[int]:
    """Which probes reached the checker's queue. On AWS a fresh filter policy may not apply
    yet: the probes are received for up to a minute there, on the emulator at once."""
    from labkit.lessons.engine.receiving import receive_all

    wait = 1 if events.emulator else AWS_PROBE_WAIT
    got = {int(m["Body"]) for m in receive_all(sqs, url, wait=wait)}
    return got


def _probe_verdict(got: set[int]) -> bool | str:
    for index, ((event, priority), wanted) in enumerate(POLICY_PROBES):
        if wanted and index not in got:
            return f"a {event} event with priority {priority} was filtered out; it should pass"
        if not wanted and index in got:
            return f"a {event} event with priority {priority} got through; it should not"
    return True


known_answer(
    "08.copies",
    "9e30b6028716e624f8f49caaa36c027a599fa4bf5b33f021bc4688e3aea5f9eb",
    hint="a topic copies each event into every subscribed queue; workers sharing one queue "
    "split its messages between them",
)
