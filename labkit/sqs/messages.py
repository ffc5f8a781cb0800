"""One stored message, and the checks AWS applies to a message before accepting it."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from labkit.sqs.errors import SQSError, invalid

# Characters SQS allows in a body or string attribute (XML 1.0 character range).
_BAD_CHARS = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTR_NAME = re.compile(r"^[A-Za-z0-9_\-.]{1,256}$")
_DATA_TYPE = re.compile(r"^(String|Number|Binary)(\.[^\s]{1,250})?$")
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
    shard: int = 0

    def size(self) -> int:
        return len(self.body.encode("utf-8")) + attributes_size(self.attributes)


def check_text(value: str, what: str) -> None:
    if _BAD_CHARS.search(value):
        raise SQSError(
            "InvalidMessageContents",
            f"Invalid characters found in {what}. Allowed: #x9 | #xA | #xD | #x20 to #xD7FF | "
            "#xE000 to #xFFFD | #x10000 to #x10FFFF.",
        )


def attributes_size(attributes: dict[str, dict]) -> int:
    total = 0
    for name, attr in attributes.items():
        value = attr.get("BinaryValue")
        if value is None:
            value = attr["StringValue"].encode("utf-8")
        total += len(name.encode("utf-8")) + len(attr["DataType"].encode("utf-8")) + len(value)
    return total


def parse_attributes(raw: object, what: str = "MessageAttributes") -> dict[str, dict]:
    """Validate message attributes from a request; ``BinaryValue`` comes back decoded."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise invalid(f"{what} must be a map of attribute name to value.")
    if len(raw) > MAX_ATTRIBUTES:
        raise invalid(
            f"Number of message attributes [{len(raw)}] exceeds the allowed maximum [10]."
        )
    out: dict[str, dict] = {}
    for name, attr in raw.items():
        lowered = name.lower()
        if (
            not _ATTR_NAME.match(name)
            or name.startswith(".")
            or name.endswith(".")
            or ".." in name
            or lowered.startswith(("aws.", "amazon."))
        ):
            raise invalid(
                f"Message attribute name '{name}' is invalid: use up to 256 letters, digits, "
                "'_', '-' or '.', not starting with 'AWS.' or 'Amazon.'."
            )
        if not isinstance(attr, dict):
            raise invalid(f"The message attribute '{name}' must be an object.")
        data_type = attr.get("DataType")
        if not isinstance(data_type, str) or not data_type:
            raise invalid(f"The message attribute '{name}' must contain a non-empty DataType.")
        if not _DATA_TYPE.match(data_type) or len(data_type) > 256:
            raise invalid(
                f"The type of message attribute '{name}' is invalid: use String, Number or "
                "Binary, optionally followed by '.' and a custom label."
            )
        if attr.get("StringListValues") or attr.get("BinaryListValues"):
            raise invalid("StringListValues and BinaryListValues are not implemented by SQS.")
        base = data_type.split(".", 1)[0]
        if base == "Binary":
            value = attr.get("BinaryValue")
            if not isinstance(value, str) or not value:
                raise invalid(
                    f"The message attribute '{name}' with type 'Binary' must use field 'Binary'."
                )
            try:
                decoded = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise invalid(
                    f"The binary value of message attribute '{name}' is not valid base64."
                ) from None
            out[name] = {"DataType": data_type, "BinaryValue": decoded}
            continue
        value = attr.get("StringValue")
        if not isinstance(value, str) or value == "":
            raise invalid(
                f"The message attribute '{name}' with type '{base}' must use field 'String'."
            )
        check_text(value, f"message attribute '{name}'")
        if base == "Number":
            try:
                number = Decimal(value)
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite():
                raise invalid(f"Can't cast the value of message attribute '{name}' to a number.")
        out[name] = {"DataType": data_type, "StringValue": value}
    return out


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
    """The attributes a ReceiveMessage asked for: names, ``All``/``.*`` or ``prefix.*``."""
    if not names or not attributes:
        return {}
    if "All" in names or ".*" in names:
        return attributes
    wanted = {}
    prefixes = [n[:-1] for n in names if n.endswith(".*")]
    for name, attr in attributes.items():
        if name in names or any(name.startswith(p) for p in prefixes):
            wanted[name] = attr
    return wanted
