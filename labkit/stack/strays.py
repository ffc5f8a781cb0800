"""Services of a state dir that no stack.json lists: found by their mark, and stopped.

An `up` killed half-way, or a damaged stack.json, can leave services running that `down`
cannot see in the state file. Each service the embedded stack spawns carries `STACK_MARK` (its
state dir) in its environment, so `labkit down` finds and stops them all the same.
"""

from __future__ import annotations

import os
from pathlib import Path

from labkit.paths import state_dir
from labkit.stack.processes import create_time, stop_all_recorded

#: Set in the environment of every service the stack spawns (value: the state dir).
STACK_MARK = "LABKIT_STACK_HOME"


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
