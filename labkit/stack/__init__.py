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

MODES = ("embedded", "compose", "aws")


def up(mode: str = "embedded", **options: Any) -> Lab:
    """Start the lab stack (or attach to the running one) and return it.

    embedded options: ``ical_delay`` (seconds the calendar task sleeps, default 0),
    ``redis_db``, ``sqs_port``, ``api_port``, ``seed``, ``timeout``.
    """
    from labkit.stack import state as st

    if mode not in MODES:
        raise StackError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    if mode == "embedded":
        from labkit.stack import embedded

        recorded, notes = embedded.up(**options)
        return Lab(recorded, notes)
    if mode == "compose":
        from labkit.stack import compose
        from labkit.stack.clients import EMULATOR_CREDENTIALS

        with st.stack_lock():
            current = st.read_state()
            if current and current.get("mode") == "embedded":
                raise StackError("an embedded stack is running; run `labkit down` first")
            recorded = compose.up(**options)
            recorded["env"] = {
                "AWS_ENDPOINT_URL_SQS": recorded["urls"]["sqs"],
                "AWS_DEFAULT_REGION": "us-east-1",
                **EMULATOR_CREDENTIALS,
                "CELERY_BROKER_URL": recorded["urls"]["redis"],
                "CELERY_RESULT_BACKEND": recorded["urls"]["redis"],
            }
            st.write_state(recorded)
        lab = Lab(recorded)
        from labkit.stack.lesson_queues import create_lesson_queues

        create_lesson_queues(emulator_client(lab.require("sqs")))  # the class account's
        return lab
    from labkit.stack import aws
    from labkit.stack.lesson_queues import create_lesson_queues

    lab = Lab(
        {
            "mode": "aws",
            "urls": {"sqs": aws.AWS_SQS_URL},
            "env": {"AWS_DEFAULT_REGION": aws.REGION},
        }
    )
    aws.check(lab.sqs)
    create_lesson_queues(lab.sqs, update=False)
    return lab


def connect() -> Lab:
    """The running stack, without starting anything; ServiceUnavailable when none runs."""
    from labkit.stack.state import read_state

    recorded = read_state()
    if not recorded:
        raise ServiceUnavailable("stack", "no lab stack is running; run `labkit up` first")
    return Lab(recorded)


def down() -> list[str]:
    """Stop every process of the stack and forget it; return the services stopped."""
    from labkit.stack import state as st

    with st.stack_lock():
        recorded = st.read_state()
        if not recorded:
            return []
        if recorded.get("mode") == "compose":
            from labkit.stack import compose

            stopped = compose.down(recorded)
        else:
            from labkit.stack import embedded

            stopped = embedded.down(recorded)
        st.clear_state()
    return stopped


def status_rows(mode: str | None = None) -> list[dict[str, Any]]:
    from labkit.stack.state import read_state

    recorded = read_state()
    if mode == "aws":
        return _aws_rows()
    if recorded and recorded.get("mode") == "compose":
        from labkit.stack import compose

        return compose.status_rows(recorded)
    from labkit.stack import embedded

    return embedded.status_rows(recorded)


def _aws_rows() -> list[dict[str, Any]]:
    from labkit.stack import aws

    try:
        aws.check(aws.sqs_client())
        ok, detail = True, "credentials accepted"
    except StackError as exc:
        ok, detail = False, str(exc)
    return [
        {
            "service": "sqs",
            "status": "ok" if ok else "down",
            "url": aws.AWS_SQS_URL,
            "pid": None,
            "detail": detail,
        }
    ]


def status(mode: str | None = None):  # noqa: ANN201 - pandas.DataFrame
    """Health of every service: a DataFrame with service, status, url, pid, detail."""
    import pandas as pd

    frame = pd.DataFrame(status_rows(mode), columns=["service", "status", "url", "pid", "detail"])
    frame["pid"] = frame["pid"].astype("Int64")
    return frame
