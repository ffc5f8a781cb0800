"""The API's request bodies, each defined once: the rule that checks a body is the schema the
OpenAPI document publishes (`labkit.taskoverflow.openapi` reads `Body.schema()`).

A `Body` lists its fields; a `Field` holds its JSON Schema and the error SPEC section 2 gives
when a value breaks it (`title must be a string`, `missing title`, `extra fields` ...). The
checks run in the order the API always used: unknown fields, NUL characters, a missing
required field, then each field's type, emptiness, length and conversion.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from labkit.taskoverflow.dates import parse_datetime
from labkit.taskoverflow.errors import ApiError
from labkit.taskoverflow.models import DESCRIPTION_MAX, TITLE_MAX
from labkit.taskoverflow.settings import MAX_DELAY_SECONDS

#: No NUL anywhere (PostgreSQL refuses NUL in text), as a JSON Schema pattern.
NO_NUL = "^[^\\u0000]*$"
#: No NUL, and at least one character that is not white space.
NOT_BLANK = "^[^\\u0000]*[^\\u0000\\s][^\\u0000]*$"

_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}


@dataclass(frozen=True)
class Field:
    """One field of a body: its JSON Schema, the error for a value of the wrong type, and how
    a valid value becomes the column value (``convert`` raises ValueError with the reason)."""

    name: str
    schema: dict[str, Any]
    type_error: str
    convert: Callable[[Any], Any] | None = None
    range_error: str | None = None

    def check(self, value: Any) -> Any:
        types = (
            self.schema["type"] if isinstance(self.schema["type"], list) else [self.schema["type"]]
        )
        if not any(_TYPES[kind](value) for kind in types):
            raise ApiError(400, self.type_error, field=self.name)
        if isinstance(value, str):
            if "minLength" in self.schema and not value.strip():
                raise ApiError(400, f"{self.name} must not be empty", field=self.name)
            limit = self.schema.get("maxLength")
            if limit is not None and len(value) > limit:
                raise ApiError(
                    400, f"{self.name} must be at most {limit} characters", field=self.name
                )
        if isinstance(value, int | float) and not isinstance(value, bool):
            low, high = self.schema.get("minimum"), self.schema.get("maximum")
            if (low is not None and value < low) or (high is not None and value > high):
                raise ApiError(400, self.range_error or self.type_error, field=self.name)
        if self.convert is None or value is None:
            return value
        try:
            return self.convert(value)
        except ValueError as exc:
            raise ApiError(400, f"{self.name}: {exc}", field=self.name) from None


@dataclass(frozen=True)
class Body:
    """A JSON object body: its fields, which are required, and whether others are refused."""

    name: str
    fields: tuple[Field, ...]
    required: tuple[str, ...] = ()
    description: str = ""
    refuse_nul: bool = True  # a string value with NUL is refused before anything else

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def schema(self) -> dict[str, Any]:
        """The body's JSON Schema (OpenAPI 3.1), generated from the same fields `values` checks."""
        out: dict[str, Any] = {
            "type": "object",
            "properties": {f.name: dict(f.schema) for f in self.fields},
            "additionalProperties": False,
        }
        if self.required:
            out["required"] = list(self.required)
        if self.description:
            out["description"] = self.description
        return out

    def values(self, payload: dict, allow: Iterable[str] = ()) -> dict[str, Any]:
        """The checked values of ``payload`` (only the fields it has); ApiError (400) with
        SPEC's words for the first rule it breaks. ``allow``: other names let through
        unchecked (and left out of the values)."""
        extra = sorted(set(payload) - set(self.names) - set(allow))
        if extra:
            raise ApiError(400, "extra fields", fields=extra)
        for name, value in payload.items() if self.refuse_nul else ():
            if isinstance(value, str) and "\x00" in value:
                raise ApiError(400, f"{name} must not contain NUL characters", field=name)
        for name in self.required:
            if name not in payload:
                raise ApiError(400, f"missing {name}", field=name)
        return {f.name: f.check(payload[f.name]) for f in self.fields if f.name in payload}


TITLE = Field(
    "title",
    {"type": "string", "minLength": 1, "maxLength": TITLE_MAX, "pattern": NOT_BLANK},
    "title must be a string",
)
DESCRIPTION = Field(
    "description",
    {"type": ["string", "null"], "maxLength": DESCRIPTION_MAX, "pattern": NO_NUL},
    "description must be a string or null",
)
COMPLETED = Field("completed", {"type": "boolean"}, "completed must be true or false")
DEADLINE = Field(
    "deadline_at",
    {
        "type": ["string", "null"],
        "pattern": NO_NUL,
        "description": "ISO 8601 date-time; 'T' or a space, optional fraction and offset "
        "(e.g. 2025-04-09T14:00:00 or the course UI's 2025-04-09 14:00:00.000)",
        "examples": ["2025-04-09T14:00:00"],
    },
    "deadline_at: expected a string",
    convert=parse_datetime,
)

TODO_CREATE = Body("TodoCreate", (TITLE, DESCRIPTION, COMPLETED, DEADLINE), required=("title",))
TODO_UPDATE = Body("TodoUpdate", (TITLE, DESCRIPTION, COMPLETED, DEADLINE))
CALENDAR_OPTIONS = Body(
    "CalendarOptions",
    (
        Field(
            "delay_seconds",
            {
                "type": "number",
                "minimum": 0,
                "maximum": MAX_DELAY_SECONDS,
                "description": "seconds the worker spends on this job (stands for slow work); "
                "default: the worker's ICAL_DELAY_SECONDS",
            },
            f"delay_seconds must be a number from 0 to {MAX_DELAY_SECONDS:g}",
            convert=float,
        ),
    ),
    refuse_nul=False,
)

BODIES = (TODO_CREATE, TODO_UPDATE, CALENDAR_OPTIONS)
