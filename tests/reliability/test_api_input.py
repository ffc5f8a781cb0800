"""Bad input to the TaskOverflow API: the OpenAPI document, then generated requests against it.

Over 1,000 requests drawn from the document go through Flask's test client and a few hundred
over real HTTP (waitress): none may answer 5xx, every status must be one the document lists,
every error is a JSON object with an ``error`` string and every success matches its schema.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
import requests
from hypothesis import HealthCheck, given, settings

from labkit.taskoverflow.db import db
from labkit.taskoverflow.serve import start
from labkit.taskoverflow.settings import MAX_BODY_BYTES
from tests.reliability.conftest import api_app, unique
from tests.reliability.openapi_requests import (
    Checker,
    Generator,
    Request,
    fuzz_test_client,
    operations,
)

FUZZ = settings(
    max_examples=1050,
    deadline=None,
    database=None,
    # CI replays the same examples every run (a red CI must be reproducible); locally, each
    # run explores new ones.
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
FUZZ_HTTP = settings(FUZZ, max_examples=250)


@pytest.fixture(scope="module")
def app(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A production-mode app (TESTING off) with a few todos; published jobs go to a queue
    nobody reads, deleted at the end."""
    queue = unique("ical-fuzz")
    app = api_app(tmp_path_factory.mktemp("fuzz") / "todo.db", redis_url, queue)
    client = app.test_client()
    for i in range(5):
        client.post("/api/v1/todos", json={"title": f"seed {i}", "deadline_at": "2025-01-01"})
    yield app
    import redis

    redis.Redis.from_url(redis_url).delete(queue)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def doc(app) -> dict:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    return response.get_json()


def test_document_is_valid_openapi(doc: dict) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(doc)
    assert doc["openapi"].startswith("3.")
    assert doc["servers"][0]["url"].endswith("/api/v1")


def test_generated_requests_never_500_test_client(app, doc: dict) -> None:
    checker = fuzz_test_client(app, doc, Generator(doc).requests(operations(doc)), FUZZ)
    print(f"test client: answers by status {dict(sorted(checker.counts.items()))}")
    assert sum(checker.counts.values()) >= 1000
    # The generator reaches both sides: accepted requests and refused ones.
    assert any(200 <= s < 300 for s in checker.counts) and 400 in checker.counts


def test_generated_requests_never_500_over_http(app, doc: dict) -> None:
    server = start(app)
    session = requests.Session()
    checker = Checker(doc)
    try:

        @FUZZ_HTTP
        @given(Generator(doc).requests(operations(doc)))
        def run(request: Request) -> None:
            response = session.request(
                request.method,
                f"{server.url}/api/v1{request.path}",
                params=request.query,
                data=request.body,
                headers=request.headers(),
                timeout=10,
            )
            content_type = response.headers.get("Content-Type", "")
            checker.check(request, response.status_code, content_type, response.content)

        run()
    finally:
        session.close()
        server.stop()
    print(f"over HTTP: answers by status {dict(sorted(checker.counts.items()))}")
    assert sum(checker.counts.values()) >= 250


# ---- oversized bodies and wrong content types -----------------------------------------------


@pytest.fixture(scope="module")
def http(app) -> Iterator[str]:
    server = start(app)
    yield f"{server.url}/api/v1"
    server.stop()


@pytest.mark.parametrize(
    ("method", "path"), [("post", "/todos"), ("put", "/todos/1"), ("post", "/todos/ical")]
)
def test_oversized_bodies_are_413(http: str, method: str, path: str) -> None:
    made = requests.post(http + "/todos", json={"title": "target"}, timeout=10).json()
    path = path.replace("/1", f"/{made['id']}")
    big = json.dumps({"title": "x" * MAX_BODY_BYTES}).encode()
    reply = requests.request(
        method, http + path, data=big, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert reply.status_code == 413 and reply.json()["limit_bytes"] == MAX_BODY_BYTES

    def chunks():  # no Content-Length: the server must still stop at the limit
        for _ in range(40):
            yield b" " * 4096

    reply = requests.request(
        method, http + path, data=chunks(), headers={"Content-Type": "application/json"}, timeout=10
    )
    assert reply.status_code == 413, reply.text
    assert requests.get(http + "/health", timeout=5).status_code == 200


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
@pytest.mark.parametrize(("method", "path"), [("post", "/todos"), ("put", "/todos/1")])
def test_wrong_content_types_are_refused(
    http: str, content_type: str | None, method: str, path: str
) -> None:
    made = requests.post(http + "/todos", json={"title": "target"}, timeout=10).json()
    path = path.replace("/1", f"/{made['id']}")
    before = requests.get(http + "/todos", timeout=10).json()
    headers = {"Content-Type": content_type} if content_type else {}
    reply = requests.request(
        method, http + path, data=b'{"title": "sneaky"}', headers=headers, timeout=10
    )
    assert reply.status_code in (400, 415), reply.text
    assert "error" in reply.json()
    assert requests.get(http + "/todos", timeout=10).json() == before  # nothing written


@pytest.mark.parametrize(
    "body",
    [b"[" * 5000 + b"]" * 5000, b'{"title": ' * 3000 + b"1" + b"}" * 3000, b"\xff\xfe{}"],
)
def test_pathological_json_is_400(app, body: bytes) -> None:
    """Nesting deeper than the parser's recursion limit was a 500 (a RecursionError)."""
    client = app.test_client()
    for method, path in (("POST", "/api/v1/todos"), ("POST", "/api/v1/todos/ical")):
        response = client.open(path, method=method, data=body, content_type="application/json")
        assert response.status_code == 400, response.get_json()
        assert "invalid JSON" in response.get_json()["error"]


@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize(
    "body",
    [
        b'{"title": "\\ud800"}',
        b'{"title": "ok", "description": "x\\udfff"}',
        b'{"title": "ok", "\\ud83d": 1}',
        b'{"title": "ok", "deadline_at": "2025-01-01T00:00:00\\udc80"}',
    ],
)
def test_a_lone_surrogate_is_400_not_500(app, method: str, body: bytes) -> None:
    client = app.test_client()
    made = client.post("/api/v1/todos", json={"title": "target"}).get_json()
    path = "/api/v1/todos" if method == "POST" else f"/api/v1/todos/{made['id']}"
    response = client.open(path, method=method, data=body, content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "surrogate" in response.get_json()["error"]
    assert client.get(f"/api/v1/todos/{made['id']}").get_json()["title"] == "target"


def test_answers_keep_the_documented_datetime_form(app, doc: dict) -> None:
    """SPEC section 2: ISO 8601 without zone. The document says exactly that (a pattern, not
    RFC 3339's "date-time", which requires an offset), and every datetime answered matches."""
    client = app.test_client()
    made = client.post(
        "/api/v1/todos", json={"title": "when", "deadline_at": "2025-04-09T14:00:00+10:00"}
    ).get_json()
    assert made["deadline_at"] == "2025-04-09T04:00:00"  # converted to UTC, stored without zone
    checker = Checker(doc)
    checker.validate(["components", "schemas", "Todo"], made)
    for name in ("deadline_at", "created_at", "updated_at"):
        assert "+" not in made[name] and not made[name].endswith("Z")
    stamp = doc["components"]["schemas"]["Todo"]["properties"]["created_at"]
    assert "format" not in stamp and stamp["pattern"]
