"""Exercises of lesson 03, at-least-once delivery: an idempotent consumer (checked on a scratch
queue of the live stack, with a duplicate and a crash injected), and questions."""

from __future__ import annotations

import json
import types
from typing import Any

from labkit.lessons.grading.checker import (
    NeedsData,
    Observed,
    exercise,
    known_choice,
    known_number,
    read_whole_number,
)
from labkit.lessons.grading.exercises._live import (
    StudentFailed,
    check_queue,
    current_lab,
    require_function,
    run_student,
)
from labkit.waiting import Deadline

known_number(
    "03.receive_count",
    "98cda8b16f66e6668dad54834b09efce8f8ea98974012254a66e89629d871be3",
    hint="every receive counts, finished or not: two failed attempts, then the next one",
)


@exercise(
    "03.dead_letter",
    hint="the message is delivered maxReceiveCount times; the receive after that moves it",
)
def _check_dead_letter(answer: Any, data: Any = None) -> bool:
    sqs = current_lab().sqs
    try:
        url = sqs.get_queue_url(QueueName="csse6400_lesson03")["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        raise NeedsData("run the lesson's setup cell first: it creates csse6400_lesson03") from None
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
    policy = json.loads(attributes["Attributes"]["RedrivePolicy"])
    return read_whole_number(answer) == int(policy["maxReceiveCount"])


known_choice(
    "03.idempotent",
    "a01a7780953ec9dc4090573b70eef85f1cc969472498738c06a4cd339427fa29",
    hint="which one gives the same result when it runs a second time for the same message?",
)

# ---------------------------------------------------------------------------------------------
# Student code: an idempotent consumer

_AMOUNTS = [10, 10, 25, 10, 5, 25, 10, 10]  # equal bodies on purpose: different deposits
_DUPLICATED, _CRASHED = 2, 4  # deposit 2 is delivered twice; the consumer crashes after 4


def _consume(sqs: Any, url: str, handler: Any, account: Any, ids: list[str]) -> list[dict]:
    """The usual loop (receive, handle, delete), with a duplicate and a crash injected."""
    deliveries: list[dict] = []
    deleted: set[str] = set()
    crashed = duplicated = False
    deadline = Deadline(30)
    while len(deleted) < len(ids) and not deadline.passed():
        reply = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2, VisibilityTimeout=1
        )
        for message in reply.get("Messages", []):
            index = ids.index(message["MessageId"])
            copies = [(message, "delivered")]
            if index == _DUPLICATED and not duplicated:
                duplicated = True  # SQS hands out a second copy: same MessageId, new handle
                copy = {**message, "ReceiptHandle": message["ReceiptHandle"] + "-copy"}
                copies.append((copy, "duplicate copy"))
            for delivered, what in copies:
                if index == _CRASHED and crashed:
                    what = "redelivered after the crash"
                run_student(handler, account, delivered, timeout=10)
                deliveries.append(
                    {
                        "deposit": index,
                        "amount": _AMOUNTS[index],
                        "delivery": what,
                        "balance after": account.balance,
                    }
                )
            if index == _CRASHED and not crashed:
                crashed = True  # the work is done, then the consumer dies before its delete
                deliveries[-1]["delivery"] = "delivered, then the consumer crashed"
                continue
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            deleted.add(message["MessageId"])
    return deliveries


@exercise(
    "03.idempotent_consumer",
    points=2,
    hint="remember the MessageId of every deposit applied (account.applied) and skip repeats",
)
def _check_idempotent_consumer(answer: Any, data: Any = None) -> Observed | str:
    import pandas as pd

    handler = require_function(answer, "idempotent_deposit(account, message)")
    account = types.SimpleNamespace(balance=0, applied=set())
    with check_queue("check03-deposits") as (sqs, _, url):
        ids = [
            sqs.send_message(QueueUrl=url, MessageBody=str(amount))["MessageId"]
            for amount in _AMOUNTS
        ]
        try:
            deliveries = pd.DataFrame(_consume(sqs, url, handler, account, ids))
        except StudentFailed as failed:
            if "'str'" in str(failed):
                return f"{failed}: the body is text; add int(message['Body']) to the balance"
            raise
    expected = sum(_AMOUNTS)
    if account.balance == expected:
        return Observed(True, deliveries)
    return Observed(
        f"balance {account.balance}, expected {expected}: " + _why(account, ids), deliveries
    )


def _why(account: Any, ids: list[str]) -> str:
    """Which usual mistake gives this balance and this account.applied."""
    expected, keys = sum(_AMOUNTS), {str(key) for key in account.applied}
    bodies = {str(amount) for amount in _AMOUNTS}
    if account.balance > expected:
        if not keys:
            return (
                "you never added anything to account.applied, so every repeat looked new; after "
                "applying a deposit, add its message['MessageId']"
            )
        if keys <= bodies:
            return (
                "account.applied holds the bodies, but your code checks for the MessageId: record "
                "and look up the same key, message['MessageId']"
            )
        if any("-copy" in key or len(key) > 100 for key in keys):
            return (
                "a ReceiptHandle is new on every receive, so a repeat looked new; key on "
                "message['MessageId']"
            )
        return (
            "the duplicate copy or the redelivery after the crash was applied again; remember "
            "each message['MessageId'] you applied (account.applied) and skip repeats"
        )
    if account.balance == 0 and keys:
        return (
            "nothing was applied: your code adds the MessageId to account.applied before "
            "checking it, so every message looks seen already; check first, then record"
        )
    if keys >= set(ids) and account.balance in _AMOUNTS:
        return "the balance is one deposit: add each deposit to the balance (+=), do not replace it"
    return (
        "different deposits were skipped: several carry the same amount (the same body), so "
        "key on message['MessageId'], not on the body (nor on MD5OfBody, a digest of it)"
    )
