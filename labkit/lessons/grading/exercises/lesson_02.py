"""Exercises of lesson 02, FIFO deduplication and message groups: a FIFO sender with
MessageGroupId and a deduplication id (checked on a scratch FIFO queue of the live stack), and
questions on the runs."""

from __future__ import annotations

import json
import re
from typing import Any

from labkit.lessons.engine.receiving import receive_all
from labkit.lessons.grading.checker import (
    Observed,
    exercise,
    known_choice,
    known_number,
    read_whole_number,
)
from labkit.lessons.grading.exercises._live import (
    StudentFailed,
    check_queue,
    require_function,
    run_student,
)

known_number(
    "02.dedup_interval",
    "8011d0e21d1dfeca02eab4aeb09a112051941e7a20ada5213500e33d87afcec5",
    hint="the lesson moved the emulator's clock 5 * 60 + 1 seconds, one second past the "
    "interval, before the same bodies got through: the interval itself, in seconds",
    seconds=True,
)


@exercise(
    "02.parallelism",
    hint="a group is handed to one consumer at a time, and a consumer works on one message at "
    "a time",
    needs="many_groups (the Run with several message groups)",
)
def _check_parallelism(answer: Any, data: Any = None) -> bool:
    sends, deliveries = data.sends, data.deliveries
    groups = int(sends["group"].nunique())
    labels = [re.search(r"(\d+)$", str(name)) for name in deliveries["consumer"].unique()]
    consumers = max([int(m.group(1)) for m in labels if m] or [deliveries["consumer"].nunique()])
    return read_whole_number(answer) == min(groups, consumers)


known_choice(
    "02.group_id",
    "4df1cb3e4a46f489afd503318d9d1a050ed01cd1c2bc83a01754f35590ad1e6d",
    hint="order matters within a customer only; which id keeps that order and lets different "
    "customers proceed in parallel?",
)

# ---------------------------------------------------------------------------------------------
# Student code: a FIFO sender

_CUSTOMERS = ("alice", "bob", "carol")
_ORDERS = [
    {"customer": customer, "order": n, "item": f"item {n}"}
    for n in range(1, 5)
    for customer in _CUSTOMERS
]
_RETRIED = _ORDERS[4]  # sent a second time, as a sender that timed out would


def _send_error_hint(error: str) -> str:
    error = error.rstrip(".")
    if "MessageDeduplicationId" in error and "is invalid" in error:
        return (
            f"{error}. A MessageDeduplicationId may hold only letters, digits and punctuation "
            "(no spaces): make it from the customer and the order number, e.g. "
            'f"{customer}-{order}"'
        )
    if "Deduplication" in error:
        return (
            f"{error}. This queue has no content-based deduplication: give every send a "
            "MessageDeduplicationId made from the order (customer and order number)"
        )
    if "MessageGroupId" in error:
        return f"{error}. A FIFO queue needs a MessageGroupId on every send: use the customer"
    return error


@exercise(
    "02.fifo_sender",
    points=2,
    hint="MessageGroupId = the customer; MessageDeduplicationId = something unique to the order",
)
def _check_fifo_sender(answer: Any, data: Any = None) -> Observed | bool | str:
    import pandas as pd

    send_orders = require_function(answer, "send_orders(sqs, queue_url, orders)")
    with check_queue("check02-orders", fifo=True) as (sqs, recorder, url):
        try:
            run_student(send_orders, recorder, url, [dict(o) for o in _ORDERS])
            run_student(send_orders, recorder, url, [dict(_RETRIED)])  # the retry
        except StudentFailed as failed:
            return _send_error_hint(str(failed))
        got = receive_all(
            sqs,
            url,
            limit=3 * len(_ORDERS),
            empty_replies=2,
            MessageSystemAttributeNames=["All"],
        )
    rows = []
    for position, message in enumerate(got):
        try:
            order = json.loads(message["Body"])
        except ValueError:
            return "make each body the order as JSON (json.dumps(order)), so a consumer can read it"
        rows.append(
            {
                "position": position,
                "group": message["Attributes"].get("MessageGroupId"),
                "customer": order.get("customer"),
                "number": order.get("order"),
                "sequence_number": message["Attributes"].get("SequenceNumber"),
            }
        )
    frame = pd.DataFrame(
        rows, columns=["position", "group", "customer", "number", "sequence_number"]
    )
    if len(frame) < len(_ORDERS):
        return Observed(
            f"only {len(frame)} of {len(_ORDERS)} different orders arrived: SQS dropped some as "
            "duplicates, so several orders shared a MessageDeduplicationId; make it unique to "
            "each order (customer and order number)",
            frame,
        )
    groups = set(frame["group"])
    if len(groups) == 1 and len(frame) > 1:
        return Observed(
            f"every order went to the one group {groups.pop()!r}: orders keep their order but "
            "only one consumer can work at a time; use the customer as MessageGroupId",
            frame,
        )
    if groups != set(_CUSTOMERS) or (frame["group"] != frame["customer"]).any():
        return Observed("MessageGroupId should be the order's customer (order['customer'])", frame)
    if len(frame) > len(_ORDERS):
        return Observed(
            "the retried order arrived twice: its MessageDeduplicationId changed between the two "
            'sends (a random id?); make it from the order itself, e.g. f"{customer}-{order}"',
            frame,
        )
    for customer, rows_of in frame.groupby("customer"):
        if list(rows_of["number"]) != sorted(rows_of["number"]):
            return Observed(f"{customer}'s orders arrived out of order: send them in order", frame)
    return Observed(True, frame)
