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

import contextlib
import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from types import SimpleNamespace
from typing import Any, TypeVar

import pandas as pd

from labkit.lessons import metrics
from labkit.lessons.progress import follow
from labkit.waiting import Deadline

_O = TypeVar("_O", "PublishOptions", "ConsumeOptions")

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
    from labkit.aws_errors import is_missing_queue
    from labkit.stack.aws import AWS_SQS_URL

    endpoint = getattr(getattr(sqs, "meta", None), "endpoint_url", None) or AWS_SQS_URL
    if isinstance(error, EndpointConnectionError) and "amazonaws.com" not in endpoint:
        return QueueError(
            f"cannot reach SQS at {endpoint}: start the lab stack (`labkit up`, or "
            "labkit.up() in a notebook) and run the cell again"
        )
    if isinstance(error, ClientError) and is_missing_queue(error):
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


@dataclass(frozen=True)
class PublishOptions:
    """How publishers send: ``count`` course messages from each of ``publishers`` threads.

    ``clients`` names the publishers (default ``Client 1``...), ``prepend`` is one prefix or one
    per publisher, ``groups`` spreads FIFO messages over MessageGroupIds, ``batch`` uses
    SendMessageBatch (10 a call), ``interval`` pauses between calls (seconds).
    """

    count: int = 100
    publishers: int = 1
    clients: Sequence[str] | None = None
    prepend: str | Sequence[str] = ""
    groups: GroupRule = None
    batch: bool = False
    interval: float = 0.0

    def client_names(self) -> list[str]:
        names = list(self.clients) if self.clients else []
        names = names or [f"Client {p + 1}" for p in range(self.publishers)]
        if len(names) != self.publishers:
            raise ValueError(
                f"give one client name per publisher ({self.publishers}), not {len(names)}"
            )
        return names

    def prefixes(self) -> list[str]:
        return _per_publisher(self.prepend, self.publishers, "prepend")


@dataclass(frozen=True)
class ConsumeOptions:
    """How consumers receive: ``consumers`` threads until ``expected`` distinct messages were
    handled (deleted), or nothing arrived for ``idle_timeout`` seconds, or ``timeout`` passed.

    ``names`` names the consumers (default ``Consumer 1``...); ``max_messages``, ``wait_time``
    and ``visibility_timeout`` go on each ReceiveMessage; ``fail`` skips the delete of some
    deliveries (a seeded rate or a predicate), so SQS hands them out again after the visibility
    timeout; ``work`` is the seconds each message takes to handle.
    """

    consumers: int = 1
    names: Sequence[str] | None = None
    max_messages: int = 10
    wait_time: int = 1
    visibility_timeout: int | None = None
    fail: FailRule = None
    seed: int = 0
    work: WorkRule = 0.0
    expected: int | None = None
    idle_timeout: float = 3.0
    timeout: float = 120.0

    def consumer_names(self) -> list[str]:
        labels = list(self.names) if self.names else []
        labels = labels or [f"Consumer {c + 1}" for c in range(self.consumers)]
        if len(labels) != self.consumers:
            raise ValueError(f"give one name per consumer ({self.consumers}), not {len(labels)}")
        return labels

    def check(self) -> None:
        fail = self.fail
        if fail is not None and not callable(fail) and not 0 <= float(fail) <= 1:
            raise ValueError(f"fail must be a rate between 0 and 1 or a function, not {fail!r}")

    def receive_arguments(self) -> dict[str, Any]:
        """The keyword arguments of every ReceiveMessage call."""
        arguments: dict[str, Any] = {
            "MaxNumberOfMessages": self.max_messages,
            "WaitTimeSeconds": self.wait_time,
            "MessageAttributeNames": ["client"],
            "AttributeNames": ["All"],
            "MessageSystemAttributeNames": ["All"],
        }
        if self.visibility_timeout is not None:
            arguments["VisibilityTimeout"] = self.visibility_timeout
        return arguments


def _options(kind: type[_O], given: _O | None, settings: dict[str, Any], function: str) -> _O:
    """``given`` (default ``kind()``) with ``settings`` (a notebook's keyword arguments) applied;
    a TypeError naming the accepted keywords when one is unknown."""
    known = {f.name for f in fields(kind)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise TypeError(
            f"{function}() got unexpected keyword argument(s) {', '.join(unknown)}; "
            f"{kind.__name__} takes {', '.join(sorted(known))}"
        )
    return replace(given if given is not None else kind(), **settings)


def _with_given(settings: dict[str, Any], **positional: Any) -> dict[str, Any]:
    """A notebook's keyword ``settings`` plus the positional arguments it gave (not None)."""
    return {**{k: v for k, v in positional.items() if v is not None}, **settings}


def _split_options(settings: dict[str, Any], function: str) -> tuple[dict, dict]:
    """Keyword arguments of `experiment` shared out between publishing and consuming."""
    publishing = {f.name for f in fields(PublishOptions)}
    consuming = {f.name for f in fields(ConsumeOptions)}
    unknown = sorted(set(settings) - publishing - consuming)
    if unknown:
        raise TypeError(
            f"{function}() got unexpected keyword argument(s) {', '.join(unknown)}; it takes "
            f"{', '.join(sorted(publishing | consuming | {'label', 'progress'}))}"
        )
    pub = {k: v for k, v in settings.items() if k in publishing}
    con = {k: v for k, v in settings.items() if k in consuming}
    return pub, con


@dataclass(frozen=True)
class _Queue:
    """The queue a thread works on, and how its failures are worded."""

    sqs: Any
    url: str

    @property
    def fifo(self) -> bool:
        return is_fifo(self.url)

    def explain(self, error: Exception) -> Exception:
        return _explain(error, self.sqs, self.url)


class _Stopped(Exception):
    """The run stopped while a thread waited for its turn."""


class _Lockstep:
    """Publishers' calls and consumers' receives take turns in a fixed order (publisher 0, 1,
    ..., consumer 0, 1, ..., again), so a seeded emulator sees the same sequence of calls, and
    makes the same random choices, whatever the threads' timing: a seed then repeats the
    arrival order. Work and deletes happen outside the turns (in parallel, as before).
    """

    def __init__(self, slots: list[str], calls: dict[str, int]) -> None:
        self.order = list(slots)
        self.active = set(slots)
        self.calls = dict(calls)  # turns left for each publisher; it drops out after its last
        self.at = 0
        self.cond = threading.Condition()

    def _advance(self) -> None:
        for step in range(1, len(self.order) + 1):
            following = (self.at + step) % len(self.order)
            if self.order[following] in self.active:
                self.at = following
                return

    @contextlib.contextmanager
    def turn(self, slot: str, stop: threading.Event) -> Iterator[None]:
        """Hold the turn of ``slot`` (waits for it); _Stopped when the run stops meanwhile."""
        with self.cond:
            while self.order[self.at] != slot:
                if stop.is_set():
                    raise _Stopped
                self.cond.wait(0.05)
        try:
            yield
        finally:
            with self.cond:
                if slot in self.calls:
                    self.calls[slot] -= 1
                    if self.calls[slot] <= 0:
                        self.active.discard(slot)
                self._advance()
                self.cond.notify_all()

    def leave(self, slot: str) -> None:
        """``slot``'s thread has ended: the turns skip it from now on."""
        with self.cond:
            self.active.discard(slot)
            if self.active and self.order[self.at] == slot:
                self._advance()
            self.cond.notify_all()

    def publishing(self) -> bool:
        """True while a publisher has turns left (asked in a turn: the same answer every run)."""
        with self.cond:
            return any(slot in self.calls for slot in self.active)


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
    #: (client, body) of every message this run sends; deliveries of others are foreign
    ours: set[tuple[str, str]] | None = None
    foreign: int = 0
    #: Set on seeded emulator runs: sends and receives take turns in a fixed order
    lockstep: _Lockstep | None = None

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    def fail(self, error: Exception) -> None:
        """Record ``error`` for the calling thread to raise, and stop every worker thread."""
        with self.lock:
            self.errors.append(error)
        self.stop.set()


def _entries(
    options: PublishOptions, fifo: bool, index: int, numbers: range, prepend: str, client: str
) -> list[dict[str, Any]]:
    """The SendMessage arguments of messages ``numbers``; QueueError when the notebook's
    groups function raised."""
    attributes = {"client": {"DataType": "String", "StringValue": client}}
    entries = []
    for i in numbers:
        entry = {"MessageBody": f"{prepend}Message {i}", "MessageAttributes": attributes}
        try:
            group = _group_for(options.groups, fifo, index, i)
        except Exception as error:  # reported by the calling thread, not printed
            raise _student_error("groups", error, f"publisher {index}, message {i}") from error
        if group is not None:
            entry["MessageGroupId"] = group
        entries.append(entry)
    return entries


def _send(
    queue: _Queue, batch: bool, numbers: range, entries: list[dict], rows: list[dict]
) -> None:
    """One SendMessage (or SendMessageBatch) call; fills the rows' ids or errors."""
    if not batch:
        reply = queue.sqs.send_message(QueueUrl=queue.url, **entries[0])
        rows[0]["message_id"] = reply["MessageId"]
        rows[0]["sequence_number"] = reply.get("SequenceNumber")
        return
    first = numbers[0]
    batch_entries = [{"Id": str(i), **e} for i, e in zip(numbers, entries, strict=True)]
    reply = queue.sqs.send_message_batch(QueueUrl=queue.url, Entries=batch_entries)
    by_id = {int(ok["Id"]) - first: ok for ok in reply.get("Successful", [])}
    failed = {int(bad["Id"]) - first: bad for bad in reply.get("Failed", [])}
    for offset, row in enumerate(rows):
        if offset in by_id:
            row["message_id"] = by_id[offset]["MessageId"]
            row["sequence_number"] = by_id[offset].get("SequenceNumber")
        else:
            bad = failed.get(offset, {})
            row["error"] = f"{bad.get('Code', 'Failed')}: {bad.get('Message', '')}"


def _publisher(
    queue: _Queue, index: int, client: str, prepend: str, options: PublishOptions, shared: _Shared
) -> None:
    try:
        _publish_all(queue, index, client, prepend, options, shared)
    except _Stopped:
        pass
    finally:
        if shared.lockstep is not None:
            shared.lockstep.leave(f"p{index}")


def _publish_all(
    queue: _Queue, index: int, client: str, prepend: str, options: PublishOptions, shared: _Shared
) -> None:
    step = 10 if options.batch else 1
    for first in range(0, options.count, step):
        if shared.errors or shared.stop.is_set():
            return
        numbers = range(first, min(first + step, options.count))
        try:
            entries = _entries(options, queue.fifo, index, numbers, prepend, client)
        except QueueError as error:
            shared.fail(error)
            return
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
        lockstep = shared.lockstep
        try:
            with lockstep.turn(f"p{index}", shared.stop) if lockstep else contextlib.nullcontext():
                _send(queue, options.batch, numbers, entries, rows)
        except _Stopped:
            return
        except Exception as error:  # reported by the calling thread
            shared.fail(queue.explain(error))
            return
        with shared.lock:
            shared.sends.extend(rows)
            shared.touch()
        if options.interval:
            time.sleep(options.interval)


def _start_threads(
    role: str, target: Callable[..., None], arguments: list[tuple]
) -> list[threading.Thread]:
    """One daemon thread of ``target`` per tuple of ``arguments``, named ``role-<index>``,
    all started before any is joined."""
    threads = [
        threading.Thread(target=target, args=args, name=f"{role}-{index}", daemon=True)
        for index, args in enumerate(arguments)
    ]
    for thread in threads:
        thread.start()
    return threads


def _start_publishers(
    queue: _Queue, shared: _Shared, options: PublishOptions
) -> list[threading.Thread]:
    names = options.client_names()
    prefixes = options.prefixes()
    arguments = [
        (queue, p, names[p], prefixes[p], options, shared) for p in range(options.publishers)
    ]
    return _start_threads("publisher", _publisher, arguments)


def _see_through(
    threads: list[threading.Thread],
    shared: _Shared,
    done: Callable[[], int],
    total: int | None,
    desc: str,
    progress: bool,
) -> None:
    """Show ``done()`` of ``total`` until ``threads`` end, then raise the first error they met.
    An interrupted cell stops them: none may run on into the next run's messages."""
    try:
        follow(threads, done, total, desc, progress=progress)
    finally:
        shared.stop.set()
    if shared.errors:
        raise shared.errors[0]


def _sends_frame(shared: _Shared) -> pd.DataFrame:
    frame = pd.DataFrame(shared.sends, columns=SEND_COLUMNS)
    frame = frame.sort_values(["sent_at", "publisher", "number"], kind="stable")
    frame["number"] = frame["number"].astype("Int64")
    return frame.reset_index(drop=True)


def publish(
    sqs: Any,
    queue_url: str,
    count: int | None = None,
    publishers: int | None = None,
    *,
    publishing: PublishOptions | None = None,
    progress: bool = True,
    **settings: Any,
) -> pd.DataFrame:
    """Send ``count`` (default 100) course messages from each of ``publishers`` (default 1)
    threads; one row per send.

    ``publishing`` (a `PublishOptions`) or its fields as keywords: ``clients``, ``prepend``,
    ``groups``, ``batch``, ``interval``.
    """
    settings = _with_given(settings, count=count, publishers=publishers)
    opts = _options(PublishOptions, publishing, settings, "publish")
    shared = _Shared()
    threads = _start_publishers(_Queue(sqs, queue_url), shared, opts)
    total = opts.count * opts.publishers
    _see_through(threads, shared, lambda: len(shared.sends), total, "sending", progress)
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


def _delivery_row(
    message: dict[str, Any], position: int, consumer: str, received_at: float
) -> dict[str, Any]:
    """One row of DELIVERY_COLUMNS for a received message (not yet handled)."""
    attrs = message.get("Attributes", {})
    custom = message.get("MessageAttributes", {})
    body = message.get("Body", "")
    return {
        "position": position,
        "consumer": consumer,
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


def _handle(
    queue: _Queue, message: dict, row: dict[str, Any], options: ConsumeOptions, shared: _Shared
) -> bool:
    """Work on one delivery, then delete it unless the fail rule says otherwise; False when a
    function the notebook passed in raised (the error is recorded and every thread stops)."""
    view = SimpleNamespace(**row)
    where = (
        f"{row['consumer']}, message {row['body'] if row['number'] is None else row['number']!r}"
    )
    try:
        pause = _work_seconds(options.work, view)
    except Exception as error:  # the notebook's work function: reported, not printed
        shared.fail(_student_error("work", error, where))
        return False
    if pause > 0:
        time.sleep(pause)
    row["handled_at"] = time.time()  # the work is done; deleting tells SQS so
    try:
        failed = _fails(options.fail, options.seed, view)
    except Exception as error:
        shared.fail(_student_error("fail", error, where))
        return False
    if not failed:
        try:
            queue.sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
            row["deleted"] = True
        except Exception as error:
            with shared.lock:
                shared.errors.append(queue.explain(error))
    return True


def _record_delivery(row: dict[str, Any], shared: _Shared, expected: int | None) -> None:
    with shared.lock:
        if shared.ours is not None and (row["client"], row["body"]) not in shared.ours:
            shared.foreign += 1  # someone else's message (AWS: the queue is shared)
            shared.touch()
            return
        shared.deliveries.append(row)
        if row["deleted"]:
            shared.handled.add(row["message_id"])
        shared.touch()
        if expected is not None and len(shared.handled) >= expected:
            shared.stop.set()


def _consumer(
    queue: _Queue, name: str, shared: _Shared, options: ConsumeOptions, deadline: Deadline
) -> None:
    """Receive until told to stop, the deadline passes, or the queue stayed idle too long."""
    try:
        _consume_all(queue, name, shared, options, deadline)
    except _Stopped:
        pass
    finally:
        if shared.lockstep is not None:
            shared.lockstep.leave(f"c{options.consumer_names().index(name)}")


def _receive(
    queue: _Queue, slot: str, shared: _Shared, arguments: dict[str, Any]
) -> tuple[list[dict], int, float]:
    """One ReceiveMessage (in its turn on a seeded run: a short poll while publishers still
    send, so nobody waits a long poll out); the messages and the position of the first."""
    lockstep = shared.lockstep if shared.lockstep and slot in shared.lockstep.order else None
    with lockstep.turn(slot, shared.stop) if lockstep else contextlib.nullcontext():
        if lockstep is not None and lockstep.publishing():
            arguments = {**arguments, "WaitTimeSeconds": 0}
        reply = queue.sqs.receive_message(QueueUrl=queue.url, **arguments)
        messages = reply.get("Messages", [])
        with shared.lock:
            if messages:
                shared.touch()
            first_position = shared.position
            shared.position += len(messages)
    return messages, first_position, time.time()


def _consume_all(
    queue: _Queue, name: str, shared: _Shared, options: ConsumeOptions, deadline: Deadline
) -> None:
    arguments = options.receive_arguments()
    slot = f"c{options.consumer_names().index(name)}"
    while not shared.stop.is_set():
        idle = time.monotonic() - shared.last_activity
        if deadline.passed() or idle >= options.idle_timeout:
            shared.stop.set()
            return
        try:
            messages, first_position, received_at = _receive(queue, slot, shared, arguments)
        except _Stopped:
            return
        except Exception as error:
            shared.fail(queue.explain(error))
            return
        for offset, message in enumerate(messages):
            row = _delivery_row(message, first_position + offset, name, received_at)
            if not _handle(queue, message, row, options, shared):
                return
            _record_delivery(row, shared, options.expected)


def _start_consumers(
    queue: _Queue, shared: _Shared, options: ConsumeOptions
) -> list[threading.Thread]:
    labels = options.consumer_names()
    options.check()
    deadline = Deadline(options.timeout)  # one budget: every consumer stops at the same time
    arguments = [(queue, label, shared, options, deadline) for label in labels]
    return _start_threads("consumer", _consumer, arguments)


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
    consumers: int | None = None,
    *,
    consuming: ConsumeOptions | None = None,
    progress: bool = True,
    **settings: Any,
) -> pd.DataFrame:
    """Receive with ``consumers`` (default 1) threads until ``expected`` distinct messages were handled
    (deleted), or nothing arrived for ``idle_timeout`` seconds; one row per delivery.

    ``consuming`` (a `ConsumeOptions`) or its fields as keywords: ``names``, ``max_messages``,
    ``wait_time``, ``visibility_timeout``, ``fail``, ``seed``, ``work``, ``idle_timeout``,
    ``timeout``.
    """
    settings = _with_given(settings, expected=expected, consumers=consumers)
    opts = _options(ConsumeOptions, consuming, settings, "consume")
    shared = _Shared()
    threads = _start_consumers(_Queue(sqs, queue_url), shared, opts)
    _see_through(threads, shared, lambda: len(shared.handled), opts.expected, "receiving", progress)
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
    #: Messages received that this run did not send (left out of ``deliveries``)
    foreign: int = 0

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
    count: int | None = None,
    publishers: int | None = None,
    consumers: int | None = None,
    *,
    publishing: PublishOptions | None = None,
    consuming: ConsumeOptions | None = None,
    label: str = "",
    progress: bool = True,
    **settings: Any,
) -> Run:
    """Start consumers, then publishers (as in the handout), and wait for every message.

    ``count`` messages (default 100) from each of ``publishers`` (default 1) to ``consumers``
    (default 1). ``publishing`` / ``consuming`` are `PublishOptions` / `ConsumeOptions`; any of their fields
    may be given as a keyword instead (``prepend="A-"``, ``fail=0.2``, ...). ``expected``
    defaults to every message sent. Latency is measured from the client's own send time.
    Returns a `Run`.
    """
    settings = _with_given(settings, count=count, publishers=publishers, consumers=consumers)
    pub, con = _split_options(settings, "experiment")
    send = _options(PublishOptions, publishing, pub, "experiment")
    receive = _options(ConsumeOptions, consuming, con, "experiment")
    if receive.expected is None:
        receive = replace(receive, expected=send.count * send.publishers)
    queue = _Queue(sqs, queue_url)
    shared = _Shared(ours=_our_messages(send))
    seed = _seed_of(sqs)
    if seed is not None:  # start_clean(seed=...) ran: the same seed, the same arrival order
        seed_emulator(sqs, seed)  # each run starts from the seed, whatever ran before it
        calls = -(-send.count // (10 if send.batch else 1))
        publishers = {f"p{p}": calls for p in range(send.publishers) if calls}
        # A FIFO queue hands out in send order by itself: only the publishers take turns, and
        # consumers stay free (across groups, the timing of parallel work is the lesson).
        consumers = [] if queue.fifo else [f"c{c}" for c in range(receive.consumers)]
        shared.lockstep = _Lockstep([*publishers, *consumers], publishers)
    consumer_threads = _start_consumers(queue, shared, receive)
    try:
        publisher_threads = _start_publishers(queue, shared, send)
    except ValueError:
        shared.stop.set()
        raise
    try:
        follow(
            consumer_threads + publisher_threads,
            lambda: len(shared.handled),
            receive.expected,
            "messages handled",
            progress=progress,
        )
    finally:  # an interrupted cell must not leave threads eating the next run's messages
        shared.stop.set()
    if shared.errors:
        raise shared.errors[0]
    sends = _sends_frame(shared)
    deliveries = _deliveries_frame(shared)
    # Same bodies from someone else (another student running this lesson on AWS): other ids.
    theirs = ~deliveries["message_id"].isin(set(sends["message_id"].dropna()))
    foreign = shared.foreign + int(deliveries.loc[theirs, "message_id"].nunique())
    deliveries = deliveries[~theirs].reset_index(drop=True)
    sent_at = dict(zip(sends["message_id"], sends["sent_at"], strict=True))
    client_time = deliveries["message_id"].map(sent_at)
    deliveries["sent_at"] = client_time.fillna(deliveries["sent_at"]).astype(float)
    if foreign:
        print(foreign_note(sqs, queue_url, foreign))
    return Run(queue_url, sends, deliveries, label=label, foreign=foreign)


def _our_messages(send: PublishOptions) -> set[tuple[str, str]]:
    """(client, body) of every message an experiment's publishers send."""
    pairs = zip(send.client_names(), send.prefixes(), strict=True)
    return {(client, f"{prefix}Message {i}") for client, prefix in pairs for i in range(send.count)}


def foreign_note(sqs: Any, queue_url: str, foreign: int) -> str:
    """One line for messages a run received but did not send."""
    name = queue_url.rstrip("/").rsplit("/", 1)[-1]
    endpoint = getattr(getattr(sqs, "meta", None), "endpoint_url", "") or ""
    where = (
        f"on AWS {name} is one real queue shared by everyone using these credentials (another "
        "student, a worker, a `labkit queue` terminal)"
        if "amazonaws.com" in endpoint
        else f"something else in this account sends to {name} too"
    )
    return (
        f"Note: {foreign} message(s) received came from someone else, not this run's publishers: "
        f"{where}; they were deleted and left out of the results."
    )


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
    deadline = Deadline(timeout)
    while empty < empty_replies and not deadline.passed():
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


# ---------------------------------------------------------------------------------------------
# The emulator's admin routes (a lesson can move its clock; AWS has no such thing), through
# labkit.stack.emulator_admin, scoped to the account ``sqs`` acts in (a kernel's own): one
# notebook moving its clock or emptying its queues leaves every other notebook's alone.


@contextlib.contextmanager
def _admin_errors() -> Iterator[None]:
    """An admin call's failure as a QueueError, the error every lesson helper raises."""
    from labkit.stack.emulator_admin import AdminError

    try:
        yield
    except AdminError as error:
        raise QueueError(str(error)) from None


def is_emulator(sqs: Any) -> bool:
    """True when ``sqs`` talks to the lab's emulator (which has admin routes) rather than AWS."""
    from labkit.stack.emulator_admin import EmulatorAdmin

    return EmulatorAdmin.of(sqs).answers()


def advance_clock(sqs: Any, seconds: float) -> float:
    """Move the emulator's clock forward (dedup windows, visibility timeouts, delays expire as
    if ``seconds`` had passed); returns the emulator's new time. Embedded stack only."""
    from labkit.stack.emulator_admin import EmulatorAdmin

    with _admin_errors():
        return EmulatorAdmin.of(sqs).advance_clock(seconds)


#: Seeds given to emulator accounts from this kernel: {(endpoint, account): seed}
_SEEDS: dict[tuple[str, str], int] = {}


def _seed_key(sqs: Any) -> tuple[str, str]:
    from labkit.stack.clients import client_account

    return (getattr(sqs.meta, "endpoint_url", "") or "", client_account(sqs))


def _seed_of(sqs: Any) -> int | None:
    """The seed `start_clean` / `seed_emulator` gave this client's emulator account, if any."""
    return _SEEDS.get(_seed_key(sqs))


def seed_emulator(sqs: Any, seed: int) -> None:
    """Seed the emulator's random choices (the order a standard queue hands messages out) in
    this client's account; the experiments that follow take turns so the seed repeats them."""
    from labkit.stack.emulator_admin import EmulatorAdmin

    with _admin_errors():
        EmulatorAdmin.of(sqs).seed(seed)
    _SEEDS[_seed_key(sqs)] = int(seed)


#: The FIFO deduplication interval, seconds (AWS: 5 minutes).
DEDUP_INTERVAL = 300


def start_clean(sqs: Any, *queue_urls: str, seed: int | None = None) -> str:
    """Empty ``queue_urls`` so a lesson can be re-run; returns one line saying what was done.

    On the emulator each queue is emptied (visible, in flight and delayed messages) and its
    FIFO deduplication forgotten, in this kernel's account only, and ``seed`` seeds this
    account's random choices; no clock moves, so other notebooks running beside this one are
    not disturbed. On AWS the queues are only drained (`drain`): re-sending the same bodies to
    a FIFO queue within 5 minutes is deduplicated there (use a different ``prepend``).
    """
    from labkit.stack.emulator_admin import EmulatorAdmin

    emulator = is_emulator(sqs)
    urls = list(dict.fromkeys(queue_urls))
    if emulator:
        if seed is not None:
            seed_emulator(sqs, seed)
        with _admin_errors():
            removed = sum(EmulatorAdmin.of(sqs).empty_queue(url) for url in urls)
    else:
        removed = sum(drain(sqs, url, empty_replies=2) for url in urls)
    where = "emulator dedup forgotten" if emulator else "AWS: drained only"
    return f"{len(queue_urls)} queue(s) emptied ({removed} old message(s) removed); {where}"
