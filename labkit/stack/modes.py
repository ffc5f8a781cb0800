"""The three ways to run the lab's services, behind one small interface.

A mode starts its services (`up`), stops them (`down`) and reports their health
(`status_rows`, one row per service: service, status, url, pid, detail). No mode writes the
state file itself: `labkit.stack` reads it, holds the stack lock, and hands `up` a `record`
callback, so the file is written in one place (embedded records its children before waiting
for them, so that `labkit down` can stop a start that failed half-way).

- embedded (`stack/embedded.py`): child processes on 127.0.0.1, no Docker; the default.
- compose (`stack/compose.py`): the repository's compose file under Docker.
- aws (`stack/aws.py`): SQS on AWS; nothing runs locally and nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from labkit.stack.errors import StackError

State = dict[str, Any]
Row = dict[str, Any]
Record = Callable[[State], None]


class Mode(Protocol):
    """What `labkit.stack.up/down/status_rows` need from a mode."""

    name: str
    recorded: bool  # whether the state file remembers a stack of this mode

    def up(self, current: State | None, record: Record, **options: Any) -> tuple[State, list[str]]:
        """Start (or attach to) the services; return the state and notes (one line each)."""

    def down(self, state: State) -> list[str]:
        """Stop what ``state`` records; return the names of what was stopped."""

    def status_rows(self, state: State | None) -> list[Row]:
        """One health row per service."""


class Embedded:
    name = "embedded"
    recorded = True

    def up(self, current: State | None, record: Record, **options: Any) -> tuple[State, list[str]]:
        from labkit.stack import embedded

        return embedded.up(current, record, **options)

    def down(self, state: State) -> list[str]:
        from labkit.stack import embedded

        return embedded.down(state)

    def status_rows(self, state: State | None) -> list[Row]:
        from labkit.stack import embedded

        return embedded.status_rows(state)


class Compose:
    name = "compose"
    recorded = True

    def up(self, current: State | None, record: Record, **options: Any) -> tuple[State, list[str]]:
        from labkit.stack import compose
        from labkit.stack.clients import emulator_client
        from labkit.stack.lesson_queues import create_lesson_queues

        state, notes = compose.up(current, **options)
        state["env"] = compose_env(state)
        record(state)
        create_lesson_queues(emulator_client(state["urls"]["sqs"]))
        return state, notes

    def down(self, state: State) -> list[str]:
        from labkit.stack import compose

        return compose.down(state)

    def status_rows(self, state: State | None) -> list[Row]:
        from labkit.stack import compose

        return compose.status_rows(state or {})


def compose_env(state: State) -> dict[str, str]:
    """What a child process needs to reach the compose stack's services (also `Lab.env`)."""
    from labkit.stack.clients import DEFAULT_REGION, class_credentials

    urls = state["urls"]
    secret = (state.get("passwords") or {}).get("emulator")
    return {
        "AWS_ENDPOINT_URL_SQS": urls["sqs"],
        "AWS_ENDPOINT_URL_SNS": urls["sqs"],  # topics live on the emulator's port
        "AWS_DEFAULT_REGION": DEFAULT_REGION,
        **class_credentials(secret),
        "CELERY_BROKER_URL": urls["redis"],
        "CELERY_RESULT_BACKEND": urls["redis"],
    }


class Aws:
    name = "aws"
    recorded = False

    def up(self, current: State | None, record: Record, **options: Any) -> tuple[State, list[str]]:
        from labkit.stack import aws
        from labkit.stack.lesson_queues import create_lesson_queues

        sqs = aws.sqs_client()
        aws.check(sqs)
        create_lesson_queues(sqs, update=False)  # on AWS, Terraform owns the attributes
        return aws.state(), aws.notes()

    def down(self, state: State) -> list[str]:
        return []  # nothing runs locally

    def status_rows(self, state: State | None) -> list[Row]:
        from labkit.stack import aws

        return aws.status_rows()


MODES: dict[str, Mode] = {mode.name: mode for mode in (Embedded(), Compose(), Aws())}


def get_mode(name: str) -> Mode:
    """The mode called ``name``; StackError naming the choices when there is none."""
    try:
        return MODES[name]
    except KeyError:
        raise StackError(f"unknown mode {name!r}; choose one of {', '.join(MODES)}") from None
