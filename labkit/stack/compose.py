"""Compose mode: the repository's compose file under Docker, checked the same way.

Works with Compose v2 (`docker compose`) and v1 (`docker-compose`, what Debian and many school
machines have). Host ports come from `LABKIT_*_PORT` variables that docker-compose.yml reads
with the course's defaults; a default port that is taken (a PostgreSQL or Redis already on the
machine, a second stack) is replaced by a free one and the note says so. The compose command,
project name, ports and JupyterLab token are recorded in the state, so `labkit down` and
`labkit lab` talk to the same containers whichever directory or Compose version runs them.

Most students have no Docker: when the engine or Compose is missing this says so in one line,
with the embedded mode as the way on.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labkit.net import free_port, port_is_free
from labkit.paths import REPO_ROOT, log_dir, open_private
from labkit.redact import mask_url
from labkit.stack import health
from labkit.stack.compose_secrets import (
    DATABASE_USER,
    secret_environment,
    stack_passwords,
    write_env_file,
)
from labkit.stack.errors import ServiceUnavailable, StackError
from labkit.waiting import Deadline, eventually

COMPOSE_FILES = ("docker-compose.yml", "docker-compose.yaml", "compose.yaml", "compose.yml")


@dataclass(frozen=True)
class Port:
    """A published port: the variable docker-compose.yml reads, the container's port, the
    compose service that publishes it."""

    variable: str
    container: int
    service: str


# Keyed by labkit's name for the service (`api` is the compose file's `app`).
PORTS = {
    "database": Port("LABKIT_DATABASE_PORT", 5432, "database"),
    "redis": Port("LABKIT_REDIS_PORT", 6379, "redis"),
    "sqs": Port("LABKIT_SQS_PORT", 9324, "sqs"),
    "api": Port("LABKIT_API_PORT", 6400, "app"),
    "lab": Port("LABKIT_LAB_PORT", 8888, "lab"),
}
TOKEN_VARIABLE = "LABKIT_LAB_TOKEN"
# Inside the compose file's `lab` container the services have names, not 127.0.0.1: the
# compose file passes their URLs in these variables.
URL_VARIABLES = {
    "api": "LABKIT_API_URL",
    "sqs": "LABKIT_SQS_URL",
    "redis": "LABKIT_REDIS_URL",
    "database": "LABKIT_DATABASE_URL",
}
# `labkit up` starts these; the `lab` service (JupyterLab in a container) is `labkit lab`'s.
SERVICES = ("database", "redis", "sqs", "app", "worker")
EMBEDDED_HINT = "or use the embedded mode, which needs no Docker: `labkit up --mode embedded`"


def compose_file() -> Path | None:
    for name in COMPOSE_FILES:
        if (REPO_ROOT / name).exists():
            return REPO_ROOT / name
    return None


def project_name() -> str:
    """`COMPOSE_PROJECT_NAME`, else the compose file's folder name normalised as Compose does
    (passed with `-p`, so v1 and v2 agree on it)."""
    name = os.environ.get("COMPOSE_PROJECT_NAME") or REPO_ROOT.name
    return re.sub(r"[^a-z0-9_-]", "", name.lower()) or "queuelab"


def _answers(argv: list[str], timeout: float = 20) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=timeout).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def compose_program() -> list[str]:
    """`docker compose` when the v2 plugin answers, else `docker-compose` (v1); StackError
    naming both when neither is installed."""
    docker = shutil.which("docker")
    if docker and _answers([docker, "compose", "version"]):
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy:
        return [legacy]
    if not docker:
        raise StackError(f"compose: the `docker` command is not installed; {EMBEDDED_HINT}")
    raise StackError(
        "compose: neither `docker compose` (v2) nor `docker-compose` (v1) is installed; "
        f"install Docker Compose, {EMBEDDED_HINT}"
    )


def require_engine() -> list[str]:
    """The compose command line (`-f FILE -p PROJECT` included); StackError when Docker, its
    engine or Compose is missing."""
    program = compose_program()
    docker = shutil.which("docker")
    if docker and not _answers([docker, "info"]):
        raise StackError(
            "compose: Docker is installed but no Docker engine answers (`docker info` failed); "
            f"start Docker Desktop or the docker service, {EMBEDDED_HINT}"
        )
    path = compose_file()
    if path is None:
        raise StackError(f"compose: no compose file in {REPO_ROOT}; {EMBEDDED_HINT}")
    return [*program, "-f", str(path), "-p", project_name()]


def urls_for(ports: dict[str, int], passwords: dict[str, str] | None = None) -> dict[str, str]:
    """The services' URLs on 127.0.0.1 for the given published ports and stack passwords."""
    api = f"http://127.0.0.1:{ports['api']}"
    passwords = passwords or {}
    redis_auth = f":{passwords['redis']}@" if passwords.get("redis") else ""
    database = passwords.get("database", "")
    return {
        "api": api,
        "ui": api + "/",
        "sqs": f"http://127.0.0.1:{ports['sqs']}",
        "redis": f"redis://{redis_auth}127.0.0.1:{ports['redis']}/0",
        "database": f"postgresql+psycopg://{DATABASE_USER}:{database}@127.0.0.1:"
        f"{ports['database']}/todo",
    }


def container_urls() -> dict[str, str]:
    """Inside the `lab` container: the other services by their compose names."""
    found = urls_for({name: port.container for name, port in PORTS.items()})
    for name, variable in URL_VARIABLES.items():
        if os.environ.get(variable):
            found[name] = os.environ[variable]
    found["ui"] = found["api"].rstrip("/") + "/"
    return found


def inside_lab_container() -> bool:
    """True in the compose file's `lab` service, where the other containers already run."""
    return os.environ.get("LABKIT_MODE") == "compose" and bool(os.environ.get("LABKIT_API_URL"))


def running_ports(project: str) -> dict[str, int]:
    """Host ports the project's running containers publish, by labkit's service name."""
    docker = shutil.which("docker")
    if not docker:
        return {}
    try:
        listing = subprocess.run(
            [
                docker,
                "ps",
                "--filter",
                f"label=com.docker.compose.project={project}",
                "--format",
                '{{.Label "com.docker.compose.service"}}\t{{.Ports}}',
            ],
            capture_output=True,
            text=True,
            timeout=20,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    by_service = {port.service: name for name, port in PORTS.items()}
    found: dict[str, int] = {}
    for line in listing.splitlines():
        service, _, published = line.partition("\t")
        name = by_service.get(service)
        if name is None:
            continue
        match = re.search(rf":(\d+)->{PORTS[name].container}/tcp", published)
        if match:
            found[name] = int(match.group(1))
    return found


def choose_ports(
    explicit: dict[str, int | None], running: dict[str, int]
) -> tuple[dict[str, int], list[str]]:
    """Host port per service: an explicit one (must be free unless our container holds it),
    else the running container's, else `LABKIT_*_PORT` or the default, moved to a free port
    when taken. Returns the ports and a note per moved port."""
    ports: dict[str, int] = {}
    notes: list[str] = []
    for name, port in PORTS.items():
        wanted = explicit.get(name)
        if wanted is not None:
            if running.get(name) != wanted and not port_is_free(wanted):
                raise StackError(
                    f"compose: port {wanted} for {name} is in use; pick another "
                    f"(--{name}-port) or stop what holds it"
                )
            ports[name] = wanted
        elif name in running:
            ports[name] = running[name]
        else:
            preferred = int(os.environ.get(port.variable) or port.container)
            ports[name] = preferred if port_is_free(preferred) else free_port()
            if ports[name] != preferred:
                notes.append(f"{name}: port {preferred} is taken, using {ports[name]} instead")
    return ports, notes


def compose_environment(state: dict[str, Any]) -> dict[str, str]:
    """The environment every compose command of this stack runs with: the recorded ports and
    token, so a later `up`/`down` sees the same configuration and recreates nothing."""
    env = dict(os.environ)
    for name, port in PORTS.items():
        env[port.variable] = str(state["ports"][name])
    env[TOKEN_VARIABLE] = state["lab_token"]
    env |= secret_environment(state)
    return env


def run_compose(state: dict[str, Any], *arguments: str) -> None:
    """Run one compose command for this stack, output appended to the compose log."""
    log = log_dir() / "compose.log"
    with open_private(log) as out:
        out.write(f"$ compose {' '.join(arguments)}\n".encode())
        out.flush()
        result = subprocess.run(
            [*state["compose"], *arguments],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=compose_environment(state),
            cwd=REPO_ROOT,
        )
    if result.returncode != 0:
        tail = _last_line(log)
        raise StackError(f"compose: `{' '.join(arguments[:2])}` failed ({tail}); see {log}")


def _last_line(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no output"
    return lines[-1].strip()[:200] if lines else "no output"


def _service_checks() -> dict[str, Any]:
    return {
        "sqs": health.sqs_ok,
        "api": health.api_ok,
        "redis": health.redis_ok,
        "database": health.database_ok,
    }


def wait_healthy(found: dict[str, str], timeout: float) -> None:
    """Until SQS, the API, Redis and the database answer; ServiceUnavailable naming the first
    one that does not."""
    checks = _service_checks()
    pending = set(checks)

    def all_answer() -> bool:
        pending.difference_update([name for name in pending if checks[name](found[name])])
        return not pending

    if not eventually(all_answer, timeout, poll=0.2):
        name = sorted(pending)[0]
        service = PORTS[name].service
        raise ServiceUnavailable(
            name, f"the {service} container does not answer; run `docker compose logs {service}`"
        )


def up(
    current: dict[str, Any] | None = None,
    *,
    api_port: int | None = None,
    sqs_port: int | None = None,
    redis_port: int | None = None,
    database_port: int | None = None,
    lab_port: int | None = None,
    timeout: float = 180.0,
) -> tuple[dict[str, Any], list[str]]:
    """`compose up -d` (all but `lab`) on free host ports, then wait until the services
    answer; return the state to record and notes. A recorded stack that answers is reused."""
    if inside_lab_container():
        found = container_urls()
        wait_healthy(found, timeout)
        return {"mode": "compose", "started_at": time.time(), "urls": found, "inside": True}, []
    explicit = {
        "api": api_port,
        "sqs": sqs_port,
        "redis": redis_port,
        "database": database_port,
        "lab": lab_port,
    }
    if current and current.get("mode") == "compose" and current.get("ports"):
        asked = {k: v for k, v in explicit.items() if v is not None}
        if all(current["ports"][k] == v for k, v in asked.items()) and _answering(current):
            return current, []
    compose = require_engine()
    project = compose[compose.index("-p") + 1]
    ports, notes = choose_ports(explicit, running_ports(project))
    token = (current or {}).get("lab_token") or secrets.token_hex(24)
    passwords = stack_passwords(current)
    state: dict[str, Any] = {
        "mode": "compose",
        "started_at": time.time(),
        "compose": compose,
        "project": project,
        "ports": ports,
        "lab_token": token,
        "passwords": passwords,
        "urls": urls_for(ports, passwords),
    }
    write_env_file(state)
    run_compose(state, "up", "-d", *SERVICES)
    budget = Deadline(timeout)
    wait_healthy(state["urls"], budget.left())
    wait_worker(state, max(1.0, budget.left()))
    return state, notes


def wait_worker(state: dict[str, Any], timeout: float) -> None:
    """Until Docker reports the worker container healthy (its node sends heartbeats)."""
    ready, broken = ("healthy", "unknown"), ("unhealthy", "not running")
    found = ""

    def settled() -> bool:
        nonlocal found
        found = worker_health(state)
        return found in ready or found in broken

    if not eventually(settled, timeout, poll=1.0) or found in broken:
        raise ServiceUnavailable(
            "worker", f"the worker container is {found}; run `docker compose logs worker`"
        )


def _answering(state: dict[str, Any]) -> bool:
    checks = _service_checks()
    return all(check(state["urls"].get(name)) for name, check in checks.items())


def lab_url(state: dict[str, Any]) -> str:
    """JupyterLab's address with its token (what `labkit lab` and `labkit status` print)."""
    return f"http://127.0.0.1:{state['ports']['lab']}/lab?token={state['lab_token']}"


def start_lab(state: dict[str, Any], timeout: float = 180.0) -> str:
    """Start the `lab` container of a running compose stack; return its tokened address."""
    if state.get("inside"):
        raise StackError("compose: this is the lab container; JupyterLab already runs here")
    if not state.get("ports"):
        raise StackError("compose: no compose stack is recorded; run `labkit up --mode compose`")
    run_compose(state, "up", "-d", "lab")
    base = f"http://127.0.0.1:{state['ports']['lab']}"
    if not eventually(lambda: health.http_ok(base, "/api"), timeout, poll=0.5):
        raise ServiceUnavailable(
            "lab", "the lab container does not answer; run `docker compose logs lab`"
        )
    return lab_url(state)


def down(state: dict[str, Any]) -> list[str]:
    """`compose down`: containers, the project's network and anonymous volumes go."""
    if inside_lab_container() or state.get("inside"):
        raise StackError("compose: stop the stack from the host with `labkit down`")
    if not state.get("compose"):
        state = {**state, "compose": require_engine()}
    if not state.get("ports"):  # a state from before ports were recorded
        state = {**state, "ports": {n: p.container for n, p in PORTS.items()}, "lab_token": ""}
    run_compose(state, "down", "--remove-orphans", "--volumes")
    return ["compose"]


def worker_health(state: dict[str, Any]) -> str:
    """The worker container's health as Docker reports it ("healthy", "starting", ...), or
    "not running"."""
    docker = shutil.which("docker")
    project = state.get("project")
    if not docker or not project:
        return "unknown"
    try:
        result = subprocess.run(
            [
                docker,
                "ps",
                "--filter",
                f"label=com.docker.compose.project={project}",
                "--filter",
                "label=com.docker.compose.service=worker",
                "--format",
                "{{.Status}}",
            ],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    status = result.stdout.strip().splitlines()
    if not status:
        return "not running"
    match = re.search(r"\((healthy|unhealthy|health: starting)\)", status[0])
    return match.group(1).replace("health: ", "") if match else "running"


def status_rows(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Database, Redis, SQS and API by their ports; the worker by its health check; the lab
    container (with its tokened address) when it runs."""
    service_urls = state.get("urls") or container_urls()
    rows = []
    for name, check in _service_checks().items():
        ok = check(service_urls.get(name))
        service = PORTS[name].service
        detail = "answers" if ok else f"container down: `docker compose logs {service}`"
        rows.append(_row(name, ok, mask_url(service_urls.get(name)), detail))
    if not state.get("inside"):
        worker = worker_health(state)
        ok = worker == "healthy"
        detail = "answers a ping" if ok else f"{worker}: `docker compose logs worker`"
        rows.append(_row("worker", ok, "", detail))
        if state.get("ports") and health.http_ok(
            f"http://127.0.0.1:{state['ports']['lab']}", "/api"
        ):
            rows.append(_row("lab", True, lab_url(state), "JupyterLab answers"))
    return rows


def _row(service: str, ok: bool, url: str, detail: str) -> dict[str, Any]:
    status = "ok" if ok else "down"
    return {"service": service, "status": status, "url": url, "pid": None, "detail": detail}
