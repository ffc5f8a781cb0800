"""SQS's error messages in AWS's words, written once: the conformance suite checks the emulator
sends exactly these, and the hint tests check labkit explains these very words."""

from __future__ import annotations

MISSING_GROUP_ID = "The request must contain the parameter MessageGroupId."


def unknown_attribute(name: str) -> str:
    """InvalidAttributeName's message for an attribute the queue type does not have."""
    return f"Unknown Attribute {name}."


def fifo_only(setting: str) -> str:
    """A high-throughput FIFO setting given to a standard queue."""
    return f"You can specify the {setting} only when FifoQueue is set to true."


def fifo_delay(seconds: int) -> str:
    """DelaySeconds on a message to a FIFO queue (only the queue itself can delay)."""
    return (
        f"Value {seconds} for parameter DelaySeconds is invalid. Reason: The request include "
        "parameter that is not valid for this queue type."
    )
