"""Exercises of lesson 03, at-least-once delivery."""

from __future__ import annotations

from typing import Any

from labkit.lessons.check import exercise, known_answer

known_answer(
    "03.receive_count",
    "98cda8b16f66e6668dad54834b09efce8f8ea98974012254a66e89629d871be3",
    hint="every receive counts, finished or not: two failed attempts, then the next one",
)


@exercise(
    "03.dead_letter",
    hint="the message is delivered maxReceiveCount times; the receive after that moves it",
)
def _dead_letter(answer: Any, data: Any = None, **context: Any) -> bool:
    return int(answer) == int(context["max_receives"])


known_answer(
    "03.idempotent",
    "a01a7780953ec9dc4090573b70eef85f1cc969472498738c06a4cd339427fa29",
    hint="which one gives the same result when it runs a second time for the same message?",
)
