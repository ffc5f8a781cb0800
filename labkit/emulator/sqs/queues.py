"""The two queue types, indexed so no receive scans the whole queue.

Every message is in one of three states (delayed, in flight, visible). Messages that are not
visible sit in a heap keyed by the time they become visible; `tick(now)` moves the due ones
over, lazily, at the start of each operation. Standard queues keep visible messages on several
simulated storage servers (shards) the way AWS spreads them; FIFO queues keep one ordered list
per message group, and a message never leaves its place until it is deleted, which is what
keeps redelivery in order.

Callers hold ``queue.cond`` (a Condition) around every method; long polls wait on it.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import os
import random
import threading
from collections import OrderedDict, deque

from labkit.emulator.sqs.attributes import parse_redrive_policy
from labkit.emulator.sqs.errors import SQSError
from labkit.emulator.sqs.messages import DELAYED, INFLIGHT, VISIBLE, Message

SHARDS = 8
DEDUP_WINDOW = 300.0
MAX_DEDUP_IDS = 100_000  # live deduplication ids a FIFO queue keeps (the lab's bound)
MAX_ATTEMPTS = 1_000  # remembered ReceiveRequestAttemptIds a FIFO queue keeps


def queue_rng(seed: int | None, name: str) -> random.Random:
    """A per-queue random source: reproducible from (server seed, queue name)."""
    if seed is None:
        return random.Random()
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


# The lab's budget where AWS has none: message bytes (bodies and attributes) one emulator
# holds in all its queues. 711 sends of 1 MiB grew it from 259 to 973 MB; at this budget its
# resident memory stays under 400 MB (docs/reliability.md). Past it a send gets `OverLimit`.
MAX_HELD_BYTES = 128 * 1024 * 1024


class ByteBudget:
    """Message bytes an emulator holds, against `MAX_HELD_BYTES`; shared by its queues."""

    def __init__(self, limit: int = MAX_HELD_BYTES) -> None:
        self.limit = limit
        self.held = 0
        self._lock = threading.Lock()

    def check(self, size: int) -> None:
        """OverLimit when ``size`` more bytes would pass the budget (checked by a send before
        it touches the queue; `Queue.add` then counts them)."""
        if self.held + size > self.limit:
            raise SQSError(
                "OverLimit",
                f"The emulator already holds {self.held // (1024 * 1024)} MiB of messages, "
                f"its lab budget is {self.limit // (1024 * 1024)} MiB (AWS has no such "
                "limit): receive and delete messages, purge a queue or reset the emulator.",
            )

    def take(self, size: int) -> None:
        with self._lock:
            self.held += size

    def give(self, size: int) -> None:
        with self._lock:
            self.held = max(0, self.held - size)


class Queue:
    fifo = False
    budget: ByteBudget | None = None  # set by the backend; None: nothing counted

    def __init__(self, name: str, arn: str, attributes: dict[str, str], created_at: float, rng):
        self.name = name
        self.arn = arn
        _, _, _, self.region, self.account, _ = arn.split(":", 5)
        # Names this queue in its receipt handles: a queue deleted and created again under the
        # same name refuses the old one's handles.
        self.token = os.urandom(9).hex()
        self.attributes = attributes
        self.tags: dict[str, str] = {}
        self.created_at = created_at
        self.modified_at = created_at
        self.rng = rng
        self.cond = threading.Condition()
        self.deleted = False
        self.last_purge: float | None = None
        self.duplicate_rate: float | None = None  # None: the server-wide rate applies
        self.messages: dict[int, Message] = {}
        self._pending: list[tuple[float, int, int]] = []  # (visible_at, key, version)
        self._expiry: list[tuple[float, int]] = []
        self.counts = {VISIBLE: 0, INFLIGHT: 0, DELAYED: 0}
        self._next_key = 0

    @property
    def key(self) -> tuple[str, str, str]:
        """(account, region, name): a queue name is unique within one account and region."""
        return (self.account, self.region, self.name)

    # --- attributes -------------------------------------------------------------------------
    def attr_int(self, name: str) -> int:
        return int(self.attributes[name])

    @property
    def redrive(self) -> tuple[str, int] | None:
        policy = self.attributes.get("RedrivePolicy")
        return parse_redrive_policy(policy) if policy else None

    # --- state bookkeeping ------------------------------------------------------------------
    def new_key(self) -> int:
        self._next_key += 1
        return self._next_key

    def _set_state(self, msg: Message, state: str) -> None:
        self.counts[msg.state] -= 1
        self.counts[state] += 1
        msg.state = state

    def _schedule(self, msg: Message, when: float) -> None:
        msg.version += 1
        msg.visible_at = when
        heapq.heappush(self._pending, (when, msg.key, msg.version))
        if self._pending[0][2] == msg.version and self._pending[0][1] == msg.key:
            # The earliest change now: long polls sleeping towards a later one must re-plan.
            self.cond.notify_all()

    def _hide_until(self, msg: Message, when: float, state: str) -> None:
        self._set_state(msg, state)
        self._schedule(msg, when)

    def add(self, msg: Message, now: float, delay: float) -> None:
        """Store a new message, delayed by ``delay`` seconds (its bytes counted)."""
        if self.budget is not None:
            self.budget.take(msg.size())
        self.messages[msg.key] = msg
        msg.state = DELAYED if delay > 0 else VISIBLE
        self.counts[msg.state] += 1
        heapq.heappush(self._expiry, (msg.expires_at, msg.key))
        if delay > 0:
            self._schedule(msg, now + delay)
        else:
            msg.visible_at = now
            self._on_visible(msg)

    def tick(self, now: float) -> None:
        """Make due messages visible and drop the ones past the retention period."""
        pending = self._pending
        while pending and pending[0][0] <= now:
            _, key, version = heapq.heappop(pending)
            msg = self.messages.get(key)
            if msg is not None and msg.version == version and msg.state != VISIBLE:
                self._set_state(msg, VISIBLE)
                self._on_visible(msg)
        expiry = self._expiry
        while expiry and expiry[0][0] <= now:
            _, key = heapq.heappop(expiry)
            msg = self.messages.get(key)
            if msg is not None and msg.expires_at <= now:
                self.remove(msg)

    def next_event(self) -> float | None:
        """Clock time of the next scheduled change of visibility (may be stale: early is fine)."""
        return self._pending[0][0] if self._pending else None

    def remove(self, msg: Message) -> None:
        if self.messages.pop(msg.key, None) is None:
            return
        if self.budget is not None:
            self.budget.give(msg.size())
        self.counts[msg.state] -= 1
        self._on_removed(msg)

    def deliver(self, msg: Message, now: float, visibility: int) -> None:
        """Mark ``msg`` received: count it and hide it for ``visibility`` seconds."""
        msg.receive_count += 1
        if msg.first_receive_at is None:
            msg.first_receive_at = now
        msg.received_at = now
        self._hide_until(msg, now + visibility, INFLIGHT)
        self._on_hidden(msg)

    def change_visibility(self, msg: Message, now: float, visibility: int) -> None:
        self._hide_until(msg, now + visibility, INFLIGHT)
        if visibility == 0:
            self.tick(now)

    def purge(self) -> None:
        for msg in list(self.messages.values()):
            self.remove(msg)

    # --- hooks for the queue types ----------------------------------------------------------
    def _on_visible(self, msg: Message) -> None:
        raise NotImplementedError

    def _on_hidden(self, msg: Message) -> None:
        raise NotImplementedError

    def _on_removed(self, msg: Message) -> None:
        raise NotImplementedError

    def take(self, now: float, limit: int, long_poll: bool) -> list[Message]:
        """Up to ``limit`` visible messages, not yet marked delivered."""
        raise NotImplementedError


class StandardQueue(Queue):
    """Messages spread over `SHARDS` simulated servers; order is best effort."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.shards: list[OrderedDict[int, Message]] = [OrderedDict() for _ in range(SHARDS)]

    def place(self, msg: Message) -> None:
        msg.shard = self.rng.randrange(SHARDS)

    def _on_visible(self, msg: Message) -> None:
        self.shards[msg.shard][msg.key] = msg

    def _on_hidden(self, msg: Message) -> None:
        self.shards[msg.shard].pop(msg.key, None)

    def _on_removed(self, msg: Message) -> None:
        self.shards[msg.shard].pop(msg.key, None)

    def _sampled_shards(self, long_poll: bool) -> list[OrderedDict[int, Message]]:
        order = list(range(SHARDS))
        self.rng.shuffle(order)
        if long_poll:
            return [self.shards[i] for i in order]
        # A short poll asks a weighted random half of the servers (fuller ones more likely).
        chosen: list[int] = []
        weights = [1 + len(self.shards[i]) for i in order]
        for _ in range(SHARDS // 2):
            pick = self.rng.choices(range(len(order)), weights=weights)[0]
            chosen.append(order.pop(pick))
            weights.pop(pick)
        return [self.shards[i] for i in chosen]

    def take(self, now: float, limit: int, long_poll: bool) -> list[Message]:
        # Servers answer in no particular order: take round-robin, one message from each.
        heads = [iter(s.values()) for s in self._sampled_shards(long_poll) if s]
        out: list[Message] = []
        while heads and len(out) < limit:
            for head in list(heads):
                msg = next(head, None)
                if msg is None:
                    heads.remove(head)
                    continue
                out.append(msg)
                if len(out) == limit:
                    break
        return out

    def duplicate(self, msg: Message) -> Message:
        """A second stored copy of ``msg`` on another server (at-least-once delivery)."""
        twin = Message(**{**msg.__dict__, "key": self.new_key(), "version": 0})
        twin.shard = (msg.shard + 1 + self.rng.randrange(SHARDS - 1)) % SHARDS
        twin.state = VISIBLE
        self.messages[twin.key] = twin
        self.counts[VISIBLE] += 1
        heapq.heappush(self._expiry, (twin.expires_at, twin.key))
        self._on_visible(twin)
        return twin


class Group:
    __slots__ = ("messages", "inflight")

    def __init__(self) -> None:
        self.messages: deque[Message] = deque()
        self.inflight: set[int] = set()


class FifoQueue(Queue):
    """One ordered list per message group; a group with a message in flight is blocked."""

    fifo = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.groups: OrderedDict[str, Group] = OrderedDict()
        self._dedup: dict[tuple[str, str], tuple[float, str, str]] = {}
        self._dedup_order: deque[tuple[float, tuple[str, str]]] = deque()
        self._sequence = 0
        # Insertion order is expiry order: expired attempts leave from the front, O(1) a call
        # (34,093 fresh attempt ids used to stay for ever: 28 -> 185 MB).
        self._attempts: OrderedDict[str, tuple[float, list[tuple[int, int]], list[dict]]] = (
            OrderedDict()
        )

    def next_sequence_number(self) -> str:
        """A 20-digit, increasing sequence number, as AWS prints them."""
        self._sequence += 1
        return f"{18_000_000_000_000_000_000 + self._sequence * 1_000:020d}"

    def dedup_key(self, group_id: str, dedup_id: str) -> tuple[str, str]:
        scope = self.attributes.get("DeduplicationScope", "queue")
        return (group_id if scope == "messageGroup" else "", dedup_id)

    def seen(self, key: tuple[str, str], now: float) -> tuple[str, str] | None:
        """(MessageId, SequenceNumber) of an earlier send inside the 5 minute window."""
        order = self._dedup_order
        while order and order[0][0] <= now:
            _, old = order.popleft()
            entry = self._dedup.get(old)
            if entry is not None and entry[0] <= now:
                del self._dedup[old]
        entry = self._dedup.get(key)
        if entry is None or entry[0] <= now:
            return None
        return entry[1], entry[2]

    def remember(self, key: tuple[str, str], now: float, message_id: str, seq: str) -> None:
        """Keep a deduplication id for five minutes; `RequestThrottled` when the queue already
        holds `MAX_DEDUP_IDS` live ones (the lab's bound: AWS's 3,000 batched sends a second
        would be 900,000 in five minutes)."""
        if len(self._dedup) >= MAX_DEDUP_IDS:
            raise SQSError(
                "RequestThrottled",
                f"Rate exceeded: the queue holds {MAX_DEDUP_IDS} deduplication ids of the last "
                "five minutes; send more slowly.",
                status=403,
                code="RequestThrottled",
            )
        expires = now + DEDUP_WINDOW
        self._dedup[key] = (expires, message_id, seq)
        self._dedup_order.append((expires, key))

    def _expire_attempts(self, now: float) -> None:
        attempts = self._attempts
        while attempts and next(iter(attempts.values()))[0] <= now:
            attempts.popitem(last=False)

    def remember_attempt(
        self, attempt: str, now: float, messages: list[Message], rendered: list[dict]
    ) -> None:
        """Keep a receive's answer for five minutes (AWS: an attempt id expires after five
        minutes) so a retry with the same ReceiveRequestAttemptId gets it; at most
        `MAX_ATTEMPTS` are kept, the oldest going first (only its retry would then receive
        afresh)."""
        self._expire_attempts(now)
        taken = [(m.key, m.version) for m in messages if m.state == INFLIGHT]
        self._attempts.pop(attempt, None)
        self._attempts[attempt] = (now + DEDUP_WINDOW, taken, rendered)
        while len(self._attempts) > MAX_ATTEMPTS:
            self._attempts.popitem(last=False)

    def repeat_attempt(self, attempt: str, now: float) -> list[dict] | None:
        """The earlier answer, if none of its messages was deleted or changed visibility since."""
        self._expire_attempts(now)
        entry = self._attempts.get(attempt)
        if entry is None:
            return None
        expires, taken, rendered = entry
        unchanged = all(
            (msg := self.messages.get(key)) is not None
            and msg.version == version
            and msg.state == INFLIGHT
            for key, version in taken
        )
        if expires <= now or not unchanged:
            del self._attempts[attempt]
            return None
        return rendered

    def forget_dedup(self) -> None:
        """Forget deduplication ids and remembered receive attempts (an emptied queue)."""
        self._dedup.clear()
        self._dedup_order.clear()
        self._attempts.clear()

    def add(self, msg: Message, now: float, delay: float) -> None:
        self.groups.setdefault(msg.group_id, Group()).messages.append(msg)
        super().add(msg, now, delay)

    def _on_visible(self, msg: Message) -> None:
        group = self.groups.get(msg.group_id)
        if group is not None:
            group.inflight.discard(msg.key)

    def _on_hidden(self, msg: Message) -> None:
        self.groups[msg.group_id].inflight.add(msg.key)

    def _on_removed(self, msg: Message) -> None:
        group = self.groups.get(msg.group_id)
        if group is None:
            return
        group.inflight.discard(msg.key)
        if group.messages and group.messages[0] is msg:
            group.messages.popleft()
        else:
            with contextlib.suppress(ValueError):
                group.messages.remove(msg)
        if not group.messages:
            del self.groups[msg.group_id]

    def take(self, now: float, limit: int, long_poll: bool) -> list[Message]:
        out: list[Message] = []
        for group in self.groups.values():
            if group.inflight:
                continue  # strict order: nothing more from a group with a message in flight
            for msg in group.messages:
                if msg.state != VISIBLE:
                    break
                out.append(msg)
                if len(out) == limit:
                    return out
        return out
