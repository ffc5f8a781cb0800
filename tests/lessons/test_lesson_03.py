"""Lesson 03's bank run: a seeded re-run repeats it, and each repeat says why it came."""

from __future__ import annotations

from labkit.lessons.engine import queue_state
from labkit.lessons.lesson_03 import run_consumer, send_deposits
from labkit.stack.context import context_of


def _bank_run(sqs, url: str, seed: int, polls_before: int) -> list[tuple[int, str]]:
    """The lesson's cells 18-20 after ``polls_before`` receives (earlier cells poll as often
    as wall-clock time lets them: the number differs from run to run)."""
    queue_state.start_clean(sqs, url, seed=seed)
    for _ in range(polls_before):
        sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    name = url.rsplit("/", 1)[1]
    context_of(sqs).admin.configure(duplicate_rate=0.3, queue=name)
    try:
        send_deposits(sqs, url, 20, 10)
        rows = run_consumer(sqs, url, [lambda message: None], crash_on={2, 5})
    finally:
        context_of(sqs).admin.configure(duplicate_rate=0, queue=name)
    return sorted((row["deposit"], row["why"]) for row in rows)


def test_a_seeded_bank_run_repeats_and_tells_crashes_from_duplicates(sqs, new_queue) -> None:
    url = new_queue()
    first = _bank_run(sqs, url, seed=6400, polls_before=0)
    again = _bank_run(sqs, url, seed=6400, polls_before=7)
    assert first == again, "the same SEED, the same deliveries, whatever ran before"
    whys = [why for _, why in first]
    assert whys.count("first") == 20
    assert sorted(d for d, why in first if why == "after a crash") == [2, 5]
    assert whys.count("duplicate copy") >= 1, "a 30% duplicate rate leaves second copies"
