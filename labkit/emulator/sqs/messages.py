"""One stored message, and the checks AWS applies to a message before accepting it."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from labkit.emulator.sqs.errors import SQSError, invalid, invalid_value

# Characters SQS allows in a body or string attribute (XML 1.0 character range).
_BAD_CHARS = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTR_NAME = re.compile(r"^[A-Za-z0-9_\-.]{1,256}$")
_DATA_TYPE = re.compile(r"^(String|Number|Binary)(\.\S+)?$")
_GROUP_ID = re.compile(r"^[!-~]{1,128}$")  # printable ASCII, AWS's rule for group/dedup ids
_NUMBER = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")
MAX_ATTRIBUTES = 10

VISIBLE, INFLIGHT, DELAYED = "visible", "inflight", "delayed"


@dataclass(eq=False)
class Message:
    """A message as one queue holds it; ``key`` is internal (a duplicate copy shares the id)."""

    key: int
    message_id: str
    body: str
    attributes: dict[str, dict]
    md5_body: str
    md5_attributes: str | None
    sent_at: float
    expires_at: float
    sender_id: str
    system_attributes: dict[str, dict] = field(default_factory=dict)
    group_id: str | None = None
    dedup_id: str | None = None
    sequence_number: str | None = None
    dead_letter_source: str | None = None
    state: str = VISIBLE
    visible_at: float = 0.0
    version: int = 0
    receive_count: int = 0
    first_receive_at: float | None = None
    received_at: float = 0.0  # the latest receive (a visibility timeout counts from it)
    shard: int = 0

    def size(self) -> int:
        return len(self.body.encode("utf-8")) + attributes_size(self.attributes)


INVALID_CHARACTERS = (
    "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF "
    "| #xE000 to #xFFFD | #x10000 to #x10FFFF"
)


def has_bad_characters(value: str) -> bool:
    """True if ``value`` holds a character SQS refuses (control characters, lone surrogates)."""
    return bool(_BAD_CHARS.search(value))


def check_text(value: str) -> None:
    """A message body: AWS answers InvalidMessageContents for a character outside XML 1.0."""
    if has_bad_characters(value):
        raise SQSError("InvalidMessageContents", INVALID_CHARACTERS)


def check_size(body: str, attributes: dict[str, dict], limit: int, batch: bool = False) -> None:
    """Body and attributes within the queue's MaximumMessageSize (``limit`` bytes); a batch
    entry's refusal words it as AWS does for batches."""
    size = len(body.encode("utf-8", "surrogatepass")) + attributes_size(attributes)
    if size > limit:
        raise invalid(
            f"One or more parameters {'cannot be validated' if batch else 'are invalid'}. "
            f"Reason: Message must be shorter than {limit} bytes."
        )


def check_system(system: dict[str, dict]) -> None:
    """The only message system attribute a sender may set: AWSTraceHeader, a String."""
    for name, attr in system.items():
        if name != "AWSTraceHeader" or attr["DataType"] != "String":
            raise invalid(f"Message system attribute name '{name}' is invalid.")


def check_ids(group_id: str | None, dedup_id: str | None) -> None:
    """MessageGroupId and MessageDeduplicationId: 1 to 128 printable ASCII characters."""
    for label, value in (("MessageGroupId", group_id), ("MessageDeduplicationId", dedup_id)):
        if value is not None and not _GROUP_ID.match(value):
            raise invalid_value(
                label,
                value,
                f"{label} can only include alphanumeric and punctuation characters. 1 to "
                "128 in length.",
            )


def attributes_size(attributes: dict[str, dict]) -> int:
    total = 0
    for name, attr in attributes.items():
        value = attr.get("BinaryValue")
        if value is None:
            value = attr["StringValue"].encode("utf-8")
        total += len(name.encode("utf-8")) + len(attr["DataType"].encode("utf-8")) + len(value)
    return total


def _check_short(value: object, empty: str, what: str) -> str:
    """``value`` as a non-empty string under 256 bytes (names and data types share the rule)."""
    if not isinstance(value, str) or not value:
        raise invalid(empty)
    if len(value.encode("utf-8", "surrogatepass")) >= 256:
        raise invalid(f"Message (user) attribute {what} must be shorter than 256 Bytes")
    return value


def _check_name(name: object) -> str:
    name = _check_short(name, "Message (user) attribute names must not be empty.", "names")
    if not _ATTR_NAME.match(name):
        raise invalid(
            "Message (user) attributes name can only contain upper and lower score characters, "
            "digits, periods, hyphens and underscores. "
        )
    if (
        name.lower().startswith(("aws.", "amazon."))
        or name.startswith(".")
        or name.endswith(".")
        or ".." in name
    ):
        raise invalid(
            "You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These "
            "strings are reserved for internal use. Additionally, they cannot start or end with "
            "'.'."
        )
    return name


def _check_type(data_type: object) -> str:
    data_type = _check_short(data_type, "Missing required parameter DataType", "types")
    if not _DATA_TYPE.match(data_type) or has_bad_characters(data_type):
        raise invalid(
            "Type for parameter MessageAttributes.Attribute_name.DataType must be prefixed with "
            f'"String", "Binary", or "Number", but was: {data_type}'
        )
    return data_type


def _empty(name: str, base: str) -> SQSError:
    return invalid(
        f"Message (user) attribute '{name}' must contain a non-empty value of type '{base}'."
    )


def parse_attributes(raw: object) -> dict[str, dict]:
    """Validate message attributes from a request; ``BinaryValue`` comes back decoded."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise invalid_value("MessageAttributes", raw, "MessageAttributes must be a map.")
    if len(raw) > MAX_ATTRIBUTES:
        raise invalid(
            f"Number of message attributes [{len(raw)}] exceeds the allowed maximum [10]."
        )
    out: dict[str, dict] = {}
    for name, attr in raw.items():
        _check_name(name)
        if not isinstance(attr, dict):
            raise invalid_value(f"MessageAttributes.{name}", attr, "must be a map.")
        data_type = _check_type(attr.get("DataType"))
        if attr.get("StringListValues") or attr.get("BinaryListValues"):
            raise invalid("StringListValue and BinaryListValue are not implemented.")
        base = data_type.split(".", 1)[0]
        if base == "Binary":
            value = attr.get("BinaryValue")
            if not isinstance(value, str) or not value:
                raise _empty(name, base)
            try:
                decoded = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise invalid_value(
                    f"MessageAttributes.{name}.BinaryValue", value, "not valid base64."
                ) from None
            out[name] = {"DataType": data_type, "BinaryValue": decoded}
            continue
        value = attr.get("StringValue")
        if not isinstance(value, str) or value == "":
            raise _empty(name, base)
        if has_bad_characters(value):
            raise invalid(INVALID_CHARACTERS)  # AWS: InvalidParameterValue, not ...Contents
        if base == "Number" and not _is_number(value):
            raise invalid(f"Can't cast the value of message (user) attribute '{name}' to a number.")
        out[name] = {"DataType": data_type, "StringValue": value}
    return out


def _is_number(value: str) -> bool:
    """A Number attribute: a decimal of up to 38 significant digits, 10^-128 to 10^+126."""
    if not _NUMBER.match(value):
        return False
    try:
        number = Decimal(value)
    except InvalidOperation:
        return False
    if not number.is_finite():
        return False
    if number.is_zero():
        return True
    # The exponent first: normalize() or a comparison of "1e1000000" overflows the context.
    if not -128 <= number.adjusted() <= 126:
        return False
    digits = "".join(map(str, number.as_tuple().digits)).rstrip("0")
    return len(digits) <= 38 and Decimal("1e-128") <= abs(number) <= Decimal("1e126")


is_number = _is_number  # the same rule for SNS message attributes


def render_attributes(attributes: dict[str, dict]) -> dict[str, dict]:
    """Attributes in wire form (binary values base64-encoded again)."""
    out = {}
    for name, attr in attributes.items():
        if "BinaryValue" in attr:
            out[name] = {
                "DataType": attr["DataType"],
                "BinaryValue": base64.b64encode(attr["BinaryValue"]).decode("ascii"),
            }
        else:
            out[name] = dict(attr)
    return out


def select_attributes(attributes: dict[str, dict], names: list[str]) -> dict[str, dict]:
    """The attributes a ReceiveMessage asked for: names, ``All``/``*``/``.*`` (every one) or
    ``prefix.*`` (``Hel.*`` matches ``Hello`` and ``Help.Me``); unknown names match nothing."""
    if not names or not attributes:
        return {}
    if "All" in names or "*" in names or ".*" in names:
        return attributes
    wanted = {}
    prefixes = [n[:-2] for n in names if n.endswith(".*")]
    for name, attr in attributes.items():
        if name in names or any(name.startswith(p) for p in prefixes):
            wanted[name] = attr
    return wanted
