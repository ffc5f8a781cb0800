"""The ``/api/v1`` blueprint: todos (SPEC section 2) and the calendar jobs (section 3)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

from celery import Celery
from flask import Blueprint, Response, current_app, jsonify, request, url_for
from sqlalchemy import select

from labkit.taskoverflow.bodies import CALENDAR_OPTIONS, TODO_CREATE, TODO_UPDATE
from labkit.taskoverflow.celery_app import has_result_backend
from labkit.taskoverflow.dates import utcnow
from labkit.taskoverflow.db import db
from labkit.taskoverflow.errors import ApiError
from labkit.taskoverflow.models import CalendarJob, Todo
from labkit.taskoverflow.openapi import openapi_json
from labkit.taskoverflow.settings import (
    PUBLISH_RETRY_POLICY,
    mask_url,
    start_hint,
)
from labkit.web_guard import MAX_JSON_DEPTH, json_depth

api = Blueprint("api", __name__, url_prefix="/api/v1")
api.add_url_rule("/openapi.json", "openapi", openapi_json)

MAX_ID = 2**31 - 1  # PostgreSQL's integer; larger ids can only be "not found"
QUEUED_MARK = "queued_at"
LOST_REASON = (
    "the lab stack was restarted (or its Redis data was lost) before this job finished: "
    "its record is gone and no worker will report on it; POST /todos/ical again"
)


# ---- request bodies -------------------------------------------------------------------------


def json_object(required: bool = True) -> dict:
    """The request body as a JSON object; 400/413/415 errors otherwise."""
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


def todo_values(payload: dict, creating: bool) -> dict:
    """Checked column values from a POST/PUT body (only the four fields, with their types):
    the rules are the bodies' one definition, `labkit.taskoverflow.bodies`."""
    return (TODO_CREATE if creating else TODO_UPDATE).values(payload)


def _get_todo(todo_id: int) -> Todo | None:
    return db.session.get(Todo, todo_id) if 0 < todo_id <= MAX_ID else None


# ---- todos ----------------------------------------------------------------------------------


@api.get("/health")
def health():
    return jsonify({"status": "ok"})


@api.get("/todos")
def list_todos():
    query = select(Todo).order_by(Todo.id)
    completed = request.args.get("completed")
    if completed is not None:
        if completed.lower() not in ("true", "false"):
            raise ApiError(400, "completed must be true or false", field="completed")
        query = query.where(Todo.completed.is_(completed.lower() == "true"))
    window = request.args.get("window")
    if window is not None:
        if not re.fullmatch(r"[0-9]{1,5}", window.strip()) or int(window) > 36500:
            raise ApiError(400, "window must be a whole number of days (0-36500)", field="window")
        limit = utcnow() + timedelta(days=int(window))
        # A todo with no deadline is in no window (the course code crashed on it).
        query = query.where(Todo.deadline_at.is_not(None), Todo.deadline_at <= limit)
    return jsonify([todo.to_dict() for todo in db.session.scalars(query)])


@api.get("/todos/<int:todo_id>")
def get_todo(todo_id: int):
    todo = _get_todo(todo_id)
    if todo is None:
        raise ApiError(404, "Todo not found")
    return jsonify(todo.to_dict())


@api.post("/todos")
def create_todo():
    values = todo_values(json_object(), creating=True)
    todo = Todo(**values)
    db.session.add(todo)
    db.session.commit()
    return jsonify(todo.to_dict()), 201


@api.put("/todos/<int:todo_id>")
def update_todo(todo_id: int):
    todo = _get_todo(todo_id)
    if todo is None:
        raise ApiError(404, "Todo not found")
    for name, value in todo_values(json_object(), creating=False).items():
        setattr(todo, name, value)
    db.session.commit()
    return jsonify(todo.to_dict())


@api.delete("/todos/<int:todo_id>")
def delete_todo(todo_id: int):
    todo = _get_todo(todo_id)
    if todo is None:
        return jsonify({}), 200
    body = todo.to_dict()
    db.session.delete(todo)
    db.session.commit()
    return jsonify(body)


# ---- calendar jobs --------------------------------------------------------------------------


def _celery() -> Celery:
    return current_app.extensions["celery"]


def _require_backend(celery_app: Celery) -> None:
    if not has_result_backend(celery_app):
        raise ApiError(
            503,
            "no result backend configured: set CELERY_RESULT_BACKEND "
            "(e.g. redis://localhost:6379 or db+postgresql://...) for the API and the worker",
            service="result backend",
        )


def _calendar_options(payload: dict) -> dict:
    allow = {"todos"} if current_app.testing else set()
    return CALENDAR_OPTIONS.values(payload, allow=allow)


def _known_job(task_id: str) -> CalendarJob:
    job = db.session.get(CalendarJob, task_id) if len(task_id) <= 64 else None
    if job is None:
        raise ApiError(404, "Calendar job not found", task_id=task_id)
    return job


def _backend_down(celery_app: Celery, exc: Exception) -> ApiError:
    """The 503 for an unreachable result backend (named "broker" when both are one server,
    as in the lab: the student has one thing to start)."""
    backend, broker = celery_app.conf.result_backend, celery_app.conf.broker_url
    service = "broker" if backend == broker else "result backend"
    return ApiError(
        503,
        f"the {service} at {mask_url(backend)} cannot be reached "
        f"({exc.__class__.__name__}): {start_hint(backend)}",
        service=service,
    )


def _task_meta(celery_app: Celery, task_id: str) -> dict:
    _require_backend(celery_app)
    try:
        meta = celery_app.backend.get_task_meta(task_id)
    except Exception as exc:  # noqa: BLE001 - any backend failure is "unreachable"
        raise ApiError(
            503,
            f"the result backend at {mask_url(celery_app.conf.result_backend)} cannot be "
            f"reached ({exc.__class__.__name__}): {start_hint(celery_app.conf.result_backend)}",
            service="result backend",
        ) from None
    if _lost(meta):
        return {"status": "FAILURE", "result": LOST_REASON}
    return meta


def _lost(meta: dict) -> bool:
    """True when the backend has no record of a job this API issued.

    `create_ical` stores a PENDING record with a queued mark before it records the id, and a
    worker replaces it (STARTED, SUCCESS, FAILURE). A bare PENDING with no result is what the
    backend says of an id it never saw: its data went (a `labkit down`/`up`, a Redis without
    its append-only file), so no worker will ever report on the job. Without this the job
    would show PENDING for ever.
    """
    return meta.get("status", "PENDING") == "PENDING" and meta.get("result") is None


def _failure_reason(meta: dict) -> str:
    exc = meta.get("result")
    if isinstance(exc, BaseException):
        return f"{exc.__class__.__name__}: {exc}"
    return str(exc)


@api.post("/todos/ical")
def create_ical():
    payload = json_object(required=False)
    options = _calendar_options(payload)
    celery_app = _celery()
    if not celery_app.conf.broker_url:
        raise ApiError(
            503,
            "no broker configured: set CELERY_BROKER_URL (e.g. redis://localhost:6379) "
            "for the API and the worker",
            service="broker",
        )
    _require_backend(celery_app)
    if current_app.testing and "todos" in payload:
        todos = payload["todos"]  # test-only: a todo list the calendar may reject
    else:
        todos = [t.to_dict() for t in db.session.scalars(select(Todo).order_by(Todo.id))]
    task_id = str(uuid.uuid4())
    asked_at = utcnow()
    # Mark the job queued in the result backend first (see `_lost`), then record the id: a fast
    # worker may finish before this request returns.
    try:
        celery_app.backend.store_result(task_id, {QUEUED_MARK: asked_at.isoformat()}, "PENDING")
    except Exception as exc:  # noqa: BLE001 - any backend failure is "unreachable"
        raise _backend_down(celery_app, exc) from None
    db.session.add(CalendarJob(task_id=task_id, created_at=asked_at, todo_count=len(todos)))
    db.session.commit()
    try:
        # By name, as an API that does not import the worker's code would: a task of the same
        # name from another Celery app in this process (a student's, in a notebook) cannot
        # shadow it, and the worker checks the arguments.
        celery_app.send_task(
            "ical",
            args=[todos],
            kwargs={"stamp": asked_at.isoformat(), **options},
            task_id=task_id,
            retry=True,
            retry_policy=PUBLISH_RETRY_POLICY,
        )
    except Exception as exc:  # noqa: BLE001 - the broker's client raises many kinds
        db.session.delete(db.session.get(CalendarJob, task_id))
        db.session.commit()
        raise ApiError(
            503,
            f"the broker at {mask_url(celery_app.conf.broker_url)} cannot be reached "
            f"({exc.__class__.__name__}): {start_hint(celery_app.conf.broker_url)}",
            service="broker",
        ) from None
    return jsonify(
        {
            "task_id": task_id,
            "task_url": url_for("api.ical_status", task_id=task_id, _external=True),
        }
    ), 202


@api.get("/todos/ical/<task_id>/status")
def ical_status(task_id: str):
    _known_job(task_id)
    meta = _task_meta(_celery(), task_id)
    status = meta.get("status", "PENDING")
    body: dict = {
        "task_id": task_id,
        "task_status": status,
        "result_url": url_for("api.ical_result", task_id=task_id, _external=True),
    }
    info = meta.get("result")
    if status == "SUCCESS":
        body["progress"] = 1.0
    elif status == "STARTED":
        body["progress"] = info.get("progress", 0.0) if isinstance(info, dict) else 0.0
    elif status == "PENDING":
        body["progress"] = 0.0
    elif status == "FAILURE":
        body["error"] = _failure_reason(meta)
    return jsonify(body)


@api.get("/todos/ical/<task_id>/result")
def ical_result(task_id: str):
    _known_job(task_id)
    meta = _task_meta(_celery(), task_id)
    status = meta.get("status", "PENDING")
    if status == "SUCCESS":
        return Response(
            meta.get("result") or "",
            status=200,
            mimetype="text/calendar",
            headers={"Content-Disposition": 'attachment; filename="taskoverflow.ics"'},
        )
    if status == "FAILURE":
        raise ApiError(409, "Calendar job failed", task_status=status, reason=_failure_reason(meta))
    raise ApiError(404, "Task not finished", task_status=status)
