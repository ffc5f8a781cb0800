"""Exercises of lesson 05, the TaskOverflow calendar (a Celery worker queue end to end)."""

from __future__ import annotations

from typing import Any

from labkit.lessons.check import exercise, known_answer


def _todos(data: Any) -> list[dict]:
    """The todo list from a DataFrame or a list of todo dicts."""
    if hasattr(data, "to_dict"):
        return data.to_dict("records")
    return list(data or [])


@exercise(
    "05.missing_from_calendar",
    hint="a VEVENT needs a start: count the todos whose deadline_at is empty",
)
def _missing_from_calendar(answer: Any, data: Any = None, **context: Any) -> bool | str:
    todos = _todos(data)
    if not todos:
        return "pass the todo list as data=, e.g. data=todos"
    expected = sum(1 for todo in todos if not isinstance(todo.get("deadline_at"), str))
    if isinstance(answer, str) and not answer.strip().isdigit():
        return "give a number, e.g. 3"
    return int(answer) == expected


known_answer(
    "05.unknown_id",
    "a243f862d28cc28727362da7dcef5eb43a2871788cfa13e621060428f770c1a0",
    hint="what does Celery's result backend hold for an id no task ever used?",
)

known_answer(
    "05.result_backend",
    "43177595c120beb04024fa30e2d1dfcbd6341f92d1513fe099666d3d82927976",
    hint="section 6 keeps SQS as the broker; which of the four settings stores task states?",
)

known_answer(
    "05.three_exports",
    "159beb6d245440cb9c3dd05e68308c7a887b4d0bccdaf40ab668004b4367bcbe",
    hint="one worker process runs one job at a time: the jobs queue up behind each other",
)
