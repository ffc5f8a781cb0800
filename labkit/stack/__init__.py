"""Starting, finding, checking and stopping the lab's services.

`up()` brings the stack up in one of three modes (embedded: child processes, no Docker, the
default; compose: Docker; aws: SQS on AWS) or attaches to the running one, and returns a
:class:`Lab`. `status()` is a health table, `down()` stops everything the stack started.
"""

from __future__ import annotations

from typing import Any

from labkit.stack.clients import emulator_client
from labkit.stack.errors import ServiceUnavailable, StackError
from labkit.stack.lab import Lab

__all__ = [
    "Lab",
    "ServiceUnavailable",
    "StackError",
    "connect",
    "down",
    "emulator_client",
    "status",
    "up",
]

#: Set by `labkit grade` for the kernels it runs: `up` attaches to the stack the grader started
#: and never starts or restarts a service; `down` stops nothing.
ATTACH_ONLY_ENV = "LABKIT_ATTACH_ONLY"


def up(mode: str = "embedded", **options: Any) -> Lab:
    """Start the lab stack (or attach to the running one) and return it.

    embedded options: ``ical_delay`` (seconds the calendar task sleeps, default 0),
    ``redis_db``, ``sqs_port``, ``api_port``, ``seed``, ``timeout``; compose: ``api_port``,
    ``sqs_port``, ``redis_port``, ``database_port``, ``lab_port`` (host ports), ``timeout``.
    """
    import os

    from labkit.stack import state as st
    from labkit.stack.modes import get_mode

    if os.environ.get(ATTACH_ONLY_ENV):
        return connect()
    driver = get_mode(mode)
    with st.stack_lock():
        current = st.read_state()
        if driver.RECORDED and current and current.get("mode") != mode:
            raise StackError(
                f"a stack in {current.get('mode')} mode is recorded; run `labkit down` first"
            )
        # The one place the state file is written: modes call `record` (under this lock).
        record = st.write_state if driver.RECORDED else _record_nothing
        recorded, notes = driver.up(current if driver.RECORDED else None, record, **options)
    return Lab(recorded, notes)


def _record_nothing(state: dict[str, Any]) -> None:
    """`record` for a mode that runs nothing locally (aws): there is nothing to stop later."""


def connect() -> Lab:
    """The running stack, without starting anything; ServiceUnavailable when none runs."""
    from labkit.stack.state import read_state

    recorded = read_state()
    if not recorded:
        raise ServiceUnavailable("stack", "no lab stack is running; run `labkit up` first")
    return Lab(recorded)


def down() -> list[str]:
    """Stop every process of the stack and forget it; return the services stopped."""
    import os

    if os.environ.get(ATTACH_ONLY_ENV):
        return []  # a graded notebook does not stop the stack it shares with the class
    from labkit.stack import state as st
    from labkit.stack.modes import get_mode

    with st.stack_lock():
        recorded = st.read_state()
        stopped = get_mode(recorded.get("mode") or "embedded").down(recorded) if recorded else []
        # Services no stack.json lists (an `up` killed mid-start, a damaged file) go too.
        from labkit.stack.strays import stop_strays

        if stop_strays():
            stopped.append("unrecorded services")
        st.clear_state()
    return stopped


def status_rows(mode: str | None = None) -> list[dict[str, Any]]:
    """One health row per service (service, status, url, pid, detail) of the recorded stack,
    or of SQS on AWS when ``mode`` is "aws"."""
    from labkit.stack.modes import get_mode
    from labkit.stack.state import read_state

    recorded = read_state()
    name = "aws" if mode == "aws" else (recorded or {}).get("mode") or "embedded"
    return get_mode(name).status_rows(recorded)


def status(mode: str | None = None):  # noqa: ANN201 - pandas.DataFrame
    """Health of every service: a DataFrame with service, status, url, pid, detail."""
    import pandas as pd

    frame = pd.DataFrame(status_rows(mode), columns=["service", "status", "url", "pid", "detail"])
    frame["pid"] = frame["pid"].astype("Int64")
    return frame
