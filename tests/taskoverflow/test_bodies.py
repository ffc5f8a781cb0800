"""One definition per request body: the OpenAPI document's schema and the API agree on every
body, including the two they used to disagree on (a blank title, a title with NUL)."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from labkit.taskoverflow.bodies import BODIES, TODO_CREATE, TODO_UPDATE

BODIES_TO_CREATE = [
    ({"title": "Project Proposal"}, True),
    ({"title": "   "}, False),  # was valid in the document, 400 from the API
    ({"title": "a\x00b"}, False),  # likewise
    ({"title": "t", "description": "d\x00"}, False),
    ({"title": "t", "deadline_at": None, "completed": True}, True),
    ({"title": "x" * 81}, False),
    ({"title": 5}, False),
    ({"description": "no title"}, False),
    ({"title": "t", "owner": "me"}, False),
    ({"title": "t", "completed": "yes"}, False),
]


@pytest.fixture(scope="module")
def schemas(app) -> dict:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    return document["components"]["schemas"]


@pytest.mark.parametrize(("body", "valid"), BODIES_TO_CREATE)
def test_the_document_and_the_api_agree(client, schemas: dict, body: dict, valid: bool) -> None:
    by_schema = Draft202012Validator(schemas["TodoCreate"]).is_valid(body)
    answer = client.post("/api/v1/todos", json=body)
    assert by_schema is valid, f"the OpenAPI schema says {by_schema} for {body!r}"
    assert (answer.status_code == 201) is valid, answer.get_json()


def test_blank_and_nul_titles_keep_spec_words(client) -> None:
    blank = client.post("/api/v1/todos", json={"title": "   "}).get_json()
    assert blank["error"] == "title must not be empty"
    nul = client.post("/api/v1/todos", json={"title": "a\x00b"}).get_json()
    assert nul["error"] == "title must not contain NUL characters"
    assert client.post("/api/v1/todos", json={}).get_json()["error"] == "missing title"
    extra = client.post("/api/v1/todos", json={"title": "t", "x": 1}).get_json()
    assert extra["error"] == "extra fields" and extra["fields"] == ["x"]


def test_the_served_schemas_are_the_definitions(schemas: dict) -> None:
    for body in BODIES:
        assert schemas[body.name] == body.schema()
    assert "required" not in TODO_UPDATE.schema() and TODO_CREATE.schema()["required"] == ["title"]
