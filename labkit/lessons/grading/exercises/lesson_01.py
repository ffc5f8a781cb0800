"""Exercises of lesson 01, standard versus FIFO queues: a publisher and a subscriber in plain
boto3 (checked on a scratch queue of the live stack), and questions on the runs."""

from __future__ import annotations

from typing import Any

from labkit import course_messages
from labkit.lessons.engine.queue_state import queue_counts
from labkit.lessons.engine.receiving import receive_all
from labkit.lessons.grading.checker import (
    Observed,
    Wrong,
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


def _first_out_of_order(run: Any) -> int | None:
    from labkit.lessons.analysis.metrics import first_deliveries

    frame = first_deliveries(getattr(run, "deliveries", run)).dropna(subset=["number"])
    highest = -1
    for number in frame["number"]:
        if number < highest:
            return int(number)
        highest = max(highest, int(number))
    return None


@exercise(
    "01.first_out_of_order",
    hint="walk the arrivals in order, remember the highest number so far, stop at the first "
    "number below it",
    needs="standard (the Run of your first standard experiment)",
)
def _check_first_out_of_order(answer: Any, data: Any = None) -> bool | str:
    expected = _first_out_of_order(data)
    if expected is None:
        return str(answer).strip().lower() in {"none", "no"} or (
            "this run arrived in order: answer 'none'"
        )
    return read_whole_number(answer) == expected


known_number(
    "01.fifo_inversions",
    "18dc2e78b2f81f306b0d8aed438449eb46a2d998f64f0dae792b9d3627a10f6e",
    hint="what does First-In-First-Out promise within one message group?",
)

known_choice(
    "01.guarantee",
    "6a3029477a3d87c76f43fbbd56d20754430fb8ee5b8767e65017f5b58126d961",
    hint="look at the FIFO run of several publishers (its plot, or many_fifo.deliveries): "
    "B-Message 0 arrives after A-Message 9, so what is still in order? Follow one colour",
)

# ---------------------------------------------------------------------------------------------
# Student code: the queue tool's publisher and subscriber

_CHECK_COUNT = 12  # more than one receive can return (10), so a single receive is not enough


@exercise(
    "01.publisher",
    points=2,
    hint="send 'Message 0' ... 'Message {count-1}', one send_message each, with the client "
    "attribute",
)
def _check_publisher(answer: Any, data: Any = None) -> Observed | bool | str:
    publish = require_function(answer, "publish(sqs, queue_url, count, client)")
    with check_queue("check01-publisher") as (sqs, recorder, url):
        try:
            run_student(publish, recorder, url, _CHECK_COUNT, "Checker")
        except StudentFailed as failed:
            return _publish_error_hint(str(failed))
        got = receive_all(
            sqs, url, limit=3 * _CHECK_COUNT, empty_replies=2, MessageAttributeNames=["All"]
        )
    if not recorder.called("send_message", "send_message_batch"):
        return (
            "nothing was sent: call sqs.send_message(QueueUrl=queue_url, MessageBody=...) once "
            "per message, on the client passed in"
        )
    bodies = sorted((m["Body"] for m in got), key=lambda b: (len(b), b))
    hint = _count_hint(bodies) or _attribute_hint(got)
    if hint:
        return hint
    if len(recorder.called("send_message")) != _CHECK_COUNT:
        return "send one message per SendMessage call, as the queue tool does"
    return Observed(True, details=[m["Body"] for m in got])


def _publish_error_hint(error: str) -> str:
    if "cast" in error and "number" in error:
        return (
            f"{error.rstrip('.')}. The client attribute is text: its DataType is 'String' "
            "(a 'Number' must hold digits)"
        )
    return error


def _count_hint(bodies: list[str]) -> str | None:
    """What is wrong with the bodies sent for count=12, or None when they are right."""
    count = _CHECK_COUNT
    wanted = [course_messages.body("", i) for i in range(count)]
    if bodies == wanted:
        return None
    if bodies == [course_messages.body("", i) for i in range(1, count + 1)]:
        return "off by one: the queue tool counts from Message 0 to Message {count - 1}"
    if bodies == wanted[:-1]:
        return f"off by one: Message {count - 1} is missing; range(count) sends count messages"
    if len(bodies) == 1:
        return f"sent 1 of {count} messages: one send_message per message, in a loop"
    if set(bodies) == set(wanted):
        return f"send each message once: {len(bodies)} arrived for count={count}"
    if bodies == wanted[: len(bodies)]:
        return (
            f"sent {len(bodies)} messages when asked for count={count}: loop over range(count), "
            "the count passed in"
        )
    shown = ", ".join(repr(b) for b in bodies[:2]) or "nothing"
    return f"each body is 'Message 0', 'Message 1', ... up to count - 1; yours: {shown}"


def _attribute_hint(got: list[dict]) -> str | None:
    attributes = [m.get("MessageAttributes", {}) for m in got]
    if not any(attributes):
        return (
            "each message needs the client name as a String message attribute: "
            "MessageAttributes={'client': {'DataType': 'String', 'StringValue': client}}"
        )
    names = sorted({name for a in attributes for name in a})
    if names != ["client"]:
        return (
            f"the attribute is named 'client' (the queue tool's consumer reads it); yours: {names}"
        )
    values = {a["client"].get("StringValue") for a in attributes}
    if values != {"Checker"}:
        return (
            "the client attribute holds the client argument (the check passed 'Checker'); "
            f"yours: {sorted(map(str, values))}"
        )
    return None


@exercise(
    "01.subscriber",
    points=2,
    hint="receive with WaitTimeSeconds (long polling), delete each message, return the bodies",
)
def _check_subscriber(answer: Any, data: Any = None) -> Observed | bool | str:
    subscribe = require_function(answer, "subscribe(sqs, queue_url)")
    wanted = [course_messages.body("", i) for i in range(_CHECK_COUNT)]
    with check_queue("check01-subscriber") as (sqs, recorder, url):
        for body in wanted:
            sqs.send_message(QueueUrl=url, MessageBody=body)
        try:
            bodies = run_student(subscribe, recorder, url, timeout=60)
        except StudentFailed as failed:
            if "ReceiptHandleIsInvalid" in str(failed):
                return (
                    f"{failed}: delete_message takes the message's ReceiptHandle, not its "
                    "MessageId (the handle of this receive)"
                )
            raise
        visible, in_flight = queue_counts(sqs, url).values()
    receives = recorder.called("receive_message")
    if not receives:
        return "nothing was received: call sqs.receive_message(QueueUrl=queue_url, ...)"
    if any(int(call.get("WaitTimeSeconds", 0)) < 1 for call in receives):
        return (
            "use long polling: pass WaitTimeSeconds=1 (up to 20) to receive_message; without "
            "it SQS asks only some of its servers and may answer empty while messages wait"
        )
    if not isinstance(bodies, list | tuple):
        return f"return the list of bodies received (yours returned {type(bodies).__name__})"
    if any(not isinstance(body, str) for body in bodies):
        kind = type(next(b for b in bodies if not isinstance(b, str))).__name__
        return f"return the bodies, message['Body'] (strings), not {kind}s"
    if in_flight or (visible and not recorder.called("delete_message", "delete_message_batch")):
        return (
            f"{in_flight + visible} of {_CHECK_COUNT} messages are still in the queue: receiving "
            "only hides a message; delete each one (delete_message with its ReceiptHandle) "
            "once it is handled"
        )
    if sorted(bodies, key=lambda b: (len(b), b)) != wanted:
        if not visible:
            return (
                f"all {_CHECK_COUNT} messages were received and deleted, but {len(bodies)} "
                "bodies came back: collect the bodies of every receive in one list"
            )
        return (
            f"got {len(bodies)} of {_CHECK_COUNT} messages: one receive returns at most 10; "
            "keep receiving until two polls in a row come back empty"
        )
    if visible:
        raise Wrong(f"{visible} messages were left in the queue")
    return Observed(True, details=list(bodies))
