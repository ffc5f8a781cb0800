"""Child processes the tests start themselves (API servers, Celery workers): wait and stop."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def stop_group(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """End ``proc`` and whatever it forked (it runs in a session of its own)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        proc.wait(timeout=5)


def wait_for_log(path: Path, needle: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    """Until ``needle`` shows in the log at ``path``; RuntimeError with the log's tail if the
    process exits first or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and needle in path.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    log = path.read_text(errors="replace") if path.exists() else ""
    raise RuntimeError(f"{needle!r} not in {path.name}:\n{log[-3000:]}")
