"""The SQS backend's lab-only controls (AWS has none): move an account's clock, empty or forget
queues, seed the random choices, make deliveries leave duplicates.

`labkit.emulator.admin` calls these for the `/_labkit/` routes, after checking the payload.
Mixed into `backend.SQSBackend`, which holds the stores.
"""

from __future__ import annotations

import math
import threading

from labkit.emulator.accounts import DEFAULT_ACCOUNT, DEFAULT_REGION
from labkit.emulator.clock import Clock, check_offset
from labkit.emulator.sqs.errors import invalid, no_queue
from labkit.emulator.sqs.queues import FifoQueue, Queue, queue_rng
from labkit.emulator.sqs.urls import queue_location


class LabControls:
    """Clock, reset, seed and duplicate-rate controls; needs `SQSBackend`'s stores."""

    clock: Clock
    seed: int | None
    duplicate_rate: float
    _queues: dict[tuple[str, str, str], Queue]
    _lock: threading.Lock
    _offsets: dict[str, float]
    _seeds: dict[str, int]
    _rates: dict[str, float]

    def now(self, account: str = DEFAULT_ACCOUNT) -> float:  # pragma: no cover - SQSBackend's
        raise NotImplementedError

    def find(self, account: str, region: str, name: str) -> Queue | None:  # pragma: no cover
        raise NotImplementedError

    def wake_all(self, account: str | None = None) -> None:
        """Wake every waiting long poll (of ``account``'s queues) to re-check the clock."""
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
            check_offset(self.clock.offset + self._offsets.get(account, 0.0) + seconds)
            self._offsets[account] = self._offsets.get(account, 0.0) + seconds
        self.wake_all(account)
        return {"now": self.now(account), "offset": self.clock.offset + self._offsets[account]}

    def reset(self) -> None:
        """Forget every queue of every account (their long polls end) and every account's
        clock moves."""
        with self._lock:
            queues, self._queues = list(self._queues.values()), {}
            self._offsets.clear()
            self._rates.clear()
        for queue in queues:
            with queue.cond:
                queue.deleted = True
                queue.purge()  # its bytes leave the budget
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
            self._set_duplicate_rate(duplicate_rate, queue, account, region)
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
        if account is not None:  # that account's view: no other account's id in it
            out.update(
                account=account,
                seed=self._seeds.get(account, self.seed),
                duplicate_rate=self._rates.get(account, self.duplicate_rate),
            )
        overrides = {
            ("" if q.account == DEFAULT_ACCOUNT else f"{q.account}/") + q.name: q.duplicate_rate
            for q in list(self._queues.values())
            if q.duplicate_rate is not None and (account is None or q.account == account)
        }
        if overrides:
            out["queues"] = overrides
        return out

    def _set_duplicate_rate(
        self, rate: float, queue: str | None, account: str | None, region: str | None
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise invalid("duplicate_rate must be between 0 and 1.")
        if queue is None and account is not None:  # that account's queues, not everyone's
            self._rates[account] = float(rate)
            return
        if queue is None:
            self.duplicate_rate = float(rate)
            return
        owner, name = queue_location(queue, account or DEFAULT_ACCOUNT)
        target = self.find(owner, region or DEFAULT_REGION, name)
        if target is None:
            raise no_queue()
        target.duplicate_rate = float(rate)
