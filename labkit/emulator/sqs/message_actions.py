"""The SQS message actions (send, receive, delete, change visibility): one function per action
that parses and checks the wire parameters in AWS's order, calls the backend, and shapes
AWS's answer. `actions.py` holds the table of every action and the queue actions."""

from __future__ import annotations

from collections.abc import Callable

from labkit.emulator.context import Context
from labkit.emulator.sqs import attributes as qattrs
from labkit.emulator.sqs.backend import SQSBackend
from labkit.emulator.sqs.digests import md5_of_attributes
from labkit.emulator.sqs.errors import SQSError, invalid, missing
from labkit.emulator.sqs.message_ops import DEDUP_REQUIRED, MAX_VISIBILITY, Outgoing, Sent
from labkit.emulator.sqs.messages import (
    Message,
    check_ids,
    check_size,
    check_system,
    check_text,
    parse_attributes,
    render_attributes,
    select_attributes,
)
from labkit.emulator.sqs.params import get_list, get_str, int_in
from labkit.emulator.sqs.queues import Queue
from labkit.emulator.sqs.urls import queue_location
from labkit.emulator.sqs.wire import batch_entries, each_entry, entry_size, failure

MAX_BATCH = 10
DEDUPLICATED_HEADER = "x-labkit-deduplicated"
_VISIBILITY_RANGE = f"Must be >= 0 and <= {MAX_VISIBILITY}, if provided."


def queue_of(sqs: SQSBackend, params: dict, ctx: Context) -> Queue:
    """The queue a QueueUrl names: its account from the URL, the region of the request."""
    account, name = queue_location(get_str(params, "QueueUrl"), ctx.account)
    return sqs.queue(account, ctx.region, name)


def _count_duplicates(ctx: Context, count: int) -> None:
    """Tell the caller how many sends of this call a FIFO queue deduplicated (AWS does not say;
    the body stays AWS's, the header is the emulator's own)."""
    if count:
        ctx.reply_headers[DEDUPLICATED_HEADER] = str(count)


# --- sending --------------------------------------------------------------------------------
def outgoing(queue: Queue, entry: dict, batch: bool = False) -> Outgoing:
    """One send's wire parameters checked in AWS's order (the queue's size limit comes before
    the body's characters); the queue's own rules follow in the backend."""
    body = get_str(entry, "MessageBody")
    if body == "":
        raise missing("MessageBody")
    attributes = parse_attributes(entry.get("MessageAttributes"))
    check_size(body, attributes, queue.attr_int("MaximumMessageSize"), batch)
    check_text(body)
    system = parse_attributes(entry.get("MessageSystemAttributes"))
    check_system(system)
    group = get_str(entry, "MessageGroupId", required=False)
    dedup = get_str(entry, "MessageDeduplicationId", required=False)
    check_ids(group, dedup)
    delay = int_in(entry, "DelaySeconds", 0, 900, "DelaySeconds must be >= 0 and <= 900.")
    return Outgoing(body, attributes, delay, dedup, group, system)


def sent_answer(sent: Sent) -> dict:
    """AWS's answer to one send, keys in AWS's order."""
    out = {"MD5OfMessageBody": sent.md5_body}
    if sent.md5_attributes:
        out["MD5OfMessageAttributes"] = sent.md5_attributes
    if sent.md5_system:
        out["MD5OfMessageSystemAttributes"] = sent.md5_system
    if sent.deduplicated:
        out["MessageId"] = sent.message_id
        out["SequenceNumber"] = sent.sequence_number
        return out
    if sent.sequence_number is not None:
        out["SequenceNumber"] = sent.sequence_number
    out["MessageId"] = sent.message_id
    return out


def send_message(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    queue = queue_of(sqs, params, ctx)
    out = outgoing(queue, params)
    sent = sqs.send_message(
        queue,
        out.body,
        out.attributes,
        out.delay,
        out.dedup_id,
        out.group_id,
        system=out.system,
        sender=ctx.account,
    )
    _count_duplicates(ctx, 1 if sent.deduplicated else 0)
    return sent_answer(sent)


def _fifo_entry_check(queue: Queue) -> Callable[[dict], None] | None:
    """A FIFO queue's batch: every entry names its group, and its deduplication id unless the
    queue deduplicates by content (checked for the whole request, as AWS does)."""
    if not queue.fifo:
        return None
    needs_dedup = queue.attributes.get("ContentBasedDeduplication") != "true"

    def check(entry: dict) -> None:
        if needs_dedup and not entry.get("MessageDeduplicationId"):
            raise invalid(DEDUP_REQUIRED)
        if not entry.get("MessageGroupId"):
            raise invalid("The request must contain the parameter MessageGroupId.")

    return check


def send_message_batch(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    queue = queue_of(sqs, params, ctx)
    entries = batch_entries(params, "SendMessageBatch", _fifo_entry_check(queue))
    total = sum(entry_size(entry) for entry in entries)
    if total > qattrs.MAX_MESSAGE_SIZE:
        raise SQSError(
            "BatchRequestTooLong",
            f"Batch requests cannot be longer than {qattrs.MAX_MESSAGE_SIZE} bytes. You have "
            f"sent {total} bytes.",
        )
    results: list[Sent | SQSError | None] = []
    parsed: list[tuple[int, Outgoing]] = []
    for entry in entries:
        try:
            parsed.append((len(results), outgoing(queue, entry, batch=True)))
            results.append(None)  # filled in with what the backend answers
        except SQSError as err:
            results.append(err)
    stored = sqs.send_messages(queue, [out for _, out in parsed], sender=ctx.account)
    for (index, _), result in zip(parsed, stored, strict=True):
        results[index] = result
    return _batch_answer(ctx, entries, results)


def _batch_answer(ctx: Context, entries: list[dict], results: list) -> dict:
    """Successful and Failed in entry order (AWS's answer to SendMessageBatch)."""
    successful, failed, duplicates = [], [], 0
    for entry, result in zip(entries, results, strict=True):
        if isinstance(result, SQSError):
            failed.append(failure(entry["Id"], result))
            continue
        duplicates += result.deduplicated
        successful.append({"Id": entry["Id"], **sent_answer(result)})
    _count_duplicates(ctx, duplicates)
    out: dict = {"Successful": successful}
    if failed:
        out["Failed"] = failed
    return out


# --- receiving ------------------------------------------------------------------------------
def _ms(seconds: float) -> str:
    return str(int(seconds * 1000))


def _system_values(queue: Queue, msg: Message) -> dict[str, str]:
    values = {
        "SenderId": msg.sender_id,
        "SentTimestamp": _ms(msg.sent_at),
        "ApproximateReceiveCount": str(msg.receive_count),
        "ApproximateFirstReceiveTimestamp": _ms(msg.first_receive_at or msg.sent_at),
    }
    if msg.group_id is not None:
        values["MessageGroupId"] = msg.group_id
    if queue.fifo:
        values["MessageDeduplicationId"] = msg.dedup_id
        values["SequenceNumber"] = msg.sequence_number
    if "AWSTraceHeader" in msg.system_attributes:
        values["AWSTraceHeader"] = msg.system_attributes["AWSTraceHeader"]["StringValue"]
    if msg.dead_letter_source:
        values["DeadLetterQueueSourceArn"] = msg.dead_letter_source
    return values


def renderer(system: set[str], attr_names: list) -> Callable[[Queue, Message, str], dict]:
    """How a received message appears in AWS's answer, with the system attributes ``system``
    and the message attributes ``attr_names`` asked for."""

    def render(queue: Queue, msg: Message, receipt: str) -> dict:
        out = {
            "MessageId": msg.message_id,
            "ReceiptHandle": receipt,
            "MD5OfBody": msg.md5_body,
            "Body": msg.body,
        }
        if system:
            every = "All" in system
            values = _system_values(queue, msg)
            chosen = {k: v for k, v in values.items() if every or k in system}
            if chosen:
                out["Attributes"] = chosen
        selected = select_attributes(msg.attributes, attr_names)
        if selected:
            out["MessageAttributes"] = render_attributes(selected)
            out["MD5OfMessageAttributes"] = md5_of_attributes(selected)
        return out

    return render


def receive_message(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    limit = int_in(
        params, "MaxNumberOfMessages", 1, MAX_BATCH, "Must be between 1 and 10, if provided."
    )
    visibility = int_in(params, "VisibilityTimeout", 0, MAX_VISIBILITY, _VISIBILITY_RANGE)
    wait = int_in(params, "WaitTimeSeconds", 0, 20, "Must be >= 0 and <= 20, if provided.")
    attempt = get_str(params, "ReceiveRequestAttemptId", required=False)
    system_names = set(get_list(params, "AttributeNames"))
    system_names |= set(get_list(params, "MessageSystemAttributeNames"))
    attr_names = get_list(params, "MessageAttributeNames")
    queue = queue_of(sqs, params, ctx)  # after the parameter checks, as AWS validates first
    messages = sqs.receive_messages(
        queue,
        1 if limit is None else limit,
        visibility,
        wait,
        renderer(system_names, attr_names),
        attempt=attempt,
        client_gone=ctx.client_gone,
    )
    return {"Messages": messages} if messages else {}


# --- deleting and visibility ----------------------------------------------------------------
def _handle(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise missing("ReceiptHandle")
    return value


def _visibility(value: object) -> int:
    if value is None:
        raise missing("VisibilityTimeout")
    seconds = int_in(
        {"VisibilityTimeout": value}, "VisibilityTimeout", 0, MAX_VISIBILITY, _VISIBILITY_RANGE
    )
    assert seconds is not None
    return seconds


def delete_message(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    queue = queue_of(sqs, params, ctx)
    sqs.delete_message(queue, _handle(params.get("ReceiptHandle")))
    return {}


def delete_message_batch(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    queue = queue_of(sqs, params, ctx)
    return each_entry(
        batch_entries(params, "DeleteMessageBatch"),
        lambda entry: sqs.delete_message(queue, _handle(entry.get("ReceiptHandle"))),
    )


def _change(sqs: SQSBackend, queue: Queue, entry: dict) -> None:
    seconds = _visibility(entry.get("VisibilityTimeout"))
    sqs.change_visibility(queue, _handle(entry.get("ReceiptHandle")), seconds)


def change_message_visibility(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    queue = queue_of(sqs, params, ctx)
    _change(sqs, queue, params)
    return {}


def change_message_visibility_batch(sqs: SQSBackend, params: dict, ctx: Context) -> dict:
    queue = queue_of(sqs, params, ctx)
    return each_entry(
        batch_entries(params, "ChangeMessageVisibilityBatch"),
        lambda entry: _change(sqs, queue, entry),
    )
