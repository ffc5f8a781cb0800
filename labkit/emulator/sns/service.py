"""The SNS actions, and delivery of each published message into the emulator's SQS queues.

Transport-free like the SQS service: a decoded query-protocol form in, a result dict out,
errors as `SNSError`. Delivery happens in-process, before Publish returns: every subscription
whose filter policy passes gets one ``SendMessage`` (``SendMessageBatch`` for PublishBatch) on
the SQS service, through the same action code a client's send goes through. A FIFO topic
numbers and deduplicates its messages and delivers them in order, one publish at a time.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import random
import re
import threading
import uuid
from typing import Any

from labkit.emulator.context import Context
from labkit.emulator.sns import filters
from labkit.emulator.sns.errors import SNSError, invalid, no_subscription, no_topic
from labkit.emulator.sns.messages import (
    Published,
    envelope,
    parse_published,
    raw_attributes,
    unsubscribe_url,
)
from labkit.emulator.sns.protocol import FormError, XmlMap, decode_form, encode_error, encode_result
from labkit.emulator.sns.topics import (
    Subscription,
    Topic,
    check_subscription_attributes,
    check_topic_attributes,
    check_topic_name,
    parse_queue_arn,
    parse_topic_arn,
)
from labkit.emulator.sqs.backend import SQSBackend
from labkit.emulator.sqs.errors import SQSError

PAGE = 100
MAX_BATCH = 10
MAX_TAGS = 50
SUPPORTED_PROTOCOLS = ("sqs",)
OTHER_PROTOCOLS = (
    "http",
    "https",
    "email",
    "email-json",
    "sms",
    "application",
    "lambda",
    "firehose",
)
_ACTION = re.compile(rb"(?:^|&)Action=([A-Za-z]+)")
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def account_of(ctx: Context) -> str:
    """The caller's account (the HTTP layer reads it from the SigV4 key id)."""
    return ctx.account


def _page(items: list, token: object) -> tuple[list, str | None]:
    start = 0
    if token:
        try:
            start = int(base64.b64decode(str(token)).decode())
        except ValueError:
            raise invalid("NextToken") from None
    end = start + PAGE
    more = base64.b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], more


def _string(params: dict, name: str, required: bool = True) -> str | None:
    value = params.get(name)
    if value is None:
        if required:
            raise SNSError(
                "ValidationError",
                f"1 validation error detected: Value null at '{name[0].lower()}{name[1:]}' "
                "failed to satisfy constraint: Member must not be null",
            )
        return None
    if not isinstance(value, str):
        raise invalid(name)
    return value


def _attribute(params: dict) -> dict[str, str]:
    """The one attribute a Set*Attributes call names, as ``{AttributeName: AttributeValue}``."""
    name = _string(params, "AttributeName")
    return {name: _string(params, "AttributeValue", required=False) or ""}


def _map(params: dict, name: str) -> dict:
    value = params.get(name)
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise invalid(name)
    return value


def _tag_list(params: dict, name: str = "Tags") -> dict[str, str]:
    value = params.get(name)
    if value in (None, ""):
        return {}
    if not isinstance(value, list):
        raise invalid(name)
    tags = {}
    for tag in value:
        if not isinstance(tag, dict) or not isinstance(tag.get("Key"), str):
            raise invalid("Tags", "each tag needs a Key and a Value")
        key, tag_value = tag["Key"], tag.get("Value", "")
        if not 1 <= len(key) <= 128 or len(tag_value) > 256:
            raise invalid("Tags", "a tag key has 1 to 128 characters, a value at most 256")
        tags[key] = tag_value
    return tags


class SNSService:
    """All topics and subscriptions of one emulator; delivers into ``sqs``'s queues."""

    def __init__(self, sqs: SQSBackend) -> None:
        self.sqs = sqs
        self.clock = sqs.clock
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

    # --- the HTTP hook ----------------------------------------------------------------------
    def handle(self, body: bytes, ctx: Context) -> tuple[int, bytes] | None:
        """Answer a query-protocol request (status, XML), or None if it is no SNS action."""
        try:
            params = decode_form(body)
        except FormError as err:
            match = _ACTION.search(body)
            if match is None or match.group(1).decode() not in ACTIONS:
                return None
            return 400, encode_error("MalformedQueryString", str(err))
        action = params.get("Action")
        if action not in ACTIONS:
            return None
        try:
            result = getattr(self, f"op_{action}")(params, ctx)
        except SNSError as err:
            return err.status, encode_error(err.code, err.message, err.status < 500)
        except Exception as exc:  # a bug of ours: still an AWS-shaped answer
            return 500, encode_error("InternalError", f"Internal error: {exc!r}", sender=False)
        return 200, encode_result(action, result)

    # --- lookups ----------------------------------------------------------------------------
    def _topic(self, params: dict, name: str = "TopicArn") -> Topic:
        arn = _string(params, name)
        parse_topic_arn(arn, name)
        topic = self._topics.get(arn)
        if topic is None:
            raise no_topic()
        return topic

    def _subscription(self, params: dict) -> Subscription:
        arn = _string(params, "SubscriptionArn")
        topic_arn, _, tail = arn.rpartition(":")
        parse_topic_arn(topic_arn, "SubscriptionArn")
        if not tail:
            raise invalid("SubscriptionArn")
        subscription = self._subscriptions.get(arn)
        if subscription is None:
            raise no_subscription()
        return subscription

    def topics_of(self, ctx: Context) -> list[Topic]:
        account = account_of(ctx)
        return sorted(
            (
                t
                for t in list(self._topics.values())
                if t.account == account and t.region == ctx.region
            ),
            key=lambda t: t.arn,
        )

    def subscription_stats(self) -> dict[str, dict[str, int]]:
        """Per subscription ARN: delivered, filtered_out and failed counts (for tests/admin)."""
        return {
            arn: {"delivered": s.delivered, "filtered_out": s.filtered_out, "failed": s.failed}
            for arn, s in list(self._subscriptions.items())
        }

    # --- topics -----------------------------------------------------------------------------
    def op_CreateTopic(self, params: dict, ctx: Context) -> dict:
        name = _string(params, "Name")
        given = _map(params, "Attributes")
        if params.get("DataProtectionPolicy"):
            given = {**given, "DataProtectionPolicy": params["DataProtectionPolicy"]}
        fifo_flag = str(given.get("FifoTopic", "false")).lower() == "true"
        fifo = check_topic_name(name, fifo_flag)
        attributes = check_topic_attributes(given, fifo, creating=True)
        tags = _tag_list(params)
        if len(tags) > MAX_TAGS:
            raise SNSError(
                "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded"
            )
        account = account_of(ctx)
        arn = f"arn:aws:sns:{ctx.region}:{account}:{name}"
        with self._lock:
            existing = self._topics.get(arn)
            if existing is not None:
                for key, value in attributes.items():
                    if existing.described().get(key) != value:
                        raise invalid(
                            "Attributes", "Topic already exists with different attributes"
                        )
                existing.tags.update(tags)
                return {"TopicArn": arn}
            self._topics[arn] = Topic(
                arn=arn,
                name=name,
                account=account,
                region=ctx.region,
                fifo=fifo,
                attributes=attributes,
                tags=tags,
            )
        return {"TopicArn": arn}

    def op_DeleteTopic(self, params: dict, ctx: Context) -> None:
        arn = _string(params, "TopicArn")
        parse_topic_arn(arn)
        with self._lock:
            topic = self._topics.pop(arn, None)  # deleting a missing topic succeeds, as on AWS
            if topic is not None:
                for subscription in topic.subscriptions:
                    self._subscriptions.pop(subscription.arn, None)
        return None

    def op_ListTopics(self, params: dict, ctx: Context) -> dict:
        topics, more = _page(self.topics_of(ctx), params.get("NextToken"))
        return {"Topics": [{"TopicArn": t.arn} for t in topics], "NextToken": more}

    def op_GetTopicAttributes(self, params: dict, ctx: Context) -> dict:
        topic = self._topic(params)
        return {"Attributes": XmlMap(topic.described())}

    def op_SetTopicAttributes(self, params: dict, ctx: Context) -> None:
        topic = self._topic(params)
        checked = check_topic_attributes(_attribute(params), topic.fifo, creating=False)
        with topic.lock:
            topic.attributes.update(checked)
        return None

    # --- subscriptions ----------------------------------------------------------------------
    def op_Subscribe(self, params: dict, ctx: Context) -> dict:
        topic = self._topic(params)
        protocol = _string(params, "Protocol")
        endpoint = _string(params, "Endpoint", required=False)
        if protocol not in SUPPORTED_PROTOCOLS:
            if protocol in OTHER_PROTOCOLS:
                raise invalid(
                    "Protocol",
                    f"the emulator delivers to sqs only, not {protocol}: subscribe a queue",
                )
            raise invalid(f"Amazon SNS does not support this protocol string: {protocol}")
        queue = parse_queue_arn(endpoint)
        if queue is None:
            raise invalid("SQS endpoint ARN")
        if queue[2].endswith(".fifo") and not topic.fifo:
            raise invalid(
                "Invalid parameter: Endpoint",
                "FIFO SQS Queues can not be subscribed to standard SNS topics",
            )
        checked = check_subscription_attributes(_map(params, "Attributes"), {})
        with self._lock, topic.lock:
            if self._topics.get(topic.arn) is not topic:
                raise no_topic()
            for existing in topic.subscriptions:
                if existing.protocol == protocol and existing.endpoint == endpoint:
                    if checked["attributes"] and checked["attributes"] != existing.attributes:
                        raise invalid(
                            "Attributes", "Subscription already exists with different attributes"
                        )
                    return {"SubscriptionArn": existing.arn}
            subscription = Subscription(
                arn=f"{topic.arn}:{self._uuid()}",
                topic_arn=topic.arn,
                owner=account_of(ctx),
                protocol=protocol,
                endpoint=endpoint,
                attributes=checked["attributes"],
                policy=checked["policy"],
            )
            # copy-on-write: publishers iterate the list they read without a lock
            topic.subscriptions = [*topic.subscriptions, subscription]
            self._subscriptions[subscription.arn] = subscription
        return {"SubscriptionArn": subscription.arn}

    def op_Unsubscribe(self, params: dict, ctx: Context) -> None:
        arn = _string(params, "SubscriptionArn")
        topic_arn, _, tail = arn.rpartition(":")
        parse_topic_arn(topic_arn, "SubscriptionArn")
        if not tail:
            raise invalid("SubscriptionArn")
        with self._lock:
            subscription = self._subscriptions.pop(arn, None)  # idempotent, as on AWS
            topic = self._topics.get(topic_arn)
            if subscription is not None and topic is not None:
                with topic.lock:
                    topic.subscriptions = [s for s in topic.subscriptions if s is not subscription]
        return None

    def op_ListSubscriptions(self, params: dict, ctx: Context) -> dict:
        account = account_of(ctx)
        mine = [
            s
            for s in list(self._subscriptions.values())
            if s.owner == account and s.topic_arn.split(":")[3] == ctx.region
        ]
        page, more = _page(mine, params.get("NextToken"))
        return {"Subscriptions": [s.summary() for s in page], "NextToken": more}

    def op_ListSubscriptionsByTopic(self, params: dict, ctx: Context) -> dict:
        topic = self._topic(params)
        page, more = _page(list(topic.subscriptions), params.get("NextToken"))
        return {"Subscriptions": [s.summary() for s in page], "NextToken": more}

    def op_GetSubscriptionAttributes(self, params: dict, ctx: Context) -> dict:
        subscription = self._subscription(params)
        return {"Attributes": XmlMap(subscription.described())}

    def op_SetSubscriptionAttributes(self, params: dict, ctx: Context) -> None:
        subscription = self._subscription(params)
        checked = check_subscription_attributes(_attribute(params), subscription.attributes)
        # one assignment each: a publish running now sees the old or the new policy, whole
        subscription.policy = checked["policy"]
        subscription.attributes = checked["attributes"]
        return None

    # --- tags -------------------------------------------------------------------------------
    def _tagged(self, params: dict) -> Topic:
        arn = _string(params, "ResourceArn")
        topic = self._topics.get(arn)
        if topic is None:
            raise SNSError("ResourceNotFound", "Resource does not exist")
        return topic

    def op_TagResource(self, params: dict, ctx: Context) -> dict:
        topic = self._tagged(params)
        tags = _tag_list(params)
        if not tags:
            raise invalid("Tags", "at least one tag is needed")
        with topic.lock:
            if len({**topic.tags, **tags}) > MAX_TAGS:
                raise SNSError(
                    "TagLimitExceeded",
                    "Could not complete request: tag quota of per resource exceeded",
                )
            topic.tags.update(tags)
        return {}

    def op_UntagResource(self, params: dict, ctx: Context) -> dict:
        topic = self._tagged(params)
        keys = params.get("TagKeys")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise invalid("TagKeys")
        with topic.lock:
            for key in keys:
                topic.tags.pop(key, None)
        return {}

    def op_ListTagsForResource(self, params: dict, ctx: Context) -> dict:
        topic = self._tagged(params)
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(topic.tags.items())]}

    # --- publishing -------------------------------------------------------------------------
    def _uuid(self) -> str:
        with self._rng_lock:
            return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _publish_target(self, params: dict) -> Topic:
        if params.get("PhoneNumber") is not None:
            raise invalid("PhoneNumber", "the emulator does not send SMS; publish to a topic")
        if params.get("TopicArn") is None and params.get("TargetArn") is not None:
            return self._topic(params, "TargetArn")
        if params.get("TopicArn") is None:
            raise invalid("TopicArn or TargetArn Reason: no value for required parameter")
        return self._topic(params)

    def _accept(self, topic: Topic, published: Published, now: float) -> bool:
        """Number a FIFO message and check its deduplication id (caller holds the topic lock);
        False when it repeats one of the last five minutes (nothing is delivered)."""
        if not topic.fifo:
            published.message_id = self._uuid()
            return True
        if published.dedup_id is None:
            if topic.attributes.get("ContentBasedDeduplication") != "true":
                raise invalid(
                    "The topic should either have ContentBasedDeduplication enabled or "
                    "MessageDeduplicationId provided explicitly"
                )
            published.dedup_id = hashlib.sha256(published.message.encode("utf-8")).hexdigest()
        earlier = topic.seen(published.dedup_id, now)
        if earlier is not None:
            published.message_id, published.sequence = earlier
            return False
        published.message_id = self._uuid()
        published.sequence = topic.next_sequence()
        topic.remember(published.dedup_id, now, published.message_id, published.sequence)
        return True

    @staticmethod
    def _result(published: Published, fifo: bool) -> dict:
        out = {"MessageId": published.message_id}
        if fifo:
            out["SequenceNumber"] = published.sequence
        return out

    def op_Publish(self, params: dict, ctx: Context) -> dict:
        topic = self._publish_target(params)
        published = parse_published(params, topic.fifo)
        if not topic.fifo:
            published.timestamp = self.clock.now()
            self._accept(topic, published, published.timestamp)
            self._deliver(topic, [published], ctx)
            return self._result(published, False)
        with topic.lock:  # one publish at a time: group order is publish order
            published.timestamp = self.clock.now()
            if self._accept(topic, published, published.timestamp):
                self._deliver(topic, [published], ctx)
        return self._result(published, True)

    def op_PublishBatch(self, params: dict, ctx: Context) -> dict:
        topic = self._topic(params)
        entries = params.get("PublishBatchRequestEntries")
        if entries in (None, "", []):
            raise SNSError("EmptyBatchRequest", "The batch request doesn't contain any entries")
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise invalid("PublishBatchRequestEntries")
        if len(entries) > MAX_BATCH:
            raise SNSError(
                "TooManyEntriesInBatchRequest",
                f"The batch request contains more entries than permissible ({MAX_BATCH}).",
            )
        ids = [e.get("Id") for e in entries]
        for entry_id in ids:
            if not isinstance(entry_id, str) or not _BATCH_ID.match(entry_id):
                raise SNSError(
                    "InvalidBatchEntryId",
                    "The Id of a batch entry in a batch request doesn't abide by the "
                    "specification: up to 80 letters, digits, hyphens and underscores.",
                )
        if len(set(ids)) != len(ids):
            raise SNSError(
                "BatchEntryIdsNotDistinct",
                "Two or more batch entries in the request have the same Id.",
            )
        good: list[tuple[str, Published]] = []
        failed = []
        for entry in entries:
            try:
                good.append((entry["Id"], parse_published(entry, topic.fifo)))
            except SNSError as err:
                failed.append(
                    {
                        "Id": entry["Id"],
                        "Code": err.code,
                        "Message": err.message,
                        "SenderFault": True,
                    }
                )
        if sum(p.size() for _, p in good) > 262_144:
            raise SNSError(
                "BatchRequestTooLong",
                "The length of all the messages put together is more than the limit.",
            )
        successful = []
        with topic.lock if topic.fifo else contextlib.nullcontext():
            now = self.clock.now()
            fresh = []
            for entry_id, published in good:
                published.timestamp = now
                try:
                    if self._accept(topic, published, now):
                        fresh.append(published)
                except SNSError as err:
                    failed.append(
                        {
                            "Id": entry_id,
                            "Code": err.code,
                            "Message": err.message,
                            "SenderFault": True,
                        }
                    )
                    continue
                successful.append({"Id": entry_id, **self._result(published, topic.fifo)})
            if fresh:
                self._deliver(topic, fresh, ctx)
        return {"Successful": successful, "Failed": failed}

    # --- delivery ---------------------------------------------------------------------------
    def _deliver(self, topic: Topic, batch: list[Published], ctx: Context) -> None:
        """Send each message to every subscription that wants it (one SQS batch per queue)."""
        for subscription in topic.subscriptions:
            entries = []
            unsubscribe = unsubscribe_url(ctx.base_url, subscription.arn)
            for index, published in enumerate(batch):
                body = published.body_for_sqs()
                if not filters.matches(
                    subscription.policy, subscription.scope, published.attributes, body
                ):
                    subscription.filtered_out += 1
                    continue
                entries.append(self._entry(topic, subscription, published, ctx, index, unsubscribe))
            if entries:
                self._to_queue(subscription, entries, ctx)

    @staticmethod
    def _entry(
        topic: Topic,
        subscription: Subscription,
        published: Published,
        ctx: Context,
        index: int,
        unsubscribe: str,
    ) -> dict[str, Any]:
        if subscription.raw:
            entry: dict[str, Any] = {"MessageBody": published.body_for_sqs()}
            if published.attributes:
                entry["MessageAttributes"] = raw_attributes(published)
        else:
            body = envelope(published, topic.arn, unsubscribe, ctx.base_url, topic.fifo)
            entry = {"MessageBody": body}
        queue_fifo = subscription.endpoint.endswith(".fifo")
        if queue_fifo:
            entry["MessageGroupId"] = published.group_id
            entry["MessageDeduplicationId"] = published.dedup_id
        elif published.group_id is not None and not topic.fifo:
            entry["MessageGroupId"] = published.group_id
        entry["Id"] = str(index)
        return entry

    def _send(self, queue_arn: str, entries: list[dict], ctx: Context) -> list[dict]:
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

    def _to_queue(self, subscription: Subscription, entries: list[dict], ctx: Context) -> None:
        failed = self._send(subscription.endpoint, entries, ctx)
        subscription.delivered += len(entries) - len(failed)
        subscription.failed += len(failed)
        # A subscription's dead-letter queue keeps what its queue did not take, as on AWS.
        target = _dead_letter_arn(subscription)
        if failed and target and parse_queue_arn(target):
            self._send(target, failed, ctx)


def _dead_letter_arn(subscription: Subscription) -> str | None:
    policy = subscription.attributes.get("RedrivePolicy")
    try:
        return json.loads(policy).get("deadLetterTargetArn") if policy else None
    except (ValueError, AttributeError):
        return None


ACTIONS = frozenset(name[3:] for name in vars(SNSService) if name.startswith("op_"))
