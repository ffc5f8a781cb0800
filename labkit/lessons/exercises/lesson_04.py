"""Exercises of lesson 04, Celery worker queues."""

from __future__ import annotations

import math
from typing import Any

from labkit.lessons.check import exercise, known_answer

known_answer(
    "04.waiting_state",
    "593607a21a9f147015aaf5a5cc8e58c5bf13b5f6fe03b38b3f8254342cd042b0",
    hint="look at the first state watch_states saw for the task that waited behind another",
)


@exercise(
    "04.shortest_batch",
    hint="each process runs one task at a time: how many rounds of tasks does each need?",
)
def _shortest_batch(answer: Any, data: Any = None, **context: Any) -> bool | str:
    tasks, seconds = int(context["tasks"]), float(context["seconds"])
    concurrency = int(context["concurrency"])
    expected = math.ceil(tasks / concurrency) * seconds
    value = float(answer)
    if math.isclose(value, tasks * seconds / concurrency) and not math.isclose(value, expected):
        return "close: but a task cannot be split between processes, count whole rounds"
    return math.isclose(value, expected, rel_tol=1e-6)


known_answer(
    "04.why_faster",
    "9370fa76598eb4f5470276f8bf81b874f021608edfbc04d17428116a0ea4d408",
    hint="what does a task that sleeps need from the CPU while it waits?",
)
