"""Topics and subscriptions as the emulator stores them, with AWS's attribute names and rules."""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from labkit.emulator.sns import filters
from labkit.emulator.sns.errors import SNSError, invalid
from labkit.web_guard import bounded_loads

_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_TOPIC_ARN = re.compile(r"^arn:aws:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_.-]{1,256})$")
_QUEUE_ARN = re.compile(r"^arn:aws:sqs:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_.-]{1,80})$")
DEDUP_WINDOW = 300.0
MAX_DEDUP_IDS = 100_000

# Attributes a caller may set on a topic (CreateTopic or SetTopicAttributes).
TOPIC_SETTABLE = {
    "DeliveryPolicy",
    "DisplayName",
    "Policy",
    "SignatureVersion",
    "TracingConfig",
    "KmsMasterKeyId",
    "DataProtectionPolicy",
}
FIFO_ONLY = {"ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope"}
SUBSCRIPTION_SETTABLE = {
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
}
_EFFECTIVE_DELIVERY = json.dumps(
    {
        "http": {
            "defaultHealthyRetryPolicy": {
                "minDelayTarget": 20,
                "maxDelayTarget": 20,
                "numRetries": 3,
                "numMaxDelayRetries": 0,
                "numNoDelayRetries": 0,
                "numMinDelayRetries": 0,
                "backoffFunction": "linear",
            },
            "disableSubscriptionOverrides": False,
            "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"},
        }
    },
    separators=(",", ":"),
)


def default_policy(arn: str, account: str) -> str:
    """The policy AWS gives a new topic: the owner's account may do everything."""
    actions = [
        "SNS:GetTopicAttributes",
        "SNS:SetTopicAttributes",
        "SNS:AddPermission",
        "SNS:RemovePermission",
        "SNS:DeleteTopic",
        "SNS:Subscribe",
        "SNS:ListSubscriptionsByTopic",
        "SNS:Publish",
    ]
    statement = {
        "Sid": "__default_statement_ID",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": actions,
        "Resource": arn,
        "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
    }
    policy = {"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [statement]}
    return json.dumps(policy, separators=(",", ":"))


def parse_topic_arn(arn: object, name: str = "TopicArn") -> tuple[str, str, str]:
    """(region, account, topic name) of a well-formed topic ARN, else InvalidParameter."""
    match = _TOPIC_ARN.match(arn) if isinstance(arn, str) else None
    if match is None:
        raise invalid(name)
    return match.group(1), match.group(2), match.group(3)


def parse_queue_arn(arn: object) -> tuple[str, str, str] | None:
    match = _QUEUE_ARN.match(arn) if isinstance(arn, str) else None
    return (match.group(1), match.group(2), match.group(3)) if match else None


def check_topic_name(name: str, fifo_flag: bool) -> bool:
    """True for a FIFO topic name; InvalidParameter for a name AWS would refuse."""
    fifo = name.endswith(".fifo")
    base = name[:-5] if fifo else name
    if not _TOPIC_NAME.match(base) or len(name) > 256:
        raise invalid(
            "Topic Name",
            "Topic names must be made up of only uppercase and lowercase ASCII letters, "
            "numbers, underscores, and hyphens, and must be between 1 and 256 characters long "
            "(a FIFO topic's name ends in .fifo).",
        )
    if fifo != fifo_flag:
        raise invalid(
            "Topic Name",
            "A FIFO topic's name must end with .fifo and set the attribute FifoTopic=true; a "
            "standard topic's name must not end in .fifo.",
        )
    return fifo


def _true_false(name: str, value: str) -> str:
    if value.lower() not in ("true", "false"):
        raise invalid("Attributes", f"{name}: Invalid value [{value}]. Must be true or false.")
    return value.lower()


@dataclass(eq=False)
class Subscription:
    """A queue subscribed to a topic; ``policy`` is the parsed FilterPolicy (or None)."""

    arn: str
    topic_arn: str
    owner: str
    protocol: str
    endpoint: str
    attributes: dict[str, str] = field(default_factory=dict)
    policy: dict | None = None
    delivered: int = 0
    filtered_out: int = 0
    failed: int = 0

    @property
    def raw(self) -> bool:
        return self.attributes.get("RawMessageDelivery") == "true"

    @property
    def scope(self) -> str:
        return self.attributes.get("FilterPolicyScope", "MessageAttributes")

    def described(self) -> dict[str, str]:
        out = {
            "SubscriptionArn": self.arn,
            "TopicArn": self.topic_arn,
            "Owner": self.owner,
            "Protocol": self.protocol,
            "Endpoint": self.endpoint,
            "ConfirmationWasAuthenticated": "true",
            "PendingConfirmation": "false",
            "RawMessageDelivery": "false",
            "EffectiveDeliveryPolicy": _EFFECTIVE_DELIVERY,
        }
        out.update(self.attributes)
        if "FilterPolicy" in out:
            out.setdefault("FilterPolicyScope", "MessageAttributes")
        return out

    def summary(self) -> dict[str, str]:
        return {
            "SubscriptionArn": self.arn,
            "Owner": self.owner,
            "Protocol": self.protocol,
            "Endpoint": self.endpoint,
            "TopicArn": self.topic_arn,
        }


def check_subscription_attributes(given: dict[str, str], current: dict[str, str]) -> dict:
    """Validate ``given`` on top of ``current``; returns the merged attributes and the parsed
    filter policy (the policy is checked against the scope it will be used with)."""
    merged = dict(current)
    for name, value in given.items():
        if name not in SUBSCRIPTION_SETTABLE:
            raise invalid("AttributeName", f"Unknown attribute {name}")
        if not isinstance(value, str):
            raise invalid("Attributes", f"{name} must be a string")
        if name == "RawMessageDelivery":
            value = _true_false(name, value)
        elif name == "FilterPolicyScope" and value not in filters.SCOPES:
            raise invalid(
                "Attributes",
                f"FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody "
                "or MessageAttributes",
            )
        elif name == "RedrivePolicy" and value:
            try:
                target = bounded_loads(value).get("deadLetterTargetArn")
            except (ValueError, AttributeError):
                target = None
            if parse_queue_arn(target) is None:
                raise invalid("RedrivePolicy", "deadLetterTargetArn must be an SQS queue ARN")
        if value == "" and name in ("FilterPolicy", "RedrivePolicy"):
            merged.pop(name, None)
            continue
        merged[name] = value
    scope = merged.get("FilterPolicyScope", "MessageAttributes")
    policy = filters.parse_policy(merged.get("FilterPolicy"), scope)
    return {"attributes": merged, "policy": policy}


@dataclass(eq=False)
class Topic:
    """One topic: attributes, tags, subscriptions in the order they were made, FIFO state."""

    arn: str
    name: str
    account: str
    region: str
    fifo: bool
    attributes: dict[str, str]
    tags: dict[str, str] = field(default_factory=dict)
    subscriptions: list[Subscription] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    sequence: int = 0
    # Insertion order is expiry order (the clock only moves forward), so expired ids leave
    # from the front: O(1) a publish, where a sweep of every id made 30,000 ids cost 40 ms.
    deduplication: OrderedDict[str, tuple[float, str, str]] = field(default_factory=OrderedDict)

    def described(self) -> dict[str, str]:
        out = {
            "Policy": default_policy(self.arn, self.account),
            "Owner": self.account,
            "TopicArn": self.arn,
            "DisplayName": "",
            "SubscriptionsPending": "0",
            "SubscriptionsConfirmed": str(len(self.subscriptions)),
            "SubscriptionsDeleted": "0",
            "EffectiveDeliveryPolicy": _EFFECTIVE_DELIVERY,
        }
        if self.fifo:
            out["FifoTopic"] = "true"
            out["ContentBasedDeduplication"] = "false"
        out.update(self.attributes)
        return out

    def next_sequence(self) -> str:
        self.sequence += 1
        return f"{10000000000000000000 + self.sequence:020d}"

    def seen(self, dedup_id: str, now: float) -> tuple[str, str] | None:
        """The (MessageId, SequenceNumber) of a publish with this id in the last 5 minutes."""
        store = self.deduplication
        while store:
            oldest = next(iter(store.values()))
            if oldest[0] > now:
                break
            store.popitem(last=False)
        earlier = store.get(dedup_id)
        if earlier is None or earlier[0] <= now:
            return None
        return earlier[1], earlier[2]

    def remember(self, dedup_id: str, now: float, message_id: str, sequence: str) -> None:
        """Keep the id for five minutes; `Throttled` when the topic already holds
        `MAX_DEDUP_IDS` live ids (the lab's bound: AWS's 300 publishes a second for five
        minutes is 90,000)."""
        if len(self.deduplication) >= MAX_DEDUP_IDS:
            raise SNSError(
                "Throttled",
                f"Rate exceeded: this FIFO topic holds {MAX_DEDUP_IDS} deduplication ids of the "
                "last five minutes; publish more slowly",
                status=429,
            )
        self.deduplication.pop(dedup_id, None)
        self.deduplication[dedup_id] = (now + DEDUP_WINDOW, message_id, sequence)


def check_topic_attributes(given: dict, fifo: bool, creating: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in given.items():
        if not isinstance(value, str):
            raise invalid("Attributes", f"{name} must be a string")
        if name == "FifoTopic":
            if not creating:
                raise invalid("AttributeName", "FifoTopic can only be set when the topic is made")
            continue
        if name in FIFO_ONLY:
            if not fifo:
                raise invalid("Attributes", f"{name} can only be set for FIFO topics")
            if name == "ContentBasedDeduplication":
                value = _true_false(name, value)
        elif name not in TOPIC_SETTABLE:
            raise invalid("AttributeName", f"Unknown attribute {name}")
        if name == "DisplayName" and len(value) > 100:
            raise invalid("DisplayName", "must be at most 100 characters")
        if name in ("Policy", "DeliveryPolicy", "DataProtectionPolicy") and value:
            try:
                bounded_loads(value)
            except ValueError:
                raise invalid(name, "must be a JSON document") from None
        out[name] = value
    return out
