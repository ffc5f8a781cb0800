"""The API client turns a silent or absent server into TaskOverflowUnavailable, never a raw
requests exception."""

from __future__ import annotations

import socket

import pytest

from labkit.net import free_port
from labkit.taskoverflow.client import TaskOverflowClient, TaskOverflowUnavailable


def test_a_server_that_never_answers_is_unavailable_not_a_read_timeout() -> None:
    with socket.socket() as listener:  # accepts connections (the kernel's backlog), says nothing
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        client = TaskOverflowClient(f"http://127.0.0.1:{port}", timeout=0.3)
        with pytest.raises(TaskOverflowUnavailable, match=r"took longer than 0.3 s.*labkit status"):
            client.health()


def test_nothing_listening_is_unavailable() -> None:
    client = TaskOverflowClient(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(TaskOverflowUnavailable, match="does not answer.*labkit up"):
        client.health()
