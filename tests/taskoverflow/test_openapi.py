"""The OpenAPI document is written from the routes' own descriptions: every route Flask serves is
in it with the same methods and path parameters, and every status it documents is one the view
gives (each shown by a request below)."""

from __future__ import annotations

import re
import uuid

import pytest

from labkit.taskoverflow.app import create_app
from labkit.taskoverflow.db import db
from labkit.taskoverflow.models import CalendarJob
from labkit.taskoverflow.settings import MAX_BODY_BYTES

PREFIX = "/api/v1"
OUTSIDE_THE_API = {"index", "static"}  # the web page, served beside the API
TOO_LARGE = {"data": b"x" * (MAX_BODY_BYTES + 1), "content_type": "application/json"}
NOT_JSON = {"data": "title=x", "content_type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def document(app) -> dict:
    return app.test_client().get(f"{PREFIX}/openapi.json").get_json()


@pytest.fixture(scope="module")
def down_client(tmp_path_factory, redis_url: str):
    """An app whose database cannot be opened: every view that needs a service answers 503."""
    missing = tmp_path_factory.mktemp("down") / "no-such-folder" / "todo.db"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}",
            "TASKOVERFLOW_CREATE_TABLES": False,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_RESULT_BACKEND": redis_url,
        }
    )
    return app.test_client()


def test_every_route_is_documented_with_its_methods(app, document: dict) -> None:
    served: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OUTSIDE_THE_API:
            continue
        assert rule.rule.startswith(PREFIX), f"{rule.rule} is outside {PREFIX}"
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
        served.setdefault(path, set()).update(rule.methods - {"HEAD", "OPTIONS"})
        named = {p["name"] for p in document["paths"][path].get("parameters", [])}
        assert named == set(rule.arguments), path
    documented = {
        path: {method.upper() for method in item if method != "parameters"}
        for path, item in document["paths"].items()
    }
    assert served == documented


def _job(app, state: str | None, result: object = None) -> str:
    """The id of a calendar job this API issued, its result backend saying ``state``."""
    task_id = f"openapi-test-{uuid.uuid4().hex[:8]}"
    with app.app_context():
        db.session.add(CalendarJob(task_id=task_id))
        db.session.commit()
    if state is not None:
        app.extensions["celery"].backend.store_result(task_id, result, state)
    return task_id


def test_every_documented_status_is_one_the_view_gives(app, client, down_client, document):
    todo = client.post(f"{PREFIX}/todos", json={"title": "t"}).get_json()["id"]
    calendar = "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    done, failed = _job(app, "SUCCESS", calendar), _job(app, "FAILURE", ValueError("no"))
    queued = _job(app, "PENDING", {"queued_at": "2025-01-01T00:00:00"})
    one, status, result = (
        "/todos/{todo_id}",
        "/todos/ical/{task_id}/status",
        "/todos/ical/{task_id}/result",
    )
    # (method, documented path, status): the client and the request that gives it.
    shown = {
        ("GET", "/openapi.json", 200): (client, "GET", "/openapi.json", {}),
        ("GET", "/health", 200): (client, "GET", "/health", {}),
        ("GET", "/todos", 200): (client, "GET", "/todos?completed=false", {}),
        ("GET", "/todos", 400): (client, "GET", "/todos?window=soon", {}),
        ("GET", "/todos", 503): (down_client, "GET", "/todos", {}),
        ("POST", "/todos", 201): (client, "POST", "/todos", {"json": {"title": "t"}}),
        ("POST", "/todos", 400): (client, "POST", "/todos", {"json": {}}),
        ("POST", "/todos", 413): (client, "POST", "/todos", TOO_LARGE),
        ("POST", "/todos", 415): (client, "POST", "/todos", NOT_JSON),
        ("POST", "/todos", 503): (down_client, "POST", "/todos", {"json": {"title": "t"}}),
        ("GET", one, 200): (client, "GET", f"/todos/{todo}", {}),
        ("GET", one, 404): (client, "GET", "/todos/999999", {}),
        ("GET", one, 503): (down_client, "GET", "/todos/1", {}),
        ("PUT", one, 200): (client, "PUT", f"/todos/{todo}", {"json": {"completed": True}}),
        ("PUT", one, 400): (client, "PUT", f"/todos/{todo}", {"json": {"id": 1}}),
        ("PUT", one, 404): (client, "PUT", "/todos/999999", {"json": {}}),
        ("PUT", one, 413): (client, "PUT", f"/todos/{todo}", TOO_LARGE),
        ("PUT", one, 415): (client, "PUT", f"/todos/{todo}", NOT_JSON),
        ("PUT", one, 503): (down_client, "PUT", "/todos/1", {"json": {}}),
        ("DELETE", one, 200): (client, "DELETE", "/todos/999999", {}),
        ("DELETE", one, 404): (client, "DELETE", "/todos/one", {}),
        ("DELETE", one, 503): (down_client, "DELETE", "/todos/1", {}),
        ("POST", "/todos/ical", 202): (client, "POST", "/todos/ical", {}),
        ("POST", "/todos/ical", 400): (
            client,
            "POST",
            "/todos/ical",
            {"json": {"delay_seconds": -1}},
        ),
        ("POST", "/todos/ical", 413): (client, "POST", "/todos/ical", TOO_LARGE),
        ("POST", "/todos/ical", 415): (client, "POST", "/todos/ical", NOT_JSON),
        ("POST", "/todos/ical", 503): (down_client, "POST", "/todos/ical", {}),
        ("GET", status, 200): (client, "GET", f"/todos/ical/{queued}/status", {}),
        ("GET", status, 404): (client, "GET", "/todos/ical/never-issued/status", {}),
        ("GET", status, 503): (down_client, "GET", "/todos/ical/x/status", {}),
        ("GET", result, 200): (client, "GET", f"/todos/ical/{done}/result", {}),
        ("GET", result, 404): (client, "GET", f"/todos/ical/{queued}/result", {}),
        ("GET", result, 409): (client, "GET", f"/todos/ical/{failed}/result", {}),
        ("GET", result, 503): (down_client, "GET", "/todos/ical/x/result", {}),
    }
    # The guard refuses a foreign Host on every route, before any view runs.
    foreign = {"headers": {"Host": "attacker.example"}}
    for path, item in document["paths"].items():
        url = path.replace("{todo_id}", str(todo)).replace("{task_id}", done)
        for method in item.keys() - {"parameters"}:
            shown[(method.upper(), path, 403)] = (client, method.upper(), url, foreign)
    documented = {
        (method.upper(), path, int(code))
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method != "parameters"
        for code in op["responses"]
    }
    assert set(shown) == documented, "a documented status without a request that gives it"
    for (_, _, expected), (by, method, url, kwargs) in shown.items():
        answer = by.open(PREFIX + url, method=method, **kwargs)
        assert answer.status_code == expected, (method, url, answer.get_data(as_text=True))
