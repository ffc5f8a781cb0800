"""Errors the stack raises: one line each, naming the service and the next step."""

from __future__ import annotations


class StackError(RuntimeError):
    """The stack cannot do what was asked; the message says what to do instead."""


class ServiceUnavailable(StackError):
    """A service of the lab does not answer; the message names it and how to start it."""

    def __init__(self, service: str, message: str) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service
