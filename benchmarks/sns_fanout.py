"""SNS fan-out on labkit's emulator against moto's server, side by side in one run.

One topic, three SQS queue subscriptions (one with a filter policy, one with raw message
delivery, one plain), each queue with the policy that lets the topic send (as AWS requires and
the emulator enforces); one boto3 client publishing; both servers run as their own processes
on 127.0.0.1 and get the same calls. Half the messages match the filter. Every message must
reach the queues that want it (checked by counting them), so a rate means delivered messages,
not accepted calls. Prints messages per second published and delivered, the ratio to moto, and
PASS/FAIL for:

  - at least 1,000 msg/s (PublishBatch of 10) delivered to the three queues from one client
  - at least 10x moto on single publishes and on batches

It also reports the server's CPU time per published message (three deliveries each), read from
the server process: on a busy machine the wall-clock rates mostly measure the client's share of
the CPU, while CPU time per message is what the server itself costs.

Run: .venv/bin/python benchmarks/sns_fanout.py [--quick]
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import psutil
from _rates import in_tens, one_by_one, quick_option, rate
from _servers import Server, start_server

from labkit.terraform.topics import allow_topic

# queue -> subscription attributes: billing filters, shipping is raw, analytics gets everything
SUBSCRIBERS = {
    "billing": {"FilterPolicy": '{"kind": ["order_placed"]}'},
    "shipping": {"RawMessageDelivery": "true"},
    "analytics": {},
}
KINDS = ("order_placed", "order_cancelled")  # alternating: billing's filter passes half


def kind_of(n: int) -> dict:
    return {"kind": {"DataType": "String", "StringValue": KINDS[n % 2]}}


def fan_out(server: Server, tag: str) -> tuple:
    """A topic with three queue subscriptions: (sns client, sqs client, topic ARN, queue URLs)."""
    sns, sqs = server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name=f"events-{tag}")["TopicArn"]
    urls = []
    for name, attributes in SUBSCRIBERS.items():
        url = sqs.create_queue(QueueName=f"{name}-{tag}")["QueueUrl"]
        endpoint = allow_topic(sqs, url, topic)
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=endpoint, Attributes=attributes)
        urls.append(url)
    return sns, sqs, topic, urls


def expected_depths(published: int) -> list[int]:
    """What each queue holds after ``published`` messages numbered from 0 (per SUBSCRIBERS)."""
    return [(published + 1) // 2, published, published]


def depth(sqs, url: str) -> int:
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(got["Attributes"]["ApproximateNumberOfMessages"])


def publish_single(sns, topic: str, count: int) -> float:
    return one_by_one(
        count,
        lambda i: sns.publish(TopicArn=topic, Message=f"order {i}", MessageAttributes=kind_of(i)),
    )


def publish_batches(sns, topic: str, count: int) -> float:
    def entry(n: int) -> dict:
        return {"Message": f"order {n}", "MessageAttributes": kind_of(n)}

    def publish_all() -> None:
        for entries in in_tens(count, entry):
            answer = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
            assert not answer.get("Failed"), answer["Failed"]

    return rate(count, publish_all)


def server_cpu(server: Server) -> float:
    """CPU seconds (user + system) the server process has used so far."""
    times = psutil.Process(server.proc.pid).cpu_times()
    return times.user + times.system


def measure(server: Server, counts: dict[str, int]) -> dict[str, float]:
    out: dict[str, float] = {}
    sns, sqs, topic, urls = fan_out(server, "single")
    publish_single(sns, topic, 20)  # warm up: connections, botocore's first-call caches
    before = server_cpu(server)
    rates = [publish_single(sns, topic, counts["single"]) for _ in range(3)]
    out["single_cpu_us"] = (server_cpu(server) - before) / (3 * counts["single"]) * 1e6
    out["single"] = statistics.median(rates)
    print(f"  {server.name}: single publishes {rates}", file=sys.stderr, flush=True)
    pairs = zip(expected_depths(20), expected_depths(counts["single"]), strict=True)
    expected = [w + 3 * r for w, r in pairs]
    copies = [depth(sqs, url) for url in urls]
    assert copies == expected, f"{server.name}: queues hold {copies}, expected {expected}"
    sns, sqs, topic, urls = fan_out(server, "batch")
    before, client_before = server_cpu(server), time.process_time()
    rates = [publish_batches(sns, topic, counts["batch"]) for _ in range(3)]
    out["batch_cpu_us"] = (server_cpu(server) - before) / (3 * counts["batch"]) * 1e6
    out["client_cpu_us"] = (time.process_time() - client_before) / (3 * counts["batch"]) * 1e6
    out["batch"] = statistics.median(rates)
    print(f"  {server.name}: batched publishes {rates}", file=sys.stderr, flush=True)
    copies = [depth(sqs, url) for url in urls]
    expected = [3 * d for d in expected_depths(counts["batch"])]
    assert copies == expected, f"{server.name}: queues hold {copies}, expected {expected}"
    return out


def main() -> int:
    scale, run_note = quick_option(__doc__.splitlines()[0])
    plan = {
        "emulator": {"single": max(50, int(600 * scale)), "batch": max(200, int(4000 * scale))},
        "moto": {"single": max(20, int(60 * scale)), "batch": max(50, int(300 * scale))},
    }
    results = {}
    load_before = os.getloadavg()[0]
    for name in ("emulator", "moto"):
        server = start_server(name)
        try:
            results[name] = measure(server, plan[name])
        finally:
            server.stop()
        print(f"  measured {name}", file=sys.stderr, flush=True)
    return report(results["emulator"], results["moto"], run_note, load_before)


def report(e: dict[str, float], m: dict[str, float], run_note: str, load_before: float) -> int:
    """The table: each rate against moto's, the targets met, the CPU figures."""
    rows = [
        ("Publish, 3 queue subscriptions (msg/s)", e["single"], m["single"], 10.0),
        ("PublishBatch of 10, 3 subscriptions (msg/s)", e["batch"], m["batch"], 10.0),
    ]
    print(f"SNS fan-out benchmark (baseline: moto server, same run{run_note})")
    header = f"{'metric':<46}{'emulator':>11}{'moto':>10}{'ratio':>9}  {'target':<16}result"
    print(header)
    print("-" * len(header))
    failed = 0
    for metric, ours, theirs, floor in rows:
        ok = ours / theirs >= floor
        failed += not ok
        print(
            f"{metric:<46}{ours:>11,.0f}{theirs:>10,.0f}{ours / theirs:>8.1f}x  "
            f"{f'>= {floor:.0f}x moto':<16}{'PASS' if ok else 'FAIL'}"
        )
    for metric, key in (
        ("server CPU per Publish (us/msg, lower wins)", "single_cpu_us"),
        ("server CPU per batched msg (us/msg, lower wins)", "batch_cpu_us"),
    ):
        print(
            f"{metric:<46}{e[key]:>11,.0f}{m[key]:>10,.0f}{m[key] / e[key]:>8.1f}x  "
            f"{'(information)':<16}"
        )
    # Client and server take turns (each call waits for its answer), so with a CPU each and no
    # one else running, one client could publish at most this many messages a second:
    idle = 1e6 / (e["client_cpu_us"] + e["batch_cpu_us"])
    print(
        f"{'boto3 client CPU per batched msg (us/msg)':<46}{e['client_cpu_us']:>11,.0f}"
        f"{'-':>10}{'-':>9}  {'(information)':<16}"
    )
    print(
        f"{'CPU-bound rate, client+server (msg/s)':<46}{idle:>11,.0f}{'-':>10}{'-':>9}  "
        f"{'(estimate)':<16}"
    )
    ok = e["batch"] >= 1000
    failed += not ok
    print(
        f"{'PublishBatch, one boto3 client (msg/s)':<46}{e['batch']:>11,.0f}{'-':>10}{'-':>9}  "
        f"{'>= 1,000':<16}{'PASS' if ok else 'FAIL'}"
    )
    copies = e["batch"] * sum(expected_depths(1000)) / 1000
    print(
        f"{'  copies into the 3 queues (per s)':<46}{copies:>11,.0f}"
        f"{m['batch'] * sum(expected_depths(1000)) / 1000:>10,.0f}{e['batch'] / m['batch']:>8.1f}x"
    )
    print(
        "* each rate is the median of 3 rounds; every queue was counted afterwards and held "
        "one copy of every message its subscription wants (billing: the half its filter "
        "passes; shipping raw, analytics enveloped: all)."
    )
    print(
        f"* load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, on "
        f"{os.cpu_count()} cores: above the core count the client and servers wait for a CPU, "
        "and the wall-clock rates fall with it."
    )
    print(f"{len(rows) + 1 - failed}/{len(rows) + 1} targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
