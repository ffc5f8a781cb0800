"""Admin routes on an emulator that checks signatures (as the stack's does): each caller acts on
its own account; the emulator-wide calls need the admin key (issue 23)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from labkit.emulator.admin import CONFIG, RESET
from labkit.emulator.server import start
from labkit.stack.clients import emulator_client
from labkit.stack.emulator_admin import AdminError, EmulatorAdmin

SECRET = "a-stack-secret-for-this-test"
MINE, OTHER = "111111111111", "222222222222"


@pytest.fixture
def emulator() -> Iterator:
    handle = start(seed=5, secret=SECRET)
    yield handle
    handle.stop()


def _queue_with_a_message(url: str, account: str) -> str:
    sqs = emulator_client(url, account=account, secret=SECRET)
    queue = sqs.create_queue(QueueName="kept")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="mine")
    return queue


def test_a_kernels_reset_empties_its_own_account_only(emulator) -> None:
    other_queue = _queue_with_a_message(emulator.url, OTHER)
    _queue_with_a_message(emulator.url, MINE)
    answer = EmulatorAdmin(emulator.url, account=MINE, secret=SECRET).reset()
    assert answer["account"] == MINE and answer["messages"] == 1
    theirs = emulator_client(emulator.url, account=OTHER, secret=SECRET)
    attrs = theirs.get_queue_attributes(QueueUrl=other_queue, AttributeNames=["All"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "1"


def test_another_account_or_everyone_needs_the_admin_key(emulator) -> None:
    _queue_with_a_message(emulator.url, OTHER)
    mine = EmulatorAdmin(emulator.url, account=MINE, secret=SECRET)
    with pytest.raises(AdminError, match="AccessDenied"):
        mine.call(RESET, {"account": OTHER})
    with pytest.raises(AdminError, match="AccessDenied"):
        mine.call(CONFIG, {"duplicate_rate": 1, "account": OTHER})
    assert mine.advance_clock(60) > 0  # its own clock
    admin = EmulatorAdmin(emulator.url, secret=SECRET)  # the admin key: the whole emulator
    assert admin.reset()["status"] == "reset"


def test_a_wrong_secret_is_refused_for_every_account(emulator) -> None:
    for account in (MINE, None):
        with pytest.raises(AdminError, match="signature"):
            EmulatorAdmin(emulator.url, account=account, secret="guessed").reset()
    forged = emulator_client(emulator.url, account=MINE, secret="guessed")
    with pytest.raises(ClientError) as caught:
        forged.list_queues()
    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    sns = emulator_client(emulator.url, service="sns", account=MINE, secret="guessed")
    with pytest.raises(ClientError) as caught:
        sns.list_topics()
    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
