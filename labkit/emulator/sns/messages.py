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
from urllib.parse import quote

from labkit.emulator.sns.errors import SNSError, invalid
from labkit.emulator.sqs.messages import is_number
from labkit.web_guard import bounded_loads

MAX_MESSAGE_BYTES = 262_144
MAX_ATTRIBUTES = 10
_ATTR_NAME = re.compile(r"^[A-Za-z0-9_\-.]{1,256}$")
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
        return parsed.get("sqs", parsed["default"])

    def size(self) -> int:
        total = len(self.message.encode("utf-8"))
        for name, attr in self.attributes.items():
            value = attr.get("StringValue", attr.get("BinaryValue", ""))
            total += len(name.encode()) + len(attr["DataType"].encode()) + len(value.encode())
        return total


def _bad_attribute(message: str) -> SNSError:
    return SNSError("ParameterValueInvalid", message)


def parse_attributes(raw: object) -> dict[str, dict]:
    """Message attributes as the query protocol sends them, checked as AWS checks them."""
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
        lowered = name.lower()
        if (
            not _ATTR_NAME.match(name)
            or name.startswith(".")
            or name.endswith(".")
            or ".." in name
            or lowered.startswith(("aws.", "amazon."))
        ):
            raise _bad_attribute(
                f"The message attribute name '{name}' is invalid: use up to 256 letters, "
                "digits, '-', '_' or '.', not starting with AWS. or Amazon."
            )
        if not isinstance(value, dict) or not value.get("DataType"):
            raise _bad_attribute(
                f"The message attribute '{name}' must contain non-empty message attribute type."
            )
        data_type = value["DataType"]
        kind = data_type.split(".", 1)[0]
        if kind not in ("String", "Number", "Binary"):
            raise _bad_attribute(
                f"The message attribute '{name}' has an invalid message attribute type, the "
                "set of supported type prefixes is Binary, Number, and String."
            )
        if kind == "Binary":
            encoded = value.get("BinaryValue")
            try:
                base64.b64decode(encoded or "", validate=True)
            except (binascii.Error, ValueError):
                encoded = None
            if not encoded:
                raise _bad_attribute(
                    f"The message attribute '{name}' must contain non-empty message attribute "
                    f"value for message attribute type '{data_type}'."
                )
            out[name] = {"DataType": data_type, "BinaryValue": encoded}
            continue
        text = value.get("StringValue")
        if not isinstance(text, str) or text == "":
            raise _bad_attribute(
                f"The message attribute '{name}' must contain non-empty message attribute "
                f"value for message attribute type '{data_type}'."
            )
        if kind == "Number" and not is_number(text.strip()):
            raise _bad_attribute(f"Could not cast message attribute '{name}' value to number.")
        if data_type == "String.Array":
            try:
                items = bounded_loads(text)
            except ValueError:
                items = None
            if not isinstance(items, list) or any(isinstance(item, dict | list) for item in items):
                raise _bad_attribute(
                    f"The message attribute '{name}' with type 'String.Array' must be a JSON "
                    "array of strings, numbers, true, false or null."
                )
        out[name] = {"DataType": data_type, "StringValue": text}
    return out


def parse_published(entry: dict, fifo: bool) -> Published:
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
        try:
            parsed = bounded_loads(message)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict) or not isinstance(parsed.get("default"), str):
            raise invalid("Message Structure - No default entry in JSON message body")
        if not isinstance(parsed.get("sqs", ""), str):
            raise invalid("Message Structure - JSON message body failed to parse")
    published = Published(
        message=message,
        subject=subject,
        structure=structure,
        attributes=parse_attributes(entry.get("MessageAttributes")),
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


def timestamp(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _field(name: str, value: object) -> str:
    return f'  "{name}" : {json.dumps(value, ensure_ascii=False, separators=(",", ":"))}'


def _envelope_parts(published: Published, topic_arn: str, base_url: str, fifo: bool) -> tuple:
    """The fields every subscription's copy shares (computed once per published message)."""
    note: dict = {"Type": "Notification", "MessageId": published.message_id}
    if fifo:
        note["SequenceNumber"] = published.sequence
    note["TopicArn"] = topic_arn
    if published.subject is not None:
        note["Subject"] = published.subject
    note["Message"] = published.body_for_sqs()
    note["Timestamp"] = timestamp(published.timestamp)
    note["SignatureVersion"] = "1"
    digest = hashlib.sha256(
        "\n".join(str(v) for v in note.values()).encode("utf-8", "replace")
    ).digest()
    note["Signature"] = base64.b64encode(digest).decode()
    note["SigningCertURL"] = f"{base_url}/_labkit/sns/signing-cert-not-verifiable.pem"
    head = ",\n".join(_field(name, value) for name, value in note.items())
    tail = ""
    if published.attributes:
        items = ",\n".join(
            f"    {json.dumps(name, ensure_ascii=False)} : "
            + json.dumps(
                {
                    "Type": attr["DataType"],
                    "Value": attr.get("StringValue", attr.get("BinaryValue")),
                },
                ensure_ascii=False,
                separators=(",", ":"),
            )
            for name, attr in published.attributes.items()
        )
        tail = ',\n  "MessageAttributes" : {\n' + items + "\n  }"
    return head, tail


def unsubscribe_url(base_url: str, subscription_arn: str) -> str:
    return f"{base_url}/?Action=Unsubscribe&SubscriptionArn={quote(subscription_arn, safe='')}"


def envelope(
    published: Published, topic_arn: str, unsubscribe: str, base_url: str, fifo: bool
) -> str:
    """The notification a non-raw subscription's queue receives, laid out as AWS lays it out
    (two-space indent, `` : `` between name and value)."""
    if published.parts is None:
        published.parts = _envelope_parts(published, topic_arn, base_url, fifo)
    head, tail = published.parts
    return "{\n" + head + ",\n" + _field("UnsubscribeURL", unsubscribe) + tail + "\n}"


def raw_attributes(published: Published) -> dict[str, dict]:
    """The message attributes as SQS's SendMessage takes them (raw delivery)."""
    return {name: dict(attr) for name, attr in published.attributes.items()}
