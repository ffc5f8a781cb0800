"""What the API answers, described once: the JSON objects it returns (SPEC sections 2 and 3) and
the answers many operations share. The views' descriptions in `labkit.taskoverflow.api` name
them; `labkit.taskoverflow.openapi` publishes them.
"""

from __future__ import annotations

from labkit.taskoverflow.models import DESCRIPTION_MAX, TITLE_MAX
from labkit.taskoverflow.routes import Answer, Schema
from labkit.taskoverflow.settings import MAX_BODY_BYTES

JOB_STATES = ["PENDING", "STARTED", "RETRY", "SUCCESS", "FAILURE", "REVOKED"]
NAIVE_DATETIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?$"

# SPEC section 2 (the course's contract): datetimes are ISO 8601 WITHOUT a zone, in UTC. JSON
# Schema's "date-time" format is RFC 3339, which requires an offset, so the answers are
# described by a pattern instead of that format.
_STAMP = {
    "type": "string",
    "pattern": NAIVE_DATETIME_PATTERN,
    "description": "ISO 8601 without zone, UTC (e.g. 2023-02-27T00:00:00)",
    "examples": ["2023-02-27T00:00:00"],
}

ERROR = Schema(
    "Error",
    {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}},
        "additionalProperties": True,
    },
)
HEALTH = Schema(
    "Health",
    {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string", "const": "ok"}},
    },
)
TODO = Schema(
    "Todo",
    {
        "type": "object",
        "required": [
            "id",
            "title",
            "description",
            "completed",
            "deadline_at",
            "created_at",
            "updated_at",
        ],
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "title": {"type": "string", "maxLength": TITLE_MAX},
            "description": {"type": ["string", "null"], "maxLength": DESCRIPTION_MAX},
            "completed": {"type": "boolean"},
            "deadline_at": {**_STAMP, "type": ["string", "null"]},
            "created_at": _STAMP,
            "updated_at": _STAMP,
        },
    },
)
CALENDAR_JOB = Schema(
    "CalendarJob",
    {
        "type": "object",
        "required": ["task_id", "task_url"],
        "properties": {
            "task_id": {"type": "string"},
            "task_url": {"type": "string", "format": "uri"},
        },
    },
)
CALENDAR_STATUS = Schema(
    "CalendarStatus",
    {
        "type": "object",
        "required": ["task_id", "task_status", "result_url"],
        "properties": {
            "task_id": {"type": "string"},
            "task_status": {"type": "string", "enum": JOB_STATES},
            "result_url": {"type": "string", "format": "uri"},
            "progress": {"type": "number", "minimum": 0, "maximum": 1},
            "error": {"type": "string", "description": "the reason, when FAILURE"},
        },
    },
)


def error(status: int, description: str, name: str = "") -> Answer:
    """An error answer: a JSON object with an ``error`` string (every error is one)."""
    return Answer(status, description, ERROR, name=name)


BAD_INPUT = error(400, "invalid body or query: the message names the field")
UNSUPPORTED = error(415, "the body is not sent as application/json")
TOO_LARGE = error(413, f"the body is larger than {MAX_BODY_BYTES} bytes", name="TooLarge")
UNAVAILABLE = error(
    503,
    "a service the API needs (database, broker, result backend) does not answer; the message "
    "names it and how to start it",
    name="Unavailable",
)
REFUSED = error(
    403,
    "the Host header is not one the lab serves, or a page of another site tried to write "
    "(labkit.web_guard); LABKIT_ALLOWED_HOSTS adds a host",
    name="Refused",
)
#: What every route may answer: the guard runs before any view.
GUARD_ANSWERS = (REFUSED,)
#: What reading a JSON body may answer (`routes.json_object`), and reading the query.
BODY_ANSWERS = (BAD_INPUT, TOO_LARGE, UNSUPPORTED)
QUERY_ANSWERS = (BAD_INPUT,)
