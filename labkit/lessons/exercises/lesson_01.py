"""Exercises of lesson 01, standard versus FIFO queues."""

from __future__ import annotations

from typing import Any

from labkit.lessons.check import exercise, known_answer
from labkit.lessons.metrics import first_deliveries


def first_out_of_order(deliveries: Any) -> int | None:
    """The first message number to arrive after a higher one had already arrived."""
    frame = first_deliveries(getattr(deliveries, "deliveries", deliveries)).dropna(
        subset=["number"]
    )
    highest = -1
    for number in frame["number"]:
        if number < highest:
            return int(number)
        highest = max(highest, int(number))
    return None


@exercise(
    "01.first_out_of_order",
    hint="walk the arrivals in order, remember the highest number so far, stop at the first "
    "number below it",
)
def _first_out_of_order(answer: Any, data: Any = None, **context: Any) -> bool | str:
    expected = first_out_of_order(data)
    if expected is None:
        return str(answer).strip().lower() in {"none", "no"} or (
            "this run arrived in order: answer 'none'"
        )
    if isinstance(answer, str) and not answer.strip().lstrip("-").isdigit():
        return "give the message number, e.g. 17"
    return int(answer) == expected


known_answer(
    "01.fifo_inversions",
    "18dc2e78b2f81f306b0d8aed438449eb46a2d998f64f0dae792b9d3627a10f6e",
    hint="what does First-In-First-Out promise within one message group?",
)

known_answer(
    "01.guarantee",
    "6a3029477a3d87c76f43fbbd56d20754430fb8ee5b8767e65017f5b58126d961",
    hint="look at the FIFO plot of several publishers: follow one colour at a time",
)
