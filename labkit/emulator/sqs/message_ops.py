"""The SQS backend's message operations: send, receive, delete, change visibility, dead-letter.

Every change of a message's state happens in a method here, under its queue's lock, so a rule
or a record of what happened is added in one place. A long poll waits on its queue's condition
variable (woken by a send, a visibility change or the clock moving) and never polls. Mixed into
`backend.SQSBackend`, which holds the stores.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from labkit.emulator.accounts import DEFAULT_ACCOUNT
from labkit.emulator.clock import Clock
from labkit.emulator.sqs.digests import md5_of_attributes, md5_of_body
from labkit.emulator.sqs.errors import SQSError, invalid, invalid_value, missing, no_queue
from labkit.emulator.sqs.messages import (
    INFLIGHT,
    Message,
    check_ids,
    check_size,
    check_text,
    parse_attributes,
)
from labkit.emulator.sqs.queues import FifoQueue, Queue, StandardQueue

MAX_VISIBILITY = 43_200  # 12 hours, counted from the receive
DEDUP_REQUIRED = (
    "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId "
    "provided explicitly"
)
# How the actions turn a message handed out into AWS's answer: (queue, message, receipt handle).
Render = Callable[[Queue, Message, str], dict]


@dataclass(slots=True)
class Outgoing:
    """One message to send, its wire parameters already parsed (what a batch entry carries)."""

    body: str
    attributes: dict[str, dict] = field(default_factory=dict)  # parsed: BinaryValue decoded
    delay: int | None = None  # None: the queue's DelaySeconds
    dedup_id: str | None = None
    group_id: str | None = None
    system: dict[str, dict] = field(default_factory=dict)  # AWSTraceHeader only


@dataclass(slots=True)
class Sent:
    """What a send stored; ``deduplicated`` when a FIFO queue had it already (the ids are the
    first send's)."""

    message_id: str
    md5_body: str
    md5_attributes: str | None
    md5_system: str | None
    sequence_number: str | None
    deduplicated: bool = False


class MessageOps:
    """Send, receive, delete and change visibility; needs `SQSBackend`'s stores and clock."""

    clock: Clock
    duplicate_rate: float
    _rates: dict[str, float]
    _issued: dict[tuple[str, str, str], int]
    _issued_lock: threading.Lock

    def now(self, account: str = DEFAULT_ACCOUNT) -> float:  # pragma: no cover - SQSBackend's
        raise NotImplementedError

    def queue_by_arn(self, arn: str) -> Queue | None:  # pragma: no cover - SQSBackend's
        raise NotImplementedError

    # --- sending ----------------------------------------------------------------------------
    def send_message(
        self,
        queue: Queue,
        body: str,
        attributes: dict[str, dict] | None = None,
        delay: int | None = None,
        dedup_id: str | None = None,
        group_id: str | None = None,
        *,
        system: dict[str, dict] | None = None,
        sender: str = DEFAULT_ACCOUNT,
    ) -> Sent:
        """Store one message whose parameters passed the wire checks; the queue's own rules
        (FIFO group and deduplication ids, no per-message delay on FIFO) raise SQSError."""
        now = self.now(queue.account)
        msg, delay = self._prepare(
            queue, body, attributes or {}, delay, dedup_id, group_id, system or {}, sender, now
        )
        with queue.cond:
            if queue.deleted:
                raise no_queue()
            sent = self._store(queue, msg, delay, now)
            queue.cond.notify()
        return sent

    def send_messages(
        self, queue: Queue, batch: list[Outgoing], sender: str = DEFAULT_ACCOUNT
    ) -> list[Sent | SQSError]:
        """Store a batch at once (one lock, one wake-up); per entry what was stored or why not."""
        now = self.now(queue.account)
        results: list[Sent | SQSError | None] = []
        prepared = []
        for outgoing in batch:
            try:
                msg, delay = self._prepare(
                    queue,
                    outgoing.body,
                    outgoing.attributes,
                    outgoing.delay,
                    outgoing.dedup_id,
                    outgoing.group_id,
                    outgoing.system,
                    sender,
                    now,
                )
            except SQSError as err:
                results.append(err)
                continue
            prepared.append((len(results), msg, delay))
            results.append(None)  # filled in below, once stored
        with queue.cond:
            if queue.deleted:
                raise no_queue()
            for index, msg, delay in prepared:
                results[index] = self._store(queue, msg, delay, now)
            queue.cond.notify(len(prepared))
        return results  # type: ignore[return-value] - every None was filled in

    def deliver(
        self,
        queue_arn: str,
        body: str,
        attributes: Mapping[str, Mapping[str, str]] | None = None,
        group_id: str | None = None,
        dedup_id: str | None = None,
        *,
        sender: str | None = None,
    ) -> Sent:
        """Another service's delivery into the queue ``queue_arn`` (SNS: one message to one
        subscribed queue). ``attributes`` in AWS's wire shape (``{"DataType", "StringValue" |
        "BinaryValue" (base64)}``). Checked as a SendMessage with these parameters is, in the
        same order; SQSError when the queue does not exist or refuses the message. ``sender``
        (the SenderId) defaults to the queue's own account."""
        queue = self.queue_by_arn(queue_arn)
        if queue is None:
            raise no_queue()
        if body == "":
            raise missing("MessageBody")
        parsed = parse_attributes(attributes)
        check_size(body, parsed, queue.attr_int("MaximumMessageSize"))
        check_text(body)
        check_ids(group_id, dedup_id)
        return self.send_message(
            queue, body, parsed, None, dedup_id, group_id, sender=sender or queue.account
        )

    @staticmethod
    def _prepare(
        queue: Queue,
        body: str,
        attributes: dict[str, dict],
        delay: int | None,
        dedup: str | None,
        group: str | None,
        system: dict[str, dict],
        sender: str,
        now: float,
    ) -> tuple[Message, int]:
        """The queue's own rules for one send, in AWS's order; (message, delay) to store."""
        if queue.fifo:
            if delay:  # an explicit 0 is accepted; FIFO queues delay per queue only
                raise invalid_value(
                    "DelaySeconds",
                    delay,
                    "The request include parameter that is not valid for this queue type.",
                )
            delay = None
            if group is None:
                raise missing("MessageGroupId")
            if dedup is None:
                if queue.attributes.get("ContentBasedDeduplication") != "true":
                    raise invalid(DEDUP_REQUIRED)
                dedup = hashlib.sha256(body.encode("utf-8")).hexdigest()
        elif dedup is not None:
            raise invalid_value(
                "MessageDeduplicationId",
                dedup,
                "The request includes a parameter that is not valid for this queue type.",
            )
        msg = Message(
            key=0,
            message_id="",
            body=body,
            attributes=attributes,
            md5_body=md5_of_body(body),
            md5_attributes=md5_of_attributes(attributes),
            sent_at=now,
            expires_at=now + queue.attr_int("MessageRetentionPeriod"),
            sender_id=sender,
            system_attributes=system,
            group_id=group,
            dedup_id=dedup,
        )
        return msg, queue.attr_int("DelaySeconds") if delay is None else delay

    def _store(self, queue: Queue, msg: Message, delay: int, now: float) -> Sent:
        """Store a prepared message (caller holds the queue's lock) and give it its ids; a
        FIFO queue that saw its deduplication id in the window keeps the first send instead."""
        system_md5 = md5_of_attributes(msg.system_attributes) if msg.system_attributes else None
        if isinstance(queue, FifoQueue):
            key = queue.dedup_key(msg.group_id, msg.dedup_id)
            earlier = queue.seen(key, now)
            if earlier is not None:
                return Sent(
                    earlier[0], msg.md5_body, msg.md5_attributes, system_md5, earlier[1], True
                )
        if queue.budget is not None:
            queue.budget.check(msg.size())  # OverLimit before the queue is touched
        if isinstance(queue, FifoQueue):
            msg.sequence_number = queue.next_sequence_number()
        msg.key = queue.new_key()
        msg.message_id = self._message_id(queue)
        if isinstance(queue, FifoQueue):
            queue.remember(key, now, msg.message_id, msg.sequence_number)
        else:
            queue.place(msg)
        queue.add(msg, now, delay)
        return Sent(
            msg.message_id, msg.md5_body, msg.md5_attributes, system_md5, msg.sequence_number
        )

    def _message_id(self, queue: Queue) -> str:
        """A MessageId that a fresh emulator reproduces from its seed, yet never repeats while
        it runs: the seeded draw is mixed with how many ids this queue name has had, a count
        that survives re-seeding, ``reset`` and re-creating the queue (a lesson re-run would
        otherwise reuse its previous run's ids and collide with leftovers)."""
        draw = queue.rng.getrandbits(128)
        with self._issued_lock:
            count = self._issued.get(queue.key, 0)
            self._issued[queue.key] = count + 1
        scope = "" if queue.account == DEFAULT_ACCOUNT else f"{queue.account}\n"
        raw = f"{scope}{queue.name}\n{count}\n{draw}".encode()
        return str(uuid.UUID(bytes=hashlib.blake2b(raw, digest_size=16).digest(), version=4))

    # --- receiving --------------------------------------------------------------------------
    def receive_messages(
        self,
        queue: Queue,
        limit: int,
        visibility: int | None,
        wait: int | None,
        render: Render,
        attempt: str | None = None,
        client_gone: Callable[[], bool] = lambda: False,
    ) -> list[dict]:
        """Hand out up to ``limit`` messages, each rendered by ``render`` under the queue's
        lock; waits up to ``wait`` seconds (None: the queue's ReceiveMessageWaitTimeSeconds)
        for one. Messages past the redrive policy's maxReceiveCount go to the dead-letter
        queue instead. A FIFO retry with the same ``attempt`` id gets the earlier answer."""
        if wait is None:
            wait = queue.attr_int("ReceiveMessageWaitTimeSeconds")
        if visibility is None:
            visibility = queue.attr_int("VisibilityTimeout")
        if attempt is not None and isinstance(queue, FifoQueue):
            with queue.cond:
                queue.tick(self.now(queue.account))
                repeat = queue.repeat_attempt(attempt, self.now(queue.account))
            if repeat is not None:
                return repeat
        deadline = time.monotonic() + wait
        while True:
            rendered, moved, redrive = self._take_or_wait(
                queue, limit, visibility, wait, render, attempt, deadline, client_gone
            )
            if moved:
                self._dead_letter(queue, redrive[0], moved)
            if rendered or not moved or time.monotonic() >= deadline:
                return rendered

    def _take_or_wait(
        self,
        queue: Queue,
        limit: int,
        visibility: int,
        wait: int,
        render: Render,
        attempt: str | None,
        deadline: float,
        client_gone: Callable[[], bool],
    ) -> tuple[list[dict], list[Message], tuple[str, int] | None]:
        """One turn under the queue's lock: (rendered, messages for the dead-letter queue, the
        redrive policy), waiting on the condition variable until something is due."""
        moved: list[Message] = []
        rendered: list[dict] = []
        redrive = None
        with queue.cond:
            while not queue.deleted:
                now = self.now(queue.account)
                queue.tick(now)
                picked = queue.take(now, limit, long_poll=wait > 0)
                redrive = queue.redrive
                for msg in picked:
                    if redrive and msg.receive_count >= redrive[1]:
                        queue.remove(msg)
                        moved.append(msg)
                        continue
                    rendered.append(self._hand_out(queue, msg, now, visibility, render))
                if rendered or moved:
                    if rendered and attempt is not None and isinstance(queue, FifoQueue):
                        queue.remember_attempt(attempt, now, picked, rendered)
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                upcoming = queue.next_event()
                if upcoming is not None:
                    remaining = min(remaining, max(upcoming - now, 0.0) + 0.001)
                queue.cond.wait(remaining)
                if client_gone():
                    # A long poll whose caller left takes nothing (it would be lost), and
                    # hands the wake-up it may have received to the next waiting poll.
                    queue.cond.notify()
                    break
        return rendered, moved, redrive

    def _hand_out(
        self, queue: Queue, msg: Message, now: float, visibility: int, render: Render
    ) -> dict:
        """Deliver ``msg`` (in flight for ``visibility`` seconds), rendered; a standard queue
        may leave a duplicate behind at the configured rate."""
        queue.deliver(msg, now, visibility)
        out = render(queue, msg, self._receipt(queue, msg))
        rate = queue.duplicate_rate
        if rate is None:
            rate = self._rates.get(queue.account, self.duplicate_rate)
        if rate and isinstance(queue, StandardQueue) and queue.rng.random() < rate:
            queue.duplicate(msg)
        return out

    def _dead_letter(self, source: Queue, arn: str, moved: list[Message]) -> None:
        """Move messages past maxReceiveCount to the dead-letter queue, keeping their ids."""
        target = self.queue_by_arn(arn)
        if target is None:
            return  # AWS keeps them too, but we cannot: the target is gone
        now = self.now(target.account)
        with target.cond:
            for msg in moved:
                msg.key = target.new_key()
                msg.receive_count = 0 if target.fifo else msg.receive_count
                msg.dead_letter_source = source.arn
                msg.version = 0
                if target.fifo:
                    # FIFO: the retention clock restarts and a new sequence number is issued.
                    msg.expires_at = now + target.attr_int("MessageRetentionPeriod")
                    msg.sequence_number = target.next_sequence_number()
                else:
                    target.place(msg)
                target.add(msg, now, 0)
            target.cond.notify(len(moved))

    # --- receipt handles, deleting and visibility -------------------------------------------
    @staticmethod
    def _receipt(queue: Queue, msg: Message) -> str:
        """A handle naming this queue (its instance), the message, this receive, and noise."""
        raw = f"{queue.token}\n{msg.key}\n{msg.receive_count}\n{os.urandom(12).hex()}"
        return base64.urlsafe_b64encode(raw.encode()).decode("ascii")

    @staticmethod
    def _resolve(queue: Queue, handle: str) -> tuple[Message | None, bool]:
        """(message or None if gone, whether the handle is the latest one for it)."""
        try:
            raw = base64.urlsafe_b64decode(handle.encode("ascii")).decode("utf-8")
            token, key, count, _ = raw.split("\n")
            key, count = int(key), int(count)
        except (ValueError, UnicodeError):
            raise SQSError(
                "ReceiptHandleIsInvalid",
                f'The input receipt handle "{handle}" is not a valid receipt handle.',
            ) from None
        if token != queue.token:
            raise SQSError(
                "ReceiptHandleIsInvalid",
                f'The receipt handle "{handle}" is not valid for this queue.',
            )
        msg = queue.messages.get(key)
        if msg is None:
            return None, False
        return msg, msg.receive_count == count

    def delete_message(self, queue: Queue, handle: str) -> None:
        """Delete the message ``handle`` names. Already deleted: success, as on AWS. FIFO: the
        handle must be the latest and its visibility timeout still running."""
        with queue.cond:
            queue.tick(self.now(queue.account))
            msg, latest = self._resolve(queue, handle)
            if msg is None:
                return  # already deleted: AWS answers success
            if queue.fifo and (not latest or msg.state != INFLIGHT):
                # FIFO: a handle is good while its receive's visibility timeout lasts
                raise invalid_value("ReceiptHandle", handle, "The receipt handle has expired.")
            # Standard: an outdated receipt handle "succeeds, but the message might not be
            # deleted" (it is not); the latest one deletes, in flight or not.
            if latest:
                queue.remove(msg)
                if queue.fifo:
                    queue.cond.notify()  # the group may be unblocked

    def change_visibility(self, queue: Queue, handle: str, seconds: int) -> None:
        """Make the message ``handle`` names visible ``seconds`` from now (0: at once); a
        message no longer in flight is left alone; at most 12 hours from its receive."""
        with queue.cond:
            now = self.now(queue.account)
            queue.tick(now)
            msg, latest = self._resolve(queue, handle)
            if msg is None or not latest:
                raise invalid_value(
                    "ReceiptHandle",
                    handle,
                    "Message does not exist or is not available for visibility timeout change.",
                )
            if msg.state != INFLIGHT:
                return  # its timeout already ended: AWS answers success and changes nothing
            if now + seconds - msg.received_at > MAX_VISIBILITY:
                raise invalid_value(
                    "VisibilityTimeout",
                    seconds,
                    f"Total VisibilityTimeout for the message is beyond the limit "
                    f"[{MAX_VISIBILITY} seconds]",
                )
            queue.change_visibility(msg, now, seconds)
            queue.cond.notify()
