"""Child processes the tests start themselves (API servers, Celery workers): wait and stop.

Stopping is the stack's own `labkit.stack.processes.stop_group`; waiting is `labkit.waiting`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from labkit.stack import processes
from labkit.waiting import wait_until


def stop_group(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """End ``proc`` and whatever it forked (it runs in a session of its own); ``sig`` goes
    first (SIGKILL stands for a crash), SIGKILL follows after ``timeout`` seconds."""
    processes.stop_group(proc.pid, timeout=timeout, first=sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def wait_for_log(path: Path, needle: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    """Until ``needle`` shows in the log at ``path``; RuntimeError with the log's tail if the
    process exits first or the time runs out."""

    def logged() -> bool:
        return path.exists() and needle in path.read_text(errors="replace")

    with contextlib.suppress(TimeoutError):
        wait_until(lambda: logged() or proc.poll() is not None, timeout, f"{needle!r}")
    if logged():
        return
    log = path.read_text(errors="replace") if path.exists() else ""
    raise RuntimeError(f"{needle!r} not in {path.name}:\n{log[-3000:]}")


REPO = Path(__file__).resolve().parent.parent


def worker_env(broker: str, queue: str, home: Path, **extra: str) -> dict[str, str]:
    """The environment of a Celery worker the tests start: this one without CELERY_*, the
    broker and result backend ``broker``, queue ``queue``, LABKIT_HOME ``home``, and the repo
    on PYTHONPATH (for the tests' own worker modules)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    env.update(
        CELERY_BROKER_URL=broker,
        CELERY_RESULT_BACKEND=broker,
        CELERY_DEFAULT_QUEUE=queue,
        ICAL_DELAY_SECONDS="0",
        LABKIT_HOME=str(home),
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    )
    env.update(extra)
    return env


def run_labkit(env: dict[str, str], *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    """`python -m labkit ARGS` as a student types it, in ``env``; output captured, no stdin."""
    return subprocess.run(
        [sys.executable, "-m", "labkit", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
