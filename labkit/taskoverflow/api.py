"""The ``/api/v1`` blueprint: todos (SPEC section 2) and the calendar jobs (section 3).

Each view is registered with its description (`DescribedBlueprint.operation`): the body and
query it reads, the answers it gives. The same description checks the request and writes the
OpenAPI document served at ``/openapi.json``.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from celery import Celery
from flask import Response, current_app, jsonify, request, url_for
from sqlalchemy import select

from labkit.taskoverflow.answers import (
    CALENDAR_JOB,
    CALENDAR_STATUS,
    HEALTH,
    TODO,
    UNAVAILABLE,
    error,
)
from labkit.taskoverflow.bodies import CALENDAR_OPTIONS, TODO_CREATE, TODO_UPDATE
from labkit.taskoverflow.celery_app import has_result_backend
from labkit.taskoverflow.dates import utcnow
from labkit.taskoverflow.db import db
from labkit.taskoverflow.errors import ApiError
from labkit.taskoverflow.models import CalendarJob, Todo
from labkit.taskoverflow.openapi import document
from labkit.taskoverflow.routes import Answer, DescribedBlueprint, Query
from labkit.taskoverflow.settings import (
    PUBLISH_RETRY_POLICY,
    mask_url,
    start_hint,
)

api = DescribedBlueprint("api", __name__, url_prefix="/api/v1")

MAX_ID = 2**31 - 1  # PostgreSQL's integer; larger ids can only be "not found"
WINDOW_MAX_DAYS = 36500
QUEUED_MARK = "queued_at"
LOST_REASON = (
    "the lab stack was restarted (or its Redis data was lost) before this job finished: "
    "its record is gone and no worker will report on it; POST /todos/ical again"
)


def _true_or_false(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError(text)
    return text.lower() == "true"


def _days(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,5}", text.strip()) or int(text) > WINDOW_MAX_DAYS:
        raise ValueError(text)
    return int(text)


COMPLETED = Query(
    "completed",
    {"type": "string", "enum": ["true", "false"]},
    _true_or_false,
    "completed must be true or false",
)
WINDOW = Query(
    "window",
    {"type": "integer", "minimum": 0, "maximum": WINDOW_MAX_DAYS},
    _days,
    f"window must be a whole number of days (0-{WINDOW_MAX_DAYS})",
    description="days from now the deadline falls within; todos without a deadline are in no "
    "window",
)
THE_TODO = Answer(200, "the todo", TODO)
NO_TODO = error(404, "no todo with this id")


def _get_todo(todo_id: int) -> Todo | None:
    return db.session.get(Todo, todo_id) if 0 < todo_id <= MAX_ID else None


# ---- the document and health ----------------------------------------------------------------


@api.operation(
    "GET /openapi.json",
    "This document",
    [Answer(200, "OpenAPI 3.1 document", {"type": "object"})],
)
def openapi():
    return jsonify(document(api.operations, request.url_root.rstrip("/") + "/api/v1"))


@api.operation(
    "GET /health",
    "Liveness (the load balancer's health check)",
    [Answer(200, "the API answers", HEALTH)],
)
def health():
    return jsonify({"status": "ok"})


# ---- todos ----------------------------------------------------------------------------------


@api.operation(
    "GET /todos",
    "Todos in insertion (id) order",
    [Answer(200, "the todos", {"type": "array", "items": TODO}), UNAVAILABLE],
    query=[COMPLETED, WINDOW],
)
def list_todos():
    query = select(Todo).order_by(Todo.id)
    asked = api.query_values()
    if "completed" in asked:
        query = query.where(Todo.completed.is_(asked["completed"]))
    if "window" in asked:
        limit = utcnow() + timedelta(days=asked["window"])
        # A todo with no deadline is in no window (the course code crashed on it).
        query = query.where(Todo.deadline_at.is_not(None), Todo.deadline_at <= limit)
    return jsonify([todo.to_dict() for todo in db.session.scalars(query)])


@api.operation("GET /todos/<int:todo_id>", "One todo", [THE_TODO, NO_TODO, UNAVAILABLE])
def get_todo(todo_id: int):
    todo = _get_todo(todo_id)
    if todo is None:
        raise ApiError(404, "Todo not found")
    return jsonify(todo.to_dict())


@api.operation(
    "POST /todos",
    "Create a todo",
    [Answer(201, "the new todo", TODO), UNAVAILABLE],
    body=TODO_CREATE,
)
def create_todo():
    todo = Todo(**api.body_values())
    db.session.add(todo)
    db.session.commit()
    return jsonify(todo.to_dict()), 201


@api.operation(
    "PUT /todos/<int:todo_id>",
    "Change some of the four fields",
    [THE_TODO, NO_TODO, UNAVAILABLE],
    body=TODO_UPDATE,
)
def update_todo(todo_id: int):
    todo = _get_todo(todo_id)
    if todo is None:
        raise ApiError(404, "Todo not found")
    for name, value in api.body_values().items():
        setattr(todo, name, value)
    db.session.commit()
    return jsonify(todo.to_dict())


@api.operation(
    "DELETE /todos/<int:todo_id>",
    "Delete; an unknown id answers {} (as the course API)",
    [
        Answer(
            200,
            "the deleted todo, or {}",
            {"oneOf": [TODO, {"type": "object", "maxProperties": 0}]},
        ),
        error(404, "the id is not a whole number"),
        UNAVAILABLE,
    ],
)
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


def _job_state(task_id: str) -> tuple[str, dict]:
    """The Celery state of a job this API issued (404 for any other id), and its record."""
    _known_job(task_id)
    meta = _task_meta(_celery(), task_id)
    return meta.get("status", "PENDING"), meta


def _failure_reason(meta: dict) -> str:
    exc = meta.get("result")
    if isinstance(exc, BaseException):
        return f"{exc.__class__.__name__}: {exc}"
    return str(exc)


def queue_calendar(todos: list[dict], options: dict[str, Any]) -> str:
    """Queue one calendar job of ``todos`` (the API's todo dicts) and record it; its task id.

    ApiError 503 when the broker or the result backend is missing or down.
    """
    celery_app = _celery()
    if not celery_app.conf.broker_url:
        raise ApiError(
            503,
            "no broker configured: set CELERY_BROKER_URL (e.g. redis://localhost:6379) "
            "for the API and the worker",
            service="broker",
        )
    _require_backend(celery_app)
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
    return task_id


@api.operation(
    "POST /todos/ical",
    "Queue a calendar job for every todo (the body is optional)",
    [Answer(202, "queued", CALENDAR_JOB), UNAVAILABLE],
    body=CALENDAR_OPTIONS,
    body_required=False,
)
def create_ical():
    options = api.body_values()
    todos = [t.to_dict() for t in db.session.scalars(select(Todo).order_by(Todo.id))]
    task_id = queue_calendar(todos, options)
    return jsonify(
        {
            "task_id": task_id,
            "task_url": url_for("api.ical_status", task_id=task_id, _external=True),
        }
    ), 202


@api.operation(
    "GET /todos/ical/<task_id>/status",
    "A calendar job's Celery state",
    [
        Answer(200, "the job's Celery state", CALENDAR_STATUS),
        error(404, "this API never issued the job id"),
        UNAVAILABLE,
    ],
)
def ical_status(task_id: str):
    status, meta = _job_state(task_id)
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


@api.operation(
    "GET /todos/ical/<task_id>/result",
    "A finished calendar job's calendar",
    [
        Answer(200, "the calendar (RFC 5545)", {"type": "string"}, media_type="text/calendar"),
        error(404, "unknown job, or not finished yet"),
        error(409, "the job failed; `reason` says why"),
        UNAVAILABLE,
    ],
)
def ical_result(task_id: str):
    status, meta = _job_state(task_id)
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
