"""A run's record: what happened to each of its messages, as one DataFrame for the timelines.

On the lab's emulator the record is the emulator's own (`labkit.emulator.record`, read through
the admin route, in the notebook's account): sends, drops, receives, timeouts, deletes and
dead-letter moves, as the queue saw them. On AWS there is no such log, so the record is rebuilt
from what this run's own clients saw (its sends and deliveries) and says it is partial: a
message becoming visible again, a dropped duplicate or a move to the dead-letter queue cannot be
seen from outside.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from labkit.lessons.engine.queue_state import is_emulator

COLUMNS = [
    "seq",
    "at",
    "t",
    "queue",
    "kind",
    "message_id",
    "label",
    "group",
    "attempt",
    "receipt",
    "receiver",
    "consumer",
    "hidden_until",
    "source",
    "to",
    "subscription",
]
PARTIAL_NOTE = (
    "partial: rebuilt from this run's own sends and receives (AWS keeps no record for you); "
    "messages becoming visible again, dropped duplicates and dead-letter moves are not seen"
)


@dataclass
class QueueRecord:
    """Events (one row each, COLUMNS, oldest first; ``t`` is seconds since the first) and
    whether they are the emulator's full record or a partial one from the clients."""

    events: pd.DataFrame
    partial: bool = False
    note: str = ""
    settings: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        where = "partial, from the clients" if self.partial else "the emulator's record"
        messages = self.events["message_id"].nunique()
        return f"QueueRecord({len(self.events)} events, {messages} messages; {where})"

    def of_kind(self, *kinds: str) -> pd.DataFrame:
        return self.events[self.events["kind"].isin(kinds)]


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame = frame.sort_values(["at", "seq"], kind="stable").reset_index(drop=True)
    frame["t"] = frame["at"] - frame["at"].min() if not frame.empty else frame["at"]
    frame["attempt"] = frame["attempt"].astype("Int64")
    return frame


def _labels(runs: list[Any]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for run in runs:
        for frame in (run.sends, run.deliveries):
            for message_id, body in zip(frame["message_id"], frame["body"], strict=True):
                if isinstance(message_id, str):
                    labels.setdefault(message_id, body)
    return labels


def _consumers(runs: list[Any]) -> dict[str, str]:
    """receipt handle -> the consumer that logged it."""
    out: dict[str, str] = {}
    for run in runs:
        frame = run.deliveries
        if "receipt_handle" in frame:
            out.update(zip(frame["receipt_handle"], frame["consumer"], strict=True))
    return out


def _connection(event: dict[str, Any]) -> str | None:
    """Who received, when no consumer of a run logged it: the receiver header, else the
    client's port (the emulator names a receiver ``key@port``)."""
    receiver = event.get("receiver")
    if not receiver:
        return None
    return f"client port {receiver.rsplit('@', 1)[1]}" if "@" in receiver else receiver


def from_emulator(sqs: Any, runs: list[Any], labels: dict[str, str] | None = None) -> QueueRecord:
    """The emulator's record of every message ``runs`` sent (or of the ``labels`` message ids),
    in any queue (a dead-letter queue's copy included)."""
    from labkit.lessons.engine.queue_errors import admin_errors
    from labkit.stack.context import context_of

    labels, consumers = {**_labels(runs), **(labels or {})}, _consumers(runs)
    with admin_errors():
        answer = context_of(sqs).admin.record()
    rows = []
    for event in answer["events"]:
        if event["message_id"] not in labels:
            continue
        row = dict(event)
        row["label"] = labels[event["message_id"]]
        row["consumer"] = consumers.get(event.get("receipt")) or _connection(event)
        rows.append(row)
    note = (
        f"{answer['missed']} older events dropped by the emulator's bound"
        if answer["missed"]
        else ""
    )
    return QueueRecord(_frame(rows), partial=False, note=note)


def from_clients(runs: list[Any]) -> QueueRecord:
    """A partial record from what the runs' clients saw (AWS mode)."""
    rows: list[dict[str, Any]] = []
    for run in runs:
        name = run.queue_url.rstrip("/").rsplit("/", 1)[-1]
        for send in run.sends.itertuples():
            if isinstance(send.message_id, str):
                group = send.group if isinstance(send.group, str) else None
                rows.append(
                    dict(
                        at=send.sent_at,
                        queue=name,
                        kind="sent",
                        message_id=send.message_id,
                        label=send.body,
                        group=group,
                    )
                )
        for got in run.deliveries.itertuples():
            common = dict(
                queue=name,
                message_id=got.message_id,
                label=got.body,
                consumer=got.consumer,
                receiver=got.consumer,
            )
            rows.append(
                dict(
                    common,
                    at=got.received_at,
                    kind="received",
                    attempt=got.receive_count,
                    receipt=getattr(got, "receipt_handle", None),
                )
            )
            if got.deleted:
                rows.append(dict(common, at=got.handled_at, kind="deleted"))
    for n, row in enumerate(sorted(rows, key=lambda r: r["at"])):
        row["seq"] = n + 1
    return QueueRecord(_frame(rows), partial=True, note=PARTIAL_NOTE)


def queue_settings(sqs: Any, runs: list[Any]) -> dict[str, dict[str, int]]:
    """{queue name: {"visibility_timeout", "max_receives"?}} of the runs' queues (captions)."""
    out: dict[str, dict[str, int]] = {}
    for url in dict.fromkeys(run.queue_url for run in runs):
        try:
            names = ["VisibilityTimeout", "RedrivePolicy"]
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        except Exception:  # a queue deleted since: captions just say less
            continue
        entry = {"visibility_timeout": int(attrs.get("VisibilityTimeout", 30))}
        if attrs.get("RedrivePolicy"):
            entry["max_receives"] = int(json.loads(attrs["RedrivePolicy"])["maxReceiveCount"])
        out[url.rstrip("/").rsplit("/", 1)[-1]] = entry
    return out


def run_record(sqs: Any, *runs: Any) -> QueueRecord:
    """What happened to the messages of ``runs`` (experiment results): the emulator's record,
    or on AWS a partial one from the clients."""
    if not runs:
        raise ValueError("give the run(s) whose messages to show, e.g. run_record(lab.sqs, run)")
    chosen = list(runs)
    record = from_emulator(sqs, chosen) if is_emulator(sqs) else from_clients(chosen)
    record.settings = queue_settings(sqs, chosen)
    return record


def message_record(sqs: Any, messages: dict[str, str] | list[str]) -> QueueRecord:
    """The record of particular messages (by MessageId; a dict names each: id -> label), e.g.
    ones a cell sent with boto3 itself. On AWS: empty, and partial (nobody logged them)."""
    labels = messages if isinstance(messages, dict) else {m: m[:8] for m in messages}
    if not is_emulator(sqs):
        return QueueRecord(_frame([]), partial=True, note=PARTIAL_NOTE)
    return from_emulator(sqs, [], labels)


def fanout_record(sqs: Any, sns_message_id: str) -> QueueRecord:
    """One SNS message's fan-out from the emulator's record: one lane per subscription, the
    copy's life in that subscriber's queue (sent, received, deleted), and a marker where a
    subscription's filter policy left it out. On AWS: empty, and partial."""
    from labkit.lessons.engine.queue_errors import admin_errors
    from labkit.stack.context import context_of

    if not is_emulator(sqs):
        return QueueRecord(_frame([]), partial=True, note=PARTIAL_NOTE)
    with admin_errors():
        events = context_of(sqs).admin.record()["events"]
    mine = [e for e in events if e["message_id"] == sns_message_id]
    copies = {
        e["copy"]: e["subscription"] for e in mine if e["kind"] == "delivered" and e.get("copy")
    }
    rows = []
    for event in events:
        if event["message_id"] in copies:
            rows.append({**event, "label": f"copy in {copies[event['message_id']]}"})
    for event in mine:
        if event["kind"] == "filtered":
            lane = f"{sns_message_id}:{event['subscription']}"
            label = f"filtered out for {event['subscription']}"
            rows.append({**event, "message_id": lane, "label": label})
    return QueueRecord(_frame(rows), note="one SNS message, one lane per subscription")
