"""HCL values offline: the errors of evaluation, what a resource value is, the conversions
Terraform applies (string, number, bool) and the functions `expressions.Evaluator` calls.

Kept apart from the parse-tree walk in `expressions`, which applies these to each node.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from labkit.terraform.expressions import Context


class Unresolved(Exception):
    """An expression whose value is not known offline."""

    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f"`{expression}`: {reason}")
        self.expression = expression
        self.reason = reason


class Failed(Unresolved):
    """An expression Terraform itself could not evaluate either (a missing key, a null where a
    value is needed): what `try` and `can` catch."""


class Reference:
    """A value that is a resource (or its instances): attributes and keys are looked up on it."""

    def get(self, key: Any, context: Context) -> Any:
        raise NotImplementedError


def to_string(value: Any, where: str) -> str:
    """A value where Terraform wants a string (an interpolation, an object key)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if value is None or isinstance(value, (dict, list, Reference)):
        raise Failed(where, f"{describe(value)} where Terraform expects a string")
    return str(value)


def describe(value: Any) -> str:
    if isinstance(value, Reference):
        return "a resource"
    return "null" if value is None else f"a {type(value).__name__}"


def as_boolean(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise Failed(where, f"{describe(value)} where Terraform expects a bool")


def as_number(value: Any, where: str) -> int | float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    try:
        return whole(float(value))
    except (TypeError, ValueError):
        raise Failed(where, f"{describe(value)} where Terraform expects a number") from None


def whole(value: int | float) -> int | float:
    return int(value) if isinstance(value, float) and value.is_integer() else value


COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "%": math.fmod,
}


def _tostring(value: Any) -> str:
    return to_string(value, "tostring(...)")


def _merge(*objects: dict) -> dict:
    merged: dict = {}
    for item in objects:
        if not isinstance(item, dict):
            raise TypeError(f"merge() takes objects, not {describe(item)}")
        merged.update(item)
    return merged


def _lookup(collection: dict, key: Any, *default: Any) -> Any:
    return collection[key] if key in collection or not default else default[0]


#: The functions evaluated offline: those the lab's .tf files call whose result is knowable
#: before apply. Any other (`abspath`, `fileset`, `max`, ...) is `Unresolved`.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "jsonencode": lambda value: json.dumps(value, separators=(",", ":")),
    "tostring": _tostring,
    "tonumber": lambda value: as_number(value, "tonumber(...)"),
    "urlencode": lambda value: quote(_tostring(value), safe="-_.~"),
    "length": len,
    "contains": lambda collection, value: value in collection,
    "lookup": _lookup,
    "merge": _merge,
    "concat": lambda *lists: [item for items in lists for item in items],
    "keys": lambda value: sorted(value),
    "values": lambda value: [value[key] for key in sorted(value)],
    "range": lambda *bounds: list(range(*(int(b) for b in bounds))),
    "tolist": list,
    "toset": lambda value: list(dict.fromkeys(value)),
    "tomap": dict,
}
