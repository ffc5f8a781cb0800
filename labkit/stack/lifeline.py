"""`python -m labkit.stack.lifeline OWNER_PID MODULE [ARGS...]`: run a module that ends with
its owner.

A lesson's Celery worker belongs to the notebook kernel that started it. When that kernel
dies, however it dies (SIGKILL included), the worker must not live on as an orphan taking the
next run's tasks. A thread here watches the parent pid (portable: macOS has no prctl); once the
owner is gone it sends SIGTERM to the worker's process group (its pool processes too) and
SIGKILL after a grace period. The module runs in this same process (`runpy`), so the pid the
caller recorded is the worker's.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time

POLL = 0.2
GRACE = 5.0


def _end_group(grace: float) -> None:
    """SIGTERM to our group (we lead it: started in a session of its own), SIGKILL after
    ``grace`` seconds if anything is left; only ourselves when we do not lead a group."""
    own_group = os.getpgrp() == os.getpid()
    kill = (
        (lambda sig: os.killpg(os.getpgrp(), sig))
        if own_group
        else (lambda sig: os.kill(os.getpid(), sig))
    )
    try:
        kill(signal.SIGTERM)
        time.sleep(grace)
        kill(signal.SIGKILL)
    except OSError:
        pass


def owner_gone(owner: int) -> bool:
    """True once ``owner`` is no longer our parent (a dead parent's children are re-parented)."""
    return os.getppid() != owner


def watch_owner(owner: int, poll: float = POLL, grace: float = GRACE) -> threading.Thread:
    """Start a daemon thread that ends this process group when ``owner`` dies."""

    def watch() -> None:
        while not owner_gone(owner):
            time.sleep(poll)
        _end_group(grace)

    thread = threading.Thread(target=watch, name="lifeline", daemon=True)
    thread.start()
    return thread


def argv(owner: int, module: str, *args: str) -> list[str]:
    """The command line that runs ``python -m module args`` bound to ``owner``."""
    return [sys.executable, "-m", "labkit.stack.lifeline", str(owner), module, *args]


def main(arguments: list[str]) -> None:
    if len(arguments) < 2 or not arguments[0].isdigit():
        print("usage: python -m labkit.stack.lifeline OWNER_PID MODULE [ARGS...]", file=sys.stderr)
        raise SystemExit(2)
    owner, module, rest = int(arguments[0]), arguments[1], arguments[2:]
    if owner_gone(owner):  # the owner died before we got here
        raise SystemExit(1)
    watch_owner(owner)
    sys.argv = [module, *rest]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
