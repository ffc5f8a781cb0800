"""Compose mode: the repository's compose file under Docker, checked the same way.

Most students have no Docker: when the `docker` command or its engine is missing this says so
in one line, with the embedded mode as the way on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from labkit.aws_credentials import mask_url
from labkit.paths import REPO_ROOT, log_dir
from labkit.stack import health
from labkit.stack.errors import ServiceUnavailable, StackError

COMPOSE_FILES = ("docker-compose.yml", "docker-compose.yaml", "compose.yaml", "compose.yml")
URLS = {
    "api": "http://127.0.0.1:6400",
    "ui": "http://127.0.0.1:6400/",
    "sqs": "http://127.0.0.1:9324",
    "redis": "redis://127.0.0.1:6379/0",
    "database": "postgresql+psycopg://administrator:verySecretPassword@127.0.0.1:5432/todo",
}
# Inside the compose file's `lab` container the services have names, not 127.0.0.1: the
# compose file passes their URLs in these variables.
URL_VARIABLES = {
    "api": "LABKIT_API_URL",
    "sqs": "LABKIT_SQS_URL",
    "redis": "LABKIT_REDIS_URL",
    "database": "LABKIT_DATABASE_URL",
}
# The `lab` service (JupyterLab in a container) is left to `docker compose up lab`.
SERVICES = ("database", "redis", "sqs", "app", "worker")
EMBEDDED_HINT = "or use the embedded mode, which needs no Docker: `labkit up --mode embedded`"


def compose_file() -> Path | None:
    for name in COMPOSE_FILES:
        if (REPO_ROOT / name).exists():
            return REPO_ROOT / name
    return None


def require_engine() -> list[str]:
    """The `docker compose` command line; StackError when Docker or its engine is missing."""
    docker = shutil.which("docker")
    if not docker:
        raise StackError(f"compose: the `docker` command is not installed; {EMBEDDED_HINT}")
    try:
        info = subprocess.run([docker, "info"], capture_output=True, timeout=20)
    except subprocess.TimeoutExpired:
        info = None
    if info is None or info.returncode != 0:
        raise StackError(
            "compose: Docker is installed but no Docker engine answers (`docker info` failed); "
            f"start Docker Desktop or the docker service, {EMBEDDED_HINT}"
        )
    path = compose_file()
    if path is None:
        raise StackError(f"compose: no compose file in {REPO_ROOT}; {EMBEDDED_HINT}")
    return [docker, "compose", "-f", str(path)]


def urls() -> dict[str, str]:
    """The services' URLs: published ports on 127.0.0.1, or the names the `lab` container uses."""
    found = dict(URLS)
    for name, variable in URL_VARIABLES.items():
        if os.environ.get(variable):
            found[name] = os.environ[variable]
    found["ui"] = found["api"].rstrip("/") + "/"
    return found


def inside_lab_container() -> bool:
    """True in the compose file's `lab` service, where the other containers already run."""
    return os.environ.get("LABKIT_MODE") == "compose" and bool(os.environ.get("LABKIT_API_URL"))


def up(timeout: float = 120.0) -> dict[str, Any]:
    """`docker compose up -d` (all but `lab`), then wait until SQS and the API answer; return the state."""
    compose: list[str] | None = None
    if not inside_lab_container():
        compose = require_engine()
        log = log_dir() / "compose.log"
        with open(log, "ab") as out:
            result = subprocess.run(
                [*compose, "up", "-d", *SERVICES], stdout=out, stderr=subprocess.STDOUT
            )
        if result.returncode != 0:
            raise StackError(f"compose: `docker compose up -d` failed; see {log}")
    found = urls()
    deadline = time.monotonic() + timeout
    checks = {"sqs": health.sqs_ok, "api": health.api_ok, "redis": health.redis_ok}
    pending = set(checks)
    while pending and time.monotonic() < deadline:
        pending = {name for name in pending if not checks[name](found[name])}
        time.sleep(0.2)
    if pending:
        name = sorted(pending)[0]
        raise ServiceUnavailable(
            name, f"the {name} container does not answer; run `docker compose logs {name}`"
        )
    return {
        "mode": "compose",
        "started_at": time.time(),
        "services": {},
        "urls": found,
        "options": {"ical_delay": 0, "redis_db": 0},
        "compose": compose,
    }


def down(state: dict[str, Any]) -> list[str]:
    if inside_lab_container():
        raise StackError("compose: stop the stack from the host with `docker compose down`")
    compose = state.get("compose") or require_engine()
    subprocess.run([*compose, "down"], capture_output=True)
    return ["compose"]


def status_rows(state: dict[str, Any]) -> list[dict[str, Any]]:
    service_urls = state.get("urls") or urls()
    checks = {
        "sqs": health.sqs_ok,
        "redis": health.redis_ok,
        "database": health.database_ok,
        "api": health.api_ok,
    }
    rows = []
    for name, check in checks.items():
        ok = check(service_urls.get(name))
        detail = "answers" if ok else f"container down: `docker compose logs {name}`"
        rows.append(
            {
                "service": name,
                "status": "ok" if ok else "down",
                "url": mask_url(service_urls.get(name)) if service_urls.get(name) else "",
                "pid": None,
                "detail": detail,
            }
        )
    return rows
