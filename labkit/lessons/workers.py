"""The one way a lesson (or a check) starts a Celery worker: by name, replacing its namesake.

Students re-run cells. A cell that starts a worker and is run again (after the student edited
the module it loads, say) must not leave the first worker behind, still consuming the same
queue with the old code: a task would then go to whichever worker polls first (`NotRegistered`
at random). So every lesson worker is started here under a name, and starting a name again
stops the worker this kernel started under it first. Workers are real child processes
(`labkit.stack.processes.start_celery_worker`), tied to the kernel (they end when it does) and
stopped at its exit.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
from collections.abc import Mapping
from typing import Any

from labkit.lessons.progress import wait_until

_running: dict[str, Any] = {}
_lock = threading.Lock()
_at_exit: list[bool] = []  # _stop_at_exit registered with atexit (once per kernel)


def start_worker(
    app: str,
    env: Mapping[str, str],
    queues: list[str],
    name: str,
    *,
    concurrency: int = 1,
    events: bool = False,
    pool: str = "prefork",
    wait: bool = True,
    progress: bool = True,
) -> Any:
    """`celery --app APP worker --queues QUEUES` as a child process called ``name``; with
    ``wait`` (default) it is ready when returned (StackError with its log otherwise).

    The worker this kernel started as ``name`` before, if any, is stopped first.
    """
    from labkit.stack.processes import start_celery_worker

    stop_worker(name)
    handle = start_celery_worker(
        app,
        env=dict(env),
        concurrency=concurrency,
        queues=list(queues),
        events=events,
        name=name,
        pool=pool,
    )
    with _lock:
        if not _at_exit:
            atexit.register(_stop_at_exit)
            _at_exit.append(True)
        _running[name] = handle
    if wait:
        wait_ready([handle], progress=progress)
    return handle


def stop_worker(name: str) -> bool:
    """Stop the worker this kernel started as ``name``; False when there was none."""
    with _lock:
        handle = _running.pop(name, None)
    if handle is None:
        return False
    handle.stop()
    return True


def stop_workers() -> None:
    """Stop every worker this kernel started here (at exit, or between lessons)."""
    with _lock:
        handles = list(_running.values())
        _running.clear()
    from labkit.stack.processes import stop_all

    stop_all(handles)


def _stop_at_exit() -> None:
    """`stop_workers` one after another: at interpreter exit no new thread may start."""
    with _lock:
        handles = list(_running.values())
        _running.clear()
    for handle in handles:
        handle.stop()


def running() -> list[str]:
    """Names of the workers this kernel started that still run."""
    with _lock:
        return [name for name, handle in _running.items() if handle.alive()]


def wait_ready(handles: list[Any], timeout: float = 30.0, progress: bool = True) -> list[Any]:
    """Wait for Celery workers started side by side, with a progress bar after a second.

    Raises StackError with the worker's log when one exits or is not ready in ``timeout``.
    """
    desc = "starting the Celery worker" + ("s" if len(handles) > 1 else "")
    # On a timeout, each handle's wait_ready below names the worker and shows its log.
    with contextlib.suppress(TimeoutError):
        wait_until(
            lambda: all(h.ready() or not h.alive() for h in handles),
            timeout,
            desc,
            poll=0.02,
            progress=progress,
        )
    for handle in handles:
        handle.wait_ready(timeout=0.5)
    return handles
