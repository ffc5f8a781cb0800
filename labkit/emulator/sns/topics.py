"""Topics and subscriptions as the emulator stores them, with AWS's attribute names and rules."""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from labkit.emulator.sns import filters
from labkit.emulator.sns.errors import Detail, SNSError, bad_arn, invalid
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
    """(region, account, topic name) of a well-formed topic ARN, else AWS's InvalidParameter
    (``Reason: An ARN must have at least 6 elements, not N`` when it has fewer)."""
    match = _TOPIC_ARN.match(arn) if isinstance(arn, str) else None
    if match is None:
        raise bad_arn(name, arn)
    return match.group(1), match.group(2), match.group(3)


def parse_queue_arn(arn: object) -> tuple[str, str, str] | None:
    match = _QUEUE_ARN.match(arn) if isinstance(arn, str) else None
    return (match.group(1), match.group(2), match.group(3)) if match else None


def check_topic_name(name: str, fifo_flag: bool) -> bool:
    """True for a FIFO topic name. AWS refuses a bad name, and a name whose ``.fifo`` ending
    disagrees with ``FifoTopic``, with ``Invalid parameter: Topic Name`` and no reason."""
    fifo = name.endswith(".fifo")
    base = name[:-5] if fifo else name
    if not _TOPIC_NAME.match(base) or len(name) > 256 or fifo != fifo_flag:
        raise invalid("Topic Name")
    return fifo


def _true_false(name: str, value: str) -> str:
    if value.lower() not in ("true", "false"):
        raise Detail(f"{name}: Invalid value [{value}]. Must be true or false.")
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
    last_failure: str | None = None  # why the last copy did not reach the queue

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
            "SubscriptionPrincipal": f"arn:aws:iam::{self.owner}:root",
        }
        out.update(self.attributes)
        if "FilterPolicy" in out:  # AWS shows the scope only beside a policy
            out.setdefault("FilterPolicyScope", "MessageAttributes")
        else:
            out.pop("FilterPolicyScope", None)
        return out

    def summary(self) -> dict[str, str]:
        return {
            "SubscriptionArn": self.arn,
            "Owner": self.owner,
            "Protocol": self.protocol,
            "Endpoint": self.endpoint,
            "TopicArn": self.topic_arn,
        }


def check_subscription_attributes(
    given: dict[str, str], current: dict[str, str], fifo_pair: bool = False
) -> dict:
    """Validate ``given`` on top of ``current``; returns the merged attributes and the parsed
    filter policy (checked against the scope it will be used with). A bad value raises
    `Detail` in AWS's words; ``fifo_pair`` is a FIFO queue on a FIFO topic (its dead-letter
    queue must be FIFO too)."""
    merged = dict(current)
    for name, value in given.items():
        if name not in SUBSCRIPTION_SETTABLE or not isinstance(value, str):
            raise invalid("AttributeName")
        if name == "RawMessageDelivery":
            value = _true_false(name, value)
        elif name == "FilterPolicyScope" and value not in filters.SCOPES:
            raise Detail(
                f"FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody "
                "or MessageAttributes"
            )
        elif name == "RedrivePolicy" and value:
            _check_redrive(value, fifo_pair)
        if value == "" and name in ("FilterPolicy", "RedrivePolicy"):
            merged.pop(name, None)
            continue
        merged[name] = value
    scope = merged.get("FilterPolicyScope", "MessageAttributes")
    policy = filters.parse_policy(merged.get("FilterPolicy"), scope)
    return {"attributes": merged, "policy": policy}


def _check_redrive(value: str, fifo_pair: bool) -> None:
    try:
        parsed = bounded_loads(value)
    except ValueError as exc:
        raise Detail(f"RedrivePolicy: failed to parse JSON. {exc}") from None
    target = parsed.get("deadLetterTargetArn") if isinstance(parsed, dict) else None
    queue = parse_queue_arn(target)
    if queue is None:
        raise Detail("RedrivePolicy: deadLetterTargetArn is an invalid arn")
    if fifo_pair and not queue[2].endswith(".fifo"):
        raise Detail(
            "RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic."
        )


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

    @property
    def signature_version(self) -> str:
        return self.attributes.get("SignatureVersion", "1")

    def policy(self) -> str:
        """The topic's access policy: the one set, or the owner-only default AWS gives it."""
        return self.attributes.get("Policy") or default_policy(self.arn, self.account)

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
    """The attributes a CreateTopic or SetTopicAttributes may set; AWS names a name it does not
    take (or FifoTopic after creation) ``Invalid parameter: AttributeName``."""
    out: dict[str, str] = {}
    for name, value in given.items():
        if not isinstance(value, str):
            raise invalid("Attributes", f"{name} must be a string")
        if name == "FifoTopic":
            if not creating:
                raise invalid("AttributeName")
            continue
        if name in FIFO_ONLY:
            if not fifo:
                raise invalid("AttributeName")
            if name == "ContentBasedDeduplication":
                try:
                    value = _true_false(name, value)
                except Detail as err:
                    raise invalid("Attributes", str(err)) from None
        elif name not in TOPIC_SETTABLE:
            raise invalid("AttributeName")
        if name == "DisplayName" and len(value) > 100:
            raise invalid("DisplayName")
        if name in ("Policy", "DeliveryPolicy", "DataProtectionPolicy") and value:
            try:
                bounded_loads(value)
            except ValueError:
                raise invalid(name) from None
        out[name] = value
    return out
