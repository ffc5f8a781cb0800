"""The course's message format, written once: body ``"{prepend}Message {i}"`` and a String
message attribute ``client`` naming the sender.

The handout's queue tool sends it, and everything that sends or reads course messages goes
through here: the `labkit queue` CLI, the lessons' publishers and consumers, the experiment's
"is this ours?" test and the exercise checks. A body's number is read by one pattern, so the
CLI's record file and a lesson's DataFrame agree on which bodies carry one.
"""

from __future__ import annotations

import re
from typing import Any

#: The message attribute that names the sender (e.g. "Client 1", "A").
CLIENT_ATTRIBUTE = "client"
#: What a message without the attribute is reported as.
UNKNOWN_CLIENT = "unknown"

_NUMBER = re.compile(r"Message (\d+)\s*$")


def body(prepend: str, number: int) -> str:
    """The body of message ``number``: ``f"{prepend}Message {number}"``."""
    return f"{prepend}Message {number}"


def number(text: str | None) -> int | None:
    """The number at the end of a course body (``"A-Message 7"`` -> 7); None for other bodies."""
    match = _NUMBER.search(text or "")
    return int(match.group(1)) if match else None


def client_attributes(client: str) -> dict[str, dict[str, str]]:
    """The ``MessageAttributes`` argument that names ``client`` as the sender."""
    return {CLIENT_ATTRIBUTE: {"DataType": "String", "StringValue": client}}


def client_of(message: dict[str, Any]) -> str:
    """The sender a received message names (its ``client`` attribute), or "unknown"."""
    attributes = message.get("MessageAttributes", {})
    return attributes.get(CLIENT_ATTRIBUTE, {}).get("StringValue", UNKNOWN_CLIENT)
