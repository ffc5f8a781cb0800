"""Every error the API gives is JSON with an ``error`` key; none is a traceback.

`ApiError` is raised by the views for a 4xx/503 with a message; the catch-alls turn Werkzeug's
HTTP errors (404, 405, 413, 415...) and anything unexpected into the same shape.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from labkit.redact import redact

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An answer other than success: status code, message and extra JSON fields."""

    def __init__(self, status: int, message: str, **extra: object) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


MESSAGES = {
    400: "bad request",
    404: "not found",
    405: "method not allowed",
    413: "request body too large",
    415: "unsupported media type: send JSON with Content-Type: application/json",
}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        # Messages may quote a broker or backend URL: every string goes through the one mask.
        extra = {k: redact(v) if isinstance(v, str) else v for k, v in exc.extra.items()}
        return jsonify({"error": redact(exc.message), **extra}), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        body: dict = {"error": MESSAGES.get(code, exc.name.lower())}
        if code == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH")
            body["limit_bytes"] = limit
        response = jsonify(body)
        response.status_code = code
        if code == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)
    def database_down(exc: Exception):
        log.warning("database error: %s", exc.__class__.__name__)
        text = str(exc).lower()
        if "disk is full" in text or "no space left" in text:
            message = "the database cannot write: its disk is full; free space and retry"
        elif "readonly" in text or "read-only" in text:
            message = "the database cannot write: its file or disk is read-only"
        else:
            message = (
                "the database cannot be reached: check SQLALCHEMY_DATABASE_URI and that it runs"
            )
        return jsonify({"error": message}), 503

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unexpected error")
        return jsonify({"error": "internal error; see the API log"}), 500
