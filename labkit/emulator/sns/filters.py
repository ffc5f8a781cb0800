"""Subscription filter policies: checked when set, matched against each published message.

A policy maps property names to a list of conditions; a message passes when every named
property has a value that meets at least one of its conditions (``$or`` lists alternatives).
With the scope ``MessageAttributes`` (the default) the properties are the message attributes;
with ``MessageBody`` they are the keys of the JSON body, nested objects nesting the policy.
Conditions, as AWS documents them: an exact string, number, true, false or null; ``prefix``,
``suffix``, ``equals-ignore-case``, ``anything-but`` (a value, a list, or a prefix/suffix),
``numeric`` (``=``, or one or two of ``< <= > >=`` for a range), ``exists`` and ``cidr``.
"""

from __future__ import annotations

import ipaddress
import json
import math
from typing import Any

from labkit.emulator.sns.errors import Detail
from labkit.web_guard import bounded_loads

MAX_KEYS = 5
MAX_COMBINATIONS = 150
MAX_POLICY_BYTES = 256 * 1024  # AWS: "The maximum size of a filter policy is 256 KB."
NUMERIC_LIMIT = 1e9
SCOPES = ("MessageAttributes", "MessageBody")
_ABSENT = object()
_OPERATORS = {
    "prefix",
    "suffix",
    "equals-ignore-case",
    "anything-but",
    "numeric",
    "exists",
    "cidr",
}
_LOWER, _UPPER = (">", ">="), ("<", "<=")


def _bad(reason: str) -> Detail:
    return Detail(f"FilterPolicy: {reason}")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shown(value: object) -> str:
    """A JSON value as AWS's messages quote it (``30``, ``test``)."""
    return value if isinstance(value, str) else json.dumps(value)


def parse_policy(text: str, scope: str = "MessageAttributes") -> dict | None:
    """The policy as a dict (None for an empty one), or `Detail` saying what is wrong in AWS's
    words (the location suffix AWS's JSON parser appends is left out)."""
    if text is None or text.strip() in ("", "{}"):
        return None
    if len(text.encode("utf-8", "surrogatepass")) > MAX_POLICY_BYTES:
        raise _bad(f"Filter policy is larger than {MAX_POLICY_BYTES} bytes (256 KB)")
    try:
        policy = bounded_loads(text)
    except (ValueError, RecursionError) as exc:
        raise _bad(f"failed to parse JSON. {exc}") from None
    if not isinstance(policy, dict):
        raise _bad("Filter policy must be a JSON object")
    keys: set[tuple] = set()
    combinations = _check_node(policy, (), keys)
    if scope != "MessageBody" and any(len(key) > 1 for key in keys):
        raise Detail(f"Filter policy scope {scope} does not support nested filter policy")
    if len(keys) > MAX_KEYS:
        raise _bad(f"Filter policy can not have more than {MAX_KEYS} keys")
    if combinations > MAX_COMBINATIONS:
        raise _bad("Filter policy is too complex")
    _index_anything_but(policy)
    return policy


class _Literals(list):
    """An ``anything-but`` list whose members are also kept in sets, so a message value is
    checked with one lookup instead of a scan (4,000 values against a 4,000-item String.Array
    took 6 s a Publish)."""

    def __init__(self, items: list) -> None:
        super().__init__(items)
        self.strings = frozenset(item for item in items if isinstance(item, str))
        self.numbers = frozenset(float(item) for item in items if _is_number(item))
        self.others = [item for item in items if isinstance(item, bool) or item is None]

    def holds(self, value: object) -> bool:
        if isinstance(value, str):
            return value in self.strings
        if _is_number(value):
            return float(value) in self.numbers
        return any(_same(item, value) for item in self.others)


def _index_anything_but(node: dict) -> None:
    """Replace each ``anything-but`` list of a checked policy by its indexed form."""
    for key, rule in node.items():
        if key == "$or":
            for branch in rule:
                _index_anything_but(branch)
        elif isinstance(rule, dict):
            _index_anything_but(rule)
        else:
            for condition in rule:
                if isinstance(condition, dict) and isinstance(condition.get("anything-but"), list):
                    condition["anything-but"] = _Literals(condition["anything-but"])


def _check_node(node: dict, path: tuple, keys: set) -> int:
    """Validate one level of the policy; returns how many combinations it allows."""
    if not node:
        raise _bad("Empty objects are not allowed")
    total = 1
    for key, value in node.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise _bad("$or must be an array of at least two objects")
            branches = 0
            for branch in value:
                if not isinstance(branch, dict):
                    raise _bad("$or must be an array of at least two objects")
                branches += _check_node(branch, path, keys)
            total *= branches
        elif isinstance(value, dict):
            total *= _check_node(value, path + (key,), keys)
        elif isinstance(value, list):
            if not value:
                raise _bad("Empty arrays are not allowed")
            for condition in value:
                _check_condition(condition)
            keys.add(path + (key,))
            total *= len(value)
        else:
            raise _bad(f'"{key}" must be an object or an array')
    return total


def _check_condition(condition: object) -> None:
    if condition is None or isinstance(condition, str | bool) or _is_number(condition):
        if _is_number(condition) and not math.isfinite(condition):
            raise _bad("Match value must be String, number, true, false, or null")
        return
    if not isinstance(condition, dict):
        raise _bad("Match value must be String, number, true, false, or null")
    if len(condition) != 1:
        raise _bad("Only one key allowed in match expression")
    ((operator, operand),) = condition.items()
    if operator not in _OPERATORS:
        raise _bad(f"Unrecognized match type {operator}")
    if operator in ("prefix", "suffix", "equals-ignore-case"):
        if not isinstance(operand, str):
            raise _bad(f"{operator} match pattern must be a string")
    elif operator == "exists":
        if not isinstance(operand, bool):
            raise _bad("exists match pattern must be either true or false.")
    elif operator == "cidr":
        try:
            ipaddress.ip_network(operand, strict=False)
        except (TypeError, ValueError):
            raise _bad(f"Malformed CIDR, one '/' required: {operand}") from None
    elif operator == "numeric":
        _check_numeric(operand)
    else:
        _check_anything_but(operand)


def _numeric_value(op: str, values: list, index: int) -> None:
    if index >= len(values) or not _is_number(values[index]):
        raise _bad(f"Value of {'equals' if op == '=' else op} must be numeric")
    if not -NUMERIC_LIMIT <= values[index] <= NUMERIC_LIMIT:
        raise _bad(f"Value of {op} must be between -1.0E9 and 1.0E9 inclusive")


def _check_numeric(operand: object) -> None:
    """AWS reads ``[op, value(, op, value)]`` left to right and names the first bad member."""
    if not isinstance(operand, list):
        raise _bad("Value of numeric must be an array.")
    if not operand:
        raise _bad("Invalid member in numeric match: ]")
    first = operand[0]
    if not isinstance(first, str):
        raise _bad(f"Invalid member in numeric match: {_shown(first)}")
    if first not in ("=", *_LOWER, *_UPPER):
        raise _bad(f"Unrecognized numeric range operator: {first}")
    _numeric_value(first, operand, 1)
    if first not in _LOWER:  # "=" or an upper bound first: nothing may follow
        if len(operand) > 2:
            raise _bad("Too many elements in numeric expression")
        return
    if len(operand) == 2:
        return
    second = operand[2]
    if not isinstance(second, str):
        raise _bad(f"Bad value in numeric range: {_shown(second)}")
    if second not in _UPPER:
        raise _bad(f"Bad numeric range operator: {second}")
    _numeric_value(second, operand, 3)
    if len(operand) > 4:
        raise _bad("Too many terms in numeric range expression")
    if operand[1] >= operand[3]:
        raise _bad("Bottom must be less than top")


def _check_anything_but(operand: object) -> None:
    if isinstance(operand, str) or _is_number(operand):
        return
    if isinstance(operand, list) and operand:
        if all(isinstance(item, str) for item in operand) or all(
            _is_number(item) for item in operand
        ):
            return
        raise _bad("Inside anything but list, all values must be of the same type")
    if isinstance(operand, dict) and len(operand) == 1:
        ((inner, value),) = operand.items()
        if inner not in ("prefix", "equals-ignore-case"):
            raise _bad(f"Unsupported anything-but pattern: {inner}")
        if not isinstance(value, str):
            raise _bad(f"{inner} match pattern must be a string")
        return
    raise _bad("Value of anything-but must be an array or single string/number value.")


# --- matching -------------------------------------------------------------------------------
def attribute_values(attributes: dict[str, dict]) -> dict[str, Any]:
    """What a policy sees of the message attributes: strings, numbers, array elements.
    Binary attributes are invisible to filter policies."""
    out: dict[str, Any] = {}
    for name, attr in attributes.items():
        data_type = attr.get("DataType", "")
        value = attr.get("StringValue")
        if value is None or data_type.startswith("Binary"):
            continue
        if data_type.startswith("Number"):
            try:
                out[name] = float(value)
            except ValueError:
                continue
        elif data_type == "String.Array":
            try:
                out[name] = bounded_loads(value)
            except ValueError:
                continue
        else:
            out[name] = value
    return out


def matches(policy: dict | None, scope: str, attributes: dict[str, dict], body: str) -> bool:
    """True when the message passes the policy (always, when there is none)."""
    if policy is None:
        return True
    if scope == "MessageBody":
        try:
            data = bounded_loads(body)
        except (ValueError, RecursionError):
            return False
        if not isinstance(data, dict):
            return False
    else:
        data = attribute_values(attributes)
    return _match_node(policy, data)


def _match_node(node: dict, data: object) -> bool:
    for key, rule in node.items():
        if key == "$or":
            if not any(_match_node(branch, data) for branch in rule):
                return False
            continue
        value = data.get(key, _ABSENT) if isinstance(data, dict) else _ABSENT
        if isinstance(rule, dict):
            nested_ok = isinstance(value, dict) and _match_node(rule, value)
            # a nested rule that only asks for absence still matches a missing object
            if not nested_ok and not (value is _ABSENT and _only_absence(rule)):
                return False
            continue
        if not any(_match_condition(condition, value) for condition in rule):
            return False
    return True


def _only_absence(rule: dict) -> bool:
    return all(
        (isinstance(v, dict) and _only_absence(v))
        or (isinstance(v, list) and any(c == {"exists": False} for c in v))
        for k, v in rule.items()
        if k != "$or"
    )


def _candidates(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _same(literal: object, value: object) -> bool:
    if _is_number(literal):
        return _is_number(value) and float(value) == float(literal)
    if isinstance(literal, bool) or literal is None:
        return value is literal
    return isinstance(value, str) and value == literal


def _match_condition(condition: object, value: object) -> bool:
    if not isinstance(condition, dict):
        return value is not _ABSENT and any(_same(condition, v) for v in _candidates(value))
    ((operator, operand),) = condition.items()
    if operator == "exists":
        return (value is not _ABSENT) == operand
    if value is _ABSENT:
        return False
    return any(_match_one(operator, operand, v) for v in _candidates(value))


def _match_one(operator: str, operand: Any, value: object) -> bool:
    if operator == "prefix":
        return isinstance(value, str) and value.startswith(operand)
    if operator == "suffix":
        return isinstance(value, str) and value.endswith(operand)
    if operator == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == operand.lower()
    if operator == "numeric":
        return _is_number(value) and _in_range(operand, float(value))
    if operator == "cidr":
        try:
            return ipaddress.ip_address(value) in ipaddress.ip_network(operand, strict=False)
        except (TypeError, ValueError):
            return False
    # anything-but
    if isinstance(operand, dict):
        ((inner, pattern),) = operand.items()
        return not (isinstance(value, str) and _match_one(inner, pattern, value))
    if isinstance(operand, _Literals):
        return not operand.holds(value)
    return not any(_same(item, value) for item in _candidates(operand))


def _in_range(operand: list, value: float) -> bool:
    for op, bound in zip(operand[0::2], operand[1::2], strict=True):
        bound = float(bound)
        ok = {
            "=": value == bound,
            "<": value < bound,
            "<=": value <= bound,
            ">": value > bound,
            ">=": value >= bound,
        }[op]
        if not ok:
            return False
    return True
