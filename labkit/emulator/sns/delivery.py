"""Delivery of published messages into the emulator's SQS queues, under AWS's rules.

SNS sends to a queue only when the queue's policy lets it: a statement allowing
``sqs:SendMessage`` to the service ``sns.amazonaws.com`` (or to the topic owner's account),
usually with ``aws:SourceArn`` naming the topic (SNS Developer Guide, "Sending Amazon SNS
messages to an Amazon SQS queue"). A copy the queue does not take (no such queue, no policy,
too big) goes to the subscription's dead-letter queue when its RedrivePolicy names one (whose
policy must let SNS send too), else it is dropped, as AWS drops it after its retries.
Each subscription counts what it delivered and why the last copy failed (the lab's hints).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from labkit.emulator.policies import ALLOW, Request, evaluate
from labkit.emulator.sns import filters
from labkit.emulator.sns.messages import Published, envelope, raw_attributes, unsubscribe_url
from labkit.emulator.sns.topics import Subscription, Topic, parse_queue_arn
from labkit.emulator.sqs.backend import SQSBackend
from labkit.emulator.sqs.errors import SQSError
from labkit.web_guard import bounded_loads

SNS_SERVICE = "sns.amazonaws.com"
NO_POLICY = (
    "the queue's policy does not allow sqs:SendMessage to sns.amazonaws.com from this topic "
    "(aws:SourceArn): add a queue policy, as terraform/sns.tf's aws_sqs_queue_policy does"
)
NO_QUEUE = "the queue does not exist (in the ARN's account and region)"


@lru_cache(maxsize=4096)
def may_send(policy: str | None, queue_arn: str, topic_arn: str, topic_owner: str) -> bool:
    """True when a queue with ``policy`` takes SNS's copies from the topic ``topic_arn``."""
    context = {
        "aws:SourceArn": topic_arn,
        "aws:SourceAccount": topic_owner,
        "aws:SourceOwner": topic_owner,
    }
    service = Request("sqs:SendMessage", queue_arn, service=SNS_SERVICE, context=context)
    owner = Request("sqs:SendMessage", queue_arn, account=topic_owner, context=context)
    if evaluate(policy, service) == ALLOW:
        return True
    return evaluate(policy, owner) == ALLOW and evaluate(policy, service) != "deny"


def _entry(
    topic: Topic, subscription: Subscription, published: Published, base_url: str
) -> dict[str, Any]:
    """What the queue gets: the raw message with its attributes, or the envelope."""
    if subscription.raw:
        entry: dict[str, Any] = {"MessageBody": published.body_for_sqs()}
        if published.attributes:
            entry["MessageAttributes"] = raw_attributes(published)
    else:
        unsubscribe = unsubscribe_url(base_url, subscription.arn)
        entry = {"MessageBody": envelope(published, topic, unsubscribe, base_url)}
    if subscription.endpoint.endswith(".fifo"):
        entry["MessageGroupId"] = published.group_id
        entry["MessageDeduplicationId"] = published.dedup_id
    elif published.group_id is not None and not topic.fifo:
        entry["MessageGroupId"] = published.group_id
    return entry


def _dead_letter_arn(subscription: Subscription) -> str | None:
    policy = subscription.attributes.get("RedrivePolicy")
    try:
        return bounded_loads(policy).get("deadLetterTargetArn") if policy else None
    except (ValueError, AttributeError):
        return None


class Delivery:
    """Copies published messages into subscribed queues of one emulator's SQS service."""

    def __init__(self, sqs: SQSBackend) -> None:
        self.sqs = sqs

    def deliver(self, topic: Topic, batch: list[Published], base_url: str) -> None:
        """Send each message to every subscription that wants it."""
        for subscription in topic.subscriptions:
            entries = []
            for published in batch:
                body = published.body_for_sqs()
                if not filters.matches(
                    subscription.policy, subscription.scope, published.attributes, body
                ):
                    subscription.filtered_out += 1
                    continue
                entries.append(_entry(topic, subscription, published, base_url))
            if entries:
                self._to_queue(topic, subscription, entries, base_url)

    def refusal(self, queue_arn: str, topic: Topic) -> str | None:
        """Why ``queue_arn`` would not take the topic's copies (None: it would)."""
        queue = self.sqs.queue_by_arn(queue_arn) if parse_queue_arn(queue_arn) else None
        if queue is None:
            return NO_QUEUE
        policy = queue.attributes.get("Policy")
        if not may_send(policy, queue.arn, topic.arn, topic.account):
            return NO_POLICY
        return None

    def _send(self, queue_arn: str, entries: list[dict]) -> list[dict]:
        """Deliver entries to one queue through the SQS backend (checked as a SendMessage
        is); returns the entries it refused."""
        failed = []
        for entry in entries:
            try:
                self.sqs.deliver(
                    queue_arn,
                    entry["MessageBody"],
                    entry.get("MessageAttributes"),
                    entry.get("MessageGroupId"),
                    entry.get("MessageDeduplicationId"),
                )
            except SQSError:
                failed.append(entry)
        return failed

    def _to_queue(
        self, topic: Topic, subscription: Subscription, entries: list[dict], base_url: str
    ) -> None:
        why = self.refusal(subscription.endpoint, topic)
        failed = entries if why else self._send(subscription.endpoint, entries)
        subscription.delivered += len(entries) - len(failed)
        if not failed:
            return
        subscription.failed += len(failed)
        subscription.last_failure = why or "the queue refused the message (SendMessage failed)"
        target = _dead_letter_arn(subscription)
        if target and self.refusal(target, topic) is None:
            self._send(target, failed)
