"""Missing or unreachable services are a prompt 503 that names them, never a hang or a 500."""

from __future__ import annotations

import time

from labkit.net import free_port
from labkit.taskoverflow.app import create_app
from labkit.taskoverflow.db import db
from labkit.taskoverflow.models import CalendarJob

BUDGET_SECONDS = 5


def make_app(tmp_path, **config):
    return create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
        | config
    )


def timed_post(client, path="/api/v1/todos/ical"):
    started = time.monotonic()
    response = client.post(path)
    return response, time.monotonic() - started


def test_broker_at_a_dead_port(tmp_path, redis_url):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    app = make_app(tmp_path, CELERY_BROKER_URL=dead, CELERY_RESULT_BACKEND=redis_url)
    client = app.test_client()
    response, elapsed = timed_post(client)
    assert response.status_code == 503
    body = response.get_json()
    assert body["service"] == "broker" and "cannot be reached" in body["error"]
    assert elapsed < BUDGET_SECONDS
    with app.app_context():
        assert db.session.query(CalendarJob).count() == 0  # no job id left pointing at nothing


def test_no_result_backend(tmp_path, redis_url):
    client = make_app(tmp_path, CELERY_BROKER_URL=redis_url).test_client()
    response, _ = timed_post(client)
    assert response.status_code == 503
    assert response.get_json()["service"] == "result backend"
    assert "CELERY_RESULT_BACKEND" in response.get_json()["error"]


def test_no_broker(tmp_path):
    response, _ = timed_post(make_app(tmp_path).test_client())
    assert response.status_code == 503
    assert "CELERY_BROKER_URL" in response.get_json()["error"]


def test_result_backend_at_a_dead_port(tmp_path, redis_url):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    app = make_app(tmp_path, CELERY_BROKER_URL=redis_url, CELERY_RESULT_BACKEND=dead)
    with app.app_context():
        db.session.add(CalendarJob(task_id="issued-before-redis-stopped"))
        db.session.commit()
    client = app.test_client()
    for suffix in ("status", "result"):
        started = time.monotonic()
        response = client.get(f"/api/v1/todos/ical/issued-before-redis-stopped/{suffix}")
        assert response.status_code == 503
        assert response.get_json()["service"] == "result backend"
        assert time.monotonic() - started < BUDGET_SECONDS


def test_database_at_a_dead_port(tmp_path):
    uri = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/todo"
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, "TASKOVERFLOW_CREATE_TABLES": False}
    )
    response = app.test_client().get("/api/v1/todos")
    assert response.status_code == 503
    assert "database" in response.get_json()["error"]


def test_password_is_masked(tmp_path, redis_url):
    dead = f"redis://:hunter2secret@127.0.0.1:{free_port()}/0"
    app = make_app(tmp_path, CELERY_BROKER_URL=dead, CELERY_RESULT_BACKEND=redis_url)
    response, _ = timed_post(app.test_client())
    assert response.status_code == 503
    assert "hunter2secret" not in response.get_data(as_text=True)
