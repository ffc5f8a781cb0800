"""Each API operation described once, beside its view: the description registers the view on the
blueprint, checks the request's body and query with the definitions it names, and is what
`labkit.taskoverflow.openapi` writes the document from. A route cannot be served undocumented,
and a documented body or query parameter is the one the view is given.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, request

from labkit.taskoverflow.bodies import Body
from labkit.taskoverflow.errors import ApiError
from labkit.web_guard import MAX_JSON_DEPTH, json_depth


@dataclass(frozen=True)
class Schema:
    """A named JSON Schema: published once under ``components/schemas``, referred to by name.
    An answer's schema may hold it anywhere (``{"type": "array", "items": TODO}``)."""

    name: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class Answer:
    """One status an operation answers, what it means and what its body holds. ``name``: the
    answer is shared, published once under ``components/responses``."""

    status: int
    description: str
    schema: Schema | dict[str, Any] | None = None
    media_type: str = "application/json"
    name: str = ""


@dataclass(frozen=True)
class Query:
    """A query parameter: its JSON Schema for the document, and how the view's value is read
    from the text (``parse`` raises ValueError for text it refuses; the answer is a 400 with
    ``error``)."""

    name: str
    schema: dict[str, Any]
    parse: Callable[[str], Any]
    error: str
    description: str = ""


@dataclass(frozen=True)
class Operation:
    """One method on one rule (Flask's syntax: ``/todos/<int:todo_id>``)."""

    method: str
    rule: str
    endpoint: str
    summary: str
    answers: tuple[Answer, ...]
    body: Body | None = None
    body_required: bool = True
    query: tuple[Query, ...] = ()


class DescribedBlueprint(Blueprint):
    """A Blueprint whose routes are added with their description (`operation`), kept in
    ``operations`` in the order they were added."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.operations: list[Operation] = []

    def operation(
        self,
        route: str,
        summary: str,
        answers: Iterable[Answer],
        body: Body | None = None,
        body_required: bool = True,
        query: Iterable[Query] = (),
    ) -> Callable[[Callable], Callable]:
        """Register the decorated view for ``route`` (``"GET /todos/<int:todo_id>"``: a method and
        a Flask rule) with its description."""
        method, rule = route.split(" ", 1)

        def register(view: Callable) -> Callable:
            op = Operation(
                method,
                rule,
                view.__name__,
                summary,
                tuple(answers),
                body,
                body_required,
                tuple(query),
            )
            self.add_url_rule(rule, op.endpoint, view, methods=[op.method])
            self.operations.append(op)
            return view

        return register

    def current(self) -> Operation:
        """The description of the operation serving this request."""
        endpoint = (request.endpoint or "").removeprefix(f"{self.name}.")
        return next(op for op in self.operations if op.endpoint == endpoint)

    def query_values(self) -> dict[str, Any]:
        """The request's documented query parameters that it sends, read by their `Query`."""
        values = {}
        for param in self.current().query:
            raw = request.args.get(param.name)
            if raw is None:
                continue
            try:
                values[param.name] = param.parse(raw)
            except ValueError:
                raise ApiError(400, param.error, field=param.name) from None
        return values

    def body_values(self, allow: Iterable[str] = ()) -> dict[str, Any]:
        """The request's body checked by the operation's `Body` (`Body.values`): only the fields
        it sends. ``allow``: other names let through unchecked (and left out)."""
        op = self.current()
        assert op.body is not None, f"{op.endpoint} documents no body"
        return op.body.values(json_object(required=op.body_required), allow=allow)


def json_object(required: bool = True) -> dict:
    """The request body as a JSON object; 400/413/415 errors otherwise (an absent body is {}
    unless ``required``)."""
    raw = request.get_data(cache=True)  # 413 above MAX_CONTENT_LENGTH
    if not raw.strip():
        if required:
            raise ApiError(400, "request body must be a JSON object")
        return {}
    if not request.is_json:
        raise ApiError(415, "unsupported media type: send JSON with Content-Type: application/json")
    if json_depth(raw) > MAX_JSON_DEPTH:  # "[[[[..." was a 500; bounded before parsing
        raise ApiError(400, f"invalid JSON: nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"invalid JSON: {exc}") from None
    except RecursionError:
        raise ApiError(400, "invalid JSON: nested too deeply") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "request body must be a JSON object")
    try:  # "\ud800" parses to a lone surrogate, which no database (nor UTF-8) can store
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(
            400, "invalid JSON: a string holds a lone surrogate (\\ud800-\\udfff)"
        ) from None
    return payload
