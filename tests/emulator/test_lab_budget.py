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
