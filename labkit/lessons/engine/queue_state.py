"""Putting a lesson's queues and emulator in a known state: `start_clean`, `drain`,
`is_emulator`, `advance_clock`, `seed_emulator`.

A lesson calls these between runs so a re-run starts from the same place: empty queues, FIFO
deduplication forgotten, the emulator's clock moved on, its random choices seeded. The
emulator's admin routes (AWS has no such thing) go through `labkit.stack.emulator_admin`,
scoped to the account ``sqs`` acts in (a kernel's own): one notebook moving its clock or
emptying its queues leaves every other notebook's alone. Importing this loads no pandas.
"""

from __future__ import annotations

from typing import Any

from labkit.lessons.engine.queue_errors import admin_errors, explain
from labkit.lessons.engine.receiving import receive_all

#: The FIFO deduplication interval, seconds (AWS: 5 minutes).
DEDUP_INTERVAL = 300

#: Seeds given to emulator accounts from this kernel: {(endpoint, account): seed}
_SEEDS: dict[tuple[str, str], int] = {}


def drain(sqs: Any, queue_url: str, timeout: float = 30.0, empty_replies: int | None = None) -> int:
    """Delete every message visible in the queue now; returns how many went.

    An empty reply to a short poll proves nothing (it asks only some of SQS's servers), so this
    long-polls, which asks them all, and stops after ``empty_replies`` empty replies in a row:
    one on the lab's emulator (its long poll sees every message), two on AWS. PurgeQueue would
    be quicker, but AWS allows it once a minute per queue.
    """
    if empty_replies is None:
        empty_replies = 1 if is_emulator(sqs) else 2
    try:
        gone = receive_all(sqs, queue_url, limit=None, empty_replies=empty_replies, timeout=timeout)
    except Exception as error:
        raise explain(error, sqs, queue_url) from error
    return len(gone)


def is_emulator(sqs: Any) -> bool:
    """True when ``sqs`` talks to the lab's emulator (which has admin routes) rather than AWS."""
    from labkit.stack.emulator_admin import EmulatorAdmin

    return EmulatorAdmin.of(sqs).answers()


def advance_clock(sqs: Any, seconds: float) -> float:
    """Move the emulator's clock forward (dedup windows, visibility timeouts, delays expire as
    if ``seconds`` had passed); returns the emulator's new time. Embedded stack only."""
    from labkit.stack.emulator_admin import EmulatorAdmin

    with admin_errors():
        return EmulatorAdmin.of(sqs).advance_clock(seconds)


def _seed_key(sqs: Any) -> tuple[str, str]:
    from labkit.stack.clients import client_account

    return (getattr(sqs.meta, "endpoint_url", "") or "", client_account(sqs))


def seed_of(sqs: Any) -> int | None:
    """The seed `start_clean` / `seed_emulator` gave this client's emulator account, if any."""
    return _SEEDS.get(_seed_key(sqs))


def seed_emulator(sqs: Any, seed: int) -> None:
    """Seed the emulator's random choices (the order a standard queue hands messages out) in
    this client's account; the experiments that follow take turns so the seed repeats them."""
    from labkit.stack.emulator_admin import EmulatorAdmin

    with admin_errors():
        EmulatorAdmin.of(sqs).seed(seed)
    _SEEDS[_seed_key(sqs)] = int(seed)


def start_clean(sqs: Any, *queue_urls: str, seed: int | None = None) -> str:
    """Empty ``queue_urls`` so a lesson can be re-run; returns one line saying what was done.

    On the emulator each queue is emptied (visible, in flight and delayed messages) and its
    FIFO deduplication forgotten, in this kernel's account only, and ``seed`` seeds this
    account's random choices; no clock moves, so other notebooks running beside this one are
    not disturbed. On AWS the queues are only drained (`drain`): re-sending the same bodies to
    a FIFO queue within 5 minutes is deduplicated there (use a different ``prepend``).
    """
    from labkit.stack.emulator_admin import EmulatorAdmin

    emulator = is_emulator(sqs)
    urls = list(dict.fromkeys(queue_urls))
    if emulator:
        if seed is not None:
            seed_emulator(sqs, seed)
        with admin_errors():
            removed = sum(EmulatorAdmin.of(sqs).empty_queue(url) for url in urls)
    else:
        removed = sum(drain(sqs, url, empty_replies=2) for url in urls)
    where = "emulator dedup forgotten" if emulator else "AWS: drained only"
    return f"{len(queue_urls)} queue(s) emptied ({removed} old message(s) removed); {where}"
