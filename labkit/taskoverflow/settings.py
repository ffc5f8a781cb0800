"""Configuration from the environment, with the names the course uses (SPEC section 4).

Also repairs the URLs students copy from the handout: ``postgresql://`` (and
``db+postgresql://`` for Celery) would load psycopg2, which is not installed; psycopg 3 is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from labkit.aws_credentials import DEFAULT_REGION
from labkit.paths import default_database_url
from labkit.redact import mask_url as _mask_url

MAX_BODY_BYTES = 64 * 1024
MAX_DELAY_SECONDS = 120.0
VISIBILITY_TIMEOUT_SECONDS = 300
# How long the API may spend publishing before it answers 503 (the budget is 5 s in all).
PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.3,
    "interval_max": 0.5,
}
CONNECT_TIMEOUT_SECONDS = 1.5
# The worker's result writes: a finished calendar is stored even across a Redis blip of about
# half a minute (retries back off from 0.2 s to 2 s). The API keeps its quick 503s instead.
WORKER_RESULT_RETRIES = {
    "result_backend_always_retry": True,
    "result_backend_max_retries": 30,
    "result_backend_base_sleep_between_retries_ms": 200,
    "result_backend_max_sleep_between_retries_ms": 2000,
}


def default_database_uri() -> str:
    """SQLite in the state dir: the same file the lab stack's API uses."""
    return default_database_url()


def sqlalchemy_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` use psycopg 3 (the driver installed)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def result_backend_url(url: str | None) -> str | None:
    """Celery's ``db+postgresql://`` from the handout, on psycopg 3."""
    if url and url.startswith("db+"):
        return "db+" + sqlalchemy_url(url[3:])
    return url or None


def mask_url(url: str | None) -> str:
    """The URL with any password replaced by ``***``, safe to print or return."""
    return _mask_url(url, hidden="***")


def start_hint(url: str | None) -> str:
    """How to bring up the service at ``url``, for a 503 message."""
    if url and url.startswith("sqs"):
        return (
            "check AWS_ENDPOINT_URL_SQS and the credentials (`labkit up` starts the SQS "
            "emulator) and retry"
        )
    if url and url.startswith("db+"):
        return "start the database (`docker compose up database`) and retry"
    return "start it (`labkit up`, or `docker compose up redis`) and retry"


def _delay(value: str | None) -> float:
    if value in (None, ""):
        return 0.0
    try:
        delay = float(value)
    except ValueError:
        raise ValueError(f"ICAL_DELAY_SECONDS must be a number of seconds, not {value!r}") from None
    if delay < 0:
        raise ValueError("ICAL_DELAY_SECONDS must not be negative")
    return delay


def from_environment(environ: Mapping[str, str] | None = None) -> dict:
    """The Flask config keys read from the environment (defaults for what is unset)."""
    env = os.environ if environ is None else environ
    return {
        # None means "SQLite under the state dir", decided after test_config (see create_app).
        "SQLALCHEMY_DATABASE_URI": env.get("SQLALCHEMY_DATABASE_URI") or None,
        "CELERY_BROKER_URL": env.get("CELERY_BROKER_URL") or None,
        "CELERY_RESULT_BACKEND": env.get("CELERY_RESULT_BACKEND") or None,
        "CELERY_DEFAULT_QUEUE": env.get("CELERY_DEFAULT_QUEUE") or "ical",
        "ICAL_DELAY_SECONDS": _delay(env.get("ICAL_DELAY_SECONDS")),
    }


def celery_config(config: Mapping) -> dict:
    """Celery settings for the app and the worker.

    Results are kept and STARTED is reported (the status endpoint needs both). Jobs are
    acknowledged after they run and given back when a worker dies mid-job, so a killed worker
    costs a retry, not a lost calendar; the task is a pure function, so running twice is safe.
    Connection timeouts are short so an unreachable broker is a quick 503, not a hang.
    """
    broker = config.get("CELERY_BROKER_URL")
    # A job taken by a worker that dies is given to another after this long: longer than the
    # slowest job (MAX_DELAY_SECONDS plus the calendar), short enough that a killed worker's
    # job does not sit in STARTED for a quarter of an hour. Terraform's ical queue matches it.
    transport: dict = {"visibility_timeout": VISIBILITY_TIMEOUT_SECONDS}
    if broker and broker.startswith(("redis://", "rediss://")):
        transport |= {"socket_connect_timeout": CONNECT_TIMEOUT_SECONDS, "socket_timeout": 5}
    elif broker and broker.startswith("sqs://"):
        transport |= {
            "region": os.environ.get("AWS_DEFAULT_REGION", DEFAULT_REGION),
            "client-config": {"connect_timeout": CONNECT_TIMEOUT_SECONDS},
        }
    return {
        "broker_url": broker,
        "result_backend": result_backend_url(config.get("CELERY_RESULT_BACKEND")),
        "task_default_queue": config.get("CELERY_DEFAULT_QUEUE") or "ical",
        "task_ignore_result": False,
        "task_track_started": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_send_sent_event": True,
        "task_publish_retry_policy": dict(PUBLISH_RETRY_POLICY),
        "worker_prefetch_multiplier": 1,
        "broker_connection_timeout": CONNECT_TIMEOUT_SECONDS,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": transport,
        "redis_socket_connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "redis_socket_timeout": 5,
        "result_backend_transport_options": {"retry_policy": {"max_retries": 1}},
    }
