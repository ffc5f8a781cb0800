"""The emulator's memory under a flood (issue 23): a client sending 1 MiB messages as fast as it
can for 30 s keeps the `labkit sqs-server` process under its documented budget.

711 sends of 1 MiB grew the emulator from 259 to 973 MB before. Now the message bytes it holds
stop at `MAX_HELD_BYTES` (128 MiB): further sends get `OverLimit` (403, AWS's shape), never a
500, and once the queue is purged sends succeed again. Measured: the server's peak resident
memory (psutil, sampled every 0.2 s), against `RSS_BUDGET_MB` (docs/reliability.md).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import psutil
import pytest
from botocore.exceptions import ClientError

from labkit.emulator.sqs.queues import MAX_HELD_BYTES
from labkit.net import free_port, wait_for_port
from labkit.stack.clients import emulator_client

RSS_BUDGET_MB = 400
FLOOD_SECONDS = 30.0
SENDERS = 4


@pytest.fixture
def emulator_process():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "labkit", "sqs-server", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for_port(port, timeout=20)
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.soak
@pytest.mark.timeout(300)
def test_a_flood_of_1_mib_sends_stays_under_the_memory_budget(emulator_process) -> None:
    proc, url = emulator_process
    sqs = emulator_client(url, retries={"max_attempts": 1}, read_timeout=60)
    queue = sqs.create_queue(QueueName="flood")["QueueUrl"]
    body = "x" * (1024 * 1024 - 64)
    outcomes: dict[str, int] = {}
    peak = [psutil.Process(proc.pid).memory_info().rss]
    stop = time.monotonic() + FLOOD_SECONDS
    lock = threading.Lock()

    def send() -> None:
        client = emulator_client(url, retries={"max_attempts": 1}, read_timeout=60)
        while time.monotonic() < stop:
            try:
                client.send_message(QueueUrl=queue, MessageBody=body)
                outcome = "200"
            except ClientError as exc:
                meta = exc.response["ResponseMetadata"]
                outcome = f"{meta['HTTPStatusCode']} {exc.response['Error']['Code']}"
            with lock:
                outcomes[outcome] = outcomes.get(outcome, 0) + 1

    threads = [threading.Thread(target=send) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        peak.append(psutil.Process(proc.pid).memory_info().rss)
        threads[0].join(0.2)
    peak_mb = max(peak) / 1e6
    print(
        f"\nflood {FLOOD_SECONDS:.0f} s x {SENDERS} senders: {outcomes}; peak RSS {peak_mb:.0f} MB"
    )
    assert set(outcomes) <= {"200", "403 OverLimit"}, outcomes
    assert outcomes.get("200", 0) >= MAX_HELD_BYTES // len(body) - SENDERS
    assert outcomes.get("403 OverLimit", 0) > 0, "the flood reached the budget"
    assert peak_mb < RSS_BUDGET_MB
    sqs.purge_queue(QueueUrl=queue)
    sqs.send_message(QueueUrl=queue, MessageBody=body)  # room again
