"""`experiment`: consumers and publishers on one queue at once, as in the handout, as a `Run`.

Everything takes a boto3 SQS client (or its `QueueContext`) and a queue URL, so the same cell runs on the embedded
emulator and on AWS. A `Run` holds the sends (`publishing`) and deliveries (`consuming`) as
pandas DataFrames for `metrics` and `plots`. Worker threads never print; the calling thread
shows a progress bar. The options live in `experiment_options`, what the threads share in
`_run_state`; `queue_state` puts a queue back in a known state between runs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import pandas as pd

from labkit import course_messages
from labkit.lessons.analysis import metrics
from labkit.lessons.engine._run_state import Lockstep, Queue, Shared, see_through
from labkit.lessons.engine.consuming import deliveries_frame, start_consumers
from labkit.lessons.engine.experiment_options import (
    ConsumeOptions,
    PublishOptions,
    apply_settings,
    with_positional,
)
from labkit.lessons.engine.publishing import sends_frame, start_publishers
from labkit.lessons.engine.queue_state import seed_emulator
from labkit.stack.context import context_of


@dataclass
class Run:
    """One experiment: what was sent, what was delivered, and its summary row."""

    queue_url: str
    sends: pd.DataFrame
    deliveries: pd.DataFrame
    label: str = ""
    #: Messages received that this run did not send (left out of ``deliveries``)
    foreign: int = 0

    @property
    def summary(self) -> pd.Series:
        row = metrics.summary(self.sends, self.deliveries)
        row.name = self.label or self.queue_url.rsplit("/", 1)[-1]
        return row

    @property
    def inversions(self) -> int:
        return metrics.inversions(self.deliveries)

    def __repr__(self) -> str:
        return (
            f"Run({self.label or self.queue_url!r}: {len(self.sends)} sent, "
            f"{len(self.deliveries)} delivered)"
        )


def _split_options(settings: dict[str, Any], function: str) -> tuple[dict, dict]:
    """Keyword arguments of `experiment` shared out between publishing and consuming."""
    publishing = {f.name for f in fields(PublishOptions)}
    consuming = {f.name for f in fields(ConsumeOptions)}
    unknown = sorted(set(settings) - publishing - consuming)
    if unknown:
        raise TypeError(
            f"{function}() got unexpected keyword argument(s) {', '.join(unknown)}; it takes "
            f"{', '.join(sorted(publishing | consuming | {'label', 'progress'}))}"
        )
    pub = {k: v for k, v in settings.items() if k in publishing}
    con = {k: v for k, v in settings.items() if k in consuming}
    return pub, con


def experiment(
    sqs: Any,
    queue_url: str,
    count: int | None = None,
    publishers: int | None = None,
    consumers: int | None = None,
    *,
    publishing: PublishOptions | None = None,
    consuming: ConsumeOptions | None = None,
    label: str = "",
    progress: bool = True,
    **settings: Any,
) -> Run:
    """Start consumers, then publishers (as in the handout), and wait for every message.

    ``count`` messages (default 100) from each of ``publishers`` (default 1) to ``consumers``
    (default 1). ``publishing`` / ``consuming`` are `PublishOptions` / `ConsumeOptions`; any of their fields
    may be given as a keyword instead (``prepend="A-"``, ``fail=0.2``, ...). ``expected``
    defaults to every message sent. Latency is measured from the client's own send time.
    Returns a `Run`.
    """
    settings = with_positional(settings, count=count, publishers=publishers, consumers=consumers)
    pub, con = _split_options(settings, "experiment")
    send = apply_settings(PublishOptions, publishing, pub, "experiment")
    receive = apply_settings(ConsumeOptions, consuming, con, "experiment")
    if receive.expected is None:
        receive = replace(receive, expected=send.count * send.publishers)
    context = context_of(sqs)
    queue = Queue(context.sqs, queue_url)
    shared = Shared(ours=_our_messages(send))
    seed = context.seed
    if seed is not None:  # start_clean(seed=...) ran: the same seed, the same arrival order
        seed_emulator(context, seed)  # each run starts from the seed, whatever ran before it
        calls = -(-send.count // (10 if send.batch else 1))
        publishers = {f"p{p}": calls for p in range(send.publishers) if calls}
        # A FIFO queue hands out in send order by itself: only the publishers take turns, and
        # consumers stay free (across groups, the timing of parallel work is the lesson).
        consumers = [] if queue.fifo else [f"c{c}" for c in range(receive.consumers)]
        shared.lockstep = Lockstep([*publishers, *consumers], publishers)
    consumer_threads = start_consumers(queue, shared, receive)
    try:
        publisher_threads = start_publishers(queue, shared, send)
    except ValueError:
        shared.stop.set()
        raise
    threads = consumer_threads + publisher_threads
    count = receive.expected
    see_through(threads, shared, lambda: len(shared.handled), count, "messages handled", progress)
    sends = sends_frame(shared)
    deliveries = deliveries_frame(shared)
    # Same bodies from someone else (another student running this lesson on AWS): other ids.
    theirs = ~deliveries["message_id"].isin(set(sends["message_id"].dropna()))
    foreign = shared.foreign + int(deliveries.loc[theirs, "message_id"].nunique())
    deliveries = deliveries[~theirs].reset_index(drop=True)
    sent_at = dict(zip(sends["message_id"], sends["sent_at"], strict=True))
    client_time = deliveries["message_id"].map(sent_at)
    deliveries["sent_at"] = client_time.fillna(deliveries["sent_at"]).astype(float)
    if foreign:
        print(foreign_note(context, queue_url, foreign))
    run = Run(queue_url, sends, deliveries, label=label, foreign=foreign)
    if queue.fifo and (missing := int(run.summary.missing)):
        print(deduplicated_note(queue_url, missing))
    return run


def _our_messages(send: PublishOptions) -> set[tuple[str, str]]:
    """(client, body) of every message an experiment's publishers send."""
    pairs = zip(send.client_names(), send.prefixes(), strict=True)
    return {
        (client, course_messages.body(prefix, i))
        for client, prefix in pairs
        for i in range(send.count)
    }


def deduplicated_note(queue_url: str, missing: int) -> str:
    """One line for sends to a FIFO queue that never arrived: the likely cause, and what to do."""
    name = queue_url.rstrip("/").rsplit("/", 1)[-1]
    return (
        f"Note: {missing} message(s) sent to {name} never arrived. A FIFO queue drops a body sent "
        "again within 5 minutes of the first (deduplication), though the send succeeds: run again "
        "with another prepend= (on the emulator, start_clean also forgets earlier bodies)."
    )


def foreign_note(sqs: Any, queue_url: str, foreign: int) -> str:
    """One line for messages a run received but did not send."""
    name = queue_url.rstrip("/").rsplit("/", 1)[-1]
    where = (
        f"on AWS {name} is one real queue shared by everyone using these credentials (another "
        "student, a worker, a `labkit queue` terminal)"
        if not context_of(sqs).emulator
        else f"something else in this account sends to {name} too"
    )
    return (
        f"Note: {foreign} message(s) received came from someone else, not this run's publishers: "
        f"{where}; they were deleted and left out of the results."
    )
