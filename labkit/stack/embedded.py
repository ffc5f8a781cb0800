"""Embedded mode: every service as a child process on 127.0.0.1, no Docker and no AWS.

SQS is labkit's emulator, Redis is `LABKIT_REDIS_URL` when it answers (else a real
`redis-server`, else labkit's pure-Python one: `labkit.stack.redis.find_redis_server`), the database is a SQLite file under the state dir, and `labkit api` / `labkit worker`
run as children. All are started at once and polled every 20 ms until they answer, so a cold
start takes about as long as the slowest import. Calling `up()` again attaches: services that
are alive and healthy are kept, dead ones are restarted (and their dependants, when an address
changed).
"""

from __future__ import annotations

import os
import shutil
import socket
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from labkit.emulator.sigv4 import SECRET_VARIABLE
from labkit.net import free_port, port_is_free, wait_for_port
from labkit.paths import database_file, default_database_url, log_dir, state_dir
from labkit.redact import mask_url
from labkit.stack import health
from labkit.stack.clients import DEFAULT_REGION, class_credentials, emulator_client, emulator_secret
from labkit.stack.errors import ServiceUnavailable
from labkit.stack.processes import (
    create_time,
    labkit_argv,
    listens_on,
    log_tail,
    pid_alive,
    spawn,
    stop_all_recorded,
    stop_extra_workers,
    stop_recorded,
)
from labkit.stack.redis import (
    configured_redis_url,
    find_redis_server,
    host_port,
    start_redis_server,
    url_password,
    with_db,
)
from labkit.waiting import eventually, wait_until

PREFERRED_PORTS = {"sqs": 9324, "api": 6400}
# Set in the environment of every service the stack spawns (value: the state dir), so `down`
# finds them even when stack.json is lost, damaged or was never written (an interrupted `up`).
STACK_MARK = "LABKIT_STACK_HOME"
SERVICES = ("redis", "sqs", "api", "worker")
START_TIMEOUT = 30.0
POLL = 0.02


def stack_redis_db(explicit: int | None = None) -> int:
    """The Redis database of the stack: argument, else `LABKIT_STACK_REDIS_DB`, else 0."""
    if explicit is not None:
        return int(explicit)
    return int(os.environ.get("LABKIT_STACK_REDIS_DB") or 0)


def sqlite_url() -> str:
    """The stack's database: the SQLite file a hand-started `labkit api` uses too.

    Earlier versions kept the stack's in `taskoverflow.db`; that file is taken over (renamed)
    when the shared one does not exist yet, so nobody's todos disappear.
    """
    legacy = state_dir() / "taskoverflow.db"
    if legacy.exists() and not database_file().exists():
        legacy.rename(database_file())
    return default_database_url()


def service_env(state: dict[str, Any]) -> dict[str, str]:
    """What a child process needs to reach this stack's services (also `Lab.env`)."""
    services = state["services"]
    redis_url = services.get("redis", {}).get("url", "")
    sqs_url = services.get("sqs", {}).get("url", "")
    env = {
        "LABKIT_HOME": str(state_dir()),
        "SQLALCHEMY_DATABASE_URI": state["urls"]["database"],
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "CELERY_DEFAULT_QUEUE": "ical",
        "ICAL_DELAY_SECONDS": str(state["options"]["ical_delay"]),
        "AWS_ENDPOINT_URL_SQS": sqs_url,
        "AWS_ENDPOINT_URL_SNS": sqs_url,  # topics live on the emulator's port
        "AWS_DEFAULT_REGION": DEFAULT_REGION,
        **class_credentials(state.get("emulator_secret")),
    }
    return env


def refresh_urls(state: dict[str, Any]) -> None:
    services = state["services"]
    api = services.get("api", {}).get("url")
    state["urls"] = {
        "api": api,
        "ui": f"{api}/" if api else None,
        "sqs": services.get("sqs", {}).get("url"),
        "redis": services.get("redis", {}).get("url"),
        "database": state["urls"].get("database") or sqlite_url(),
    }
    state["env"] = service_env(state)


def service_alive(name: str, svc: dict[str, Any]) -> bool:
    if name == "redis" and svc.get("external"):
        return True
    return pid_alive(svc.get("pid"), svc.get("started"))


def service_healthy(
    name: str,
    svc: dict[str, Any] | None,
    state: dict[str, Any] | None = None,
    ping: bool = False,
) -> bool:
    """Pid alive, listening on its own port, AND the service's own health check answers.

    A worker stopped by SIGSTOP keeps its pid and its "ready." line: with the stack's
    ``state`` (attaching in `up`) a stopped process is unhealthy; with ``ping`` (`labkit
    status`, about a second for Celery's import) it must also answer a ping over the broker,
    which a hung worker does not either.
    """
    if not svc or not service_alive(name, svc):
        return False
    if svc.get("port") and svc.get("pid") and not listens_on(svc["pid"], svc["port"]):
        return False  # the port answers, but for another process (another user's stack)
    if name == "worker" and state is not None:
        if not health.worker_ok(svc.get("log"), svc.get("log_offset", 0)):
            return False
        if health.process_stopped(svc.get("pid")):
            return False
        if ping and svc.get("node"):
            broker = state.get("services", {}).get("redis", {}).get("url")
            return health.worker_answers(broker, svc["node"])
        return True
    if name == "redis":
        # The pure-Python server answers PING in a millisecond, but on a loaded laptop its
        # threads may wait longer than the binary's 0.5 s: it must not be restarted for that.
        slow = svc.get("kind") == "fakeredis"
        return health.redis_ok(svc.get("url"), timeout=3.0 if slow else 0.5)
    if name == "sqs":
        return health.sqs_ok(svc.get("url"))
    if name == "api":
        return health.api_ok(svc.get("url"))
    if name == "worker":
        return health.worker_ok(svc.get("log"), svc.get("log_offset", 0))
    return False


def _free_soon(port: int, within: float) -> bool:
    """True when ``port`` is free now or within ``within`` seconds (a just-ended server's
    listening socket takes a few milliseconds to go away after its process exits)."""
    return eventually(lambda: port_is_free(port), within, POLL)


def _pick_port(service: str, wanted: int | None, state: dict[str, Any], settle: float = 0.0) -> int:
    """``wanted`` when free, else a free port; the swap is remembered as a note of the stack."""
    port_notes = state.setdefault("port_notes", {})
    if wanted and _free_soon(wanted, settle):
        if wanted == PREFERRED_PORTS.get(service):
            port_notes.pop(service, None)
        return wanted
    port = free_port()
    if wanted:
        port_notes[service] = f"{service}: port {wanted} is taken, using {port} instead"
    return port


def _start(name: str, state: dict[str, Any], notes: list[str], opts: dict[str, Any]) -> None:
    """(Re)start one service and record it in ``state`` (written at once through `record`)."""
    services = state["services"]
    old = services.get(name, {})
    stop_recorded(old.get("pid"), old.get("started"), timeout=2)
    log = log_dir() / f"{name}.log"
    if name == "redis":
        url = configured_redis_url()
        if url:
            services["redis"] = {
                "url": with_db(url, state["options"]["redis_db"]),
                "external": True,
                "server": "external (LABKIT_REDIS_URL)",
                "kind": "external",
            }
            return
        _, old_port = host_port(old["url"]) if old.get("url") else (None, None)
        port = old_port if old_port and port_is_free(old_port) else free_port()
        server = find_redis_server()
        password = url_password(old.get("url"))  # kernels holding the URL keep working
        proc, url = start_redis_server(port, log, redis_data_dir(), server, False, password)
        services["redis"] = {
            "pid": proc.pid,
            "started": create_time(proc.pid),
            "port": port,
            "url": with_db(url, state["options"]["redis_db"]),
            "log": str(log),
            "server": server.description,
            "kind": server.kind,
        }
        if not server.real:
            notes.append(f"redis: {server.description}")
        _record_now(state, opts)
        return
    wanted = opts.get(f"{name}_port") or old.get("port") or PREFERRED_PORTS.get(name)
    settle = 1.0 if old.get("port") == wanted else 0.0  # its own port, just released
    env = service_env(state) | {STACK_MARK: str(state_dir().resolve())}
    if name == "sqs":
        env[SECRET_VARIABLE] = state["emulator_secret"]  # the emulator's alone, no kernel's
        port = _pick_port("sqs", wanted, state, settle)
        argv = labkit_argv("sqs-server", "--host", "127.0.0.1", "--port", str(port))
        if opts.get("seed") is not None:
            argv += ["--seed", str(opts["seed"])]
        url = f"http://127.0.0.1:{port}"
    elif name == "api":
        port = _pick_port("api", wanted, state, settle)
        argv = labkit_argv("api", "--host", "127.0.0.1", "--port", str(port))
        url = f"http://127.0.0.1:{port}"
    else:
        port, url = None, None
        redis_port = services.get("redis", {}).get("port")
        if redis_port:  # started without waiting (beside SQS and the API): Celery needs it now
            wait_for_port(redis_port, timeout=15)
        # `labkit worker` always sends task events (lessons watch them) and skips mingle. Its
        # node name is its own, so `labkit status` pings this worker and no other. One thread
        # instead of a prefork pool process: a forked pool child would hold a second copy of
        # Flask, SQLAlchemy and Celery (~75 MB of the stack's ~240). What prefork adds (a job
        # whose pool process dies is requeued at once) is `labkit worker`'s default and tested
        # there; a killed stack worker's job comes back after the visibility timeout.
        node = f"labkit-stack-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
        argv = labkit_argv("worker", "--loglevel", "info", "--hostname", node, "--pool", "threads")
    proc, offset = spawn(argv, log, env)
    services[name] = {
        "pid": proc.pid,
        "started": create_time(proc.pid),
        "port": port,
        "url": url,
        "log": str(log),
        "log_offset": offset,
    }
    if name == "worker":
        services[name]["node"] = node
    _record_now(state, opts)


def _record_now(state: dict[str, Any], opts: dict[str, Any]) -> None:
    """Write the state as soon as a process is spawned: an `up` interrupted from here on
    leaves nothing `down` cannot see (``opts["record"]`` is `labkit.stack`'s writer)."""
    record = opts.get("record")
    if record is not None:
        record(state)


def _stop_all(state: dict[str, Any], names: set[str], timeout: float = 2) -> None:
    """Stop the recorded processes of ``names`` at once (a Celery warm shutdown takes a while);
    a recorded pid that now belongs to another process is left alone."""
    services = state["services"]
    stop_all_recorded([services[name] for name in sorted(names) if name in services], timeout)


def port_clash(svc: dict[str, Any]) -> bool:
    """True when a service exited because another process took its port first (two stacks of
    two LABKIT_HOMEs starting at once both saw 9324 free)."""
    return bool(svc.get("port")) and "ddress already in use" in log_tail_of(svc, 40)


def _wait_healthy(
    state: dict[str, Any],
    names: set[str],
    timeout: float,
    retry: Callable[[str], set[str]] | None = None,
) -> None:
    """Poll every 20 ms until each of ``names`` is healthy; queues go on SQS as soon as it is.

    ``retry(name)`` restarts a service whose port was taken under it (returning the services
    started again), at most three times in all.
    """
    from labkit.stack.lesson_queues import create_lesson_queues

    pending = set(names)
    retries = [3]

    def all_healthy() -> bool:
        for name in sorted(pending):
            svc = state["services"][name]
            if service_healthy(name, svc):
                pending.discard(name)
                if name == "sqs":
                    create_lesson_queues(emulator_client(svc["url"]))  # stack.json's secret
            elif retry and retries[0] and not service_alive(name, svc) and port_clash(svc):
                retries[0] -= 1
                pending.update(retry(name))
                break
            elif not service_alive(name, svc):
                raise ServiceUnavailable(
                    name,
                    f"the process exited during start-up; its log {svc.get('log')} ends with:\n"
                    f"{log_tail_of(svc)}\nFix the cause, then run `labkit up` again.",
                )
        return not pending

    try:
        wait_until(all_healthy, timeout, "the stack's services", POLL)
    except TimeoutError:
        name = sorted(pending)[0]
        svc = state["services"][name]
        raise ServiceUnavailable(
            name,
            f"no answer after {timeout:.0f} s; see `labkit logs {name}` ({svc.get('log')}), "
            "then `labkit down` and `labkit up`.",
        ) from None


def log_tail_of(svc: dict[str, Any], lines: int = 8) -> str:
    from pathlib import Path

    if not svc.get("log"):
        return ""
    return log_tail(Path(svc["log"]), lines, svc.get("log_offset", 0))


def _to_restart(state: dict[str, Any]) -> set[str]:
    """The unhealthy services; all of them when an older labkit left no emulator secret."""
    restart = {n for n in SERVICES if not service_healthy(n, state["services"].get(n), state)}
    if not state.get("emulator_secret"):  # SigV4 signatures are checked against it
        state["emulator_secret"] = emulator_secret()
        restart |= {"sqs", "api", "worker"}
    return restart


def up(
    current: dict[str, Any] | None,
    record: Callable[[dict[str, Any]], None],
    ical_delay: float | None = None,
    redis_db: int | None = None,
    sqs_port: int | None = None,
    api_port: int | None = None,
    seed: int | None = None,
    timeout: float = START_TIMEOUT,
) -> tuple[dict[str, Any], list[str]]:
    """Start the embedded stack or attach to the ``current`` one; return its state and notes.

    Called by `labkit.stack.up` under the stack lock; ``record`` writes the state file.
    ``ical_delay`` None keeps the running worker's setting (0 on a fresh start); a different
    value restarts the API and the worker with it.
    """
    opts = {"sqs_port": sqs_port, "api_port": api_port, "seed": seed, "record": record}
    notes: list[str] = []
    state = current
    if state is None:
        state = {
            "mode": "embedded",
            "started_at": time.time(),
            "services": {},
            "urls": {"database": sqlite_url()},
            "options": {"ical_delay": ical_delay or 0, "redis_db": stack_redis_db(redis_db)},
        }
    options = state["options"]
    restart = _to_restart(state)
    for name in sorted(restart & set(state["services"])):
        notes.append(f"{name}: not running, restarted")
    if ical_delay is not None and float(ical_delay) != float(options["ical_delay"]):
        options["ical_delay"] = ical_delay
        restart |= {"api", "worker"}
    if redis_db is not None and int(redis_db) != int(options["redis_db"]):
        options["redis_db"] = int(redis_db)
        restart |= {"redis", "api", "worker"}
    _stop_all(state, restart)
    before = {name: state["services"].get(name, {}).get("url") for name in ("redis", "sqs")}
    for name in ("redis", "sqs"):
        if name in restart:
            _start(name, state, notes, opts)
            if state["services"][name]["url"] != before[name]:
                restart |= {"api", "worker"}
    refresh_urls(state)
    for name in ("api", "worker"):
        if name in restart:
            _start(name, state, notes, opts)
    refresh_urls(state)
    state["notes"] = list(state.get("port_notes", {}).values()) + notes
    record(state)  # before waiting: a failed start can still be stopped by `down`

    def on_free_port(name: str) -> set[str]:
        """Start ``name`` again on a free port (and what depends on its address)."""
        if opts.get(f"{name}_port"):
            return set()  # a port the user asked for: its failure is reported as it is
        again = {name} | ({"api", "worker"} if name == "sqs" else set())
        _stop_all(state, again - {name})
        _start(name, state, notes, opts)
        refresh_urls(state)
        for other in sorted(again - {name}):
            _start(other, state, notes, opts)
        refresh_urls(state)
        state["notes"] = list(state.get("port_notes", {}).values()) + notes
        record(state)
        return again

    _wait_healthy(state, restart & {"sqs", "api", "worker", "redis"}, timeout, on_free_port)
    state["ready_at"] = time.time()
    record(state)
    return state, state["notes"]


def redis_data_dir() -> Path:
    """Where the stack's own Redis keeps its append-only file: queued jobs survive a crash."""
    return state_dir() / "redis-data"


def down(state: dict[str, Any]) -> list[str]:
    """Stop every process the stack started, all at once; return the names stopped.

    A deliberate `down` starts the next `up` afresh, so the Redis data goes with it.
    """
    services = state.get("services", {})
    stopped = [name for name in reversed(SERVICES) if services.get(name, {}).get("pid")]
    _stop_all(state, set(stopped), timeout=5)
    if stop_extra_workers():
        stopped.append("lesson workers")
    shutil.rmtree(redis_data_dir(), ignore_errors=True)
    return stopped


def stray_processes(home: Path | None = None) -> list[int]:
    """Pids of this state dir's services that no stack.json may list: process-group leaders
    whose environment carries `STACK_MARK` for ``home``, or a Redis keeping its data there."""
    import psutil

    home = (home or state_dir()).resolve()
    redis_dir = str(home / "redis-data")
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            if proc.pid == os.getpid() or os.getpgid(proc.pid) != proc.pid:
                continue
            cmdline = proc.info["cmdline"] or []
            if redis_dir in cmdline or proc.environ().get(STACK_MARK) == str(home):
                found.append(proc.pid)
        except (psutil.Error, OSError):
            continue
    return found


def stop_strays(timeout: float = 5) -> list[int]:
    """Stop what `stray_processes` finds (all at once); return their pids."""
    strays = stray_processes()
    stop_all_recorded([{"pid": pid, "started": create_time(pid)} for pid in strays], timeout)
    return strays


def status_rows(state: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per service: service, status, url, pid, detail (what to do when it is down)."""
    rows = []
    services = (state or {}).get("services", {})
    for name in ("sqs", "redis", "database", "api", "worker"):
        if name == "database":
            url = (state or {}).get("urls", {}).get("database")
            problem = health.database_problem(url)
            if problem is None:
                detail = "SQLite file, writable" if url.startswith("sqlite") else "answers"
            elif url:
                detail = f"{problem}: free disk space or fix the file, then `labkit up`"
            else:
                detail = problem
            rows.append(_row(name, problem is None, url, None, detail))
            continue
        svc = services.get(name)
        if not svc:
            rows.append(_row(name, False, None, None, "not running: run `labkit up`"))
            continue
        ok = service_healthy(name, svc, state, ping=True)
        if ok and name == "redis":
            detail = svc.get("server") or (
                "external (LABKIT_REDIS_URL)" if svc.get("external") else "answers"
            )
        elif ok:
            detail = "answers"
        elif not service_alive(name, svc):
            detail = "process not running: run `labkit up` to restart it"
        elif name == "worker":
            detail = "running but not answering a ping (stopped or hung?): `labkit up` restarts it"
        else:
            detail = f"running but not answering: see `labkit logs {name}`"
        rows.append(_row(name, ok, svc.get("url"), svc.get("pid"), detail))
    return rows


def _row(name: str, ok: bool, url: str | None, pid: int | None, detail: str) -> dict[str, Any]:
    return {
        "service": name,
        "status": "ok" if ok else "down",
        "url": mask_url(url) if url else "",
        "pid": pid,
        "detail": detail,
    }
