"""labkit's SQS emulator against moto's server, side by side in one run.

Both servers run as their own processes on 127.0.0.1 (so neither shares the client's GIL) and
are driven by the same boto3 code. Prints messages per second (or ms per receive), the ratio
to moto, and PASS/FAIL for each target of the emulator's brief:

  - at least 10x moto on single sends, batched sends, receive + batch delete, receive at depth
  - at least 3,000 msg/s batched sends from one boto3 client
  - a receive at depth 10,000 no slower than twice one at depth 100 (no O(n) scans)
  - 50 idle long polls do not slow a publisher down (>= 90% of its rate without them)
  - keeping the record of each message (the lessons' timelines) costs <= 10% of batched-send
    throughput: the same emulator with `--no-record` is the baseline, rounds alternating

Run: .venv/bin/python benchmarks/sqs_emulator.py [--quick]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import psutil
from _rates import in_tens, one_by_one, quick_option, rate
from _servers import Server, start_server

from labkit.lessons.engine.receiving import receive_all


def fill(sqs, url: str, count: int) -> None:
    for entries in in_tens(count, lambda n: {"MessageBody": f"filler {n}"}):
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def single_sends(sqs, url: str, count: int) -> float:
    attrs = {"client": {"DataType": "String", "StringValue": "bench"}}
    return one_by_one(
        count,
        lambda i: sqs.send_message(
            QueueUrl=url, MessageBody=f"Message {i}", MessageAttributes=attrs
        ),
    )


def batched_sends(sqs, url: str, count: int) -> float:
    return rate(count, lambda: fill(sqs, url, count))


def receive_and_delete(sqs, url: str, count: int) -> float:
    start = time.perf_counter()
    done = len(receive_all(sqs, url, limit=count))
    return done / (time.perf_counter() - start)


def receive_ms_at_depth(sqs, url: str, depth: int, samples: int) -> float:
    """Median ms of one ReceiveMessage(10) on a queue holding ``depth`` messages.

    VisibilityTimeout=0 puts each message straight back, so the depth stays put.
    """
    fill(sqs, url, depth)
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=0
        )
        times.append(time.perf_counter() - start)
        assert got.get("Messages"), "the queue should not be empty"
    return statistics.median(times) * 1000


IDLE_POLLER = (
    "import http.client, json, sys, threading\n"
    "host, port, url, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])\n"
    "body = json.dumps({'QueueUrl': url, 'WaitTimeSeconds': 20, 'MaxNumberOfMessages': 10})\n"
    "headers = {'X-Amz-Target': 'AmazonSQS.ReceiveMessage',\n"
    "           'Content-Type': 'application/x-amz-json-1.0'}\n"
    "def poll():\n"
    "    conn = http.client.HTTPConnection(host, port, timeout=30)\n"
    "    while True:\n"
    "        conn.request('POST', '/', body=body, headers=headers)\n"
    "        response = conn.getresponse()\n"
    "        response.read()\n"
    "        if response.status != 200:\n"
    "            return  # the queue was deleted: the round is over\n"
    "threads = [threading.Thread(target=poll) for _ in range(count)]\n"
    "for t in threads: t.start()\n"
    "print('polling', flush=True)\n"
    "for t in threads: t.join()\n"
)


def idle_long_polls(server: Server, url: str, count: int) -> subprocess.Popen:
    """``count`` consumers long-polling an empty queue, in a process of their own (as other
    consumers would be; threads inside the benchmark would tax its own publisher instead)."""
    host, port = server.url.removeprefix("http://").split(":")
    proc = subprocess.Popen(
        [sys.executable, "-c", IDLE_POLLER, host, port, url, str(count)],
        stdout=subprocess.PIPE,
        text=True,
    )
    proc.stdout.readline()  # "polling": every connection has sent its request
    return proc


def recording_cost(batch: int, rounds: int = 7) -> dict[str, tuple[float, float]]:
    """Batched sends to an emulator keeping its record and to one started with
    ``--no-record``, alternating rounds on fresh queues: {"rate": (on, off) median msg/s,
    "cpu": (on, off) median server CPU microseconds per message}. On a shared machine the CPU
    figure is the steadier one: it does not count time the server waited for a core."""
    servers = [start_server("emulator"), start_server("emulator-unrecorded")]
    rates: dict[str, list[float]] = {server.name: [] for server in servers}
    cpu: dict[str, list[float]] = {server.name: [] for server in servers}
    try:
        clients = [server.client() for server in servers]
        for sqs in clients:
            fill(sqs, sqs.create_queue(QueueName="bench-warm")["QueueUrl"], 500)
        for round_no in range(rounds):
            pairs = list(zip(servers, clients, strict=True))
            for server, sqs in pairs if round_no % 2 == 0 else pairs[::-1]:
                url = sqs.create_queue(QueueName=f"bench-record-{round_no}")["QueueUrl"]
                process = psutil.Process(server.proc.pid)
                before = sum(process.cpu_times()[:2])
                rates[server.name].append(batched_sends(sqs, url, batch))
                cpu[server.name].append((sum(process.cpu_times()[:2]) - before) / batch * 1e6)
    finally:
        for server in servers:
            server.stop()
    on, off = (server.name for server in servers)
    return {
        "rate": (statistics.median(rates[on]), statistics.median(rates[off])),
        "cpu": (statistics.median(cpu[on]), statistics.median(cpu[off])),
    }


def main() -> int:
    scale, run_note = quick_option(__doc__.splitlines()[0])
    n = lambda value: max(20, int(value * scale))  # noqa: E731

    emulator, moto = start_server("emulator"), start_server("moto")
    rows: list[tuple] = []
    notes: list[str] = []
    try:
        results: dict[str, dict[str, float]] = {}
        plan = {
            "emulator": {"single": n(700), "batch": n(10000), "drain": n(10000), "deep": 10000},
            "moto": {"single": n(100), "batch": n(1000), "drain": n(500), "deep": 1000},
        }
        for server in (emulator, moto):
            sqs, counts, r = server.client(max_pool_connections=60), plan[server.name], {}
            url = sqs.create_queue(QueueName="bench-single")["QueueUrl"]
            single_sends(sqs, url, 50)  # warm up: connections, botocore's first-call caches
            # median of 3 rounds: a shared 2-core machine makes any single round noisy
            r["single"] = statistics.median(
                single_sends(sqs, url, counts["single"]) for _ in range(3)
            )
            url = sqs.create_queue(QueueName="bench-batch")["QueueUrl"]
            r["batch"] = batched_sends(sqs, url, counts["batch"])
            url = sqs.create_queue(QueueName="bench-drain")["QueueUrl"]
            fill(sqs, url, counts["drain"])
            r["drain"] = receive_and_delete(sqs, url, counts["drain"])
            url = sqs.create_queue(QueueName="bench-depth-100")["QueueUrl"]
            r["depth100"] = receive_ms_at_depth(sqs, url, 100, 20)
            url = sqs.create_queue(QueueName="bench-depth-deep")["QueueUrl"]
            r["deep"] = receive_ms_at_depth(sqs, url, counts["deep"], 10)
            results[server.name] = r
            print(f"  measured {server.name}", file=sys.stderr, flush=True)
        notes.append(
            "moto's deep receive is measured at depth 1,000 (10,000 takes minutes on moto: its "
            "receive cost grows with depth); the ratio still compares against it."
        )

        # 50 idle long polls vs a publisher, on the emulator; alternating rounds, medians
        sqs = emulator.client(max_pool_connections=60)
        pub = sqs.create_queue(QueueName="bench-publisher")["QueueUrl"]
        single_sends(sqs, pub, 200)  # warm up
        quiet_rates, busy_rates, quiet_cpu, busy_cpu = [], [], [], []
        server_cpu = psutil.Process(emulator.proc.pid)

        def timed_sends(rates: list, cpu: list) -> None:
            before = sum(server_cpu.cpu_times()[:2])
            rates.append(single_sends(sqs, pub, n(1000)))
            cpu.append((sum(server_cpu.cpu_times()[:2]) - before) / n(1000) * 1e6)

        for round_no in range(5):
            timed_sends(quiet_rates, quiet_cpu)
            idle = sqs.create_queue(QueueName=f"bench-idle-{round_no}")["QueueUrl"]
            pollers = idle_long_polls(emulator, idle, 50)
            time.sleep(0.3)
            timed_sends(busy_rates, busy_cpu)
            sqs.delete_queue(QueueUrl=idle)  # wakes every waiting poll at once
            try:
                pollers.wait(timeout=25)
            except subprocess.TimeoutExpired:
                pollers.kill()
                pollers.wait()
        quiet, busy = statistics.median(quiet_rates), statistics.median(busy_rates)
        notes.append(
            f"server CPU per send: {statistics.median(quiet_cpu):.0f} us alone, "
            f"{statistics.median(busy_cpu):.0f} us with 50 idle long polls (they wait on a "
            "condition variable, no polling)."
        )

        cost = recording_cost(n(5000))
        (recorded, unrecorded), (cpu_on, cpu_off) = cost["rate"], cost["cpu"]
        notes.append(
            f"batched sends without the record (--no-record): {unrecorded:,.0f} msg/s, median of "
            f"7 rounds alternating with the recording emulator; the ratio there is on/off. Server "
            f"CPU per message: {cpu_on:.0f} us recording, {cpu_off:.0f} us not "
            f"({cpu_on / cpu_off - 1:+.1%})."
        )

        e, m = results["emulator"], results["moto"]

        def ratio(a: float, b: float) -> float:
            return a / b if b else float("inf")

        rows = [
            ("single sends (msg/s)", e["single"], m["single"], ratio(e["single"], m["single"]), ">= 10x moto", ratio(e["single"], m["single"]) >= 10),
            ("batched sends of 10 (msg/s)", e["batch"], m["batch"], ratio(e["batch"], m["batch"]), ">= 10x moto", ratio(e["batch"], m["batch"]) >= 10),
            ("batched sends, one client (msg/s)", e["batch"], None, None, ">= 3000", e["batch"] >= 3000),
            ("receive + batch delete (msg/s)", e["drain"], m["drain"], ratio(e["drain"], m["drain"]), ">= 10x moto", ratio(e["drain"], m["drain"]) >= 10),
            ("one receive at depth 100 (ms)", e["depth100"], m["depth100"], ratio(m["depth100"], e["depth100"]), ">= 10x moto", ratio(m["depth100"], e["depth100"]) >= 10),
            ("one receive at depth 10,000 (ms)*", e["deep"], m["deep"], ratio(m["deep"], e["deep"]), ">= 10x moto", ratio(m["deep"], e["deep"]) >= 10),
            ("depth 10,000 / depth 100 (emulator)", ratio(e["deep"], e["depth100"]), None, None, "<= 2.0", ratio(e["deep"], e["depth100"]) <= 2.0),
            ("publisher with 50 idle long polls (msg/s)", busy, None, ratio(busy, quiet), ">= 0.9x alone", ratio(busy, quiet) >= 0.9),
            ("batched sends, record kept (msg/s)", recorded, None, ratio(recorded, unrecorded), ">= 0.9x off", ratio(recorded, unrecorded) >= 0.9),
        ]  # fmt: skip
        notes.append(
            f"publisher alone: {quiet:,.0f} msg/s (median of 5 rounds, alternating with the "
            "polls); the ratio there is with/without."
        )
    finally:
        emulator.stop()
        moto.stop()

    print(f"SQS emulator benchmark (baseline: moto server, same run{run_note})")
    header = f"{'metric':<44}{'emulator':>12}{'moto':>12}{'ratio':>9}  {'target':<15}result"
    print(header)
    print("-" * len(header))
    for metric, ours, theirs, rat, target, ok in rows:
        theirs_s = f"{theirs:>12,.1f}" if theirs is not None else f"{'-':>12}"
        ratio_s = f"{rat:>8.1f}x" if rat is not None else f"{'-':>9}"
        print(
            f"{metric:<44}{ours:>12,.1f}{theirs_s}{ratio_s}  {target:<15}{'PASS' if ok else 'FAIL'}"
        )
    for note in notes:
        print(f"* {note}")
    failed = [row[0] for row in rows if not row[5]]
    print(f"{len(rows) - len(failed)}/{len(rows)} targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
