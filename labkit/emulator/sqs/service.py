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
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from labkit.emulator.accounts import DEFAULT_ACCOUNT, DEFAULT_REGION, Caller, is_account_id
from labkit.emulator.clock import Clock
from labkit.emulator.sqs import attributes as qattrs
from labkit.emulator.sqs.digests import md5_of_attributes, md5_of_body
from labkit.emulator.sqs.errors import (
    SQSError,
    invalid,
    invalid_value,
    missing,
    no_queue,
    unknown_attribute,
)
from labkit.emulator.sqs.messages import (
    INFLIGHT,
    Message,
    attributes_size,
    check_text,
    parse_attributes,
    render_attributes,
    select_attributes,
)
from labkit.emulator.sqs.params import get_int, get_list, get_map, get_str
from labkit.emulator.sqs.permissions import add_statement, remove_statement
from labkit.emulator.sqs.queues import FifoQueue, Queue, StandardQueue, queue_rng

ACCOUNT = DEFAULT_ACCOUNT  # the class account: the CLI's and tutors' (see accounts.py)
MAX_BATCH = 10
DEDUP_REQUIRED = (
    "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId "
    "provided explicitly"
)
MAX_TAGS = 50
MAX_VISIBILITY = 43_200  # 12 hours, counted from the receive
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
    # Extra response headers (emulator-only, beside AWS's body): DEDUPLICATED_HEADER.
    reply_headers: dict[str, str] = field(default_factory=dict)

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


DEDUPLICATED_HEADER = "x-labkit-deduplicated"


def _count_duplicates(ctx: Context, count: int) -> None:
    """Tell the caller how many sends of this call a FIFO queue deduplicated (AWS does not say;
    the body stays AWS's, the header is the emulator's own)."""
    if count:
        ctx.reply_headers[DEDUPLICATED_HEADER] = str(count)


_VISIBILITY_RANGE = f"Must be >= 0 and <= {MAX_VISIBILITY}, if provided."


def _int_in(params: dict, name: str, low: int, high: int, reason: str) -> int | None:
    """The integer parameter ``name`` (None when absent), refused with AWS's ``reason`` when it
    lies outside ``low``..``high``."""
    value = get_int(params, name)
    if value is not None and not low <= value <= high:
        raise invalid_value(name, value, reason)
    return value


def _entry_size(entry: dict) -> int:
    """A batch entry's bytes as AWS counts them against the 1 MiB batch limit: body, and each
    attribute's name, type and value (counted before any entry is validated)."""
    total = 0
    body = entry.get("MessageBody")
    if isinstance(body, str):
        total += len(body.encode("utf-8", "surrogatepass"))
    attributes = entry.get("MessageAttributes")
    if isinstance(attributes, dict):
        for name, attr in attributes.items():
            total += len(str(name).encode("utf-8", "surrogatepass"))
            if isinstance(attr, dict):
                for field in ("DataType", "StringValue", "BinaryValue"):
                    value = attr.get(field)
                    if isinstance(value, str):
                        # BinaryValue arrives base64-encoded: count the decoded bytes
                        count = len(value.encode("utf-8", "surrogatepass"))
                        if field == "BinaryValue":
                            count = count * 3 // 4 - value[-2:].count("=")
                        total += count
    return total


def _url_page(
    params: dict, prefix: str, names: list[str], key: str, omit_empty: bool = False
) -> dict:
    """A page of queue URLs under ``key`` with its NextToken; ListQueues answers an empty page
    with no key at all (``omit_empty``), as AWS does."""
    page, following = _paginate(params, names)
    out: dict = {} if omit_empty and not page else {key: [f"{prefix}/{n}" for n in page]}
    if following:
        out["NextToken"] = following
    return out


def _paginate(params: dict, items: list[str]) -> tuple[list[str], str | None]:
    """A page of ``items`` for MaxResults/NextToken (ListQueues, ListDeadLetterSourceQueues)."""
    limit = _int_in(
        params, "MaxResults", 1, 1000, "MaxResults must be an integer between 1 and 1000."
    )
    token = get_str(params, "NextToken", required=False)
    start = 0
    if token:
        try:
            start = int(base64.b64decode(token.encode("ascii"), validate=True).decode("ascii"))
        except (ValueError, UnicodeError):
            raise invalid_value("NextToken", token, "Invalid NextToken value.") from None
    end = start + limit if limit else len(items)
    page = items[start:end] if limit or token else items[:1000]
    following = base64.b64encode(str(end).encode()).decode() if limit and end < len(items) else None
    return page, following


def _check_tags(tags: dict[str, str], queue_name: str) -> None:
    """AWS's tag limits: at most 50 per queue, keys of 1 to 128 characters, values up to 256."""
    if len(tags) > MAX_TAGS:
        raise invalid(f"Too many tags added for queue {queue_name}.")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128:
            raise invalid("Tag keys must be between 1 and 128 characters in length.")
        if len(value) > 256:
            raise invalid("Tag values must be at most 256 characters in length.")


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
                        each.seed = seed
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
        account, name = queue_location(get_str(params, "QueueUrl"), ctx)
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
        name = get_str(params, "QueueName")
        raw = params.get("Attributes")
        flag = raw.get("FifoQueue") if isinstance(raw, dict) else None
        fifo = flag is True or (isinstance(flag, str) and flag.lower() == "true")
        if fifo:
            if not name.endswith(".fifo") or not _QUEUE_NAME.match(name[:-5] + "_fifo"):
                raise invalid(
                    "The name of a FIFO queue can only include alphanumeric characters, hyphens, "
                    "or underscores, must end with .fifo suffix and be 1 to 80 in length"
                )
        elif not _QUEUE_NAME.match(name):
            raise invalid(
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in "
                "length"
            )
        given = qattrs.normalise(raw, fifo=fifo, creating=True)
        self._check_redrive(raw, given, fifo, ctx)
        tags = get_map(params, "tags") or {}
        _check_tags(tags, name)
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
            attrs.update({k: v for k, v in given.items() if v != ""})
            arn = f"arn:aws:sqs:{ctx.region}:{ctx.account}:{name}"
            cls = FifoQueue if fifo else StandardQueue
            seed = self._seeds.get(ctx.account, self.seed)
            queue = cls(name, arn, attrs, now, queue_rng(seed, name))
            queue.seed = seed
            queue.tags = dict(tags)
            self._queues[queue.key] = queue
        return {"QueueUrl": self.queue_url(queue, ctx)}

    def _check_redrive(self, raw: object, given: dict[str, str], fifo: bool, ctx: Context) -> None:
        """A RedrivePolicy's dead-letter queue exists, in the same account and region, and is
        of the same type; the error echoes the policy as the caller wrote it."""
        if not given.get("RedrivePolicy"):
            return
        written = raw.get("RedrivePolicy") if isinstance(raw, dict) else given["RedrivePolicy"]
        arn, _ = qattrs.parse_redrive_policy(given["RedrivePolicy"])
        target = self._queue_by_arn(arn)
        if target is None or (target.account, target.region) != (ctx.account, ctx.region):
            raise invalid_value("RedrivePolicy", written, "Dead letter target does not exist.")
        if target.fifo != fifo:
            raise invalid_value(
                "RedrivePolicy",
                written,
                "Dead-letter queue must be same type of queue as the source.",
            )

    def op_GetQueueUrl(self, params: dict, ctx: Context) -> dict:
        name = get_str(params, "QueueName")
        owner = get_str(params, "QueueOwnerAWSAccountId", required=False) or ctx.account
        queue = self._queues.get((owner, ctx.region, name))
        if queue is None:
            raise no_queue()
        return {"QueueUrl": self.queue_url(queue, ctx)}

    def op_ListQueues(self, params: dict, ctx: Context) -> dict:
        prefix = get_str(params, "QueueNamePrefix", required=False) or ""
        names = sorted(
            name
            for account, region, name in list(self._queues)
            if account == ctx.account and region == ctx.region and name.startswith(prefix)
        )
        return _url_page(
            params, f"{ctx.base_url}/{ctx.account}", names, "QueueUrls", omit_empty=True
        )

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
        names = get_list(params, "AttributeNames")
        for name in names:
            if name != "All" and name not in qattrs.ALL_NAMES:
                raise unknown_attribute(name)
        attrs = self._attributes_of(queue, names)
        return {"Attributes": attrs} if attrs else {}

    def op_SetQueueAttributes(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        raw = params.get("Attributes")
        if raw is None:
            raise missing("Attributes")
        given = qattrs.normalise(raw, fifo=queue.fifo, creating=False)
        self._check_redrive(raw, given, queue.fifo, ctx)
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
        names = []
        for queue in sorted(list(self._queues.values()), key=lambda q: q.name):
            if (queue.account, queue.region) != (target.account, target.region):
                continue
            redrive = queue.redrive
            if redrive and redrive[0] == target.arn:
                names.append(queue.name)
        return _url_page(params, f"{ctx.base_url}/{target.account}", names, "queueUrls")

    def op_TagQueue(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        tags = get_map(params, "Tags")
        if not tags:
            raise missing("Tags")
        with queue.cond:
            _check_tags({**queue.tags, **tags}, queue.name)
            queue.tags.update(tags)
        return {}

    def op_UntagQueue(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        keys = get_list(params, "TagKeys")
        if not keys or not all(1 <= len(key) <= 128 for key in keys):
            raise invalid("Tag keys must be between 1 and 128 characters in length.")
        with queue.cond:
            for key in keys:
                queue.tags.pop(key, None)
        return {}

    def op_AddPermission(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        label = get_str(params, "Label")
        accounts = get_list(params, "AWSAccountIds")
        actions = get_list(params, "Actions")
        with queue.cond:
            policy = add_statement(
                queue.attributes.get("Policy"), queue.arn, label, accounts, actions
            )
            queue.attributes["Policy"] = policy
        return {}

    def op_RemovePermission(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        label = get_str(params, "Label")
        with queue.cond:
            policy = remove_statement(queue.attributes.get("Policy"), queue.arn, label)
            if policy:
                queue.attributes["Policy"] = policy
            else:
                queue.attributes.pop("Policy", None)
        return {}

    def op_ListQueueTags(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        return {"Tags": dict(queue.tags)} if queue.tags else {}

    # --- sending ----------------------------------------------------------------------------
    def _new_message(
        self, queue: Queue, entry: dict, ctx: Context, now: float, batch: bool = False
    ) -> tuple:
        """Validate one send, in AWS's order; returns (message, delay, response)."""
        body = get_str(entry, "MessageBody")
        if body == "":
            raise missing("MessageBody")
        attributes = parse_attributes(entry.get("MessageAttributes"))
        limit = queue.attr_int("MaximumMessageSize")
        size = len(body.encode("utf-8", "surrogatepass")) + attributes_size(attributes)
        if size > limit:
            raise invalid(
                f"One or more parameters {'cannot be validated' if batch else 'are invalid'}. "
                f"Reason: Message must be shorter than {limit} bytes."
            )
        check_text(body)
        system = parse_attributes(entry.get("MessageSystemAttributes"))
        for name, attr in system.items():
            if name != "AWSTraceHeader" or attr["DataType"] != "String":
                raise invalid(f"Message system attribute name '{name}' is invalid.")
        group = get_str(entry, "MessageGroupId", required=False)
        dedup = get_str(entry, "MessageDeduplicationId", required=False)
        for label, value in (("MessageGroupId", group), ("MessageDeduplicationId", dedup)):
            if value is not None and not _GROUP_ID.match(value):
                raise invalid_value(
                    label,
                    value,
                    f"{label} can only include alphanumeric and punctuation characters. 1 to "
                    "128 in length.",
                )
        delay = _int_in(entry, "DelaySeconds", 0, 900, "DelaySeconds must be >= 0 and <= 900.")
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
            sender_id=ctx.account,
            system_attributes=system,
            group_id=group,
            dedup_id=dedup,
        )
        if delay is None:
            delay = queue.attr_int("DelaySeconds")
        response = {"MD5OfMessageBody": msg.md5_body}
        if msg.md5_attributes:
            response["MD5OfMessageAttributes"] = msg.md5_attributes
        if system:
            response["MD5OfMessageSystemAttributes"] = md5_of_attributes(system)
        return msg, delay, response

    def _store(self, queue: Queue, msg: Message, delay: int, response: dict, now: float) -> bool:
        """Store a validated message (caller holds the queue's lock); fills in ids. False when
        a FIFO queue deduplicated it (the response then names the first send)."""
        if isinstance(queue, FifoQueue):
            key = queue.dedup_key(msg.group_id, msg.dedup_id)
            earlier = queue.seen(key, now)
            if earlier is not None:
                response["MessageId"], response["SequenceNumber"] = earlier
                return False
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
        return True

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
            stored = self._store(queue, msg, delay, response, now)
            queue.cond.notify()
        _count_duplicates(ctx, 0 if stored else 1)
        return response

    def _batch_entries(self, params: dict, action: str, queue: Queue | None = None) -> list[dict]:
        """A batch's entries, checked as AWS checks the whole request before any entry runs:
        count, Ids, and (sending to a FIFO queue) each entry's group and deduplication ids."""
        entries = params.get("Entries")
        if entries is None:
            raise missing("Entries")
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise invalid_value("Entries", entries, "Entries must be a list of maps.")
        if not entries:
            raise SQSError(
                "EmptyBatchRequest",
                f"There should be at least one {action}RequestEntry in the request.",
            )
        if len(entries) > MAX_BATCH:
            raise SQSError(
                "TooManyEntriesInBatchRequest",
                f"Maximum number of entries per request are 10. You have sent {len(entries)}.",
            )
        fifo = queue is not None and queue.fifo
        needs_dedup = fifo and queue.attributes.get("ContentBasedDeduplication") != "true"
        seen: set[str] = set()
        for entry in entries:
            entry_id = entry.get("Id")
            if not isinstance(entry_id, str) or not _BATCH_ID.match(entry_id):
                raise SQSError(
                    "InvalidBatchEntryId",
                    "A batch entry id can only contain alphanumeric characters, hyphens and "
                    "underscores. It can be at most 80 letters long.",
                )
            if needs_dedup and not entry.get("MessageDeduplicationId"):
                raise invalid(DEDUP_REQUIRED)
            if fifo and not entry.get("MessageGroupId"):
                raise invalid("The request must contain the parameter MessageGroupId.")
            if entry_id in seen:
                raise SQSError("BatchEntryIdsNotDistinct", f"Id {entry_id} repeated.")
            seen.add(entry_id)
        return entries

    @staticmethod
    def _failure(entry_id: str, err: SQSError) -> dict:
        return {"Id": entry_id, "SenderFault": True, "Code": err.code, "Message": err.message}

    def op_SendMessageBatch(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        entries = self._batch_entries(params, "SendMessageBatch", queue)
        total = sum(_entry_size(entry) for entry in entries)
        if total > qattrs.MAX_MESSAGE_SIZE:
            raise SQSError(
                "BatchRequestTooLong",
                f"Batch requests cannot be longer than {qattrs.MAX_MESSAGE_SIZE} bytes. You have "
                f"sent {total} bytes.",
            )
        now = self.now(queue.account)
        prepared, failed = [], []
        for entry in entries:
            try:
                msg, delay, response = self._new_message(queue, entry, ctx, now, batch=True)
            except SQSError as err:
                failed.append(self._failure(entry["Id"], err))
                continue
            prepared.append((entry["Id"], msg, delay, response))
        successful = []
        with queue.cond:
            if queue.deleted:
                raise no_queue()
            duplicates = 0
            for entry_id, msg, delay, response in prepared:
                duplicates += not self._store(queue, msg, delay, response, now)
                successful.append({"Id": entry_id, **response})
            queue.cond.notify(len(prepared))
        _count_duplicates(ctx, duplicates)
        out: dict = {"Successful": successful}
        if failed:
            out["Failed"] = failed
        return out

    # --- receiving --------------------------------------------------------------------------
    def op_ReceiveMessage(self, params: dict, ctx: Context) -> dict:
        limit = _int_in(
            params, "MaxNumberOfMessages", 1, MAX_BATCH, "Must be between 1 and 10, if provided."
        )
        limit = 1 if limit is None else limit
        visibility = _int_in(params, "VisibilityTimeout", 0, MAX_VISIBILITY, _VISIBILITY_RANGE)
        wait = _int_in(params, "WaitTimeSeconds", 0, 20, "Must be >= 0 and <= 20, if provided.")
        attempt = get_str(params, "ReceiveRequestAttemptId", required=False)
        system_names = set(get_list(params, "AttributeNames"))
        system_names |= set(get_list(params, "MessageSystemAttributeNames"))
        attr_names = get_list(params, "MessageAttributeNames")
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
                        if rate and isinstance(queue, StandardQueue) and queue.draw(msg) < rate:
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
        """A handle naming this queue (its instance), the message, this receive, and noise."""
        raw = f"{queue.token}\n{msg.key}\n{msg.receive_count}\n{os.urandom(12).hex()}"
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

    def _delete(self, queue: Queue, handle: object) -> None:
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

    def _change(self, queue: Queue, handle: object, visibility: object) -> None:
        if visibility is None:
            raise missing("VisibilityTimeout")
        seconds = _int_in(
            {"VisibilityTimeout": visibility},
            "VisibilityTimeout",
            0,
            MAX_VISIBILITY,
            _VISIBILITY_RANGE,
        )
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

    def op_DeleteMessage(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        self._delete(queue, params.get("ReceiptHandle"))
        return {}

    def op_DeleteMessageBatch(self, params: dict, ctx: Context) -> dict:
        queue = self._queue(params, ctx)
        return self._each_entry(
            params,
            "DeleteMessageBatch",
            lambda entry: self._delete(queue, entry.get("ReceiptHandle")),
        )

    def _each_entry(self, params: dict, name: str, action: Callable[[dict], None]) -> dict:
        """Apply ``action`` to every entry of batch ``name``; AWS's Successful/Failed answer."""
        successful, failed = [], []
        for entry in self._batch_entries(params, name):
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
            "ChangeMessageVisibilityBatch",
            lambda entry: self._change(
                queue, entry.get("ReceiptHandle"), entry.get("VisibilityTimeout")
            ),
        )


ACTIONS = frozenset(name[3:] for name in vars(SQSService) if name.startswith("op_"))


def as_json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")
