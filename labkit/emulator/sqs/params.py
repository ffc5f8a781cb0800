"""Request parameters read strictly: the types and ASCII digits AWS accepts, or a 400.

botocore sends integers as JSON numbers; a string of ASCII digits is accepted too (older
clients send numbers as strings). Anything else — floats, booleans, ``"²"`` (which Python's
``str.isdigit`` would let through to ``int()``) — is AWS's InvalidParameterValue, never a 500.
"""

from __future__ import annotations

import re

from labkit.emulator.sqs.errors import invalid, invalid_value, missing

_DIGITS = re.compile(r"^[+-]?[0-9]{1,20}$")


def get_int(params: dict, name: str) -> int | None:
    """An integer parameter, or None when absent; a value that is not one is a 400."""
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, str) and _DIGITS.match(value):
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_value(name, value, f"{name} must be an integer.")
    return value


def get_str(params: dict, name: str, required: bool = True) -> str | None:
    value = params.get(name)
    if value is None:
        if required:
            raise missing(name)
        return None
    if not isinstance(value, str):
        raise invalid_value(name, value, f"{name} must be a string.")
    return value


def get_list(params: dict, name: str) -> list[str]:
    """A list-of-strings parameter (attribute names, tag keys); absent is empty."""
    value = params.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid_value(name, value, f"{name} must be a list of strings.")
    return value


def get_map(params: dict, name: str) -> dict[str, str] | None:
    """A string-to-string map parameter (tags); absent is None."""
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise invalid(f"The parameter {name} must be a map of strings to strings.")
    return value


def int_in(params: dict, name: str, low: int, high: int, reason: str) -> int | None:
    """The integer parameter ``name`` (None when absent), refused with AWS's ``reason`` when it
    lies outside ``low``..``high``."""
    value = get_int(params, name)
    if value is not None and not low <= value <= high:
        raise invalid_value(name, value, reason)
    return value
