"""The SNS actions as AWS answers them: parameters read and checked in AWS's order and words,
results shaped for the query protocol's XML; the state and its rules are `backend`'s.

Transport-free like the SQS service: a decoded form in, a result dict out, errors as
`SNSError`. Delivery happens in-process before Publish returns (`delivery`).
"""

from __future__ import annotations

import base64
import re

from labkit.emulator.accounts import Caller
from labkit.emulator.context import Context
from labkit.emulator.sns.backend import MAX_TAGS, TAG_QUOTA, SNSBackend
from labkit.emulator.sns.errors import Detail, SNSError, invalid, missing
from labkit.emulator.sns.messages import Published, parse_published
from labkit.emulator.sns.protocol import FormError, XmlMap, decode_form, encode_error, encode_result
from labkit.emulator.sns.topics import (
    check_subscription_attributes,
    check_topic_attributes,
    check_topic_name,
    parse_queue_arn,
)
from labkit.emulator.sqs.backend import SQSBackend

PAGE = 100
MAX_BATCH = 10
MAX_BATCH_BYTES = 262_144
SUPPORTED_PROTOCOLS = ("sqs",)
OTHER_PROTOCOLS = ("http", "https", "email", "email-json", "sms", "application", "lambda",
                   "firehose")  # fmt: skip
_ACTION = re.compile(rb"(?:^|&)Action=([A-Za-z]+)")
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]+$")


def caller_of(ctx: Context) -> Caller:
    """The caller's account and region (the HTTP layer reads them from the SigV4 scope)."""
    return Caller(ctx.account, ctx.region, ctx.access_key)


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
            raise missing(f"{name[0].lower()}{name[1:]}")
        return None
    if not isinstance(value, str):
        raise invalid(name)
    return value


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
    tags: dict[str, str] = {}
    for tag in value:
        if not isinstance(tag, dict) or not isinstance(tag.get("Key"), str):
            raise invalid("Tags", "each tag needs a Key and a Value")
        key, tag_value = tag["Key"], tag.get("Value", "")
        if not 1 <= len(key) <= 128 or len(tag_value) > 256:
            raise invalid("Tags", "a tag key has 1 to 128 characters, a value at most 256")
        if key in tags:
            raise invalid("Duplicated keys are not allowed.")
        tags[key] = tag_value
    return tags


def _check_fifo_dedup(topic_attributes: dict, batch: list[Published]) -> None:
    if topic_attributes.get("ContentBasedDeduplication") == "true":
        return
    if any(p.dedup_id is None for p in batch):
        raise invalid(
            "The topic should either have ContentBasedDeduplication enabled or "
            "MessageDeduplicationId provided explicitly"
        )


def _check_batch_ids(entries: list[dict]) -> None:
    """AWS's order: distinct ids first, then each id's length and characters."""
    ids = [e.get("Id") for e in entries]
    if len(set(map(str, ids))) != len(ids):
        raise SNSError(
            "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id."
        )
    for entry_id in ids:
        if not isinstance(entry_id, str):
            raise missing("publishBatchRequestEntries.member.id")
        if len(entry_id) > 80:
            raise SNSError(
                "InvalidBatchEntryId",
                f"The Id of a batch entry in the batch request is too long: {entry_id}",
            )
        if not _BATCH_ID.match(entry_id):
            raise SNSError(
                "InvalidBatchEntryId",
                "The Id of a batch entry in the batch request contains an impermissible "
                f"character: {entry_id}",
            )


class SNSService:
    """The SNS half of the emulator's HTTP endpoint (query protocol, XML answers)."""

    def __init__(self, sqs: SQSBackend) -> None:
        self.backend = SNSBackend(sqs)

    def reset(self) -> None:
        self.backend.reset()

    def subscription_stats(self) -> dict[str, dict]:
        return self.backend.subscription_stats()

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

    # --- topics -----------------------------------------------------------------------------
    def op_CreateTopic(self, params: dict, ctx: Context) -> dict:
        name = _string(params, "Name")
        given = _map(params, "Attributes")
        if params.get("DataProtectionPolicy"):
            given = {**given, "DataProtectionPolicy": params["DataProtectionPolicy"]}
        fifo_flag = str(given.get("FifoTopic", "false")).lower() == "true"
        fifo = check_topic_name(name, fifo_flag)
        attributes = check_topic_attributes(given, fifo, creating=True)
        arn = self.backend.create_topic(caller_of(ctx), name, fifo, attributes, _tag_list(params))
        return {"TopicArn": arn}

    def op_DeleteTopic(self, params: dict, ctx: Context) -> None:
        self.backend.delete_topic(_string(params, "TopicArn"), caller_of(ctx))

    def op_ListTopics(self, params: dict, ctx: Context) -> dict:
        topics, more = _page(self.backend.topics_of(caller_of(ctx)), params.get("NextToken"))
        return {"Topics": [{"TopicArn": t.arn} for t in topics], "NextToken": more}

    def op_GetTopicAttributes(self, params: dict, ctx: Context) -> dict:
        topic = self.backend.topic(params.get("TopicArn"), caller_of(ctx), "GetTopicAttributes")
        return {"Attributes": XmlMap(topic.described())}

    def op_SetTopicAttributes(self, params: dict, ctx: Context) -> None:
        topic = self.backend.topic(params.get("TopicArn"), caller_of(ctx), "SetTopicAttributes")
        name = _string(params, "AttributeName")
        value = _string(params, "AttributeValue", required=False) or ""
        checked = check_topic_attributes({name: value}, topic.fifo, creating=False)
        with topic.lock:
            topic.attributes.update(checked)

    # --- subscriptions ----------------------------------------------------------------------
    def op_Subscribe(self, params: dict, ctx: Context) -> dict:
        caller = caller_of(ctx)
        topic = self.backend.topic(params.get("TopicArn"), caller, "Subscribe")
        protocol = _string(params, "Protocol")
        endpoint = _string(params, "Endpoint", required=False)
        if protocol not in SUPPORTED_PROTOCOLS:
            if protocol in OTHER_PROTOCOLS:
                raise invalid("Protocol", f"the emulator delivers to sqs only, not {protocol}")
            raise invalid(f"Amazon SNS does not support this protocol string: {protocol}")
        queue = parse_queue_arn(endpoint)
        if queue is None:
            raise invalid("SQS endpoint ARN")
        fifo_queue = queue[2].endswith(".fifo")
        if fifo_queue and not topic.fifo:
            raise invalid(
                "Invalid parameter: Endpoint",
                "FIFO SQS Queues can not be subscribed to standard SNS topics",
            )
        given = _map(params, "Attributes")
        try:
            checked = check_subscription_attributes(given, {}, fifo_pair=fifo_queue)
        except Detail as err:
            raise err.as_error(in_attributes=True) from None
        subscription = self.backend.subscribe(topic, caller, endpoint, checked, given)
        return {"SubscriptionArn": subscription.arn}

    def op_Unsubscribe(self, params: dict, ctx: Context) -> None:
        # An unsigned Unsubscribe (the envelope's UnsubscribeURL) needs no credentials: AWS
        # (API_Unsubscribe.html) lets anyone holding the link cancel the subscription.
        self.backend.unsubscribe(
            params.get("SubscriptionArn"), caller_of(ctx), by_link=not ctx.access_key
        )

    def op_ListSubscriptions(self, params: dict, ctx: Context) -> dict:
        mine = self.backend.subscriptions_of(caller_of(ctx))
        page, more = _page(mine, params.get("NextToken"))
        return {"Subscriptions": [s.summary() for s in page], "NextToken": more}

    def op_ListSubscriptionsByTopic(self, params: dict, ctx: Context) -> dict:
        caller = caller_of(ctx)
        topic = self.backend.topic(params.get("TopicArn"), caller, "ListSubscriptionsByTopic")
        page, more = _page(list(topic.subscriptions), params.get("NextToken"))
        return {"Subscriptions": [s.summary() for s in page], "NextToken": more}

    def op_GetSubscriptionAttributes(self, params: dict, ctx: Context) -> dict:
        arn = params.get("SubscriptionArn")
        subscription = self.backend.subscription(arn, caller_of(ctx), "GetSubscriptionAttributes")
        return {"Attributes": XmlMap(subscription.described())}

    def op_SetSubscriptionAttributes(self, params: dict, ctx: Context) -> None:
        arn = params.get("SubscriptionArn")
        caller = caller_of(ctx)
        subscription = self.backend.subscription(arn, caller, "SetSubscriptionAttributes")
        name = _string(params, "AttributeName")
        value = _string(params, "AttributeValue", required=False) or ""
        fifo_pair = subscription.topic_arn.endswith(".fifo") and subscription.endpoint.endswith(
            ".fifo"
        )
        try:
            checked = check_subscription_attributes(
                {name: value}, subscription.attributes, fifo_pair=fifo_pair
            )
        except Detail as err:
            raise err.as_error(in_attributes=False) from None
        # one assignment each: a publish running now sees the old or the new policy, whole
        subscription.policy = checked["policy"]
        subscription.attributes = checked["attributes"]

    # --- tags -------------------------------------------------------------------------------
    def op_TagResource(self, params: dict, ctx: Context) -> dict:
        topic = self.backend.tagged(params.get("ResourceArn"), caller_of(ctx))
        tags = _tag_list(params)
        if not tags:
            raise invalid("Tags", "at least one tag is needed")
        self.backend.tag(topic, tags)
        return {}

    def op_UntagResource(self, params: dict, ctx: Context) -> dict:
        topic = self.backend.tagged(params.get("ResourceArn"), caller_of(ctx))
        keys = params.get("TagKeys")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise invalid("TagKeys")
        with topic.lock:
            for key in keys:
                topic.tags.pop(key, None)
        return {}

    def op_ListTagsForResource(self, params: dict, ctx: Context) -> dict:
        topic = self.backend.tagged(params.get("ResourceArn"), caller_of(ctx))
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(topic.tags.items())]}

    # --- publishing -------------------------------------------------------------------------
    def op_Publish(self, params: dict, ctx: Context) -> dict:
        caller = caller_of(ctx)
        if params.get("PhoneNumber") is not None:
            raise invalid("PhoneNumber", "the emulator does not send SMS; publish to a topic")
        if params.get("TopicArn") is None and params.get("TargetArn") is not None:
            topic = self.backend.topic(params["TargetArn"], caller, "Publish", "TargetArn")
        elif params.get("TopicArn") is None:
            raise invalid("TopicArn or TargetArn Reason: no value for required parameter")
        else:
            topic = self.backend.topic(params["TopicArn"], caller, "Publish")
        published = parse_published(params, topic.fifo)
        if topic.fifo:
            _check_fifo_dedup(topic.attributes, [published])
        self.backend.publish(topic, [published], ctx.base_url)
        return _result(published, topic.fifo)

    def op_PublishBatch(self, params: dict, ctx: Context) -> dict:
        entries = params.get("PublishBatchRequestEntries")
        if isinstance(entries, list) and len(entries) > MAX_BATCH:
            raise SNSError(
                "TooManyEntriesInBatchRequest",
                "The batch request contains more entries than permissible.",
            )
        topic = self.backend.topic(params.get("TopicArn"), caller_of(ctx), "Publish")
        if entries in (None, "", []):
            raise SNSError("EmptyBatchRequest", "The batch request doesn't contain any entries")
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise invalid("PublishBatchRequestEntries")
        _check_batch_ids(entries)
        # AWS refuses the whole request for any entry it cannot take (no per-entry Failed)
        batch = [
            parse_published(e, topic.fifo, f"publishBatchRequestEntries.{n}.member.")
            for n, e in enumerate(entries, start=1)
        ]
        if topic.fifo:
            _check_fifo_dedup(topic.attributes, batch)
        if sum(p.size() for p in batch) > MAX_BATCH_BYTES:
            raise SNSError(
                "BatchRequestTooLong",
                "The length of all the messages put together is more than the limit.",
            )
        self.backend.publish(topic, batch, ctx.base_url)
        successful = [
            {"Id": e["Id"], **_result(p, topic.fifo)} for e, p in zip(entries, batch, strict=True)
        ]
        return {"Successful": successful, "Failed": []}


def _result(published: Published, fifo: bool) -> dict:
    out = {"MessageId": published.message_id}
    if fifo:
        out["SequenceNumber"] = published.sequence
    return out


ACTIONS = frozenset(name[3:] for name in vars(SNSService) if name.startswith("op_"))
__all__ = ["ACTIONS", "MAX_TAGS", "TAG_QUOTA", "SNSService"]
