"""Health checks: does each service of the lab answer? Fast (sub-second) and never raising."""

from __future__ import annotations

import http.client
import os
from pathlib import Path
from urllib.parse import urlparse

from labkit.net import port_answers
from labkit.stack.processes import CELERY_READY, log_contains
from labkit.stack.redis import redis_answers

SQS_HEALTH = "/_labkit/health"
API_HEALTH = "/api/v1/health"


def http_ok(url: str, path: str, timeout: float = 0.5) -> bool:
    """True when GET url+path answers 200 (plain http.client: no import cost, no retries)."""
    parsed = urlparse(url)
    conn = http.client.HTTPConnection(
        parsed.hostname or "127.0.0.1", parsed.port or 80, timeout=timeout
    )
    try:
        conn.request("GET", path)
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def sqs_ok(url: str | None) -> bool:
    return bool(url) and http_ok(url, SQS_HEALTH)


def api_ok(url: str | None) -> bool:
    return bool(url) and http_ok(url, API_HEALTH)


def redis_ok(url: str | None, timeout: float = 0.5) -> bool:
    return bool(url) and redis_answers(url, timeout=timeout)


def worker_ok(log_path: str | None, offset: int = 0) -> bool:
    """The worker logged Celery's "ready." line since it was started (its pid is checked apart)."""
    return bool(log_path) and log_contains(Path(log_path), CELERY_READY, offset)


def database_ok(url: str | None) -> bool:
    """SQLite: its folder is writable; a server database: its port accepts connections."""
    if not url:
        return False
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        folder = os.path.dirname(path) or "."
        return os.path.isdir(folder) and os.access(folder, os.W_OK)
    parsed = urlparse(url)
    return port_answers(parsed.port or 5432, parsed.hostname or "127.0.0.1")
