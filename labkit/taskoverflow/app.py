"""The application factory (Flask tutorial style): config, database, Celery, blueprint, page."""

from __future__ import annotations

from flask import Flask, jsonify, request
from sqlalchemy import event

from labkit.taskoverflow import tasks  # noqa: F401 - registers the `ical` shared task
from labkit.taskoverflow.api import api
from labkit.taskoverflow.celery_app import celery_init_app
from labkit.taskoverflow.db import db
from labkit.taskoverflow.errors import register_error_handlers
from labkit.taskoverflow.settings import (
    MAX_BODY_BYTES,
    celery_config,
    default_database_uri,
    from_environment,
    sqlalchemy_url,
)


def _engine_options(uri: str) -> dict:
    if uri.startswith("postgresql"):
        # A stopped database is a quick 503, not a hang.
        return {"pool_pre_ping": True, "connect_args": {"connect_timeout": 3}}
    return {}


def _tune_sqlite(app: Flask) -> None:
    """WAL journal: readers never wait for the writer, and commits do not fsync each time."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():

        @event.listens_for(db.engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()


def _guard_requests(app: Flask) -> None:
    """Refuse a foreign Host and a cross-site write before any view runs (`labkit.web_guard`):
    a page the student opens must not be able to create todos or calendar jobs."""
    from labkit.web_guard import configured_hosts, refusal

    allowed = frozenset(app.config.get("ALLOWED_HOSTS") or ()) | configured_hosts()

    @app.before_request
    def _check_origin():
        reason = refusal(
            request.method,
            request.headers.get("Host"),
            request.headers.get("Origin"),
            allowed,
            fetch_site=request.headers.get("Sec-Fetch-Site"),
        )
        if reason is not None:
            return jsonify({"error": reason}), 403
        return None


def create_app(test_config: dict | None = None) -> Flask:
    """A TaskOverflow app configured from the environment, then from ``test_config``.

    ``test_config`` may set any Flask key, the environment names (``CELERY_BROKER_URL``...),
    ``CELERY`` (extra Celery settings), ``TASKOVERFLOW_CREATE_TABLES`` (False in the worker,
    which needs no database) and ``ALLOWED_HOSTS`` (host names beside loopback and
    `LABKIT_ALLOWED_HOSTS` that may reach the API).
    """
    app = Flask(__name__, static_folder="static", static_url_path="/static")
    app.config.from_mapping(
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        TASKOVERFLOW_CREATE_TABLES=True,
        **from_environment(),
    )
    if test_config:
        app.config.update(test_config)
    uri = sqlalchemy_url(app.config["SQLALCHEMY_DATABASE_URI"] or default_database_uri())
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", _engine_options(uri))
    app.config["CELERY"] = celery_config(app.config) | dict(app.config.get("CELERY") or {})
    app.json.sort_keys = False
    # An id holding an encoded slash (`0%2F`) would otherwise be answered with an HTML redirect
    # to a merged path; without merging it is simply an unknown route, a JSON 404.
    app.url_map.merge_slashes = False

    db.init_app(app)
    _tune_sqlite(app)
    celery_init_app(app)
    register_error_handlers(app)
    _guard_requests(app)
    app.register_blueprint(api)

    @app.get("/")
    def index():
        return app.send_static_file("index.html")

    if app.config["TASKOVERFLOW_CREATE_TABLES"]:
        with app.app_context():
            db.create_all()
    return app
