"""The one client of the emulator's admin routes, on a private emulator (the shared one's clock
and settings are left alone for other tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labkit.net import free_port
from labkit.stack.clients import emulator_client
from labkit.stack.context import context_of
from labkit.stack.emulator_admin import AdminError, EmulatorAdmin


@pytest.fixture
def emulator() -> Iterator[str]:
    from labkit.emulator.server import start

    handle = start(seed=1)
    try:
        yield handle.url
    finally:
        handle.stop()


def test_clock_config_seed_and_reset(emulator: str) -> None:
    admin = context_of(emulator_client(emulator)).admin
    assert admin.answers()
    before = admin.advance_clock(0)
    assert admin.advance_clock(301) >= before + 301
    sqs = emulator_client(emulator)
    sqs.create_queue(QueueName="admin-test")
    settings = admin.configure(duplicate_rate=0.25, queue="admin-test")
    assert settings["queues"] == {"admin-test": 0.25} == admin.settings()["queues"]
    admin.seed(6)
    assert admin.settings()["seed"] == 6
    url = sqs.list_queues()["QueueUrls"][0]
    sqs.send_message(QueueUrl=url, MessageBody="old")
    assert admin.empty_queue(url) == 1 and sqs.list_queues()["QueueUrls"] == [url]
    EmulatorAdmin(emulator).reset()  # no account: the whole emulator
    assert sqs.list_queues().get("QueueUrls", []) == []


def test_refusals_are_one_line_with_the_next_step(emulator: str) -> None:
    with pytest.raises(AdminError, match="emulator refused config: .*queue"):
        EmulatorAdmin(emulator).configure(duplicate_rate=0.5, queue="no-such-queue")
    with pytest.raises(AdminError, match="needs the lab's SQS emulator.*AWS"):
        EmulatorAdmin("https://sqs.us-east-1.amazonaws.com").advance_clock(1)
    dead = EmulatorAdmin(f"http://127.0.0.1:{free_port()}", timeout=2)
    assert not dead.answers()
    with pytest.raises(AdminError, match="does not answer.*labkit up"):
        dead.reset()
