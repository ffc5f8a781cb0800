"""The todo API's behaviour and validation (SPEC section 2), on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TODO_KEYS = {"id", "title", "description", "completed", "deadline_at", "created_at", "updated_at"}


def post(client, body):
    return client.post("/api/v1/todos", json=body)


def test_health(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_create_defaults_and_round_trip(client):
    response = post(client, {"title": "Project Proposal"})
    assert response.status_code == 201
    todo = response.get_json()
    assert set(todo) == TODO_KEYS
    assert todo["completed"] is False
    assert todo["deadline_at"] is None and todo["description"] is None
    assert client.get(f"/api/v1/todos/{todo['id']}").get_json() == todo


def test_list_is_in_insertion_order(client):
    ids = [post(client, {"title": f"t{i}"}).get_json()["id"] for i in range(5)]
    assert [t["id"] for t in client.get("/api/v1/todos").get_json()] == ids


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2025-04-09 14:00:00.000", "2025-04-09T14:00:00"),  # the course UI's form
        ("2023-02-27T00:00:00", "2023-02-27T00:00:00"),
        ("2025-04-09T14:00:00.123456", "2025-04-09T14:00:00.123456"),
        ("2025-04-09T14:00", "2025-04-09T14:00:00"),  # <input type=datetime-local>
        ("2025-04-09T14:00:00Z", "2025-04-09T14:00:00"),
        ("2025-04-09T14:00:00+10:00", "2025-04-09T04:00:00"),
    ],
)
def test_deadline_forms(client, sent, stored):
    response = post(client, {"title": "t", "deadline_at": sent})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["deadline_at"] == stored


@pytest.mark.parametrize(
    ("body", "error", "field"),
    [
        ({}, "missing title", "title"),
        ({"description": "no title"}, "missing title", "title"),
        ({"title": 5}, "title must be a string", "title"),
        ({"title": None}, "title must be a string", "title"),
        ({"title": "   "}, "title must not be empty", "title"),
        ({"title": "x" * 81}, "title must be at most 80 characters", "title"),
        (
            {"title": "t", "description": "d" * 121},
            "description must be at most 120 characters",
            "description",
        ),
        ({"title": "t", "description": 7}, "description must be a string or null", "description"),
        ({"title": "t", "completed": "yes"}, "completed must be true or false", "completed"),
        ({"title": "t", "completed": 1}, "completed must be true or false", "completed"),
        ({"title": "a\x00b"}, "title must not contain NUL characters", "title"),
        ({"title": "t", "deadline_at": "tomorrow"}, None, "deadline_at"),
        ({"title": "t", "deadline_at": 20250409}, None, "deadline_at"),
        ({"title": "t", "deadline_at": "2025-13-40T00:00:00"}, None, "deadline_at"),
    ],
)
def test_create_rejects_bad_fields(client, body, error, field):
    response = post(client, body)
    assert response.status_code == 400
    payload = response.get_json()
    assert payload["field"] == field
    if error:
        assert payload["error"] == error
    else:
        assert payload["error"].startswith("deadline_at")
    assert client.get("/api/v1/todos").get_json() == []  # nothing half-stored


def test_limits_are_inclusive(client):
    response = post(client, {"title": "x" * 80, "description": "d" * 120})
    assert response.status_code == 201


def test_extra_fields(client):
    response = post(client, {"title": "t", "owner": "me"})
    assert response.status_code == 400
    assert response.get_json() == {"error": "extra fields", "fields": ["owner"]}


def test_update_fields_and_deadline(client):
    todo = post(client, {"title": "t"}).get_json()
    response = client.put(
        f"/api/v1/todos/{todo['id']}",
        json={"completed": True, "deadline_at": "2025-04-09 14:00:00.000", "description": "d"},
    )
    assert response.status_code == 200, response.get_json()
    updated = response.get_json()
    assert updated["completed"] is True
    assert updated["deadline_at"] == "2025-04-09T14:00:00"
    assert updated["title"] == "t" and updated["description"] == "d"
    cleared = client.put(f"/api/v1/todos/{todo['id']}", json={"deadline_at": None}).get_json()
    assert cleared["deadline_at"] is None


def test_update_rejects_id_and_bad_values(client):
    todo = post(client, {"title": "t"}).get_json()
    url = f"/api/v1/todos/{todo['id']}"
    assert client.put(url, json={"id": 9}).get_json()["error"] == "extra fields"
    assert client.put(url, json={"title": ""}).status_code == 400
    assert client.put(url, json={"deadline_at": "soon"}).status_code == 400
    assert client.get(url).get_json() == todo  # unchanged


def test_unknown_todo(client):
    for method in ("get", "put"):
        response = getattr(client, method)("/api/v1/todos/424242", json={"title": "x"})
        assert response.status_code == 404
        assert response.get_json() == {"error": "Todo not found"}
    # Larger than PostgreSQL's integer: still a plain 404.
    assert client.get("/api/v1/todos/99999999999999999999").status_code == 404


def test_delete(client):
    todo = post(client, {"title": "t"}).get_json()
    response = client.delete(f"/api/v1/todos/{todo['id']}")
    assert response.status_code == 200 and response.get_json() == todo
    again = client.delete(f"/api/v1/todos/{todo['id']}")
    assert again.status_code == 200 and again.get_json() == {}


def test_filter_completed(client):
    post(client, {"title": "open"})
    post(client, {"title": "done", "completed": True})
    titles = lambda q: [t["title"] for t in client.get(f"/api/v1/todos?{q}").get_json()]  # noqa: E731
    assert titles("completed=true") == ["done"]
    assert titles("completed=false") == ["open"]
    assert client.get("/api/v1/todos?completed=maybe").status_code == 400


def test_window_skips_null_deadlines(client):
    post(client, {"title": "no deadline"})
    post(client, {"title": "soon", "deadline_at": "2000-01-01T00:00:00"})
    post(client, {"title": "far", "deadline_at": "2999-01-01T00:00:00"})
    response = client.get("/api/v1/todos?window=5")
    assert response.status_code == 200
    assert [t["title"] for t in response.get_json()] == ["soon"]


@pytest.mark.parametrize("window", ["abc", "-1", "1.5", "", "²", "99999999"])
def test_window_must_be_days(client, window):
    response = client.get(f"/api/v1/todos?window={window}")
    assert response.status_code == 400
    assert response.get_json()["field"] == "window"


def test_http_errors_are_json(client):
    cases = [
        (client.get("/api/v1/nowhere"), 404),
        (client.patch("/api/v1/todos"), 405),
        (client.post("/api/v1/todos", data="title=x", content_type="text/plain"), 415),
        (client.post("/api/v1/todos", data="{bad", content_type="application/json"), 400),
        (client.post("/api/v1/todos", data="[1, 2]", content_type="application/json"), 400),
        (client.post("/api/v1/todos", data="", content_type="application/json"), 400),
        (
            client.post(
                "/api/v1/todos",
                data=json.dumps({"title": "t", "description": "x" * 70_000}),
                content_type="application/json",
            ),
            413,
        ),
    ]
    for response, status in cases:
        assert response.status_code == status
        assert response.is_json and "error" in response.get_json()


def test_calendar_ids_never_issued_are_404(client):
    for suffix in ("status", "result"):
        response = client.get(f"/api/v1/todos/ical/2e80aefd-4a69-4a94-b23a-45f2b8110988/{suffix}")
        assert response.status_code == 404
        assert response.get_json()["error"] == "Calendar job not found"
    assert client.get(f"/api/v1/todos/ical/{'x' * 500}/status").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"delay_seconds": -1},
        {"delay_seconds": 121},
        {"delay_seconds": "5"},
        {"delay_seconds": True},
        {"delay": 5},
    ],
)
def test_calendar_options_validated(client, body):
    response = client.post("/api/v1/todos/ical", json=body)
    assert response.status_code == 400
    assert "error" in response.get_json()


def test_index_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert b"TaskOverflow" in response.data
    assert client.get("/static/app.js").status_code == 200


# ---- no input gives a 500 -------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=90),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
todo_bodies = st.dictionaries(
    st.sampled_from(["title", "description", "completed", "deadline_at", "id", "other"]),
    json_values | st.sampled_from(["2025-04-09 14:00:00.000", "9999-12-31T23:00:00-05:00"]),
    max_size=5,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=todo_bodies, method=st.sampled_from(["post", "put"]))
def test_no_body_gives_a_500(client, body, method):
    todo = post(client, {"title": "target"}).get_json()
    url = "/api/v1/todos" if method == "post" else f"/api/v1/todos/{todo['id']}"
    response = getattr(client, method)(url, json=body)
    assert response.status_code in (200, 201, 400), response.get_json()
    assert "error" in response.get_json() or response.status_code < 300


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    completed=st.none() | st.text(max_size=6),
    window=st.none() | st.text(max_size=6) | st.integers(-5, 10**9).map(str),
)
def test_no_query_gives_a_500(client, completed, window):
    params = {k: v for k, v in {"completed": completed, "window": window}.items() if v is not None}
    response = client.get("/api/v1/todos", query_string=params)
    assert response.status_code in (200, 400), response.get_json()
