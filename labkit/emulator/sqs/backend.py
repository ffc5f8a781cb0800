"""The SQS backend: every queue of one emulator, keyed by (account, region, name), and the
typed operations on them.

The actions (`actions.py`) parse a request and shape AWS's answer; everything that reads or
changes a queue or a message goes through a method here, so a rule (or a record of what
happened) is added in one place. Per-queue locks: each queue's ``cond`` guards its messages,
and a long poll waits on it (woken by a send, a visibility change or the clock moving). The
message operations live in `message_ops.py`, the lab's own controls in `lab_controls.py`; this
module holds the stores and the queue operations.
"""

from __future__ import annotations

import threading

from labkit.emulator.accounts import DEFAULT_ACCOUNT
from labkit.emulator.clock import Clock
from labkit.emulator.sqs import attributes as qattrs
from labkit.emulator.sqs.errors import SQSError, invalid, invalid_value, no_queue
from labkit.emulator.sqs.lab_controls import LabControls
from labkit.emulator.sqs.message_ops import MessageOps, Outgoing, Sent
from labkit.emulator.sqs.permissions import add_statement, remove_statement
from labkit.emulator.sqs.queues import ByteBudget, FifoQueue, Queue, StandardQueue, queue_rng
from labkit.emulator.sqs.urls import queue_location

ACCOUNT = DEFAULT_ACCOUNT  # the class account: the CLI's and tutors' (see accounts.py)
MAX_TAGS = 50
PURGE_INTERVAL = 60.0

QueueKey = tuple[str, str, str]  # (account, region, name): AWS scopes a queue name to both

__all__ = ["ACCOUNT", "Outgoing", "SQSBackend", "Sent", "check_tags", "queue_location"]


def check_tags(tags: dict[str, str], queue_name: str) -> None:
    """AWS's tag limits: at most 50 per queue, keys of 1 to 128 characters, values up to 256."""
    if len(tags) > MAX_TAGS:
        raise invalid(f"Too many tags added for queue {queue_name}.")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128:
            raise invalid("Tag keys must be between 1 and 128 characters in length.")
        if len(value) > 256:
            raise invalid("Tag values must be at most 256 characters in length.")


class SQSBackend(MessageOps, LabControls):
    """All queues of one emulator (every account and region), and the operations on them."""

    def __init__(self, clock: Clock | None = None, seed: int | None = None) -> None:
        self.clock = clock or Clock()
        self.seed = seed
        self.duplicate_rate = 0.0
        self._queues: dict[QueueKey, Queue] = {}
        self._lock = threading.Lock()
        self._issued: dict[QueueKey, int] = {}  # MessageIds issued per queue; never reset
        self._issued_lock = threading.Lock()
        self._offsets: dict[str, float] = {}  # an account's own clock offset (advance_account)
        self._seeds: dict[str, int] = {}  # an account's own seed (configure(account=...))
        self._rates: dict[str, float] = {}  # an account's own duplicate rate
        self.budget = ByteBudget()  # message bytes held in all queues (the lab's budget)
        self.clock.on_advance(self.wake_all)

    def now(self, account: str = ACCOUNT) -> float:
        """The clock as ``account`` sees it: the shared clock plus the account's own offset."""
        return self.clock.now() + self._offsets.get(account, 0.0)

    # --- lookups ----------------------------------------------------------------------------
    def find(self, account: str, region: str, name: str) -> Queue | None:
        """The queue ``name`` of ``account`` in ``region``, if it exists."""
        return self._queues.get((account, region, name))

    def queue(self, account: str, region: str, name: str) -> Queue:
        """The queue ``name`` of ``account`` in ``region``; QueueDoesNotExist when there is none."""
        queue = self._queues.get((account, region, name))
        if queue is None:
            raise no_queue()
        return queue

    def queue_by_arn(self, arn: str) -> Queue | None:
        """The queue an ARN (``arn:aws:sqs:REGION:ACCOUNT:NAME``) names, if it exists."""
        parts = arn.split(":")
        if len(parts) != 6:
            return None
        queue = self._queues.get((parts[4], parts[3], parts[5]))
        return queue if queue is not None and queue.arn == arn else None

    def queue_names(self, account: str, region: str, prefix: str = "") -> list[str]:
        """Names of ``account``'s queues in ``region`` starting with ``prefix``, sorted."""
        return sorted(
            name
            for owner, where, name in list(self._queues)
            if owner == account and where == region and name.startswith(prefix)
        )

    def dead_letter_sources(self, target: Queue) -> list[str]:
        """Names of the queues (same account and region) whose redrive policy names ``target``."""
        names = []
        for queue in sorted(list(self._queues.values()), key=lambda q: q.name):
            if (queue.account, queue.region) != (target.account, target.region):
                continue
            redrive = queue.redrive
            if redrive and redrive[0] == target.arn:
                names.append(queue.name)
        return names

    # --- queues -----------------------------------------------------------------------------
    def check_redrive(
        self,
        given: dict[str, str],
        written: object,
        fifo: bool,
        account: str,
        region: str,
        source: str | None = None,
    ) -> None:
        """A RedrivePolicy's dead-letter queue exists, in the same account and region, is of
        the same type and is not the ``source`` queue itself (which spun a long poll at full
        CPU and never delivered); the error echoes the policy as the caller ``written`` it."""
        if not given.get("RedrivePolicy"):
            return
        arn, _ = qattrs.parse_redrive_policy(given["RedrivePolicy"])
        if arn == source:
            raise invalid_value(
                "RedrivePolicy", written, "A queue cannot be its own dead-letter queue."
            )
        target = self.queue_by_arn(arn)
        if target is None or (target.account, target.region) != (account, region):
            raise invalid_value("RedrivePolicy", written, "Dead letter target does not exist.")
        if target.fifo != fifo:
            raise invalid_value(
                "RedrivePolicy",
                written,
                "Dead-letter queue must be same type of queue as the source.",
            )

    def create_queue(
        self,
        account: str,
        region: str,
        name: str,
        fifo: bool,
        attributes: dict[str, str],
        tags: dict[str, str],
    ) -> Queue:
        """The new queue; the existing one when its attributes match ``attributes`` (checked
        by `qattrs.normalise`), QueueNameExists when they differ."""
        with self._lock:
            existing = self._queues.get((account, region, name))
            if existing is not None:
                for key, value in attributes.items():
                    if existing.attributes.get(key, "") != value:
                        raise SQSError(
                            "QueueNameExists",
                            f"A queue already exists with the same name and a different value "
                            f"for attribute {key}",
                        )
                return existing
            attrs = dict(qattrs.DEFAULTS)
            if fifo:
                attrs.update(qattrs.FIFO_DEFAULTS)
            attrs.update({k: v for k, v in attributes.items() if v != ""})
            arn = f"arn:aws:sqs:{region}:{account}:{name}"
            cls = FifoQueue if fifo else StandardQueue
            seed = self._seeds.get(account, self.seed)
            queue = cls(name, arn, attrs, self.now(account), queue_rng(seed, name))
            queue.tags = dict(tags)
            queue.budget = self.budget
            self._queues[queue.key] = queue
        return queue

    def delete_queue(self, queue: Queue) -> None:
        """Forget ``queue``; its waiting long polls end."""
        with self._lock:
            if self._queues.get(queue.key) is queue:
                del self._queues[queue.key]
        with queue.cond:
            queue.deleted = True
            queue.purge()  # its bytes leave the budget
            queue.cond.notify_all()

    def queue_attributes(self, queue: Queue, names: list[str]) -> dict[str, str]:
        """The attributes ``names`` (or ``All``) of ``queue``, counts included; empty ones left out."""
        now = self.now(queue.account)
        with queue.cond:
            queue.tick(now)
            values = dict(queue.attributes)
            values.update(
                {
                    "QueueArn": queue.arn,
                    "ApproximateNumberOfMessages": str(queue.counts["visible"]),
                    "ApproximateNumberOfMessagesNotVisible": str(queue.counts["inflight"]),
                    "ApproximateNumberOfMessagesDelayed": str(queue.counts["delayed"]),
                    "CreatedTimestamp": str(int(queue.created_at)),
                    "LastModifiedTimestamp": str(int(queue.modified_at)),
                }
            )
        if "All" in names:
            return {k: v for k, v in values.items() if v != ""}
        return {n: values[n] for n in names if values.get(n, "") != ""}

    def set_queue_attributes(self, queue: Queue, given: dict[str, str]) -> None:
        """Apply normalised attributes; an empty value drops an attribute without a default."""
        with queue.cond:
            queue.attributes.update(given)
            for key, value in given.items():
                if value == "" and key not in qattrs.DEFAULTS:
                    queue.attributes.pop(key, None)
            queue.modified_at = self.now(queue.account)
            queue.cond.notify_all()

    def purge_queue(self, queue: Queue) -> None:
        """Drop every message; PurgeQueueInProgress within 60 s of the previous purge."""
        now = self.now(queue.account)
        with queue.cond:
            if queue.last_purge is not None and now - queue.last_purge < PURGE_INTERVAL:
                raise SQSError(
                    "PurgeQueueInProgress",
                    f"Only one PurgeQueue operation on {queue.name} is allowed every 60 seconds.",
                )
            queue.last_purge = now
            queue.purge()

    def tag_queue(self, queue: Queue, tags: dict[str, str]) -> None:
        with queue.cond:
            check_tags({**queue.tags, **tags}, queue.name)
            queue.tags.update(tags)

    def untag_queue(self, queue: Queue, keys: list[str]) -> None:
        with queue.cond:
            for key in keys:
                queue.tags.pop(key, None)

    def tags_of(self, queue: Queue) -> dict[str, str]:
        return dict(queue.tags)

    def add_permission(
        self, queue: Queue, label: str, accounts: list[str], actions: list[str]
    ) -> None:
        """Add a statement ``label`` to the queue's policy (AddPermission's rules)."""
        with queue.cond:
            policy = add_statement(
                queue.attributes.get("Policy"), queue.arn, label, accounts, actions
            )
            queue.attributes["Policy"] = policy

    def remove_permission(self, queue: Queue, label: str) -> None:
        """Drop statement ``label``; a policy left empty goes."""
        with queue.cond:
            policy = remove_statement(queue.attributes.get("Policy"), queue.arn, label)
            if policy:
                queue.attributes["Policy"] = policy
            else:
                queue.attributes.pop("Policy", None)
