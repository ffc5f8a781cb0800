"""Exercises of lesson 05, the TaskOverflow calendar: the handout's `create_ical(tasks)` and
its three routes, written by the student (served by a Flask app built around the student's
blueprint, the job run by a worker on the student's module, the calendar parsed as RFC 5545),
and questions."""

from __future__ import annotations

from typing import Any

from labkit.lessons.grading.checker import (
    exercise,
    known_answer,
    known_choice,
    known_number,
    read_whole_number,
)


def _todos(data: Any) -> list[dict]:
    """The todo list from a DataFrame or a list of todo dicts."""
    if hasattr(data, "to_dict"):
        return data.to_dict("records")
    return list(data or [])


@exercise(
    "05.missing_from_calendar",
    hint="a VEVENT needs a start: count the todos whose deadline_at is empty",
    needs="todos (the table of todos you created)",
)
def _check_missing_from_calendar(answer: Any, data: Any = None) -> bool:
    todos = _todos(data)
    expected = sum(1 for todo in todos if not isinstance(todo.get("deadline_at"), str))
    return read_whole_number(answer) == expected


known_choice(
    "05.unknown_id",
    "a243f862d28cc28727362da7dcef5eb43a2871788cfa13e621060428f770c1a0",
    hint="what does Celery's result backend hold for an id no task ever used?",
)

known_answer(
    "05.result_backend",
    "43177595c120beb04024fa30e2d1dfcbd6341f92d1513fe099666d3d82927976",
    hint="section 6 sets CELERY_BROKER_URL to sqs://; the other CELERY_ variable of the "
    "handout's compose file names where task states are stored",
)

known_number(
    "05.three_exports",
    "159beb6d245440cb9c3dd05e68308c7a887b4d0bccdaf40ab668004b4367bcbe",
    hint="one worker process runs one job at a time: the jobs queue up behind each other",
    tolerance=10,
    seconds=True,
)


@exercise(
    "05.calendar_routes",
    points=2,
    hint="POST answers 202 with task_id and task_url; status gives task_status; result serves "
    "text/calendar once the job succeeded",
)
def _check_calendar_routes(answer: Any, data: Any = None) -> Any:
    from labkit.lessons.grading.exercises._calendar_check import check_calendar_routes

    return check_calendar_routes(answer)
