"""Lesson 08's plumbing: the `todo-events` topic of terraform/sns.tf, events published to it,
what each subscriber queue received, and the other brokers of handout section 2.1 side by side.

Cells call `setup(lab)` once, then `EventsLab.publish` / `EventsLab.received`; Redis and
RabbitMQ helpers return plain results (or raise `Unavailable` with one sentence saying why)
so a cell can skip cleanly when the broker is not there.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from labkit.lessons.engine.receiving import receive_all  # lesson 08 cells call it as ev.receive_all
from labkit.waiting import Deadline, wait_until

TOPIC = "todo-events"
SUBSCRIBERS = ("todo-events-calendar", "todo-events-email", "todo-events-audit")
EVENTS = ("todo.created", "todo.updated", "todo.completed", "todo.deleted")


class Unavailable(Exception):  # noqa: N818 - a reason to skip, said in one sentence
    """The broker a cell needs is not reachable here; the message says what to do."""


@dataclass
class EventsLab:
    """The topic, its subscriber queues and the clients a lesson 08 cell needs."""

    sns: Any
    sqs: Any
    topic_arn: str
    queues: dict[str, str]
    emulator: bool
    published: list[dict] = field(default_factory=list)

    def queue_arn(self, url: str) -> str:
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return attrs["Attributes"]["QueueArn"]

    def publish(self, event: str, todo: int, **attributes: str | int) -> str:
        """Publish one todo event (JSON body; ``event`` and ``todo`` also as message attributes,
        plus any ``attributes``); returns its MessageId."""
        message_attributes = {
            "event": {"DataType": "String", "StringValue": event},
            "todo": {"DataType": "Number", "StringValue": str(todo)},
        }
        for name, value in attributes.items():
            kind = "Number" if isinstance(value, int | float) else "String"
            message_attributes[name] = {"DataType": kind, "StringValue": str(value)}
        body = json.dumps({"event": event, "todo": todo, **attributes})
        message_id = self.sns.publish(
            TopicArn=self.topic_arn, Message=body, MessageAttributes=message_attributes
        )["MessageId"]
        self.published.append({"event": event, "todo": todo, "message_id": message_id})
        return message_id

    def received(self, queues: dict[str, str] | None = None, wait: int = 1) -> Any:
        """Receive and delete everything waiting in the subscriber queues: a DataFrame with
        queue, event, todo, message_id, envelope (True when SNS wrapped the message)."""
        import pandas as pd

        rows = []
        for name, url in (queues or self.queues).items():
            for message in receive_all(self.sqs, url, wait=wait):
                rows.append({"queue": name, **parse_event(message["Body"])})
        columns = ["queue", "event", "todo", "message_id", "envelope"]
        return pd.DataFrame(rows, columns=columns)


def parse_event(body: str) -> dict:
    """A received body as event, todo, message_id, envelope: raw JSON or SNS's envelope."""
    data = json.loads(body)
    envelope = isinstance(data, dict) and data.get("Type") == "Notification"
    message_id = data.get("MessageId") if envelope else None
    if envelope:
        data = json.loads(data["Message"])
    return {
        "event": data.get("event"),
        "todo": data.get("todo"),
        "message_id": message_id,
        "envelope": envelope,
    }


MINE = "todo-events-mine"  # the queue exercise 1 subscribes to the topic
FILTER_DELAY = (
    "on AWS a new or changed filter policy takes up to 15 minutes to apply everywhere "
    "(SNS Developer Guide, 'Amazon SNS message filtering')"
)


def setup(lab: Any, seed: int | None = None) -> EventsLab:
    """The topic and subscriber queues of terraform/sns.tf on this lab's SQS/SNS (made if
    missing, each with the queue policy that lets the topic send to it, as on AWS), and the
    exercise's queue `todo-events-mine` with that policy too; all emptied so the lesson can
    be re-run."""
    from labkit.lessons.engine.queue_state import is_emulator, start_clean
    from labkit.terraform import ensure_queues, queue_definitions
    from labkit.terraform.topics import allow_topic, ensure_topics, topic_definitions

    sqs, sns = lab.sqs, lab.sns
    wanted = [q for q in queue_definitions() if q.name in SUBSCRIBERS]
    queues = ensure_queues(sqs, wanted, update=lab.mode != "aws")
    [topic] = [t for t in topic_definitions() if t.name == TOPIC]
    topic_arn = ensure_topics(sns, sqs, [topic])[TOPIC]["arn"]  # queue policies included
    mine = sqs.create_queue(QueueName=MINE)["QueueUrl"]
    allow_topic(sqs, mine, topic_arn)
    start_clean(sqs, *queues.values(), mine, seed=seed)
    ordered = {name: queues[name] for name in SUBSCRIBERS}
    return EventsLab(sns, sqs, topic_arn, ordered, is_emulator(sqs))


def subscription_table(events: EventsLab) -> Any:
    """One row per subscription of the topic: queue, raw delivery, filter policy."""
    import pandas as pd

    rows = []
    pages = events.sns.get_paginator("list_subscriptions_by_topic")
    for page in pages.paginate(TopicArn=events.topic_arn):
        for sub in page["Subscriptions"]:
            attrs = events.sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])
            attrs = attrs["Attributes"]
            rows.append(
                {
                    "queue": sub["Endpoint"].rsplit(":", 1)[-1],
                    "raw delivery": attrs.get("RawMessageDelivery") == "true",
                    "filter policy": attrs.get("FilterPolicy", "(none: every event)"),
                }
            )
    return pd.DataFrame(rows).set_index("queue")


# --- Redis pub/sub and streams ----------------------------------------------------------------
def redis_client(lab: Any) -> Any:
    """A Redis client on the lab's Redis; `Unavailable` when this lab has none."""
    url = lab.urls.get("redis")
    if not url:
        raise Unavailable(
            f"this {lab.mode} lab has no Redis, so the Redis cells are skipped: start the "
            "embedded stack (`labkit up`) or set LABKIT_REDIS_URL to a Redis server"
        )
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5, decode_responses=True)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise Unavailable(f"the lab's Redis does not answer ({exc}); run `labkit up`") from None
    return client


def pubsub_versus_queue(lab: Any, events: EventsLab, channel: str = "todo-events") -> Any:
    """One event while no consumer runs: Redis pub/sub drops it, an SQS queue keeps it.

    Returns a DataFrame: broker, copies delivered when published, received by a late consumer.
    """
    import pandas as pd

    client = redis_client(lab)
    channel = f"{channel}-{uuid.uuid4().hex[:6]}"
    listeners = client.publish(channel, json.dumps({"event": "todo.completed", "todo": 1}))
    late = client.pubsub(ignore_subscribe_messages=True)
    late.subscribe(channel)  # the subscriber comes back after the event
    listening, got = Deadline(1.0), []
    while not listening.passed():
        message = late.get_message(timeout=0.1)
        if message:
            got.append(message)
    late.close()
    url = events.queues["todo-events-email"]
    events.publish("todo.completed", 1)  # the email worker is not running either
    kept = receive_all(events.sqs, url)  # ... and starts now
    late_reader = "received by the consumer that started later"
    rows = [
        {"broker": "Redis pub/sub", "delivered when published": listeners, late_reader: len(got)},
        {"broker": "SNS -> SQS queue", "delivered when published": 1, late_reader: len(kept)},
    ]
    return pd.DataFrame(rows).set_index("broker")


def stream_replay(lab: Any, count: int = 3) -> Any:
    """A Redis stream keeps its entries: a reader that starts late reads them all from id 0."""
    import pandas as pd

    client = redis_client(lab)
    stream = f"todo-events-{uuid.uuid4().hex[:6]}"
    try:
        for todo in range(count):
            client.xadd(stream, {"event": "todo.created", "todo": todo})
        entries = client.xrange(stream, "-", "+")
    finally:
        client.delete(stream)
    return pd.DataFrame([{"entry id": i, **fields} for i, fields in entries])


# --- RabbitMQ (AMQP) --------------------------------------------------------------------------
def amqp_url() -> str:
    """LABKIT_AMQP_URL when it points at a RabbitMQ that answers; else `Unavailable`."""
    url = os.environ.get("LABKIT_AMQP_URL", "")
    if not url:
        raise Unavailable(
            "LABKIT_AMQP_URL is not set, so the RabbitMQ cells are skipped (set it to e.g. "
            "amqp://guest:guest@127.0.0.1:5672// when a RabbitMQ runs, then re-run them)"
        )
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 5672), 2):
            pass
    except OSError as exc:
        raise Unavailable(
            f"no RabbitMQ answers at {parsed.hostname}:{parsed.port or 5672} ({exc.strerror}), "
            "so the RabbitMQ cells are skipped"
        ) from None
    return url


def amqp_fanout(url: str, subscribers: tuple[str, ...] = SUBSCRIBERS) -> Any:
    """RabbitMQ's fan-out: a `fanout` exchange copies one message into every bound queue.

    Returns a DataFrame: queue, bodies received (temporary queues, removed afterwards).
    """
    import pandas as pd
    from kombu import Connection, Exchange, Queue

    tag = uuid.uuid4().hex[:6]
    exchange = Exchange(f"todo-events-{tag}", type="fanout", durable=False, auto_delete=True)
    rows = []
    with Connection(url, connect_timeout=5) as connection:
        channel = connection.channel()
        queues = [
            Queue(f"{name}-{tag}", exchange, durable=False, auto_delete=False)(channel)
            for name in subscribers
        ]
        try:
            for queue in queues:
                queue.declare()
            producer = connection.Producer(channel)
            body = {"event": "todo.created", "todo": 1}
            producer.publish(body, exchange=exchange, serializer="json")
            for name, queue in zip(subscribers, queues, strict=True):
                try:
                    message = wait_until(lambda q=queue: q.get(no_ack=True), 1.0, name, 0.02)
                except TimeoutError:
                    message = None
                rows.append({"queue": name, "received": message.payload if message else None})
        finally:
            for queue in queues:
                queue.delete()
            channel.close()
    return pd.DataFrame(rows).set_index("queue")


def availability(lab: Any, events: EventsLab) -> dict[str, str]:
    """Which brokers this lab can show: "available", or "skipped: <why>"."""

    def status(check: Any) -> str:
        try:
            check()
        except Unavailable as reason:
            return f"skipped: {reason}"
        return "available"

    return {
        "SQS + SNS": "available (emulator)" if events.emulator else f"available (AWS, {lab.mode})",
        "Redis": status(lambda: redis_client(lab)),
        "RabbitMQ": status(amqp_url),
    }


# --- the handout's technologies ---------------------------------------------------------------
def technologies(redis_here: bool, amqp_here: bool, aws: bool) -> Any:
    """Handout section 2.1's brokers and what each promises, with where to try it here."""
    import pandas as pd

    here = {True: "yes", False: "no"}
    rows = [
        ("Amazon SQS standard", "best effort", "at least once", "until deleted (up to 14 days)",
         "no: competing consumers", "no", "yes (emulator" + (", AWS)" if aws else ")")),
        ("Amazon SQS FIFO", "per message group", "exactly-once processing (5 min dedup)",
         "until deleted (up to 14 days)", "no: competing consumers", "no",
         "yes (emulator" + (", AWS)" if aws else ")")),
        ("Amazon SNS standard", "best effort", "at least once, to each subscription",
         "none: delivered or retried, then dropped/DLQ", "yes: every subscription",
         "no (FIFO archive only)", "yes (emulator" + (", AWS)" if aws else ")")),
        ("Amazon SNS FIFO", "per message group", "deduplicated 5 min, to each subscription",
         "optional archive", "yes: every subscription", "yes, from the archive",
         "yes (emulator, no archive)"),
        ("Amazon MQ / RabbitMQ", "per queue", "at least once with acks (at most once without)",
         "until acknowledged", "yes: fanout/topic exchanges", "no (streams aside)",
         here[amqp_here] + " (LABKIT_AMQP_URL)"),
        ("Amazon MSK / Kafka", "per partition", "at least once (exactly once in transactions)",
         "a retention period, read or not", "yes: consumer groups each read all",
         "yes: any offset", "no (needs a Kafka cluster)"),
        ("Redis pub/sub", "per channel", "at most once: fire and forget", "none",
         "yes: every connected subscriber", "no", here[redis_here]),
        ("Redis streams", "per stream", "at least once with consumer groups + XACK",
         "until trimmed", "yes: each consumer group", "yes: from any id", here[redis_here]),
    ]  # fmt: skip
    columns = ["technology", "ordering", "delivery", "retention", "fan-out", "replay", "try here"]
    return pd.DataFrame(rows, columns=columns).set_index("technology")
