"""The SQS actions: request parameters in, response dict out, errors as `SQSError`.

Transport-free (the HTTP server in `server.py` only decodes and encodes), so the rules read
in one place. Per-queue locks; a long poll waits on its queue's condition variable and is
woken by a send, a visibility change or the clock moving.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from labkit.sqs import attributes as qattrs
from labkit.sqs.accounts import DEFAULT_ACCOUNT, DEFAULT_REGION, Caller, is_account_id
from labkit.sqs.clock import Clock
from labkit.sqs.digests import md5_of_attributes, md5_of_body
from labkit.sqs.errors import SQSError, invalid, missing, no_queue
from labkit.sqs.messages import (
    INFLIGHT,
    Message,
    check_text,
    parse_attributes,
    render_attributes,
    select_attributes,
)
from labkit.sqs.queues import FifoQueue, Queue, StandardQueue, queue_rng

ACCOUNT = DEFAULT_ACCOUNT  # the class account: the CLI's and tutors' (see accounts.py)
MAX_BATCH = 10
PURGE_INTERVAL = 60.0
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_GROUP_ID = re.compile(r"^[!-~]{1,128}$")  # printable ASCII, AWS's rule for group/dedup ids
SYSTEM_ATTRIBUTES = {
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
}


@dataclass
class Context:
    """What a request says about its caller: the URL it used, its account, region and key id."""

    base_url: str
    account: str = DEFAULT_ACCOUNT
    region: str = DEFAULT_REGION
    access_key: str = ""
    client_gone: Callable[[], bool] = lambda: False  # the HTTP layer says if the caller hung up

    @classmethod
    def of(cls, base_url: str, caller: Caller, **kwargs) -> Context:
        return cls(base_url, caller.account, caller.region, caller.access_key, **kwargs)


QueueKey = tuple[str, str, str]  # (account, region, name): AWS scopes a queue name to both


def queue_location(url: str, ctx: Context) -> tuple[str, str]:
    """(account, name) a QueueUrl points at; a bare name means the caller's own account."""
    path = url.split("://", 1)[1] if "://" in url else url
    parts = [part for part in path.split("?", 1)[0].split("/") if part]
    if "://" in url:
        parts = parts[1:]  # the host
    name = parts[-1] if parts else ""
    account = parts[-2] if len(parts) >= 2 and is_account_id(parts[-2]) else ctx.account
    return account, name


def _ms(seconds: float) -> str:
    return str(int(seconds * 1000))


def _get_int(
    params: dict, name: str, low: int, high: int, default: int | None = None
) -> int | None:
    value = params.get(name)
    if value is None:
        return default
    if isinstance(value, str) and value.lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(
            f"Value {value!r} for parameter {name} is invalid. Reason: must be an integer."
        )
    if not low <= value <= high:
        raise invalid(
            f"Value {value} for parameter {name} is invalid. Reason: must be between {low} and {high}."
        )
    return value


def _get_str(params: dict, name: str, required: bool = True) -> str | None:
    value = params.get(name)
    if value is None:
        if required:
            raise missing(name)
        return None
    if not isinstance(value, str):
        raise invalid(f"Value for parameter {name} is invalid. Reason: must be a string.")
    return value


def _get_list(params: dict, name: str) -> list[str]:
    """A list-of-strings parameter (attribute names, tag keys); anything else is a 400."""
    value = params.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid(f"Value for parameter {name} is invalid. Reason: must be a list of strings.")
    return value


class SQSService:
    """All queues of one emulator, and the actions on them."""

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
        self.clock.on_advance(self.wake_all)

    def now(self, account: str = ACCOUNT) -> float:
        """The clock as ``account`` sees it: the shared clock plus the account's own offset."""
        return self.clock.now() + self._offsets.get(account, 0.0)

    # --- admin ------------------------------------------------------------------------------
    def wake_all(self, account: str | None = None) -> None:
        for queue in list(self._queues.values()):
            if account is None or queue.account == account:
                with queue.cond:
                    queue.cond.notify_all()

    def advance_account(self, account: str, seconds: float) -> dict:
        """Move one account's clock forward (its delays, timeouts, dedup windows expire as if
        ``seconds`` had passed); other accounts' time is untouched. Waiting polls re-check."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("advance must be a finite number of seconds >= 0")
        with self._lock:
            self._offsets[account] = self._offsets.get(account, 0.0) + seconds
        self.wake_all(account)
        return {"now": self.now(account), "offset": self.clock.offset + self._offsets[account]}

    def reset(self) -> None:
        """Forget every queue of every account (their long polls end) and every account's
        clock moves."""
        with self._lock:
            queues, self._queues = list(self._queues.values()), {}
            self._offsets.clear()
        for queue in queues:
            with queue.cond:
                queue.deleted = True
                queue.cond.notify_all()

    def empty_account(
        self, account: str, region: str | None = None, queue: str | None = None
    ) -> dict:
        """Empty one account's queues (or one of them) as if new: messages (in flight and
        delayed too), FIFO deduplication, receive attempts and the PurgeQueue limit are
        forgotten; the queues, their attributes and tags stay. Emptying the whole account
        (no ``queue``) also undoes its clock moves."""
        if queue is None:
            with self._lock:
                self._offsets.pop(account, None)
        chosen = [
            q
            for (acct, reg, name), q in list(self._queues.items())
            if acct == account
            and (region is None or reg == region)
            and (queue is None or name == queue)
        ]
        removed = 0
        chosen.sort(key=lambda q: (q.region, q.name))
        for each in chosen:
            with each.cond:
                removed += len(each.messages)
                each.purge()
                each.last_purge = None
                if isinstance(each, FifoQueue):
                    each.forget_dedup()
                each.cond.notify_all()
        return {"account": account, "queues": [q.name for q in chosen], "messages": removed}

    def find(self, account: str, region: str, name: str) -> Queue | None:
        """The queue ``name`` of ``account`` in ``region``, if it exists."""
        return self._queues.get((account, region, name))

    def configure(
        self,
        duplicate_rate: float | None = None,
        seed: int | None = None,
        queue: str | None = None,
        account: str | None = None,
        region: str | None = None,
    ) -> dict:
        """Set the duplicate rate (of every queue, or of ``queue`` alone: a name in ``account``
        and ``region``, the class account in us-east-1 by default, or a queue URL) and/or the
        seed (of every queue, or of ``account``'s queues alone, now and when created later)."""
        if duplicate_rate is not None:
            if not 0.0 <= duplicate_rate <= 1.0:
                raise invalid("duplicate_rate must be between 0 and 1.")
            if queue is not None:
                account, name = queue_location(queue, Context("", account=account or ACCOUNT))
                target = self.find(account, region or DEFAULT_REGION, name)
                if target is None:
                    raise no_queue()
                target.duplicate_rate = float(duplicate_rate)
            else:
                self.duplicate_rate = float(duplicate_rate)
        if seed is not None:
            if account is None:
                self.seed = seed
                self._seeds.clear()
            else:
                self._seeds[account] = seed
            for each in list(self._queues.values()):
                if account is None or each.account == account:
                    with each.cond:
                        each.rng = queue_rng(seed, each.name)
        out: dict = {"duplicate_rate": self.duplicate_rate, "seed": self.seed}
        if account is not None:
            out.update(account=account, seed=self._seeds.get(account, self.seed))
        overrides = {
            ("" if q.account == ACCOUNT else f"{q.account}/") + q.name: q.duplicate_rate
            for q in list(self._queues.values())
            if q.duplicate_rate is not None
        }
        if overrides:
            out["queues"] = overrides
        return out

    # --- lookups ----------------------------------------------------------------------------
    def dispatch(self, action: str, params: dict, ctx: Context) -> dict:
        handler = getattr(self, f"op_{action}", None) if action in ACTIONS else None
        if handler is None:
            raise SQSError(
                "UnsupportedOperation", f"The action {action} is not valid for this endpoint."
            )
        return handler(params, ctx)

    def queue_url(self, queue: Queue, ctx: Context) -> str:
        return f"{ctx.base_url}/{queue.account}/{queue.name}"

    def _queue(self, params: dict, ctx: Context) -> Queue:
        """The queue a QueueUrl names: its account from the URL, the region of the request."""
        account, name = queue_location(_get_str(params, "QueueUrl"), ctx)
        queue = self._queues.get((account, ctx.region, name))
        if queue is None:
            raise no_queue()
        return queue

    def _queue_by_arn(self, arn: str) -> Queue | None:
        parts = arn.split(":")
        if len(parts) != 6:
            return None
        queue = self._queues.get((parts[4], parts[3], parts[5]))
        return queue if queue is not None and queue.arn == arn else None

    # --- queues -----------------------------------------------------------------------------
    def op_CreateQueue(self, params: dict, ctx: Context) -> dict:
        name = _get_str(params, "QueueName")
        raw = params.get("Attributes") or {}
        if not isinstance(raw, dict):
            raise SQSError("InvalidAttributeName", "Attributes must be a map of names to strings.")
        fifo_flag = str(raw.get("FifoQueue", "false")).lower() == "true"
        fifo = name.endswith(".fifo")
        base = name[:-5] if fifo else name
        if not _QUEUE_NAME.match(base) or len(name) > 80:
            raise invalid(
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in "
                "length (a FIFO queue's name ends in .fifo)."
            )
        if fifo != fifo_flag:
            raise invalid(
                "The name of a FIFO queue must end with the .fifo suffix and set the attribute "
                "FifoQueue=true; a standard queue's name must not end in .fifo."
            )
        given = qattrs.normalise(raw, fifo=fifo, creating=True)
        self._check_redrive(given, fifo)
        tags = params.get("tags") or {}
        if not isinstance(tags, dict):
            raise invalid("tags must be a map of keys to values.")
        with self._lock:
            existing = self._queues.get((ctx.account, ctx.region, name))
            if existing is not None:
                for key, value in given.items():
                    if existing.attributes.get(key, "") != value:
                        raise SQSError(
                            "QueueNameExists",
                            f"A queue already exists with the same name and a different value "
                            f"for attribute {key}",
                        )
                return {"QueueUrl": self.queue_url(existing, ctx)}
            now = self.now(ctx.account)
            attrs = dict(qattrs.DEFAULTS)
            if fifo:
                attrs.update(qattrs.FIFO_DEFAULTS)
            attrs.update(given)
            arn = f"arn:aws:sqs:{ctx.region}:{ctx.account}:{name}"
            cls = FifoQueue if fifo else StandardQueue
            seed = self._seeds.get(ctx.account, self.seed)
            queue = cls(name, arn, attrs, now, queue_rng(seed, name))
            queue.tags = {str(k): str(v) for k, v in tags.items()}
            self._queues[queue.key] = queue
        return {"QueueUrl": self.queue_url(queue, ctx)}

    def _check_redrive(self, attrs: dict[str, str], fifo: bool) -> None:
        policy = attrs.get("RedrivePolicy")
        if not policy:
            return
        arn, _ = qattrs.parse_redrive_policy(policy)
        target = self._queue_by_arn(arn)
        if target is None:
            raise invalid(
                "Value for parameter RedrivePolicy is invalid. Reason: Dead letter target does "
                "not exist."
            )
        if target.fifo != fifo:
            raise invalid(
                "Value for parameter RedrivePolicy is invalid. Reason: the dead-letter queue of "
                "a FIFO queue must be FIFO, of a standard queue standard."
            )

    def op_GetQueueUrl(self, params: dict, ctx: Context) -> dict:
        name = _get_str(params, "QueueName")
        owner = _get_str(params, "QueueOwnerAWSAccountId", required=False) or ctx.account
        queue = self._queues.get((owner, ctx.region, name))
        if queue is None:
            raise no_queue()
        return {"QueueUrl": self.queue_url(queue, ctx)}

    def op_ListQueues(self, params: dict, ctx: Context) -> dict:
        prefix = _get_str(params, "QueueNamePrefix", required=False) or ""
        limit = _get_int(params, "MaxResults", 1, 1000)
        token = _get_str(params, "NextToken", required=False)
        names = sorted(
            name
            for account, region, name in list(self._queues)
            if account == ctx.account and region == ctx.region and name.startswith(prefix)
        )
        start = 0
        if token:
            try:
                start = int(base64.b64decode(token).decode())
            except ValueError:
                raise invalid("Invalid NextToken.") from None
        end = start + limit if limit else len(names)
        out: dict = {"QueueUrls": [f"{ctx.base_url}/{ctx.account}/{n}" for n in names[start:end]]}
        if limit and end < len(names):
            out["NextToken"] = base64.b64encode(str(end).encode()).decode()
        if not out["QueueUrls"] and not limit:
            return {}
        return out

    def op_DeleteQueue(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        with self._lock:
            if self._queues.get(queue.key) is queue:
                del self._queues[queue.key]
        with queue.cond:
            queue.deleted = True
            queue.cond.notify_all()
        return {}

    def _attributes_of(self, queue: Queue, names: list[str]) -> dict[str, str]:
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

    def op_GetQueueAttributes(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        names = _get_list(params, "AttributeNames")
        for name in names:
            if name != "All" and name not in qattrs.ALL_NAMES:
                raise SQSError("InvalidAttributeName", f"Unknown Attribute {name}.")
        attrs = self._attributes_of(queue, names)
        return {"Attributes": attrs} if attrs else {}

    def op_SetQueueAttributes(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        raw = params.get("Attributes")
        if raw is None:
            raise missing("Attributes")
        given = qattrs.normalise(raw, fifo=queue.fifo, creating=False)
        self._check_redrive(given, queue.fifo)
        with queue.cond:
            queue.attributes.update(given)
            for key, value in given.items():
                if value == "" and key not in qattrs.DEFAULTS:
                    queue.attributes.pop(key, None)
            queue.modified_at = self.now(queue.account)
            queue.cond.notify_all()
        return {}

    def op_PurgeQueue(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        now = self.now(queue.account)
        with queue.cond:
            if queue.last_purge is not None and now - queue.last_purge < PURGE_INTERVAL:
                raise SQSError(
                    "PurgeQueueInProgress",
                    f"Only one PurgeQueue operation on {queue.name} is allowed every 60 seconds.",
                )
            queue.last_purge = now
            queue.purge()
        return {}

    def op_ListDeadLetterSourceQueues(self, params: dict, ctx: Context) -> dict:
        target = self._queue(params, ctx)
        urls = []
        for queue in sorted(list(self._queues.values()), key=lambda q: q.name):
            if (queue.account, queue.region) != (target.account, target.region):
                continue
            redrive = queue.redrive
            if redrive and redrive[0] == target.arn:
                urls.append(self.queue_url(queue, ctx))
        return {"queueUrls": urls}

    def op_TagQueue(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        tags = params.get("Tags")
        if not isinstance(tags, dict) or not tags:
            raise missing("Tags")
        with queue.cond:
            queue.tags.update({str(k): str(v) for k, v in tags.items()})
        return {}

    def op_UntagQueue(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        keys = _get_list(params, "TagKeys")
        if not keys:
            raise missing("TagKeys")
        with queue.cond:
            for key in keys:
                queue.tags.pop(key, None)
        return {}

    def op_ListQueueTags(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        return {"Tags": dict(queue.tags)} if queue.tags else {}

    # --- sending ----------------------------------------------------------------------------
    def _new_message(self, queue: Queue, entry: dict, ctx: Context, now: float) -> tuple:
        """Validate one send; returns (message or None if deduplicated, delay, response)."""
        body = _get_str(entry, "MessageBody")
        if body == "":
            raise invalid("The request must contain a non-empty message body.")
        check_text(body, "the message body")
        attributes = parse_attributes(entry.get("MessageAttributes"))
        system = parse_attributes(entry.get("MessageSystemAttributes"), "MessageSystemAttributes")
        for name in system:
            if name != "AWSTraceHeader":
                raise invalid(f"Message system attribute name '{name}' is invalid.")
        msg = Message(
            key=0,
            message_id="",
            body=body,
            attributes=attributes,
            md5_body=md5_of_body(body),
            md5_attributes=md5_of_attributes(attributes),
            sent_at=now,
            expires_at=now + queue.attr_int("MessageRetentionPeriod"),
            sender_id=ctx.account,
            system_attributes=system,
        )
        limit = queue.attr_int("MaximumMessageSize")
        if msg.size() > limit:
            raise invalid(
                f"One or more parameters are invalid. Reason: Message must be shorter than "
                f"{limit} bytes (body and attributes together)."
            )
        group = _get_str(entry, "MessageGroupId", required=False)
        dedup = _get_str(entry, "MessageDeduplicationId", required=False)
        for label, value in (("MessageGroupId", group), ("MessageDeduplicationId", dedup)):
            if value is not None and not _GROUP_ID.match(value):
                raise invalid(
                    f"Value {value} for parameter {label} is invalid. Reason: use 1 to 128 "
                    "printable ASCII characters."
                )
        delay = _get_int(entry, "DelaySeconds", 0, 900)
        if queue.fifo:
            if group is None:
                raise missing("MessageGroupId")
            if delay is not None:
                raise invalid(
                    f"Value {delay} for parameter DelaySeconds is invalid. Reason: The request "
                    "include parameter that is not valid for this queue type (FIFO queues take "
                    "DelaySeconds per queue only)."
                )
            if dedup is None:
                if queue.attributes.get("ContentBasedDeduplication") != "true":
                    raise invalid(
                        "The queue should either have ContentBasedDeduplication enabled or "
                        "MessageDeduplicationId provided explicitly"
                    )
                dedup = hashlib.sha256(body.encode("utf-8")).hexdigest()
        elif dedup is not None:
            raise invalid(
                "Value for parameter MessageDeduplicationId is invalid. Reason: The request "
                "include parameter that is not valid for this queue type."
            )
        msg.group_id, msg.dedup_id = group, dedup
        if delay is None:
            delay = queue.attr_int("DelaySeconds")
        response = {"MD5OfMessageBody": msg.md5_body}
        if msg.md5_attributes:
            response["MD5OfMessageAttributes"] = msg.md5_attributes
        if system:
            response["MD5OfMessageSystemAttributes"] = md5_of_attributes(system)
        return msg, delay, response

    def _store(self, queue: Queue, msg: Message, delay: int, response: dict, now: float) -> dict:
        """Store a validated message (caller holds the queue's lock); fills in ids."""
        if isinstance(queue, FifoQueue):
            key = queue.dedup_key(msg.group_id, msg.dedup_id)
            earlier = queue.seen(key, now)
            if earlier is not None:
                response["MessageId"], response["SequenceNumber"] = earlier
                return response
            msg.sequence_number = queue.next_sequence_number()
            response["SequenceNumber"] = msg.sequence_number
        msg.key = queue.new_key()
        msg.message_id = self._message_id(queue)
        if isinstance(queue, FifoQueue):
            queue.remember(key, now, msg.message_id, msg.sequence_number)
        else:
            queue.place(msg)
        queue.add(msg, now, delay)
        response["MessageId"] = msg.message_id
        return response

    def _message_id(self, queue: Queue) -> str:
        """A MessageId that a fresh emulator reproduces from its seed, yet never repeats while
        it runs: the seeded draw is mixed with how many ids this queue name has had, a count
        that survives re-seeding, ``reset`` and re-creating the queue (a lesson re-run would
        otherwise reuse its previous run's ids and collide with leftovers)."""
        draw = queue.rng.getrandbits(128)
        with self._issued_lock:
            count = self._issued.get(queue.key, 0)
            self._issued[queue.key] = count + 1
        scope = "" if queue.account == ACCOUNT else f"{queue.account}\n"
        raw = f"{scope}{queue.name}\n{count}\n{draw}".encode()
        return str(uuid.UUID(bytes=hashlib.blake2b(raw, digest_size=16).digest(), version=4))

    def op_SendMessage(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        now = self.now(queue.account)
        msg, delay, response = self._new_message(queue, params, ctx, now)
        with queue.cond:
            if queue.deleted:
                raise no_queue()
            self._store(queue, msg, delay, response, now)
            queue.cond.notify()
        return response

    def _batch_entries(self, params: dict, field_names: tuple[str, ...] = ()) -> list[dict]:
        entries = params.get("Entries")
        if entries is None:
            raise missing("Entries")
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise invalid("Entries must be a list of objects.")
        if not entries:
            raise SQSError(
                "EmptyBatchRequest", "There should be at least one entry in the request."
            )
        if len(entries) > MAX_BATCH:
            raise SQSError(
                "TooManyEntriesInBatchRequest",
                f"Maximum number of entries per request are 10. You have sent {len(entries)}.",
            )
        ids = []
        for entry in entries:
            entry_id = entry.get("Id")
            if not isinstance(entry_id, str) or not _BATCH_ID.match(entry_id):
                raise SQSError(
                    "InvalidBatchEntryId",
                    "A batch entry id can only contain alphanumeric characters, hyphens and "
                    "underscores. It can be at most 80 letters long.",
                )
            ids.append(entry_id)
        if len(set(ids)) != len(ids):
            raise SQSError(
                "BatchEntryIdsNotDistinct", "Two or more batch entries have the same Id."
            )
        return entries

    @staticmethod
    def _failure(entry_id: str, err: SQSError) -> dict:
        return {"Id": entry_id, "SenderFault": True, "Code": err.code, "Message": err.message}

    def op_SendMessageBatch(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        entries = self._batch_entries(params)
        now = self.now(queue.account)
        prepared, failed = [], []
        total = 0
        for entry in entries:
            try:
                msg, delay, response = self._new_message(queue, entry, ctx, now)
            except SQSError as err:
                failed.append(self._failure(entry["Id"], err))
                continue
            total += msg.size()
            prepared.append((entry["Id"], msg, delay, response))
        if total > queue.attr_int("MaximumMessageSize"):
            raise SQSError(
                "BatchRequestTooLong",
                f"Batch requests cannot be longer than {queue.attr_int('MaximumMessageSize')} "
                f"bytes. You have sent {total} bytes.",
            )
        successful = []
        with queue.cond:
            if queue.deleted:
                raise no_queue()
            for entry_id, msg, delay, response in prepared:
                self._store(queue, msg, delay, response, now)
                successful.append({"Id": entry_id, **response})
            queue.cond.notify(len(prepared))
        out: dict = {"Successful": successful}
        if failed:
            out["Failed"] = failed
        return out

    # --- receiving --------------------------------------------------------------------------
    def op_ReceiveMessage(self, params: dict, ctx: Context) -> dict:
        limit = _get_int(params, "MaxNumberOfMessages", 1, 10, 1)
        visibility = _get_int(params, "VisibilityTimeout", 0, 43200)
        wait = _get_int(params, "WaitTimeSeconds", 0, 20)
        attempt = _get_str(params, "ReceiveRequestAttemptId", required=False)
        system_names = set(_get_list(params, "AttributeNames"))
        system_names |= set(_get_list(params, "MessageSystemAttributeNames"))
        attr_names = _get_list(params, "MessageAttributeNames")
        queue = self._queue(params, ctx)  # after the parameter checks, as AWS validates first
        if wait is None:
            wait = queue.attr_int("ReceiveMessageWaitTimeSeconds")
        if visibility is None:
            visibility = queue.attr_int("VisibilityTimeout")
        if attempt is not None and isinstance(queue, FifoQueue):
            with queue.cond:
                queue.tick(self.now(queue.account))
                repeat = queue.repeat_attempt(attempt, self.now(queue.account))
            if repeat is not None:
                return {"Messages": repeat} if repeat else {}
        deadline = time.monotonic() + wait
        while True:
            moved: list[Message] = []
            rendered: list[dict] = []
            with queue.cond:
                while True:
                    if queue.deleted:
                        break
                    now = self.now(queue.account)
                    queue.tick(now)
                    picked = queue.take(now, limit, long_poll=wait > 0)
                    redrive = queue.redrive
                    for msg in picked:
                        if redrive and msg.receive_count >= redrive[1]:
                            queue.remove(msg)
                            moved.append(msg)
                            continue
                        queue.deliver(msg, now, visibility)
                        rendered.append(self._render(queue, msg, system_names, attr_names))
                        rate = (
                            self.duplicate_rate
                            if queue.duplicate_rate is None
                            else queue.duplicate_rate
                        )
                        if rate and isinstance(queue, StandardQueue) and queue.rng.random() < rate:
                            queue.duplicate(msg)
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
                    if ctx.client_gone():
                        # A long poll whose caller left takes nothing (it would be lost), and
                        # hands the wake-up it may have received to the next waiting poll.
                        queue.cond.notify()
                        break
            if moved:
                self._dead_letter(queue, redrive[0], moved)
            if rendered or not moved or time.monotonic() >= deadline:
                return {"Messages": rendered} if rendered else {}

    def _dead_letter(self, source: Queue, arn: str, moved: list[Message]) -> None:
        """Move messages past maxReceiveCount to the dead-letter queue, keeping their ids."""
        target = self._queue_by_arn(arn)
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

    def _receipt(self, queue: Queue, msg: Message) -> str:
        raw = f"{queue.arn}\n{msg.key}\n{msg.receive_count}\n{uuid.uuid4().hex}"
        return base64.urlsafe_b64encode(raw.encode()).decode("ascii")

    def _render(self, queue: Queue, msg: Message, system: set[str], attr_names: list) -> dict:
        out = {
            "MessageId": msg.message_id,
            "ReceiptHandle": self._receipt(queue, msg),
            "MD5OfBody": msg.md5_body,
            "Body": msg.body,
        }
        if system:
            every = "All" in system
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
            chosen = {k: v for k, v in values.items() if every or k in system}
            if chosen:
                out["Attributes"] = chosen
        selected = select_attributes(msg.attributes, attr_names)
        if selected:
            out["MessageAttributes"] = render_attributes(selected)
            out["MD5OfMessageAttributes"] = md5_of_attributes(selected)
        return out

    # --- deleting and visibility ------------------------------------------------------------
    def _resolve(self, queue: Queue, handle: object) -> tuple[Message | None, bool]:
        """(message or None if gone, whether the handle is the latest one for it)."""
        if not isinstance(handle, str) or not handle:
            raise missing("ReceiptHandle")
        try:
            name, key, count, _ = base64.urlsafe_b64decode(handle.encode()).decode().split("\n")
            key, count = int(key), int(count)
        except (ValueError, UnicodeDecodeError):
            raise SQSError(
                "ReceiptHandleIsInvalid", f'The input receipt handle "{handle}" is not valid.'
            ) from None
        if name != queue.arn:
            raise SQSError(
                "ReceiptHandleIsInvalid",
                f'The input receipt handle "{handle}" is not valid for this queue.',
            )
        msg = queue.messages.get(key)
        if msg is None:
            return None, False
        return msg, msg.receive_count == count

    def _delete(self, queue: Queue, handle: object) -> None:
        with queue.cond:
            queue.tick(self.now(queue.account))
            msg, latest = self._resolve(queue, handle)
            # AWS: an outdated receipt handle "succeeds, but the message will not be deleted".
            if msg is not None and latest:
                queue.remove(msg)
                if queue.fifo:
                    queue.cond.notify()  # the group may be unblocked

    def _change(self, queue: Queue, handle: object, visibility: object) -> None:
        if visibility is None:
            raise missing("VisibilityTimeout")
        visibility = _get_int({"VisibilityTimeout": visibility}, "VisibilityTimeout", 0, 43200)
        with queue.cond:
            now = self.now(queue.account)
            queue.tick(now)
            msg, latest = self._resolve(queue, handle)
            if msg is None or not latest:
                raise invalid(
                    f"Value {handle} for parameter ReceiptHandle is invalid. Reason: Message "
                    "does not exist or is not available for visibility timeout change."
                )
            if msg.state != INFLIGHT:
                raise SQSError("MessageNotInflight", "The message referred to isn't in flight.")
            queue.change_visibility(msg, now, visibility)
            queue.cond.notify()

    def op_DeleteMessage(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        self._delete(queue, params.get("ReceiptHandle"))
        return {}

    def op_DeleteMessageBatch(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        return self._each_entry(
            params, lambda entry: self._delete(queue, entry.get("ReceiptHandle"))
        )

    def _each_entry(self, params: dict, action: Callable[[dict], None]) -> dict:
        """Apply ``action`` to every batch entry; AWS's Successful/Failed answer."""
        successful, failed = [], []
        for entry in self._batch_entries(params):
            try:
                action(entry)
                successful.append({"Id": entry["Id"]})
            except SQSError as err:
                failed.append(self._failure(entry["Id"], err))
        out: dict = {"Successful": successful}
        if failed:
            out["Failed"] = failed
        return out

    def op_ChangeMessageVisibility(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        self._change(queue, params.get("ReceiptHandle"), params.get("VisibilityTimeout"))
        return {}

    def op_ChangeMessageVisibilityBatch(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        return self._each_entry(
            params,
            lambda entry: self._change(
                queue, entry.get("ReceiptHandle"), entry.get("VisibilityTimeout")
            ),
        )


ACTIONS = frozenset(name[3:] for name in vars(SQSService) if name.startswith("op_"))


def as_json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")
