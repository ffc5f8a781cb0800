"""Health checks: does each service of the lab answer? Fast (sub-second) and never raising."""

from __future__ import annotations

import http.client
import os
import sqlite3
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from labkit.emulator.admin import HEALTH
from labkit.net import port_answers
from labkit.stack.processes import CELERY_READY, log_contains
from labkit.stack.redis import redis_answers

SQS_HEALTH = HEALTH.path  # the emulator's route table spells it
API_HEALTH = "/api/v1/health"


def http_ok(url: str, path: str, timeout: float = 0.5) -> bool:
    """True when GET url+path answers 200 (plain http.client: no import cost, no retries).
    The one probe of the emulator's health route: the stack's checks and `EmulatorAdmin`."""
    parsed = urlparse(url)
    https = parsed.scheme == "https"
    kind = http.client.HTTPSConnection if https else http.client.HTTPConnection
    conn = kind(
        parsed.hostname or "127.0.0.1", parsed.port or (443 if https else 80), timeout=timeout
    )
    try:
        conn.request("GET", parsed.path.rstrip("/") + path)
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def sqs_ok(url: str | None, timeout: float = 0.5) -> bool:
    return bool(url) and http_ok(url, SQS_HEALTH, timeout)


def api_ok(url: str | None) -> bool:
    return bool(url) and http_ok(url, API_HEALTH)


def redis_ok(url: str | None, timeout: float = 0.5) -> bool:
    return bool(url) and redis_answers(url, timeout=timeout)


def worker_ok(log_path: str | None, offset: int = 0) -> bool:
    """The worker logged Celery's "ready." line since it was started (its pid is checked apart)."""
    return bool(log_path) and log_contains(Path(log_path), CELERY_READY, offset)


# What a write to the database needs beside its own pages: SQLite's WAL and journal grow, and
# the API's commits fail with "database or disk is full" long before the disk shows 0 bytes.
DISK_PROBE_BYTES = 256 * 1024


def database_problem(url: str | None) -> str | None:
    """Why the database cannot take writes, or None when it can.

    SQLite: the file takes a write lock (`BEGIN IMMEDIATE`, rolled back: nothing is written)
    and its folder takes a 256 KiB file (a full disk or a read-only mount fails here, also for
    root, whom file modes do not stop). A server database: its port accepts connections.
    """
    if not url:
        return "not configured"
    if not url.startswith("sqlite"):
        parsed = urlparse(url)
        if port_answers(parsed.port or 5432, parsed.hostname or "127.0.0.1"):
            return None
        return "does not accept connections"
    path = url.split(":///", 1)[-1].split("?", 1)[0]
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        return f"folder {folder} does not exist"
    try:
        fd, probe = tempfile.mkstemp(prefix=".labkit-disk-", dir=folder)
        try:
            os.write(fd, b"\0" * DISK_PROBE_BYTES)
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        return f"cannot write in {folder}: {exc.strerror or exc}"
    if not os.path.exists(path):
        return None  # the API creates it on its first start
    try:
        conn = sqlite3.connect(path, timeout=0.5, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):  # a writer holds it right now: it is writable
            return None
        return f"cannot write {os.path.basename(path)}: {exc}"
    except sqlite3.DatabaseError as exc:
        return f"{os.path.basename(path)} is damaged: {exc}"
    return None


def database_ok(url: str | None) -> bool:
    return database_problem(url) is None


def process_stopped(pid: int | None) -> bool:
    """True when ``pid`` is stopped (SIGSTOP, Ctrl-Z): alive, yet it does nothing."""
    if not pid:
        return False
    import psutil

    try:
        return psutil.Process(pid).status() == psutil.STATUS_STOPPED
    except psutil.Error:
        return False


def worker_answers(broker_url: str | None, node: str | None, timeout: float = 2.0) -> bool:
    """True when the Celery worker ``node`` answers a ping over the broker within ``timeout``.

    A stopped (SIGSTOP) or hung worker still has a live pid and a "ready." line in its log;
    only a ping shows it no longer takes jobs.
    """
    if not broker_url or not node:
        return False
    try:
        from celery import Celery

        app = Celery("labkit-health", broker=broker_url, set_as_current=False)
        app.conf.broker_connection_timeout = timeout
        app.conf.broker_connection_retry = False
        app.conf.broker_connection_retry_on_startup = False
        try:
            replies = app.control.ping(destination=[node], timeout=timeout, limit=1)
        finally:
            app.close()
    except Exception:  # noqa: BLE001 - a broker that is down: the worker is not answering
        return False
    return any(node in reply for reply in replies)
