"""The lab's budgets where AWS has none (issue 23): the clock runs at most ten years ahead in
all (8,100 one-year moves made every SNS Publish a 500, "year 10121 is out of range")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labkit.emulator.clock import MAX_TOTAL_OFFSET
from labkit.emulator.server import start
from labkit.stack.clients import emulator_client
from labkit.stack.emulator_admin import AdminError, EmulatorAdmin

YEAR = 365 * 24 * 3600.0


@pytest.fixture
def emulator() -> Iterator:
    """An emulator of the test's own: its clock goes ten years ahead."""
    handle = start(seed=23)
    yield handle
    handle.stop()


@pytest.mark.parametrize("account", [None, "123456789012"])
def test_the_clock_stops_at_ten_years_ahead_and_sns_keeps_answering(emulator, account):
    admin = EmulatorAdmin(emulator.url, account=account)
    moved = 0
    with pytest.raises(AdminError, match="10 years"):
        for _ in range(8_100):
            admin.advance_clock(YEAR)
            moved += 1
    assert moved == int(MAX_TOTAL_OFFSET // YEAR)
    sns = emulator_client(emulator.url, service="sns", account=account)
    topic = sns.create_topic(Name="after-ten-years")["TopicArn"]
    assert sns.publish(TopicArn=topic, Message="still here")["MessageId"]


def test_a_queue_cannot_be_its_own_dead_letter_queue(emulator) -> None:
    """It spun a long poll at 99.6% CPU and never delivered the message."""
    import json

    from botocore.exceptions import ClientError

    sqs = emulator_client(emulator.url)
    url = sqs.create_queue(QueueName="loop")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    policy = json.dumps({"deadLetterTargetArn": arn["QueueArn"], "maxReceiveCount": 1})
    with pytest.raises(ClientError, match="cannot be its own dead-letter queue") as caught:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": policy})
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_an_accounts_duplicate_rate_is_its_own(emulator) -> None:
    """`config {"duplicate_rate": 1, "account": A}` used to set every account's rate, and an
    account's view of the settings listed other accounts' queues."""
    mine, other = "111111111111", "222222222222"
    EmulatorAdmin(emulator.url, account=mine).configure(duplicate_rate=1.0)
    theirs = emulator_client(emulator.url, account=other)
    url = theirs.create_queue(QueueName="plain")["QueueUrl"]
    EmulatorAdmin(emulator.url, account=other).configure(duplicate_rate=0.5, queue="plain")
    theirs.send_message(QueueUrl=url, MessageBody="once")
    got = theirs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert EmulatorAdmin(emulator.url, account=other).settings()["duplicate_rate"] == 0.0
    assert EmulatorAdmin(emulator.url, account=mine).settings()["duplicate_rate"] == 1.0
    assert "queues" not in EmulatorAdmin(emulator.url, account=mine).settings()
    assert len(got) == 1
