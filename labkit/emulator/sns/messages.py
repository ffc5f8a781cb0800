"""What a Publish may carry, and what a subscribed queue receives for it.

A queue gets either the JSON notification envelope (``Type``, ``MessageId``, ``TopicArn``,
``Subject``, ``Message``, ``Timestamp``, the signature fields, ``UnsubscribeURL``,
``MessageAttributes``) or, with ``RawMessageDelivery``, the message itself with its attributes
as SQS message attributes. The emulator cannot sign as AWS does: ``Signature`` is a digest of
the envelope's fields that no AWS certificate verifies.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol

from labkit.emulator.sns.errors import SNSError, invalid
from labkit.emulator.sqs.messages import is_number
from labkit.web_guard import bounded_loads

MAX_MESSAGE_BYTES = 262_144
_NAME_CHAR = re.compile(r"^[A-Za-z0-9_\-.]$")
MAX_NAME_BYTES = 256
MAX_ATTRIBUTES = 10
_SUBJECT = re.compile(r"^[\x20-\x7e]{1,100}$")
_ID = re.compile(r"^[!-~]{1,128}$")


@dataclass
class Published:
    """One validated message of a Publish or of a PublishBatch entry."""

    message: str
    subject: str | None = None
    structure: str | None = None
    attributes: dict[str, dict] = field(default_factory=dict)
    group_id: str | None = None
    dedup_id: str | None = None
    message_id: str = ""
    sequence: str | None = None
    timestamp: float = 0.0
    parts: tuple | None = None  # the envelope's shared fields, once rendered

    def body_for_sqs(self) -> str:
        """With MessageStructure=json, the ``sqs`` entry if there is one, else ``default``."""
        if self.structure != "json":
            return self.message
        parsed = bounded_loads(self.message)
        sqs = parsed.get("sqs")
        return sqs if isinstance(sqs, str) else parsed["default"]

    def size(self) -> int:
        total = len(self.message.encode("utf-8"))
        for name, attr in self.attributes.items():
            value = attr.get("StringValue", attr.get("BinaryValue", ""))
            total += len(name.encode()) + len(attr["DataType"].encode()) + len(value.encode())
        return total


def _bad_attribute(message: str) -> SNSError:
    return SNSError("ParameterValueInvalid", message)


def _check_name(name: str) -> None:
    """AWS's five attribute-name rules, each with its own message."""
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise _bad_attribute("Length of message attribute name must be less than 256 bytes.")
    for char in name:
        if not _NAME_CHAR.match(char):
            raise _bad_attribute(
                f"Invalid non-alphanumeric character '#x{ord(char):X}' was found in the message "
                "attribute name. Can only include alphanumeric characters, hyphens, "
                "underscores, or dots."
            )
    if name.startswith("."):
        raise _bad_attribute(
            "Invalid message attribute name starting with character '.' was found."
        )
    if name.endswith("."):
        raise _bad_attribute("Invalid message attribute name ending with character '.' was found.")
    if ".." in name:
        raise _bad_attribute("Message attribute name can not have successive '.' character.")
    if name.lower().startswith(("aws.", "amazon.")):
        raise _bad_attribute(f"The message attribute name '{name}' is reserved for use by AWS.")


def _value_of(name: str, kind: str, data_type: str, value: dict) -> dict:
    """The attribute's value from the field its type uses (String/Number: StringValue)."""
    field_name = "BinaryValue" if kind == "Binary" else "StringValue"
    other = "StringValue" if kind == "Binary" else "BinaryValue"
    if value.get(field_name) in (None, "") and value.get(other) not in (None, ""):
        wanted = "Binary" if kind == "Binary" else "String"
        raise _bad_attribute(
            f"The message attribute '{name}' with type '{kind}' must use field '{wanted}'."
        )
    text = value.get(field_name)
    if kind == "Binary" and isinstance(text, str):
        try:
            base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            text = None
    if not isinstance(text, str) or text == "":
        raise _bad_attribute(
            f"The message attribute '{name}' must contain non-empty message attribute value "
            f"for message attribute type '{data_type}'."
        )
    return {"DataType": data_type, field_name: text}


def parse_attributes(raw: object, where: str = "") -> dict[str, dict]:
    """Message attributes as the query protocol sends them, checked as AWS checks them;
    ``where`` is the request path AWS names a missing DataType by (a batch entry's)."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise invalid("MessageAttributes")
    if len(raw) > MAX_ATTRIBUTES:  # AWS's limit: a subscriber would not get the message
        raise invalid(
            "MessageAttributes",
            f"Number of message attributes [{len(raw)}] exceeds the allowed maximum "
            f"[{MAX_ATTRIBUTES}].",
        )
    out: dict[str, dict] = {}
    for name, value in raw.items():
        _check_name(name)
        if not isinstance(value, dict) or not value.get("DataType"):
            raise SNSError(
                "ValidationError",
                f"1 validation error detected: Value null at '{where}messageAttributes.{name}"
                ".member.dataType' failed to satisfy constraint: Member must not be null",
            )
        data_type = value["DataType"]
        kind, dot, custom = data_type.partition(".")
        if kind not in ("String", "Number", "Binary") or (dot and not custom):
            raise _bad_attribute(
                f"The message attribute '{name}' has an invalid message attribute type, the "
                "set of supported type prefixes is Binary, Number, and String."
            )
        out[name] = _value_of(name, kind, data_type, value)
        if kind == "Number":
            _check_number(name, out[name]["StringValue"])
        if data_type == "String.Array":
            _check_array(name, out[name]["StringValue"])
    return out


def _check_number(name: str, text: str) -> None:
    # SQS's rule (38 digits, 10^-128 to 10^+126), checked without overflowing on "1e1000000".
    if not is_number(text.strip()):
        raise _bad_attribute(f"Could not cast message attribute '{name}' value to number.")


def _check_array(name: str, text: str) -> None:
    try:
        items = bounded_loads(text)
    except ValueError:
        items = None
    if not isinstance(items, list) or any(isinstance(item, dict | list) for item in items):
        raise _bad_attribute(
            f"The message attribute '{name}' with type 'String.Array' must be a JSON array of "
            "strings, numbers, true, false or null."
        )


def _check_structure(message: str) -> None:
    """MessageStructure=json: a JSON object whose ``default`` is a string; keys with values
    other than strings are ignored, as AWS ignores them."""
    try:
        parsed = bounded_loads(message)
    except ValueError:
        raise invalid("Message Structure - JSON message body failed to parse") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("default"), str):
        raise invalid("Message Structure - No default entry in JSON message body")


def parse_published(entry: dict, fifo: bool, where: str = "") -> Published:
    """Check one message (Publish's parameters or a PublishBatch entry) for this topic type."""
    message = entry.get("Message")
    if not isinstance(message, str):
        raise SNSError(
            "ValidationError",
            "1 validation error detected: Value null at 'message' failed to satisfy "
            "constraint: Member must not be null",
        )
    if message == "":
        raise invalid("Empty message")
    subject = entry.get("Subject")
    if subject is not None and not _SUBJECT.match(subject):
        raise invalid("Subject")
    structure = entry.get("MessageStructure")
    if structure is not None:
        if structure != "json":
            raise invalid("MessageStructure")
        _check_structure(message)
    published = Published(
        message=message,
        subject=subject,
        structure=structure,
        attributes=parse_attributes(entry.get("MessageAttributes"), where),
        group_id=entry.get("MessageGroupId"),
        dedup_id=entry.get("MessageDeduplicationId"),
    )
    if published.size() > MAX_MESSAGE_BYTES:
        raise invalid("Message too long")
    for label, value in (
        ("MessageGroupId", published.group_id),
        ("MessageDeduplicationId", published.dedup_id),
    ):
        if value is not None and not _ID.match(value):
            raise invalid(label, "use 1 to 128 printable ASCII characters")
    if fifo and published.group_id is None:
        raise invalid("The MessageGroupId parameter is required for FIFO topics")
    if not fifo and published.dedup_id is not None:
        raise invalid(
            "MessageDeduplicationId",
            "The request includes MessageDeduplicationId parameter that is not valid for this "
            "topic type",
        )
    return published


@lru_cache(maxsize=256)  # a batch's messages share one
def timestamp(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# One encoder for every envelope field (json.dumps with options builds a new one per call).
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _field(name: str, value: object) -> str:
    return f'  "{name}" : {_JSON(value)}'


@lru_cache(maxsize=64)
def signing_cert_url(base_url: str, region: str) -> str:
    """Where AWS's envelope names its certificate, in AWS's shape
    (``/SimpleNotificationService-<32 hex>.pem``); nothing verifies the emulator's signature."""
    token = hashlib.md5(f"labkit-sns/{region}".encode(), usedforsecurity=False).hexdigest()
    return f"{base_url}/SimpleNotificationService-{token}.pem"


def _envelope_parts(published: Published, topic: EnvelopeTopic, base_url: str) -> tuple:
    """The fields every subscription's copy shares (computed once per published message).
    A FIFO topic's envelope carries no signature fields, as AWS's do not."""
    note: dict = {"Type": "Notification", "MessageId": published.message_id}
    if topic.fifo:
        note["SequenceNumber"] = published.sequence
    note["TopicArn"] = topic.arn
    if published.subject is not None:
        note["Subject"] = published.subject
    note["Message"] = published.body_for_sqs()
    note["Timestamp"] = timestamp(published.timestamp)
    if not topic.fifo:
        note["SignatureVersion"] = topic.signature_version
        digest = hashlib.sha256(
            "\n".join(str(v) for v in note.values()).encode("utf-8", "replace")
        ).digest()
        note["Signature"] = base64.b64encode(digest).decode()
        note["SigningCertURL"] = signing_cert_url(base_url, topic.region)
    head = ",\n".join(_field(name, value) for name, value in note.items())
    tail = ""
    if published.attributes:
        items = ",\n".join(
            f"    {_JSON(name)} : "
            + _JSON(
                {
                    "Type": attr["DataType"],
                    "Value": attr.get("StringValue", attr.get("BinaryValue")),
                }
            )
            for name, attr in published.attributes.items()
        )
        tail = ',\n  "MessageAttributes" : {\n' + items + "\n  }"
    return head, tail


def unsubscribe_url(base_url: str, subscription_arn: str) -> str:
    """AWS's UnsubscribeURL: the subscription's ARN as it is, not percent-encoded."""
    return f"{base_url}/?Action=Unsubscribe&SubscriptionArn={subscription_arn}"


class EnvelopeTopic(Protocol):
    """What an envelope needs of its topic."""

    arn: str
    region: str
    fifo: bool

    @property
    def signature_version(self) -> str: ...


def envelope(published: Published, topic: EnvelopeTopic, unsubscribe: str, base_url: str) -> str:
    """The notification a non-raw subscription's queue receives, laid out as AWS lays it out
    (two-space indent, `` : `` between name and value)."""
    if published.parts is None:
        published.parts = _envelope_parts(published, topic, base_url)
    head, tail = published.parts
    return "{\n" + head + ",\n" + _unsubscribe_field(unsubscribe) + tail + "\n}"


@lru_cache(maxsize=4096)
def _unsubscribe_field(url: str) -> str:
    return _field("UnsubscribeURL", url)


def raw_attributes(published: Published) -> dict[str, dict]:
    """The message attributes as SQS's SendMessage takes them (raw delivery)."""
    return {name: dict(attr) for name, attr in published.attributes.items()}
