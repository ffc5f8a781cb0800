"""The API's OpenAPI 3.1 document, served at ``GET /api/v1/openapi.json``.

The request bodies' schemas are generated from `labkit.taskoverflow.bodies`, the definitions
the views check bodies with, so the document and the API cannot disagree on what a body may
hold; the paths and answers are written here (SPEC sections 2 and 3), so tools (Swagger UI,
schemathesis, the reliability tests' request generator) can read what the API answers.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from labkit.taskoverflow.bodies import BODIES
from labkit.taskoverflow.models import DESCRIPTION_MAX, TITLE_MAX
from labkit.taskoverflow.settings import MAX_BODY_BYTES

OPENAPI_VERSION = "3.1.0"
JOB_STATES = ["PENDING", "STARTED", "RETRY", "SUCCESS", "FAILURE", "REVOKED"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


# Answers any operation may give: bad input, too large a body, a service that is down.
COMMON_ERRORS = {
    "413": {"$ref": "#/components/responses/TooLarge"},
    "503": {"$ref": "#/components/responses/Unavailable"},
}


NAIVE_DATETIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?$"


def _schemas() -> dict[str, Any]:
    description = {"type": ["string", "null"], "maxLength": DESCRIPTION_MAX}
    # SPEC section 2 (the course's contract): datetimes are ISO 8601 WITHOUT a zone, in UTC.
    # JSON Schema's "date-time" format is RFC 3339, which requires an offset, so the answers
    # are described by a pattern instead of that format.
    stamp = {
        "type": "string",
        "pattern": NAIVE_DATETIME_PATTERN,
        "description": "ISO 8601 without zone, UTC (e.g. 2023-02-27T00:00:00)",
        "examples": ["2023-02-27T00:00:00"],
    }
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string"}},
            "additionalProperties": True,
        },
        "Health": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"type": "string", "const": "ok"}},
        },
        # The request bodies: generated from the definitions the API checks bodies with.
        **{body.name: body.schema() for body in BODIES},
        "Todo": {
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
                "description": description,
                "completed": {"type": "boolean"},
                "deadline_at": {**stamp, "type": ["string", "null"]},
                "created_at": stamp,
                "updated_at": stamp,
            },
        },
        "CalendarJob": {
            "type": "object",
            "required": ["task_id", "task_url"],
            "properties": {
                "task_id": {"type": "string"},
                "task_url": {"type": "string", "format": "uri"},
            },
        },
        "CalendarStatus": {
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
    }


def _todo_id() -> dict[str, Any]:
    return {
        "name": "todo_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }


def _task_id() -> dict[str, Any]:
    return {
        "name": "task_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "minLength": 1},
    }


def _body(name: str, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": _ref(name)}}}


def _paths() -> dict[str, Any]:
    todo = _json(_ref("Todo"), "the todo")
    not_found = _error("no todo with this id")
    bad = _error("invalid body or query: the message names the field")
    unsupported = _error("the body is not sent as application/json")
    calendar_status = _json(_ref("CalendarStatus"), "the job's Celery state")
    job_not_found = _error("this API never issued the job id")
    return {
        "/health": {
            "get": {
                "operationId": "health",
                "summary": "Liveness (the load balancer's health check)",
                "responses": {"200": _json(_ref("Health"), "the API answers")},
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1 document")},
            }
        },
        "/todos": {
            "get": {
                "operationId": "listTodos",
                "summary": "Todos in insertion (id) order",
                "parameters": [
                    {
                        "name": "completed",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["true", "false"]},
                    },
                    {
                        "name": "window",
                        "in": "query",
                        "description": "days from now the deadline falls within; todos "
                        "without a deadline are in no window",
                        "schema": {"type": "integer", "minimum": 0, "maximum": 36500},
                    },
                ],
                "responses": {
                    "200": _json({"type": "array", "items": _ref("Todo")}, "the todos"),
                    "400": bad,
                    **COMMON_ERRORS,
                },
            },
            "post": {
                "operationId": "createTodo",
                "summary": "Create a todo",
                "requestBody": _body("TodoCreate"),
                "responses": {
                    "201": _json(_ref("Todo"), "the new todo"),
                    "400": bad,
                    "415": unsupported,
                    **COMMON_ERRORS,
                },
            },
        },
        "/todos/{todo_id}": {
            "parameters": [_todo_id()],
            "get": {
                "operationId": "getTodo",
                "responses": {"200": todo, "404": not_found, **COMMON_ERRORS},
            },
            "put": {
                "operationId": "updateTodo",
                "summary": "Change some of the four fields",
                "requestBody": _body("TodoUpdate"),
                "responses": {
                    "200": todo,
                    "400": bad,
                    "404": not_found,
                    "415": unsupported,
                    **COMMON_ERRORS,
                },
            },
            "delete": {
                "operationId": "deleteTodo",
                "summary": "Delete; an unknown id answers {} (as the course API)",
                "responses": {
                    "200": _json(
                        {"oneOf": [_ref("Todo"), {"type": "object", "maxProperties": 0}]},
                        "the deleted todo, or {}",
                    ),
                    "404": _error("the id is not a whole number"),
                    **COMMON_ERRORS,
                },
            },
        },
        "/todos/ical": {
            "post": {
                "operationId": "startCalendar",
                "summary": "Queue a calendar job for every todo (the body is optional)",
                "requestBody": _body("CalendarOptions", required=False),
                "responses": {
                    "202": _json(_ref("CalendarJob"), "queued"),
                    "400": bad,
                    "415": unsupported,
                    **COMMON_ERRORS,
                },
            }
        },
        "/todos/ical/{task_id}/status": {
            "parameters": [_task_id()],
            "get": {
                "operationId": "calendarStatus",
                "responses": {"200": calendar_status, "404": job_not_found, **COMMON_ERRORS},
            },
        },
        "/todos/ical/{task_id}/result": {
            "parameters": [_task_id()],
            "get": {
                "operationId": "calendarResult",
                "responses": {
                    "200": {
                        "description": "the calendar (RFC 5545)",
                        "content": {"text/calendar": {"schema": {"type": "string"}}},
                    },
                    "404": _error("unknown job, or not finished yet"),
                    "409": _error("the job failed; `reason` says why"),
                    **COMMON_ERRORS,
                },
            },
        },
    }


def document(server_url: str = "/api/v1") -> dict[str, Any]:
    """The OpenAPI document, with ``server_url`` as its one server."""
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "TaskOverflow",
            "version": "1.0.0",
            "description": "The course's todo API with its calendar worker (queue-lab). Every "
            "error is JSON with an `error` key.",
        },
        "servers": [{"url": server_url}],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "responses": {
                "TooLarge": _error(f"the body is larger than {MAX_BODY_BYTES} bytes"),
                "Unavailable": _error(
                    "a service the API needs (database, broker, result backend) does not "
                    "answer; the message names it and how to start it"
                ),
            },
        },
    }


def openapi_json():  # noqa: ANN201 - a Flask response
    """The view behind ``GET /api/v1/openapi.json``: the document, its server this API."""
    return jsonify(document(request.url_root.rstrip("/") + "/api/v1"))
