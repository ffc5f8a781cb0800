"""The API's OpenAPI 3.1 document, written from the operations' descriptions.

Every path, parameter, body and answer comes from the `Operation` the view was registered with
(`labkit.taskoverflow.routes`): the request bodies' schemas are the definitions the views check
bodies with (`labkit.taskoverflow.bodies`), the answers' schemas are `labkit.taskoverflow.answers`
and the path parameters are read from the Flask rule's converters. Tools (Swagger UI,
schemathesis, the reliability tests' request generator) read what the API answers from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from labkit.taskoverflow.answers import BODY_ANSWERS, GUARD_ANSWERS, QUERY_ANSWERS
from labkit.taskoverflow.routes import Answer, Operation, Schema

OPENAPI_VERSION = "3.1.0"
INFO = {
    "title": "TaskOverflow",
    "version": "1.0.0",
    "description": "The course's todo API with its calendar worker (queue-lab). Every error is "
    "JSON with an `error` key.",
}

#: A Flask rule's variable part: ``<name>`` or ``<converter:name>``.
_VARIABLE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
#: The JSON Schema of the values each of Werkzeug's converters lets through.
_CONVERTED = {
    "default": {"type": "string", "minLength": 1},
    "string": {"type": "string", "minLength": 1},
    "int": {"type": "integer", "minimum": 0},
}


def openapi_path(rule: str) -> str:
    """``/todos/<int:todo_id>`` as OpenAPI writes it: ``/todos/{todo_id}``."""
    return _VARIABLE.sub(r"{\2}", rule)


def _path_parameters(rule: str) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": dict(_CONVERTED[kind or "default"]),
        }
        for kind, name in _VARIABLE.findall(rule)
    ]


class _Writer:
    """Turns descriptions into document parts, collecting the named schemas and answers."""

    def __init__(self) -> None:
        self.schemas: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, dict[str, Any]] = {}

    def schema(self, node: Any) -> Any:
        """``node`` with each `Schema` in it replaced by a reference to it."""
        if isinstance(node, Schema):
            self.schemas[node.name] = node.schema
            return {"$ref": f"#/components/schemas/{node.name}"}
        if isinstance(node, dict):
            return {key: self.schema(value) for key, value in node.items()}
        if isinstance(node, list):
            return [self.schema(value) for value in node]
        return node

    def answer(self, answer: Answer) -> dict[str, Any]:
        out: dict[str, Any] = {"description": answer.description}
        if answer.schema is not None:
            out["content"] = {answer.media_type: {"schema": self.schema(answer.schema)}}
        if not answer.name:
            return out
        self.answers[answer.name] = out
        return {"$ref": f"#/components/responses/{answer.name}"}

    def operation(self, op: Operation) -> dict[str, Any]:
        answers = {a.status: a for a in _answers(op)}
        out: dict[str, Any] = {"operationId": _camel(op.endpoint), "summary": op.summary}
        if op.query:
            out["parameters"] = [
                {"name": q.name, "in": "query", "schema": q.schema}
                | ({"description": q.description} if q.description else {})
                for q in op.query
            ]
        if op.body is not None:
            body = Schema(op.body.name, op.body.schema())
            out["requestBody"] = {
                "required": op.body_required,
                "content": {"application/json": {"schema": self.schema(body)}},
            }
        out["responses"] = {str(code): self.answer(answers[code]) for code in sorted(answers)}
        return out


def _answers(op: Operation) -> list[Answer]:
    """The operation's answers, those reading its body or query may give, and the guard's
    refusal (an answer it names itself comes first, so its own description wins)."""
    implied = (
        (BODY_ANSWERS if op.body is not None else ())
        + (QUERY_ANSWERS if op.query else ())
        + GUARD_ANSWERS
    )
    named = {a.status for a in op.answers}
    return [*op.answers, *(a for a in implied if a.status not in named)]


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def document(operations: Iterable[Operation], server_url: str = "/api/v1") -> dict[str, Any]:
    """The OpenAPI document of ``operations``, with ``server_url`` as its one server."""
    writer = _Writer()
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        item = paths.setdefault(openapi_path(op.rule), {})
        if parameters := _path_parameters(op.rule):
            item["parameters"] = parameters
        item[op.method.lower()] = writer.operation(op)
    return {
        "openapi": OPENAPI_VERSION,
        "info": INFO,
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {"schemas": writer.schemas, "responses": writer.answers},
    }
