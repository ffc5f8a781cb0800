"""Publishers and consumers for SQS lessons, as threads, with every send and delivery recorded.

Everything takes a boto3 SQS client and a queue URL, so the same cell runs on the embedded
emulator and on AWS. Defaults follow the course's queue tool: each publisher sends
``"{prepend}Message {i}"`` one SendMessage at a time with a String attribute ``client``; a
``.fifo`` queue gets MessageGroupId ``"default"`` and no deduplication id; consumers receive up
to 10 messages with a 1 s long poll and delete each message once handled.

Calls return pandas DataFrames (one row per send, one row per delivery) for `metrics` and
`plots`. Worker threads never print; the calling thread shows a progress bar.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pandas as pd

from labkit.lessons import metrics
from labkit.lessons.progress import follow

MESSAGE_NUMBER = re.compile(r"Message (\d+)\s*$")

SEND_COLUMNS = [
    "publisher",
    "client",
    "body",
    "number",
    "group",
    "message_id",
    "sequence_number",
    "sent_at",
    "error",
]
DELIVERY_COLUMNS = [
    "position",
    "consumer",
    "client",
    "body",
    "number",
    "message_id",
    "group",
    "sequence_number",
    "receive_count",
    "sent_at",
    "received_at",
    "started_at",
    "handled_at",
    "deleted",
]

#: A failure rule: a rate in [0, 1] (seeded) or a predicate on the delivery (attributes as in
#: DELIVERY_COLUMNS, e.g. ``lambda m: m.number in {3, 5} and m.receive_count == 1``).
FailRule = float | Callable[[SimpleNamespace], bool] | None
#: Seconds of pretend work per message: a constant or a function of the delivery.
WorkRule = float | Callable[[SimpleNamespace], float]
#: MessageGroupId per message: a count of groups (round robin by number), names, or a function
#: of (publisher index, message number).
GroupRule = int | Sequence[str] | Callable[[int, int], str] | None


class QueueError(RuntimeError):
    """A queue call failed for a reason the student can act on (the message says how)."""


def is_fifo(queue_url: str) -> bool:
    return queue_url.rstrip("/").endswith(".fifo")


def message_number(body: str) -> int | None:
    """The ``i`` of a course body ``"{prepend}Message {i}"``; None for other bodies."""
    match = MESSAGE_NUMBER.search(body or "")
    return int(match.group(1)) if match else None


def _explain(error: Exception, sqs: Any, queue_url: str) -> Exception:
    """Turn a botocore failure into one sentence that says what to do next.

    Only the two cases a notebook words differently (no stack running, no such queue) are
    handled here; credentials and every other AWS answer are `labkit.aws_credentials.describe_error`'s.
    """
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    from labkit.aws_credentials import describe_error
    from labkit.stack.aws import AWS_SQS_URL, MISSING_QUEUE_CODES

    endpoint = getattr(getattr(sqs, "meta", None), "endpoint_url", None) or AWS_SQS_URL
    if isinstance(error, EndpointConnectionError) and "amazonaws.com" not in endpoint:
        return QueueError(
            f"cannot reach SQS at {endpoint}: start the lab stack (`labkit up`, or "
            "labkit.up() in a notebook) and run the cell again"
        )
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        if code in MISSING_QUEUE_CODES:
            return QueueError(f"no queue at {queue_url}: create it first (lab.queue_url(name))")
    if isinstance(error, ClientError | BotoCoreError):
        return QueueError(str(describe_error(error, endpoint)))
    return error


def _student_error(what: str, error: Exception, where: str) -> QueueError:
    """A function the notebook passed in (``work``, ``fail``, ``groups``) raised in a worker
    thread: one line for the calling thread, with the original traceback chained."""
    wrapped = QueueError(
        f"your {what} function raised {type(error).__name__}: {error} ({where}); "
        "fix it and run the cell again"
    )
    wrapped.__cause__ = error
    return wrapped


# ---------------------------------------------------------------------------------------------
# Publishers


def _group_for(groups: GroupRule, fifo: bool, publisher: int, number: int) -> str | None:
    if not fifo:
        return None
    if groups is None:
        return "default"
    if callable(groups):
        return str(groups(publisher, number))
    if isinstance(groups, int):
        return f"group-{number % groups}"
    names = list(groups)
    return names[number % len(names)]


def _per_publisher(value: str | Sequence[str], publishers: int, what: str) -> list[str]:
    if isinstance(value, str):
        return [value] * publishers
    values = list(value)
    if len(values) != publishers:
        raise ValueError(f"give one {what} per publisher ({publishers}), not {len(values)}")
    return values


@dataclass
class _Shared:
    """State the worker threads share; only counters and lists, guarded by one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    sends: list[dict] = field(default_factory=list)
    deliveries: list[dict] = field(default_factory=list)
    handled: set[str] = field(default_factory=set)
    position: int = 0
    last_activity: float = field(default_factory=time.monotonic)
    errors: list[Exception] = field(default_factory=list)

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    def fail(self, error: Exception) -> None:
        """Record ``error`` for the calling thread to raise, and stop every worker thread."""
        with self.lock:
            self.errors.append(error)
        self.stop.set()


def _publisher(
    sqs: Any,
    queue_url: str,
    index: int,
    client: str,
    prepend: str,
    count: int,
    groups: GroupRule,
    batch: bool,
    interval: float,
    shared: _Shared,
) -> None:
    fifo = is_fifo(queue_url)
    attributes = {"client": {"DataType": "String", "StringValue": client}}
    step = 10 if batch else 1
    for first in range(0, count, step):
        if shared.errors or shared.stop.is_set():
            return
        numbers = range(first, min(first + step, count))
        entries = []
        for i in numbers:
            entry = {"MessageBody": f"{prepend}Message {i}", "MessageAttributes": attributes}
            try:
                group = _group_for(groups, fifo, index, i)
            except Exception as error:  # the notebook's groups function: reported, not printed
                shared.fail(_student_error("groups", error, f"publisher {index}, message {i}"))
                return
            if group is not None:
                entry["MessageGroupId"] = group
            entries.append(entry)
        sent_at = time.time()
        rows = [
            {
                "publisher": index,
                "client": client,
                "body": e["MessageBody"],
                "number": i,
                "group": e.get("MessageGroupId"),
                "message_id": None,
                "sequence_number": None,
                "sent_at": sent_at,
                "error": None,
            }
            for i, e in zip(numbers, entries, strict=True)
        ]
        try:
            if batch:
                batch_entries = [{"Id": str(i), **e} for i, e in zip(numbers, entries, strict=True)]
                reply = sqs.send_message_batch(QueueUrl=queue_url, Entries=batch_entries)
                by_id = {int(ok["Id"]) - first: ok for ok in reply.get("Successful", [])}
                failed = {int(bad["Id"]) - first: bad for bad in reply.get("Failed", [])}
                for offset, row in enumerate(rows):
                    if offset in by_id:
                        row["message_id"] = by_id[offset]["MessageId"]
                        row["sequence_number"] = by_id[offset].get("SequenceNumber")
                    else:
                        bad = failed.get(offset, {})
                        row["error"] = f"{bad.get('Code', 'Failed')}: {bad.get('Message', '')}"
            else:
                reply = sqs.send_message(QueueUrl=queue_url, **entries[0])
                rows[0]["message_id"] = reply["MessageId"]
                rows[0]["sequence_number"] = reply.get("SequenceNumber")
        except Exception as error:  # reported by the calling thread
            shared.fail(_explain(error, sqs, queue_url))
            return
        with shared.lock:
            shared.sends.extend(rows)
            shared.touch()
        if interval:
            time.sleep(interval)


def _start_publishers(
    sqs: Any,
    queue_url: str,
    shared: _Shared,
    count: int,
    publishers: int,
    clients: Sequence[str] | None,
    prepend: str | Sequence[str],
    groups: GroupRule,
    batch: bool,
    interval: float,
) -> list[threading.Thread]:
    names = list(clients) if clients else [f"Client {p + 1}" for p in range(publishers)]
    if len(names) != publishers:
        raise ValueError(f"give one client name per publisher ({publishers}), not {len(names)}")
    prefixes = _per_publisher(prepend, publishers, "prepend")
    threads = [
        threading.Thread(
            target=_publisher,
            args=(sqs, queue_url, p, names[p], prefixes[p], count, groups, batch, interval, shared),
            name=f"publisher-{p}",
            daemon=True,
        )
        for p in range(publishers)
    ]
    for thread in threads:
        thread.start()
    return threads


def _sends_frame(shared: _Shared) -> pd.DataFrame:
    frame = pd.DataFrame(shared.sends, columns=SEND_COLUMNS)
    frame = frame.sort_values(["sent_at", "publisher", "number"], kind="stable")
    frame["number"] = frame["number"].astype("Int64")
    return frame.reset_index(drop=True)


def publish(
    sqs: Any,
    queue_url: str,
    count: int = 100,
    publishers: int = 1,
    *,
    clients: Sequence[str] | None = None,
    prepend: str | Sequence[str] = "",
    groups: GroupRule = None,
    batch: bool = False,
    interval: float = 0.0,
    progress: bool = True,
) -> pd.DataFrame:
    """Send ``count`` course messages from each of ``publishers`` threads; one row per send.

    ``clients`` names the publishers (default ``Client 1``...), ``prepend`` is one prefix or one
    per publisher, ``groups`` spreads FIFO messages over MessageGroupIds, ``batch`` uses
    SendMessageBatch (10 a call), ``interval`` pauses between calls.
    """
    shared = _Shared()
    threads = _start_publishers(
        sqs, queue_url, shared, count, publishers, clients, prepend, groups, batch, interval
    )
    try:
        follow(threads, lambda: len(shared.sends), count * publishers, "sending", progress=progress)
    finally:  # an interrupted cell must not leave threads sending behind the next run
        shared.stop.set()
    if shared.errors:
        raise shared.errors[0]
    return _sends_frame(shared)


# ---------------------------------------------------------------------------------------------
# Consumers


def _fails(rule: FailRule, seed: int, delivery: SimpleNamespace) -> bool:
    if rule is None:
        return False
    if callable(rule):
        return bool(rule(delivery))
    # Decided by a hash of the message and its attempt, so runs repeat whatever the threads do.
    key = f"{seed}|{delivery.client}|{delivery.body}|{delivery.receive_count}".encode()
    draw = int.from_bytes(hashlib.sha256(key).digest()[:8], "big") / 2**64
    return draw < float(rule)


def _work_seconds(rule: WorkRule, delivery: SimpleNamespace) -> float:
    return float(rule(delivery)) if callable(rule) else float(rule)


def _consumer(
    sqs: Any,
    queue_url: str,
    name: str,
    shared: _Shared,
    expected: int | None,
    receive_options: dict,
    fail: FailRule,
    seed: int,
    work: WorkRule,
    idle_timeout: float,
    deadline: float,
) -> None:
    while not shared.stop.is_set():
        now = time.monotonic()
        if now >= deadline or now - shared.last_activity >= idle_timeout:
            shared.stop.set()
            return
        try:
            reply = sqs.receive_message(QueueUrl=queue_url, **receive_options)
        except Exception as error:
            shared.fail(_explain(error, sqs, queue_url))
            return
        received_at = time.time()
        messages = reply.get("Messages", [])
        if not messages:
            continue
        with shared.lock:
            shared.touch()
            first_position = shared.position
            shared.position += len(messages)
        for offset, message in enumerate(messages):
            attrs = message.get("Attributes", {})
            custom = message.get("MessageAttributes", {})
            body = message.get("Body", "")
            row = {
                "position": first_position + offset,
                "consumer": name,
                "client": custom.get("client", {}).get("StringValue", "unknown"),
                "body": body,
                "number": message_number(body),
                "message_id": message.get("MessageId"),
                "group": attrs.get("MessageGroupId"),
                "sequence_number": attrs.get("SequenceNumber"),
                "receive_count": int(attrs.get("ApproximateReceiveCount", 1)),
                "sent_at": int(attrs["SentTimestamp"]) / 1000 if "SentTimestamp" in attrs else None,
                "received_at": received_at,
                "started_at": time.time(),
                "handled_at": None,
                "deleted": False,
            }
            view = SimpleNamespace(**row)
            where = f"{name}, message {row['number'] if row['number'] is not None else body!r}"
            try:
                pause = _work_seconds(work, view)
            except Exception as error:  # the notebook's work function: reported, not printed
                shared.fail(_student_error("work", error, where))
                return
            if pause > 0:
                time.sleep(pause)
            row["handled_at"] = time.time()  # the work is done; deleting tells SQS so
            try:
                failed = _fails(fail, seed, view)
            except Exception as error:
                shared.fail(_student_error("fail", error, where))
                return
            if not failed:
                try:
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                    row["deleted"] = True
                except Exception as error:
                    with shared.lock:
                        shared.errors.append(_explain(error, sqs, queue_url))
            with shared.lock:
                shared.deliveries.append(row)
                if row["deleted"]:
                    shared.handled.add(row["message_id"])
                shared.touch()
                if expected is not None and len(shared.handled) >= expected:
                    shared.stop.set()


def _receive_options(
    max_messages: int, wait_time: int, visibility_timeout: int | None
) -> dict[str, Any]:
    options: dict[str, Any] = {
        "MaxNumberOfMessages": max_messages,
        "WaitTimeSeconds": wait_time,
        "MessageAttributeNames": ["client"],
        "AttributeNames": ["All"],
        "MessageSystemAttributeNames": ["All"],
    }
    if visibility_timeout is not None:
        options["VisibilityTimeout"] = visibility_timeout
    return options


def _start_consumers(
    sqs: Any,
    queue_url: str,
    shared: _Shared,
    expected: int | None,
    consumers: int,
    names: Sequence[str] | None,
    max_messages: int,
    wait_time: int,
    visibility_timeout: int | None,
    fail: FailRule,
    seed: int,
    work: WorkRule,
    idle_timeout: float,
    timeout: float,
) -> list[threading.Thread]:
    labels = list(names) if names else [f"Consumer {c + 1}" for c in range(consumers)]
    if len(labels) != consumers:
        raise ValueError(f"give one name per consumer ({consumers}), not {len(labels)}")
    if fail is not None and not callable(fail) and not 0 <= float(fail) <= 1:
        raise ValueError(f"fail must be a rate between 0 and 1 or a function, not {fail!r}")
    options = _receive_options(max_messages, wait_time, visibility_timeout)
    deadline = time.monotonic() + timeout
    threads = [
        threading.Thread(
            target=_consumer,
            args=(
                sqs,
                queue_url,
                labels[c],
                shared,
                expected,
                options,
                fail,
                seed,
                work,
                idle_timeout,
                deadline,
            ),
            name=f"consumer-{c}",
            daemon=True,
        )
        for c in range(consumers)
    ]
    for thread in threads:
        thread.start()
    return threads


def _deliveries_frame(shared: _Shared) -> pd.DataFrame:
    frame = pd.DataFrame(shared.deliveries, columns=DELIVERY_COLUMNS)
    frame = frame.sort_values("position", kind="stable").reset_index(drop=True)
    frame["number"] = frame["number"].astype("Int64")
    frame["deleted"] = frame["deleted"].astype(bool)
    frame["receive_count"] = frame["receive_count"].astype(int)
    for column in ("sent_at", "received_at", "started_at", "handled_at"):
        frame[column] = frame[column].astype(float)
    return frame


def consume(
    sqs: Any,
    queue_url: str,
    expected: int | None = None,
    consumers: int = 1,
    *,
    names: Sequence[str] | None = None,
    max_messages: int = 10,
    wait_time: int = 1,
    visibility_timeout: int | None = None,
    fail: FailRule = None,
    seed: int = 0,
    work: WorkRule = 0.0,
    idle_timeout: float = 3.0,
    timeout: float = 120.0,
    progress: bool = True,
) -> pd.DataFrame:
    """Receive with ``consumers`` threads until ``expected`` distinct messages were handled
    (deleted), or nothing arrived for ``idle_timeout`` seconds; one row per delivery.

    ``fail`` skips the delete of some deliveries (a seeded rate or a predicate), so SQS hands
    them out again after the visibility timeout (``visibility_timeout`` sets it per receive);
    ``work`` is the seconds each message takes to handle.
    """
    shared = _Shared()
    threads = _start_consumers(
        sqs,
        queue_url,
        shared,
        expected,
        consumers,
        names,
        max_messages,
        wait_time,
        visibility_timeout,
        fail,
        seed,
        work,
        idle_timeout,
        timeout,
    )
    try:
        follow(threads, lambda: len(shared.handled), expected, "receiving", progress=progress)
    finally:  # an interrupted cell must not leave threads eating the next run's messages
        shared.stop.set()
    if shared.errors:
        raise shared.errors[0]
    return _deliveries_frame(shared)


# ---------------------------------------------------------------------------------------------
# Both at once


@dataclass
class Run:
    """One experiment: what was sent, what was delivered, and its summary row."""

    queue_url: str
    sends: pd.DataFrame
    deliveries: pd.DataFrame
    label: str = ""

    @property
    def summary(self) -> pd.Series:
        row = metrics.summary(self.sends, self.deliveries)
        row.name = self.label or self.queue_url.rsplit("/", 1)[-1]
        return row

    @property
    def inversions(self) -> int:
        return metrics.inversions(self.deliveries)

    def __repr__(self) -> str:
        return (
            f"Run({self.label or self.queue_url!r}: {len(self.sends)} sent, "
            f"{len(self.deliveries)} delivered)"
        )


def experiment(
    sqs: Any,
    queue_url: str,
    count: int = 100,
    publishers: int = 1,
    consumers: int = 1,
    *,
    clients: Sequence[str] | None = None,
    prepend: str | Sequence[str] = "",
    groups: GroupRule = None,
    batch: bool = False,
    interval: float = 0.0,
    names: Sequence[str] | None = None,
    max_messages: int = 10,
    wait_time: int = 1,
    visibility_timeout: int | None = None,
    fail: FailRule = None,
    seed: int = 0,
    work: WorkRule = 0.0,
    expected: int | None = None,
    idle_timeout: float = 3.0,
    timeout: float = 120.0,
    label: str = "",
    progress: bool = True,
) -> Run:
    """Start consumers, then publishers (as in the handout), and wait for every message.

    Arguments are those of `publish` and `consume`; ``expected`` defaults to every message
    sent. Latency is measured from the client's own send time. Returns a `Run`.
    """
    shared = _Shared()
    total = count * publishers if expected is None else expected
    consumer_threads = _start_consumers(
        sqs,
        queue_url,
        shared,
        total,
        consumers,
        names,
        max_messages,
        wait_time,
        visibility_timeout,
        fail,
        seed,
        work,
        idle_timeout,
        timeout,
    )
    try:
        publisher_threads = _start_publishers(
            sqs, queue_url, shared, count, publishers, clients, prepend, groups, batch, interval
        )
    except ValueError:
        shared.stop.set()
        raise
    try:
        follow(
            consumer_threads + publisher_threads,
            lambda: len(shared.handled),
            total,
            "messages handled",
            progress=progress,
        )
    finally:  # an interrupted cell must not leave threads eating the next run's messages
        shared.stop.set()
    if shared.errors:
        raise shared.errors[0]
    sends = _sends_frame(shared)
    deliveries = _deliveries_frame(shared)
    sent_at = dict(zip(sends["message_id"], sends["sent_at"], strict=True))
    client_time = deliveries["message_id"].map(sent_at)
    deliveries["sent_at"] = client_time.fillna(deliveries["sent_at"]).astype(float)
    return Run(queue_url=queue_url, sends=sends, deliveries=deliveries, label=label)


def drain(sqs: Any, queue_url: str, timeout: float = 30.0, empty_replies: int | None = None) -> int:
    """Delete every message visible in the queue now; returns how many went.

    An empty reply to a short poll proves nothing (it asks only some of SQS's servers), so this
    long-polls, which asks them all, and stops after ``empty_replies`` empty replies in a row:
    one on the lab's emulator (its long poll sees every message), two on AWS. PurgeQueue would
    be quicker, but AWS allows it once a minute per queue.
    """
    if empty_replies is None:
        empty_replies = 1 if is_emulator(sqs) else 2
    removed = empty = 0
    deadline = time.monotonic() + timeout
    while empty < empty_replies and time.monotonic() < deadline:
        try:
            reply = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            )
            messages = reply.get("Messages", [])
            if messages:
                entries = [
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages)
                ]
                sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
        except Exception as error:
            raise _explain(error, sqs, queue_url) from error
        empty = 0 if messages else empty + 1
        removed += len(messages)
    return removed


def _purge(sqs: Any, queue_url: str) -> int:
    """Empty a queue on the emulator at once (visible, in flight and delayed); how many went.

    Only after the emulator's clock moved a minute: PurgeQueue allows one call a minute."""
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    try:
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)
        sqs.purge_queue(QueueUrl=queue_url)
    except Exception as error:
        raise _explain(error, sqs, queue_url) from error
    return sum(int(attributes["Attributes"].get(name, 0)) for name in names)


# ---------------------------------------------------------------------------------------------
# The embedded emulator's admin routes (a lesson can move its clock; AWS has no such thing)


def _admin_url(sqs: Any, route: str) -> str:
    endpoint = getattr(sqs.meta, "endpoint_url", "") or ""
    if "amazonaws.com" in endpoint:
        raise QueueError(
            f"{route} needs the lab's SQS emulator, and this client talks to AWS ({endpoint}); "
            "run the notebook with MODE = 'embedded'"
        )
    return endpoint.rstrip("/") + "/_labkit/" + route


def _admin(sqs: Any, route: str, payload: dict) -> dict:
    import requests

    url = _admin_url(sqs, route)
    try:
        reply = requests.post(url, json=payload, timeout=10)
    except requests.RequestException:
        raise QueueError(
            f"the SQS emulator at {url.rsplit('/_labkit', 1)[0]} does not answer: start the lab "
            "stack (`labkit up`, or labkit.up() in a notebook)"
        ) from None
    if reply.status_code != 200:
        raise QueueError(f"the emulator refused {route}: {reply.text.strip()}")
    return reply.json()


def is_emulator(sqs: Any) -> bool:
    """True when ``sqs`` talks to the lab's emulator (which has admin routes) rather than AWS."""
    import requests

    try:
        url = _admin_url(sqs, "health")
        return requests.get(url, timeout=2).status_code == 200
    except (QueueError, requests.RequestException):
        return False


def advance_clock(sqs: Any, seconds: float) -> float:
    """Move the emulator's clock forward (dedup windows, visibility timeouts, delays expire as
    if ``seconds`` had passed); returns the emulator's new time. Embedded stack only."""
    return float(_admin(sqs, "clock", {"advance": seconds})["now"])


def seed_emulator(sqs: Any, seed: int) -> None:
    """Seed the emulator's random choices (the order a standard queue hands messages out)."""
    _admin(sqs, "config", {"seed": int(seed)})


#: The FIFO deduplication interval, seconds (AWS: 5 minutes).
DEDUP_INTERVAL = 300


def start_clean(sqs: Any, *queue_urls: str, seed: int | None = None) -> str:
    """Empty ``queue_urls`` so a lesson can be re-run; returns one line saying what was done.

    On the emulator the clock first moves past the 5 minute deduplication interval (and every
    visibility timeout), so messages a previous run sent are neither deduplicated nor hidden;
    ``seed`` seeds the emulator, and the queues are purged (in-flight messages too). On AWS the
    queues are only drained (`drain`): re-sending the same bodies to a FIFO queue within 5
    minutes is deduplicated there (use a different ``prepend``).
    """
    emulator = is_emulator(sqs)
    urls = list(dict.fromkeys(queue_urls))
    if emulator:
        if seed is not None:
            seed_emulator(sqs, seed)
        advance_clock(sqs, DEDUP_INTERVAL + 1)  # also past PurgeQueue's one-a-minute limit
        removed = sum(_purge(sqs, url) for url in urls)
    else:
        removed = sum(drain(sqs, url, empty_replies=2) for url in urls)
    where = "emulator clock moved past the dedup interval" if emulator else "AWS: drained only"
    return f"{len(queue_urls)} queue(s) emptied ({removed} old message(s) removed); {where}"
