"""Hypothesis strategies for requests to the TaskOverflow API, read from its OpenAPI document,
and the judge of the answers (`Checker`, `fuzz_test_client`).

Each generated request targets a documented operation; its path, query and body are drawn
mostly from the documented schemas (so many requests are accepted and reach deep code) and
partly from anything at all (wrong types, too-long strings, junk keys, bytes, other content
types), so the error paths are exercised too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

METHODS = ("get", "put", "post", "delete")
DOC_URN = "urn:taskoverflow-openapi"

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    st.text(max_size=40),
)
any_json = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
date_like = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]),
    st.sampled_from(["2025-04-09T14:00:00Z", "2025-04-09T14:00:00+10:00", "", "tomorrow"]),
    st.text(max_size=70),
)


@dataclass
class Operation:
    path: str
    method: str
    spec: dict
    path_params: dict = field(default_factory=dict)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: bytes | None
    content_type: str | None
    operation: Operation

    def __repr__(self) -> str:
        shown = self.body[:120] if self.body else self.body
        return f"{self.method.upper()} {self.path} {self.query} {self.content_type} {shown!r}"

    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type} if self.content_type else {}


def operations(doc: dict) -> list[Operation]:
    found = []
    for path, item in doc["paths"].items():
        shared = {p["name"]: p for p in item.get("parameters", [])}
        for method in METHODS:
            if method in item:
                op = item[method]
                params = shared | {p["name"]: p for p in op.get("parameters", [])}
                found.append(Operation(path, method, op, params))
    return found


class Generator:
    """Strategies bound to one document (for its `$ref`s)."""

    def __init__(self, doc: dict) -> None:
        self.doc = doc

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            node: Any = self.doc
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def valid(self, schema: dict, name: str = "") -> st.SearchStrategy:
        """Values that (mostly) satisfy ``schema``."""
        schema = self.resolve(schema)
        if "oneOf" in schema:
            return st.one_of([self.valid(s) for s in schema["oneOf"]])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        types = schema.get("type", "object")
        types = types if isinstance(types, list) else [types]
        options = []
        for kind in types:
            if kind == "null":
                options.append(st.none())
            elif kind == "boolean":
                options.append(st.booleans())
            elif kind == "integer":
                options.append(
                    st.integers(schema.get("minimum", -(2**31)), schema.get("maximum", 2**40))
                )
            elif kind == "number":
                low, high = schema.get("minimum"), schema.get("maximum")
                options.append(st.floats(low, high, allow_nan=False) | st.integers(low, high))
            elif kind == "string":
                if name.endswith("_at"):
                    options.append(date_like)
                else:
                    options.append(
                        st.text(
                            min_size=schema.get("minLength", 0),
                            max_size=schema.get("maxLength", 50),
                        )
                    )
            elif kind == "array":
                options.append(st.lists(self.valid(schema.get("items", {})), max_size=3))
            else:
                options.append(self.valid_object(schema))
        return st.one_of(options)

    def valid_object(self, schema: dict) -> st.SearchStrategy:
        props = schema.get("properties", {})
        required = set(schema.get("required", []))

        @st.composite
        def build(draw):
            out = {}
            for key, sub in props.items():
                if key in required or draw(st.booleans()):
                    out[key] = draw(self.valid(sub, key))
            return out

        return build()

    def body(self, schema: dict) -> st.SearchStrategy:
        """A JSON document for ``schema``: valid, bent (one field wrong or extra) or anything."""
        schema = self.resolve(schema)
        props = list(schema.get("properties", {}))

        @st.composite
        def bent(draw):
            value = draw(self.valid_object(schema))
            key = draw(st.sampled_from(props + ["id", "extra", ""])) if props else "x"
            value[key] = draw(any_json | st.text(min_size=79, max_size=200))
            if draw(st.booleans()) and value:
                value.pop(draw(st.sampled_from(sorted(value))))
            return value

        return st.one_of(self.valid(schema), bent(), any_json)

    def param(self, spec: dict) -> st.SearchStrategy[str]:
        schema = spec.get("schema", {})
        good = self.valid(schema, spec["name"]).map(
            lambda v: json.dumps(v) if isinstance(v, bool) else str(v)
        )
        small = st.integers(0, 8).map(str)  # ids that exist, so reads and updates go deep
        return st.one_of(good, small, st.text(max_size=20), st.integers().map(str))

    def requests(self, ops: list[Operation]) -> st.SearchStrategy[Request]:
        @st.composite
        def build(draw):
            op = draw(st.sampled_from(ops))
            path = op.path
            query = {}
            for name, spec in op.path_params.items():
                value = draw(self.param(spec))
                if spec["in"] == "path":
                    path = path.replace("{" + name + "}", quote(value, safe="") or "0")
                elif draw(st.booleans()):
                    query[name] = value
            body, content_type = None, None
            request_body = op.spec.get("requestBody")
            if request_body is not None or draw(st.integers(0, 9)) == 0:
                schema = (
                    request_body["content"]["application/json"]["schema"]
                    if request_body
                    else {"type": "object"}
                )
                kind = draw(st.sampled_from(["json"] * 6 + ["none", "raw", "form", "text"]))
                if kind == "json":
                    body = json.dumps(draw(self.body(schema))).encode()
                    content_type = "application/json"
                elif kind == "raw":
                    body = draw(st.binary(max_size=200))
                    content_type = draw(st.sampled_from(["application/json", None]))
                elif kind == "form":
                    body, content_type = b"title=x", "application/x-www-form-urlencoded"
                elif kind == "text":
                    body = json.dumps(draw(self.valid(schema))).encode()
                    content_type = "text/plain"
            return Request(op.method, path, query, body, content_type, op)

        return build()


class Checker:
    """Judges one answer against the document."""

    def __init__(self, doc: dict) -> None:
        self.registry = Registry().with_resource(
            DOC_URN, Resource.from_contents(doc, default_specification=DRAFT202012)
        )
        self.counts: dict[int, int] = {}

    def validate(self, pointer: list[str], value: object) -> None:
        """Validate against the schema at ``pointer`` inside the document (its $refs resolve)."""
        escaped = "/".join(p.replace("~", "~0").replace("/", "~1") for p in pointer)
        schema = {"$ref": f"{DOC_URN}#/{escaped}"}
        # Formats are checked too: a "date-time" the answers do not keep would fail here.
        Draft202012Validator(
            schema, registry=self.registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        ).validate(value)

    def check(self, request: Request, status: int, content_type: str, body: bytes) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1
        assert status < 500, f"{status} for {request!r}: {body[:300]!r}"
        responses = request.operation.spec["responses"]
        assert str(status) in responses, f"undocumented {status} for {request!r}: {body[:200]!r}"
        if content_type.startswith("text/calendar"):
            assert status == 200 and body.startswith(b"BEGIN:VCALENDAR")
            return
        assert content_type.startswith("application/json"), (request, content_type)
        value = json.loads(body)
        if status >= 400:
            assert isinstance(value, dict) and isinstance(value.get("error"), str), value
            return
        answer = responses[str(status)]
        if "$ref" not in answer and "application/json" in answer.get("content", {}):
            op = request.operation
            where = ["paths", op.path, op.method, "responses", str(status)]
            self.validate([*where, "content", "application/json", "schema"], value)


def fuzz_test_client(
    app: Flask, doc: dict, requests: st.SearchStrategy[Request], config: settings
) -> Checker:
    """Send every request ``requests`` draws (as ``config`` says) through Flask's test client;
    the checker that judged each answer, with its counts by status."""
    client = app.test_client()
    checker = Checker(doc)

    @config
    @given(requests)
    def run(request: Request) -> None:
        response = client.open(
            "/api/v1" + request.path,
            method=request.method.upper(),
            query_string=request.query,
            data=request.body,
            headers=request.headers(),
        )
        checker.check(request, response.status_code, response.content_type, response.data)

    run()
    return checker
