"""Exercises of lesson 02, FIFO deduplication and message groups."""

from __future__ import annotations

from typing import Any

from labkit.lessons.check import exercise, known_answer

known_answer(
    "02.dedup_interval",
    [
        "8011d0e21d1dfeca02eab4aeb09a112051941e7a20ada5213500e33d87afcec5",  # seconds
        "f71d2123659ff86c5335a4434eb78f0864c03fb9e8037d46148eaa03f753a503",  # in words
    ],
    hint="how far did the lesson move the emulator's clock before the same bodies got through?",
)


@exercise(
    "02.parallelism",
    hint="a group is handed to one consumer at a time, and a consumer works on one message at "
    "a time",
)
def _parallelism(answer: Any, data: Any = None, **context: Any) -> bool:
    groups, consumers = int(context["groups"]), int(context["consumers"])
    return int(answer) == min(groups, consumers)


known_answer(
    "02.group_id",
    "4df1cb3e4a46f489afd503318d9d1a050ed01cd1c2bc83a01754f35590ad1e6d",
    hint="order matters within a customer only; which id keeps that order and lets different "
    "customers proceed in parallel?",
)
