"""Child processes of the lab: spawned in their own session, logged to files, stopped by group.

Every service runs as `python -m labkit <subcommand>` (or `python -m celery` for a lesson's own
worker) with `start_new_session=True`, so its process group id is its pid and stopping the group
also ends whatever it forked (Celery's pool processes). Output goes to a log file, never to the
caller's stdout: a notebook cell must not collect a server's log lines.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import psutil

from labkit.paths import PRIVATE_UMASK, log_dir, open_private, state_dir
from labkit.stack.errors import StackError
from labkit.waiting import eventually

T = TypeVar("T")


# What belongs to one AWS key pair: when ``extra`` brings its own pair (the emulator's dummy
# keys), an inherited session token or profile would be sent beside keys it does not match,
# and a real Learner Lab token would travel to the emulator.
_KEY_PAIR_COMPANIONS = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE")


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment plus ``extra``, with unbuffered Python output for live logs.

    When ``extra`` sets ``AWS_ACCESS_KEY_ID``, the caller's session token and profile are not
    inherited (unless ``extra`` sets them too).
    """
    env = dict(os.environ)
    extra = extra or {}
    if "AWS_ACCESS_KEY_ID" in extra:
        for name in _KEY_PAIR_COMPANIONS:
            if name not in extra:
                env.pop(name, None)
    env.update(extra)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def spawn(
    argv: list[str], log_path: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, int]:
    """Start ``argv`` in a new session with stdout and stderr appended to ``log_path``.

    Returns the process and the log offset where its output begins (for readiness checks).
    """
    log_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open_private(log_path) as log:
        command = " ".join(arg.replace("\n", "\\n") for arg in argv)
        log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {command}\n".encode())
        log.flush()
        offset = log.tell()
        proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=child_env(env),
            start_new_session=True,
            close_fds=True,
            umask=PRIVATE_UMASK,  # its database, files and logs are the student's alone
        )
    return proc, offset


def labkit_argv(*args: str) -> list[str]:
    """`python -m labkit ARGS` with the interpreter running now (the venv's)."""
    return [sys.executable, "-m", "labkit", *args]


def reap(pid: int) -> None:
    """Collect the exit status of ``pid`` if it is our child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def create_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def pid_alive(pid: int | None, started: float | None = None) -> bool:
    """True when ``pid`` runs and is not a zombie; ``started`` (create time) guards pid reuse."""
    if not pid:
        return False
    reap(pid)
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return started is None or abs(proc.create_time() - started) < 1.0
    except psutil.Error:
        return False


def listens_on(pid: int | None, port: int) -> bool:
    """True when process ``pid`` itself holds the listening socket of ``port`` (so an answer
    on that port is its own, not another user's stack that took the port first)."""
    if not pid:
        return False
    try:
        connections = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.Error:
        return False
    return any(
        c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port for c in connections
    )


def group_members(pgid: int) -> list[psutil.Process]:
    """Every live process of the process group ``pgid`` (walks the whole process table)."""
    members = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                members.append(proc)
    return members


def _group_exists(pgid: int) -> bool:
    """True while any process (zombies included) is in group ``pgid``: a signal-0 probe."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def stop_group(pid: int | None, timeout: float = 5.0, first: int = signal.SIGTERM) -> None:
    """End the process group led by ``pid``: SIGTERM, then SIGKILL after ``timeout`` seconds.

    ``first=signal.SIGKILL`` skips the polite stop (a test standing for a crash).

    The process table is walked once to find the members and once more only if some outlive
    the SIGTERM; in between, the wait polls those members (and a signal-0 probe of the group).
    """
    if not pid:
        return
    reap(pid)
    if not _group_exists(pid):
        return
    members = group_members(pid)
    if not members:  # only zombies left
        reap(pid)
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, first)

    def settled() -> bool:
        reap(pid)
        # gone, or what is left is zombies (or something forked after the first walk)
        return not _group_exists(pid) or not any(_running(proc) for proc in members)

    eventually(settled, timeout, poll=0.02)
    if not _group_exists(pid):
        return
    survivors = group_members(pid)
    if not survivors:
        reap(pid)
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    for proc in survivors:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(survivors, timeout=2)
    reap(pid)


def stop_recorded(pid: int | None, started: float | None, timeout: float = 5.0) -> bool:
    """Stop the group of a process recorded earlier (in stack.json), if it is still ours.

    ``started`` is its create time as recorded. A pid now used by another process (reused after
    the service died, or after a reboot) is left alone. When the recorded leader is gone but
    its group lives on (e.g. Celery pool processes of a killed worker), the group is stopped if
    the record is from this boot: Linux does not hand out a pid while a group of that id exists.
    Returns True when something was signalled.
    """
    if not pid:
        return False
    if pid_alive(pid, started):
        stop_group(pid, timeout)
        return True
    try:
        reused = psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        reused = False
    if reused or started is None or started < psutil.boot_time():
        return False
    if not _group_exists(pid):
        return False
    stop_group(pid, timeout)
    return True


def at_once(action: Callable[[T], object], items: list[T]) -> None:
    """Run ``action`` on every item in its own thread: several shutdowns overlap."""
    from concurrent.futures import ThreadPoolExecutor

    if not items:
        return
    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        list(pool.map(action, items))


def stop_all(handles: list[ProcessHandle], timeout: float = 5.0) -> None:
    """Stop several children at once (each shutdown overlaps the others)."""
    at_once(lambda handle: handle.stop(timeout), handles)


def stop_all_recorded(records: list[dict], timeout: float = 5.0) -> None:
    """:func:`stop_recorded` for several records (dicts with `pid` and `started`) at once."""
    at_once(lambda rec: stop_recorded(rec.get("pid"), rec.get("started"), timeout), records)


def log_tail(path: Path, lines: int = 20, offset: int = 0) -> str:
    """The last ``lines`` lines of a log file (from ``offset`` on), or '' when it is missing."""
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            text = handle.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def log_contains(path: Path, needle: str, offset: int = 0) -> bool:
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            return needle.encode() in handle.read()
    except OSError:
        return False


CELERY_READY = " ready."


@dataclass
class ProcessHandle:
    """A child process the caller started: its pid, its log, and how to stop it."""

    name: str
    proc: subprocess.Popen
    log_path: Path
    log_offset: int = 0
    argv: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log(self, lines: int = 20) -> str:
        return log_tail(self.log_path, lines, self.log_offset)

    def stop(self, timeout: float = 5.0) -> None:
        stop_group(self.pid, timeout)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=1)
        (_extra_workers_dir() / f"{self.pid}.json").unlink(missing_ok=True)

    def __enter__(self) -> ProcessHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class CeleryWorkerHandle(ProcessHandle):
    """A Celery worker started by :func:`start_celery_worker`."""

    hostname: str = ""

    def ready(self) -> bool:
        return log_contains(self.log_path, CELERY_READY, self.log_offset)

    def startup_log(self) -> str:
        """The worker's start-up lines from its `[queues]` section to `ready.` (the handout's)."""
        text = log_tail(self.log_path, 400, self.log_offset)
        start = text.find("[queues]")
        end = text.find(CELERY_READY)
        if start < 0 or end < 0:
            return text
        return text[start : text.find("\n", end) if "\n" in text[end:] else len(text)]

    def wait_ready(self, timeout: float = 30.0) -> CeleryWorkerHandle:
        """Block until the worker logs "ready."; raise StackError (with its log) otherwise."""
        if eventually(lambda: self.ready() or not self.alive(), timeout) and self.ready():
            return self
        if not self.alive():
            raise StackError(
                f"{self.name}: the Celery worker exited with code {self.proc.returncode} "
                f"before it was ready; its log ({self.log_path}) ends with:\n{self.log(15)}"
            )
        self.stop()
        raise StackError(
            f"{self.name}: the Celery worker was not ready after {timeout:.0f} s; its log "
            f"({self.log_path}) ends with:\n{self.log(15)}"
        )


def start_celery_worker(
    app: str,
    env: dict[str, str],
    concurrency: int = 1,
    queues: list[str] | None = None,
    events: bool = False,
    name: str = "worker",
    loglevel: str = "info",
    pool: str = "prefork",
    owned: bool = True,
) -> CeleryWorkerHandle:
    """Start `celery --app APP worker` as a child process logging to `log_dir()/<name>.log`.

    ``env`` carries what the worker needs to reach the broker (e.g. `Lab.env`). Mingle and
    gossip are off: they only delay start-up by a second waiting for other workers to answer.
    ``owned`` (default) ties the worker to this process: it stops when we die, however we die
    (`labkit.stack.lifeline`). Call ``wait_ready()`` on the handle before sending timed work.
    """
    from labkit.stack import lifeline

    hostname = f"{name}@%h"
    launcher = lifeline.argv(os.getpid(), "celery") if owned else [sys.executable, "-m", "celery"]
    argv = [
        *launcher,
        "--app",
        app,
        "worker",
        "--concurrency",
        str(concurrency),
        "--pool",
        pool,
        "--loglevel",
        loglevel,
        "--hostname",
        hostname,
        "--without-mingle",
        "--without-gossip",
    ]
    if queues:
        argv += ["--queues", ",".join(queues)]
    if events:
        argv.append("--task-events")
    log_path = log_dir() / f"{name}.log"
    proc, offset = spawn(argv, log_path, env)
    _register_extra_worker(proc.pid)
    return CeleryWorkerHandle(
        name=name,
        proc=proc,
        log_path=log_path,
        log_offset=offset,
        argv=argv,
        hostname=hostname.replace("%h", _short_hostname()),
    )


def _extra_workers_dir() -> Path:
    return state_dir() / "lesson-workers"


def _register_extra_worker(pid: int) -> None:
    """Remember a lesson's own worker, so `labkit down` stops it even if the notebook died."""
    folder = _extra_workers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{pid}.json").write_text(json.dumps({"pid": pid, "started": create_time(pid)}))


def stop_extra_workers(timeout: float = 5.0) -> list[int]:
    """Stop every lesson worker still running (see start_celery_worker); return their pids."""
    stopped = []
    for record in sorted(_extra_workers_dir().glob("*.json")):
        with contextlib.suppress(OSError, ValueError):
            info = json.loads(record.read_text())
            if stop_recorded(info["pid"], info.get("started"), timeout):
                stopped.append(info["pid"])
        record.unlink(missing_ok=True)
    return stopped


def _short_hostname() -> str:
    import socket

    return socket.gethostname()
