"""What happened to each message, per account: the record the lessons draw timelines from.

Every change of a message's state (sent, deduplicated, received, hidden again, deleted, visible
again, moved to the dead-letter queue, purged, expired) and of an SNS publish (published,
delivered to a subscription, filtered out) is one event in its account's log. Logs are bounded
(`MAX_EVENTS` per account, `MAX_ACCOUNTS` accounts, least recently written dropped first): the
oldest events go first, and a reader is told how many it missed. Recording can be switched
off (`Record(enabled=False)`), which is what the benchmark compares against.

An event is stored as a tuple (cheap on the send path: a send's details are a tuple too) and
read as a dict: ``{"seq", "at", "queue", "kind", "message_id", ...detail}``; ``seq`` numbers
the account's events from 1, ``at`` is the account's clock.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict, deque
from typing import Any

MAX_EVENTS = 50_000  # per account
MAX_ACCOUNTS = 64
MAX_PAGE = 10_000  # events in one answer of the admin route

SENT = "sent"  # detail: group, dedup, delayed_until (when a delay hides it first)
DEDUPLICATED = "deduplicated"  # a FIFO send dropped; detail: dedup, group, first (id it matched)
DUPLICATED = "duplicated"  # a standard queue stored a second copy (at-least-once delivery)
RECEIVED = "received"  # detail: request, receiver, attempt, receipt, hidden_until
VISIBILITY = "visibility"  # ChangeMessageVisibility; detail: hidden_until
VISIBLE = "visible"  # visible again (its visibility timeout or delay ended); detail: attempt
DELETED = "deleted"
DEAD_LETTER = "dead_letter"  # moved out; detail: to (the dead-letter queue's name), attempt
ARRIVED = "arrived"  # moved in from a source queue; detail: source
PURGED = "purged"
EXPIRED = "expired"  # past the retention period
PUBLISHED = "published"  # SNS; queue is the topic's name; detail: subject, group
DELIVERED = "delivered"  # SNS; detail: subscription, endpoint
FILTERED = "filtered"  # SNS; detail: subscription (its filter policy refused the message)

KINDS = (
    SENT,
    DEDUPLICATED,
    DUPLICATED,
    RECEIVED,
    VISIBILITY,
    VISIBLE,
    DELETED,
    DEAD_LETTER,
    ARRIVED,
    PURGED,
    EXPIRED,
    PUBLISHED,
    DELIVERED,
    FILTERED,
)
_FIELDS = ("seq", "at", "queue", "kind", "message_id")
SENT_DETAIL = ("group", "dedup", "delayed_until")  # a SENT event's detail tuple, in order


class AccountLog:
    """One account's events, oldest first, at most ``limit`` of them. Lock-free: a deque's
    append and a counter's next are atomic; each event carries its number in the account, its
    seq (so a reader knows how many the bound dropped)."""

    __slots__ = ("events", "numbers")

    def __init__(self, limit: int) -> None:
        self.events: deque[tuple] = deque(maxlen=limit)
        self.numbers = itertools.count(1)

    def snapshot(self) -> list[tuple]:
        while True:
            try:
                return list(self.events)
            except RuntimeError:  # appended to while copied: copy again
                continue


class Record:
    """Every account's log. ``add`` is called with the queue's lock held, and is cheap."""

    def __init__(
        self, enabled: bool = True, limit: int = MAX_EVENTS, accounts: int = MAX_ACCOUNTS
    ) -> None:
        self.enabled = enabled
        self.limit = limit
        self.max_accounts = accounts
        self._logs: OrderedDict[str, AccountLog] = OrderedDict()
        self._lock = threading.Lock()

    def _log(self, account: str) -> AccountLog:
        log = self._logs.get(account)
        if log is not None:
            return log
        with self._lock:
            log = self._logs.get(account)
            if log is None:
                log = self._logs[account] = AccountLog(self.limit)
                while len(self._logs) > self.max_accounts:
                    self._logs.popitem(last=False)  # the account that started logging first
        return log

    def add(
        self,
        account: str,
        at: float,
        queue: str,
        kind: str,
        message_id: str | None,
        detail: dict[str, Any] | tuple | None = None,
    ) -> None:
        """Log one event (nothing when recording is off); ``detail`` is a dict, or for SENT a
        tuple in SENT_DETAIL's order."""
        if not self.enabled:
            return
        log = self._logs.get(account) or self._log(account)
        log.events.append((next(log.numbers), at, queue, kind, message_id, detail))

    def read(
        self, account: str, queue: str | None = None, since: int = 0, limit: int = MAX_PAGE
    ) -> dict[str, Any]:
        """``account``'s events after seq ``since`` (of ``queue`` alone when given), at most
        ``limit``; ``next`` is the seq to ask from next time, ``missed`` how many events the
        bound already dropped, ``more`` whether a further page waits."""
        limit = max(1, min(int(limit), MAX_PAGE))
        log = self._logs.get(account)
        events = log.snapshot() if log is not None else []
        missed = events[0][0] - 1 if events else 0
        chosen: list[dict[str, Any]] = []
        more = False
        for event in events:
            if event[0] <= since or (queue is not None and event[2] != queue):
                continue
            if len(chosen) == limit:
                more = True
                break
            row = dict(zip(_FIELDS, event[:5], strict=True))
            detail = event[5]
            if isinstance(detail, tuple):
                row.update(
                    (k, v) for k, v in zip(SENT_DETAIL, detail, strict=True) if v is not None
                )
            elif detail:
                row.update(detail)
            chosen.append(row)
        following = chosen[-1]["seq"] if chosen else since
        return {
            "account": account,
            "enabled": self.enabled,
            "events": chosen,
            "next": following,
            "more": more,
            "missed": missed,
            "limit": self.limit,
        }

    def clear(self, account: str | None = None) -> None:
        """Forget one account's events (or every account's)."""
        with self._lock:
            if account is None:
                self._logs.clear()
            else:
                self._logs.pop(account, None)
