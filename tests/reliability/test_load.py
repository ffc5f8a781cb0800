"""Load: 50 clients on the API, 24 clients on the emulator's queues, 200 calendar jobs at once.

Each proves "nothing lost, no errors"; the latency figures are printed (run with ``-s``), never
asserted. The 30 s API run is a soak test (`make soak`); `make test` runs a 3 s version.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from labkit.net import free_port, wait_for_port
from labkit.stack.clients import emulator_client
from labkit.stack.emulator_admin import EmulatorAdmin
from labkit.taskoverflow.db import db
from labkit.taskoverflow.serve import start
from labkit.waiting import Deadline, wait_until
from tests.reliability.conftest import api_app, stop_group, unique, worker_env

REPO = Path(__file__).resolve().parents[2]


def load_benchmark():
    spec = importlib.util.spec_from_file_location("api_load", REPO / "benchmarks" / "api_load.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules["api_load"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return load_benchmark()


@pytest.fixture(scope="module")
def api_process(bench, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`labkit api` as its own process (as in the stack), on SQLite."""
    proc, url = bench.start_api(tmp_path_factory.mktemp("load-api"))
    yield url
    bench.stop_api(proc)


def _api_load(bench, url: str, seconds: float) -> None:
    result = bench.run_load(url, "todos", clients=50, seconds=seconds)
    print("\n" + result.line())
    assert result.errors == [], result.errors[:5]
    # Fifty clients at once, each kept busy for the whole run: every one of them got answers
    # all along (not one request each), so the server served them side by side.
    assert len(result.per_client) == 50, "a client thread did not finish"
    assert min(result.per_client) >= 3, sorted(result.per_client)[:5]


def test_fifty_clients_short(bench, api_process: str) -> None:
    _api_load(bench, api_process, seconds=3)


@pytest.mark.soak
def test_fifty_clients_thirty_seconds(bench, api_process: str) -> None:
    baseline = bench.run_load(api_process, "health", clients=50, seconds=10)
    print("\n" + baseline.line() + "   <- baseline")
    assert baseline.errors == []
    _api_load(bench, api_process, seconds=30)


# ---- the emulator under 20 long-polling consumers and 4 publishers ---------------------------


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`labkit sqs-server` as its own process, so client threads do not share its GIL."""
    port = free_port()
    log = tmp_path_factory.mktemp("sqs") / "sqs.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "labkit", "sqs-server", "--port", str(port), "--seed", "7"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    assert wait_for_port(port, timeout=20), log.read_text()
    yield f"http://127.0.0.1:{port}"
    stop_group(proc)


def sqs_client(endpoint: str):
    return emulator_client(
        endpoint, retries={"max_attempts": 1}, read_timeout=10, max_pool_connections=4
    )


PUBLISHERS, CONSUMERS, PER_PUBLISHER, GROUPS = 4, 20, 50, 6


def publish_all(endpoint: str, url: str, fifo: bool) -> dict[tuple[int, int], str]:
    """4 publishers at once; returns each message's sequence number (FIFO) or id."""
    sent: dict[tuple[int, int], str] = {}
    lock = threading.Lock()

    def publisher(p: int) -> None:
        sqs = sqs_client(endpoint)
        for i in range(PER_PUBLISHER):
            body = json.dumps({"p": p, "i": i, "g": f"g{(p + i) % GROUPS}"})
            extra = {"MessageGroupId": f"g{(p + i) % GROUPS}"} if fifo else {}
            if fifo:
                extra["MessageDeduplicationId"] = f"{p}-{i}"
            reply = sqs.send_message(QueueUrl=url, MessageBody=body, **extra)
            with lock:
                sent[(p, i)] = reply.get("SequenceNumber", reply["MessageId"])

    with ThreadPoolExecutor(PUBLISHERS) as pool:
        list(pool.map(publisher, range(PUBLISHERS)))
    return sent


def consume_all(endpoint: str, url: str, expected: int, timeout: float = 60) -> list[dict]:
    """20 long-polling consumers until every message was seen once; one record per delivery."""
    records: list[dict] = []
    seen: set[tuple[int, int]] = set()
    lock = threading.Lock()
    deadline = Deadline(timeout)  # one budget for all 20

    def consumer(c: int) -> None:
        sqs = sqs_client(endpoint)
        while not deadline.passed():
            with lock:
                if len(seen) >= expected:
                    return
            reply = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=1,
                MessageSystemAttributeNames=["All"],
            )
            got = time.monotonic()
            for message in reply.get("Messages", []):
                body = json.loads(message["Body"])
                record = {
                    "key": (body["p"], body["i"]),
                    "group": body["g"],
                    "seq": message["Attributes"].get("SequenceNumber"),
                    "received": got,
                    "consumer": c,
                    "receives": int(message["Attributes"]["ApproximateReceiveCount"]),
                }
                record["delete_sent"] = time.monotonic()
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                with lock:
                    records.append(record)
                    seen.add(record["key"])

    with ThreadPoolExecutor(CONSUMERS) as pool:
        list(pool.map(consumer, range(CONSUMERS)))
    return records


def test_fifo_many_consumers_every_message_once_in_group_order(emulator: str) -> None:
    sqs = sqs_client(emulator)
    url = sqs.create_queue(
        QueueName=unique("load") + ".fifo",
        Attributes={"FifoQueue": "true", "VisibilityTimeout": "30"},
    )["QueueUrl"]
    total = PUBLISHERS * PER_PUBLISHER
    consumed: list[list[dict]] = []
    reader = threading.Thread(target=lambda: consumed.append(consume_all(emulator, url, total)))
    reader.start()  # consumers are already long-polling while the publishers send
    sent = publish_all(emulator, url, fifo=True)
    reader.join()
    records = consumed[0]

    assert {r["key"] for r in records} == set(sent), "messages lost"
    counts = Counter(r["key"] for r in records)
    assert max(counts.values()) == 1, "delivered twice within the visibility timeout"
    assert all(r["seq"] == sent[r["key"]] for r in records)
    by_group: dict[str, list[dict]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r["received"], int(r["seq"]))):
        by_group[record["group"]].append(record)
    for group, delivered in by_group.items():
        seqs = [int(r["seq"]) for r in delivered]
        assert seqs == sorted(seqs), f"group {group} out of order"
        for earlier, later in zip(delivered, delivered[1:], strict=False):
            if earlier["received"] != later["received"]:  # a later receive call
                # ...may only get the next message once the previous one was being deleted
                assert later["received"] >= earlier["delete_sent"], f"group {group} overlapped"
    consumers = len({r["consumer"] for r in records})
    print(f"\nFIFO: {total} messages, {GROUPS} groups, {consumers} consumers took part, in order")


def test_standard_many_consumers_nothing_lost_duplicates_counted(emulator: str) -> None:
    sqs = sqs_client(emulator)
    name = unique("load-std")
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    EmulatorAdmin(emulator).configure(duplicate_rate=0.05, queue=name)
    total = PUBLISHERS * PER_PUBLISHER
    consumed: list[list[dict]] = []
    reader = threading.Thread(target=lambda: consumed.append(consume_all(emulator, url, total)))
    reader.start()
    sent = publish_all(emulator, url, fifo=False)
    reader.join()
    records = consumed[0]
    leftover = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    extra = len(leftover.get("Messages", []))

    assert {r["key"] for r in records} == set(sent), "messages lost"
    duplicates = len(records) - len(sent) + extra
    print(f"\nstandard: {total} messages, {duplicates} duplicate deliveries at rate 0.05")
    assert 0 <= duplicates < total * 0.2


# ---- 200 calendar jobs at once ---------------------------------------------------------------


@pytest.mark.extended  # a load test (200 jobs through a real worker): make test-extended
def test_two_hundred_calendar_jobs_all_succeed(
    redis_url: str, start_worker, tmp_path: Path, reliability_home: Path
) -> None:
    queue = unique("ical-burst")
    app = api_app(tmp_path / "todo.db", redis_url, queue)
    start_worker(worker_env(redis_url, queue, reliability_home), concurrency=2, name="burst")
    server = start(app, threads=8)
    api = f"{server.url}/api/v1"
    try:
        session = requests.Session()
        session.post(f"{api}/todos", json={"title": "due", "deadline_at": "2025-04-09T14:00:00"})
        began = time.monotonic()

        def post(_: int) -> tuple[int, str]:
            # Status and id only: a kept Response keeps its connection open, and 100 open
            # connections is waitress's connection_limit (it stops accepting until they idle out).
            reply = requests.post(f"{api}/todos/ical", timeout=15)
            return reply.status_code, reply.json().get("task_id", "")

        with ThreadPoolExecutor(20) as pool:
            replies = list(pool.map(post, range(200)))
        assert [status for status, _ in replies] == [202] * 200
        pending = {task_id for _, task_id in replies}
        assert len(pending) == 200
        states: Counter = Counter()

        def all_finished() -> bool:
            for task_id in list(pending):
                state = session.get(f"{api}/todos/ical/{task_id}/status").json()["task_status"]
                if state in ("SUCCESS", "FAILURE"):
                    states[state] += 1
                    pending.discard(task_id)
            return not pending

        with contextlib.suppress(TimeoutError):  # the asserts below say what was left
            wait_until(all_finished, 60, "200 calendar jobs", poll=0.1)
        elapsed = time.monotonic() - began
        assert not pending, f"{len(pending)} jobs unfinished after 60 s"
        assert states == {"SUCCESS": 200}, states
        print(f"\n200 calendar jobs: all SUCCESS in {elapsed:.1f} s (2 worker processes)")
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()
