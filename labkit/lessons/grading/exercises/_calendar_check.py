"""Lesson 05's code check: the student's `student_ical.py` (Celery app, `create_ical(tasks)`) and
`student_routes.py` (a blueprint `api` with the handout's three routes), run for real.

A worker process loads `student_ical` on a queue of the check's own (the lab's Redis as broker
and result backend); a Flask app around the student's blueprint, on a scratch SQLite database
of three todos, answers the requests; the calendar is parsed as RFC 5545.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlparse

from labkit.lessons.grading.checker import NeedsData, NotTried, Observed, Wrong
from labkit.lessons.grading.exercises._live import current_lab, is_template
from labkit.waiting import eventually

ICAL_MODULE = "student_ical"
_TODOS = [
    ("Project Proposal", "CSSE6400 Project Proposal Due", datetime(2023, 4, 3, 14, 0)),
    ("Queue prac", None, datetime(2025, 4, 9, 14, 0)),
    ("Read the handout", "sections 5 and 6", None),
]


def _load(name: str, folder: Path) -> ModuleType:
    """Import (or re-import, after %%writefile) the student's module from ``folder``."""
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    if name in sys.modules:
        return importlib.reload(sys.modules[name])
    return importlib.import_module(name)


def _student_modules(routes_file: str, env: dict[str, str]) -> tuple[ModuleType, ModuleType]:
    folder = Path(routes_file).resolve().parent
    for name in (ICAL_MODULE, Path(routes_file).stem):
        if not (folder / f"{name}.py").exists():
            raise NeedsData(f"write {name}.py first: run its %%writefile cell")
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        ical = _load(ICAL_MODULE, folder)
        routes = _load(Path(routes_file).stem, folder)
    except Exception as error:  # noqa: BLE001 - the student's import error, in one line
        raise Wrong(f"your module does not import: {type(error).__name__}: {error}") from None
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return ical, routes


def _app(blueprint: Any, database: Path) -> Any:
    """A TaskOverflow app around the student's blueprint, on a scratch database of todos."""
    from flask import Flask

    from labkit.taskoverflow.db import db
    from labkit.taskoverflow.models import Todo

    app = Flask("student_taskoverflow")
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
    app.config["PROPAGATE_EXCEPTIONS"] = True  # a view's error reaches the check, not a log
    db.init_app(app)
    app.register_blueprint(blueprint)
    with app.app_context():
        db.create_all()
        for title, description, deadline in _TODOS:
            db.session.add(Todo(title=title, description=description, deadline_at=deadline))
        db.session.commit()
    return app


def _request(client: Any, method: str, url: str) -> Any:
    """The test client's reply; an exception in the student's view becomes one line."""
    try:
        return client.open(urlparse(url).path, method=method)
    except Exception as error:  # noqa: BLE001 - the student's view raised: say so, in one line
        told = f"{method} {url} raised {type(error).__name__}: {error}"
        if "has no attribute 'id'" in str(error):
            told += (
                "; create_ical(...) ran the job inside the web server: create_ical.delay(...) "
                "queues it and returns an AsyncResult, whose .id is the task_id"
            )
        elif "did not return a valid response" in str(error):
            told += "; answer 404 until the job succeeded (return the JSON error and 404)"
        raise Wrong(told) from None


def _wait_for_job(client: Any, task_url: str, timeout: float = 30.0) -> dict:
    status: dict = {}

    def finished() -> bool:
        nonlocal status
        reply = _request(client, "GET", task_url)
        if reply.status_code != 200 or not reply.is_json:
            raise Wrong(
                f"GET {task_url} answered {reply.status_code}; the status route answers 200 JSON"
            )
        status = reply.get_json()
        if "task_status" not in status:
            raise Wrong(
                f"the status JSON needs task_id, task_status and result_url; yours: {status}"
            )
        return status.get("task_status") in ("SUCCESS", "FAILURE")

    if eventually(finished, timeout, poll=0.1):
        return status
    raise Wrong(
        f"the job was still {status.get('task_status')!r} after {timeout:.0f} s: no worker took "
        "it. Call ical.create_ical.delay(todo_input) in POST /todos/ical, on the Celery app of "
        "student_ical.py, whose default queue comes from CELERY_DEFAULT_QUEUE"
    )


def _url_hint(name: str, url: str, task_id: str, route: str) -> str | None:
    """None when ``url`` (the student's task_url or result_url) is the route's full URL."""
    wanted = f"/api/v1/todos/ical/{task_id}/{route}"
    if urlparse(str(url)).path == wanted and str(url).startswith("http"):
        return None
    return (
        f"your {name} is {url!r}; the {route} route is at http://<host>{wanted} "
        f'(e.g. f"{{request.host_url}}api/v1/todos/ical/{{task.id}}/{route}")'
    )


def _judge_calendar(text: str) -> str | None:
    """None when ``text`` is an RFC 5545 calendar of the two todos with deadlines."""
    import icalendar

    if "BEGIN:VCALENDAR" not in text:
        return (
            f"the result is {text[:40]!r}, not a calendar: build it with icalendar as in section "
            "5.4 and return cal.to_ical().decode('utf-8')"
        )
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError as error:
        return f"the calendar does not parse as iCalendar: {error}"
    if str(calendar.get("VERSION")) != "2.0" or not calendar.get("PRODID"):
        return "a VCALENDAR needs VERSION 2.0 and a PRODID (the handout adds both)"
    events = calendar.walk("VEVENT")
    if len(events) != 2:
        return f"expected one VEVENT per todo with a deadline (2), found {len(events)}"
    for event in events:
        for prop in ("UID", "DTSTAMP", "DTSTART", "SUMMARY"):
            if prop not in event:
                extra = (
                    " (RFC 5545 requires it in every VEVENT: event.add('dtstamp', "
                    "datetime.datetime.now(datetime.timezone.utc)))"
                    if prop == "DTSTAMP"
                    else ""
                )
                return f"a VEVENT has no {prop}{extra}"
    return _judge_events(events)


def _judge_events(events: list[Any]) -> str | None:
    """The events against the todos with deadlines: one each, with its own fields."""
    wanted = {title: (text, deadline) for title, text, deadline in _TODOS if deadline}
    if len({str(e["UID"]) for e in events}) != len(events):
        return "two VEVENTs share a UID: each event needs its own UID (the todo's id)"
    for event in events:
        summary = str(event["SUMMARY"])
        if summary not in wanted:
            return f"a VEVENT's SUMMARY is {summary!r}: the SUMMARY is the todo's title"
        text, deadline = wanted[summary]
        description = event.get("DESCRIPTION")
        if description is not None and str(description) == "None":
            return (
                "a VEVENT has DESCRIPTION:None: a todo without a description gets no "
                "DESCRIPTION line (add it only when task['description'] is set)"
            )
        if text and str(description or "") != text:
            return f"{summary!r} should have DESCRIPTION {text!r}, the todo's description"
        start = event.decoded("DTSTART")
        if not isinstance(start, datetime) or start.replace(tzinfo=None) != deadline:
            return (
                f"{summary!r} starts at {start!r}: DTSTART should be the todo's deadline_at "
                f"({deadline.isoformat()}), as a datetime"
            )
    return None


def check_calendar_routes(routes_file: Any) -> Any:
    if not isinstance(routes_file, str) or not routes_file.endswith(".py"):
        raise ValueError('pass the routes file name, "student_routes.py"')
    lab = current_lab()
    broker = lab.env["CELERY_BROKER_URL"]
    queue = f"check05-{uuid.uuid4().hex[:8]}"
    env = {
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": lab.env.get("CELERY_RESULT_BACKEND") or broker,
        "CELERY_DEFAULT_QUEUE": queue,
    }
    ical, routes = _student_modules(routes_file, env)
    views = [getattr(routes, name, None) for name in ("create_ical", "get_task", "get_calendar")]
    if all(view is None or is_template(view) for view in views):
        raise NotTried("fill in the three routes of student_routes.py (section 5.3), then check")
    blueprint = getattr(routes, "api", None)
    if blueprint is None:
        raise Wrong("student_routes.py must define the blueprint `api` the routes are on")
    folder = str(Path(routes_file).resolve().parent)
    worker_env = {**lab.env, **env, "PYTHONPATH": os.pathsep.join([folder, *sys.path])}
    with tempfile.TemporaryDirectory() as scratch:
        client = _app(blueprint, Path(scratch) / "todo.sqlite").test_client()
        job = _post_job(client)  # before the worker starts: the job cannot have finished
        if isinstance(job, str):
            return job
        return _with_worker(worker_env, queue, lambda: _follow_job(client, ical, job))


def _with_worker(env: dict[str, str], queue: str, then: Any) -> Any:
    """``then()`` while a worker runs the student's student_ical on ``queue``."""
    from labkit.lessons import workers
    from labkit.stack.errors import StackError

    worker = workers.start_worker(
        ICAL_MODULE, env, [queue], "check05-worker", pool="solo", wait=False
    )
    try:
        try:
            worker.wait_ready(timeout=30)
        except StackError as error:
            raise Wrong(f"the worker could not load student_ical.py: {error}") from None
        return then()
    finally:
        workers.stop_worker("check05-worker")


def _post_job(client: Any) -> dict | str:
    """POST /todos/ical and its answer, or a hint; the result of the still queued job is 404."""
    url = "http://localhost/api/v1/todos/ical"
    reply = _request(client, "POST", url)
    if reply.status_code != 202:
        return f"POST {url} answered {reply.status_code}; a job accepted is 202"
    job = reply.get_json(silent=True) or {}
    if not {"task_id", "task_url"} <= set(job):
        return f"POST answers JSON with task_id and task_url; yours: {job}"
    hint = _url_hint("task_url", job["task_url"], job["task_id"], "status")
    if hint:
        return hint
    early = _request(client, "GET", f"{url}/{job['task_id']}/result")
    if early.status_code != 404:
        return (
            f"GET .../result answered {early.status_code} while the job was still queued: "
            "answer 404 until the job succeeded"
        )
    return job


def _follow_job(client: Any, ical: Any, job: dict) -> Any:
    status = _wait_for_job(client, job["task_url"])
    if not {"task_id", "task_status", "result_url"} <= set(status):
        return f"the status JSON needs task_id, task_status and result_url; yours: {status}"
    if status["task_status"] == "FAILURE":
        return _failure_hint(ical.celery.AsyncResult(job["task_id"]).result)
    hint = _url_hint("result_url", status["result_url"], job["task_id"], "result")
    if hint:
        return hint
    reply = _request(client, "GET", status["result_url"])
    if reply.status_code != 200:
        return (
            f"GET {status['result_url']} answered {reply.status_code} after SUCCESS; "
            "it should be 200"
        )
    if reply.mimetype != "text/calendar":
        return f"serve the calendar as text/calendar, not {reply.mimetype}"
    text = reply.get_data(as_text=True)
    problem = _judge_calendar(text)
    return problem or Observed(True, details=text)


def _failure_hint(error: Any) -> str:
    told = f"the job failed on the worker: {type(error).__name__}: {error}"
    if "NoneType" in str(error) or "None" in str(error).split():
        return told + ". One of the todos has no deadline_at (None): leave such todos out"
    if "JSON serializable" in str(error) or "bytes" in str(error):
        return told + ". Return the calendar as text: cal.to_ical().decode('utf-8')"
    return told
