"""SNS's state and AWS's rules for it: topics and subscriptions per account and region, who may
use them, and publishing into them.

Typed operations, free of the query protocol (`actions` parses requests and shapes answers).
A topic lives in one account and region: an ARN of another region is AWS's ``Invalid
parameter: TopicArn``; another account gets through only where the topic's policy lets it
(AWS's default policy lets the owner's account alone), else ``AuthorizationError``.
Delivery into queues is `delivery.Delivery`'s.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
import uuid

from labkit.emulator.accounts import Caller
from labkit.emulator.policies import Request, allows
from labkit.emulator.sns.delivery import Delivery
from labkit.emulator.sns.errors import (
    SNSError,
    bad_arn,
    invalid,
    no_subscription,
    no_topic,
    not_authorized,
)
from labkit.emulator.sns.messages import Published
from labkit.emulator.sns.topics import Subscription, Topic, parse_topic_arn
from labkit.emulator.sqs.backend import SQSBackend

MAX_TAGS = 50
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# What a subscription's attribute is when it was never set (GetSubscriptionAttributes omits it).
_DEFAULTS = {"RawMessageDelivery": "false", "FilterPolicyScope": "MessageAttributes"}
TAG_QUOTA = "Could not complete request: tag quota of per resource exceeded"


class SNSBackend:
    """All topics and subscriptions of one emulator; delivers into ``sqs``'s queues."""

    def __init__(self, sqs: SQSBackend) -> None:
        self.sqs = sqs
        self.clock = sqs.clock
        self.delivery = Delivery(sqs)
        self._topics: dict[str, Topic] = {}
        self._subscriptions: dict[str, Subscription] = {}
        self._lock = threading.Lock()
        # MessageIds a fresh emulator repeats from its seed, never repeated while it runs.
        self._rng = random.Random(f"sns/{sqs.seed}")
        self._rng_lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._topics.clear()
            self._subscriptions.clear()

    def new_id(self) -> str:
        with self._rng_lock:
            return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    # --- finding, with AWS's access rules ---------------------------------------------------
    def topic(self, arn: object, caller: Caller, action: str, name: str = "TopicArn") -> Topic:
        """The topic ``arn`` names, if ``caller`` may do ``action`` (``Publish``...) on it."""
        region, _, _ = parse_topic_arn(arn, name)
        if region != caller.region:
            raise invalid(name)
        topic = self._topics.get(arn)
        if topic is None:
            raise no_topic()
        self.authorize(topic, caller, action)
        return topic

    def authorize(self, topic: Topic, caller: Caller, action: str) -> None:
        """AuthorizationError unless the topic's policy lets ``caller`` do ``action``."""
        if caller.account == topic.account and "Policy" not in topic.attributes:
            return
        context = {"aws:SourceOwner": caller.account, "aws:SourceAccount": caller.account}
        request = Request(f"SNS:{action}", topic.arn, account=caller.account, context=context)
        if not allows(topic.policy(), request, owner=topic.account):
            raise not_authorized(caller.account, action, topic.arn)

    def subscription(self, arn: object, caller: Caller, action: str) -> Subscription:
        """The subscription ``arn`` names; its owner or its topic's owner may act on it."""
        if not isinstance(arn, str) or not arn:
            raise invalid("SubscriptionArn", "no value for required parameter")
        parts = arn.split(":")
        if len(parts) < 6:
            raise bad_arn("SubscriptionArn", arn)
        if len(parts) != 7 or not _UUID.match(parts[6]):
            raise invalid("SubscriptionId")
        topic_arn = ":".join(parts[:6])
        region, _, _ = parse_topic_arn(topic_arn, "SubscriptionArn")
        if region != caller.region:
            raise invalid("SubscriptionArn")
        subscription = self._subscriptions.get(arn)
        if subscription is None:
            raise no_subscription()
        topic_owner = parts[4]
        if caller.account not in (subscription.owner, topic_owner):
            raise not_authorized(caller.account, action, arn)
        return subscription

    # --- topics -----------------------------------------------------------------------------
    def create_topic(
        self, caller: Caller, name: str, fifo: bool, attributes: dict, tags: dict
    ) -> str:
        """Make the topic (or find the same one again: same attributes and tags)."""
        if len(tags) > MAX_TAGS:
            raise SNSError("TagLimitExceeded", TAG_QUOTA)
        arn = caller.arn("sns", name)
        with self._lock:
            existing = self._topics.get(arn)
            if existing is not None:
                described = existing.described()
                if any(described.get(k) != v for k, v in attributes.items()):
                    raise invalid("Attributes", "Topic already exists with different attributes")
                if tags and tags != existing.tags:
                    raise invalid("Tags", "Topic already exists with different tags")
                return arn
            self._topics[arn] = Topic(
                arn=arn,
                name=name,
                account=caller.account,
                region=caller.region,
                fifo=fifo,
                attributes=attributes,
                tags=tags,
            )
        return arn

    def delete_topic(self, arn: object, caller: Caller) -> None:
        """Delete the topic and its subscriptions; a missing topic is no error, as on AWS."""
        region, _, _ = parse_topic_arn(arn)
        if region != caller.region:
            raise invalid("TopicArn")
        topic = self._topics.get(arn)
        if topic is None:
            return
        self.authorize(topic, caller, "DeleteTopic")
        with self._lock:
            if self._topics.pop(arn, None) is not None:
                for subscription in topic.subscriptions:
                    self._subscriptions.pop(subscription.arn, None)

    def topics_of(self, caller: Caller) -> list[Topic]:
        return sorted(
            (
                t
                for t in list(self._topics.values())
                if t.account == caller.account and t.region == caller.region
            ),
            key=lambda t: t.arn,
        )

    # --- subscriptions ----------------------------------------------------------------------
    def subscribe(
        self, topic: Topic, caller: Caller, endpoint: str, checked: dict, given: dict
    ) -> Subscription:
        """Subscribe the queue ``endpoint``; the same queue again gives the same subscription
        unless ``given`` names a value other than the subscription's."""
        with self._lock, topic.lock:
            if self._topics.get(topic.arn) is not topic:
                raise no_topic()
            for existing in topic.subscriptions:
                if existing.endpoint == endpoint:
                    described = existing.described()
                    if any(described.get(k, _DEFAULTS.get(k, "")) != v for k, v in given.items()):
                        raise invalid(
                            "Attributes", "Subscription already exists with different attributes"
                        )
                    return existing
            subscription = Subscription(
                arn=f"{topic.arn}:{self.new_id()}",
                topic_arn=topic.arn,
                owner=caller.account,
                protocol="sqs",
                endpoint=endpoint,
                attributes=checked["attributes"],
                policy=checked["policy"],
            )
            # copy-on-write: publishers iterate the list they read without a lock
            topic.subscriptions = [*topic.subscriptions, subscription]
            self._subscriptions[subscription.arn] = subscription
        return subscription

    def unsubscribe(self, arn: object, caller: Caller, by_link: bool = False) -> None:
        """Remove the subscription; one that is gone already is no error, as on AWS. Through
        its UnsubscribeURL (``by_link``) anyone may, as the link's holder."""
        if by_link and isinstance(arn, str) and arn in self._subscriptions:
            caller = Caller(self._subscriptions[arn].owner, caller.region)
        try:
            subscription = self.subscription(arn, caller, "Unsubscribe")
        except SNSError as err:
            if err.code == "NotFound":
                return
            raise
        with self._lock:
            self._subscriptions.pop(subscription.arn, None)
            topic = self._topics.get(subscription.topic_arn)
            if topic is not None:
                with topic.lock:
                    topic.subscriptions = [s for s in topic.subscriptions if s is not subscription]

    def subscriptions_of(self, caller: Caller) -> list[Subscription]:
        return [
            s
            for s in list(self._subscriptions.values())
            if s.owner == caller.account and s.topic_arn.split(":")[3] == caller.region
        ]

    def subscription_stats(self) -> dict[str, dict]:
        """Per subscription ARN: delivered, filtered_out, failed and why the last failed."""
        return {
            arn: {
                "delivered": s.delivered,
                "filtered_out": s.filtered_out,
                "failed": s.failed,
                "last_failure": s.last_failure,
            }
            for arn, s in list(self._subscriptions.items())
        }

    # --- tags -------------------------------------------------------------------------------
    def tagged(self, arn: object, caller: Caller) -> Topic:
        topic = self._topics.get(arn) if isinstance(arn, str) else None
        if topic is None:
            raise SNSError("ResourceNotFound", "Resource does not exist")
        if topic.account != caller.account:
            raise not_authorized(caller.account, "TagResource", topic.arn)
        return topic

    def tag(self, topic: Topic, tags: dict[str, str]) -> None:
        with topic.lock:
            if len({**topic.tags, **tags}) > MAX_TAGS:
                raise SNSError("TagLimitExceeded", TAG_QUOTA)
            topic.tags.update(tags)

    # --- publishing -------------------------------------------------------------------------
    def _accept(self, topic: Topic, published: Published, now: float) -> bool:
        """Number a FIFO message and check its deduplication id (caller holds the topic lock);
        False when it repeats one of the last five minutes (nothing is delivered)."""
        if not topic.fifo:
            published.message_id = self.new_id()
            return True
        if published.dedup_id is None:
            published.dedup_id = hashlib.sha256(published.message.encode("utf-8")).hexdigest()
        earlier = topic.seen(published.dedup_id, now)
        if earlier is not None:
            published.message_id, published.sequence = earlier
            return False
        published.message_id = self.new_id()
        published.sequence = topic.next_sequence()
        topic.remember(published.dedup_id, now, published.message_id, published.sequence)
        return True

    def publish(self, topic: Topic, batch: list[Published], base_url: str) -> None:
        """Number, deduplicate and deliver ``batch`` (one message for Publish). A FIFO topic
        takes one publish at a time, so each message group's order is publish order."""
        if not topic.fifo:
            now = self.sqs.now(topic.account)
            for published in batch:
                published.timestamp = now
                self._accept(topic, published, now)
            self.delivery.deliver(topic, batch, base_url)
            return
        with topic.lock:
            now = self.sqs.now(topic.account)
            fresh = []
            for published in batch:
                published.timestamp = now
                if self._accept(topic, published, now):
                    fresh.append(published)
            if fresh:
                self.delivery.deliver(topic, fresh, base_url)
