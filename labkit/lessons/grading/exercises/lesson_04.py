"""Exercises of lesson 04, Celery worker queues: the handout's task written in a module of the
student's (run by a lesson worker, called with `.delay()`), and questions."""

from __future__ import annotations

import inspect
import math
import os
import sys
from typing import Any

from labkit.lessons.grading.checker import (
    exercise,
    known_answer,
    known_choice,
    read_number,
)
from labkit.lessons.grading.exercises._celery_settings import settings_hint

known_answer(
    "04.waiting_state",
    "593607a21a9f147015aaf5a5cc8e58c5bf13b5f6fe03b38b3f8254342cd042b0",
    hint="look at the first state watch_states saw for the task that waited behind another",
)


@exercise(
    "04.shortest_batch",
    hint="each process runs one task at a time: how many rounds of tasks does each need? "
    "(seconds, to within 0.01 s)",
    needs="summary (the throughput table: it holds TASKS and SECONDS)",
)
def _check_shortest_batch(answer: Any, data: Any = None) -> bool | str:
    tasks, seconds = int(data["tasks"].iloc[0]), float(data["seconds"].iloc[0])
    expected = math.ceil(tasks / 4) * seconds
    value = read_number(answer, unit_seconds=True)
    if abs(value - tasks * seconds / 4) <= 0.005 and abs(value - expected) > 0.005:
        return "close: but a task cannot be split between processes, count whole rounds"
    return abs(value - expected) <= 0.005


known_choice(
    "04.why_faster",
    "9370fa76598eb4f5470276f8bf81b874f021608edfbc04d17428116a0ea4d408",
    hint="what does a task that sleeps need from the CPU while it waits?",
)

# ---------------------------------------------------------------------------------------------
# Student code: the handout's task in student_tasks.py, called with .delay()


def _module_of(app: Any) -> Any:
    """The module (the student's) that holds the Celery app ``app``."""
    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "")
        if name.startswith(("labkit", "celery", "kombu")) or not getattr(module, "__file__", None):
            continue
        if any(value is app for value in list(vars(module).values())):
            return module
    return None


@exercise(
    "04.ical_task",
    points=2,
    hint="a task named 'ical', create_ical(tasks), called as create_ical.delay(todos)",
)
def _check_ical_task(answer: Any, data: Any = None) -> bool | str:
    from celery.result import AsyncResult, EagerResult

    if isinstance(answer, str | EagerResult):
        how = "apply() ran" if isinstance(answer, EagerResult) else "that ran"
        return (
            f"{how} create_ical here, in the notebook, and waited for it; "
            "create_ical.delay(todos) puts the job on the queue for the worker and returns at once"
        )
    if not isinstance(answer, AsyncResult):
        return f"pass what create_ical.delay(todos) returned (an AsyncResult), not {answer!r}"
    app = answer.app
    module = _module_of(app)
    task = getattr(module, "create_ical", None)
    if task is None or not hasattr(task, "delay"):
        return (
            'define the task create_ical in your module, decorated with @celery.task(name="ical")'
        )
    hint = settings_hint(module)
    if hint:
        return hint
    if task.name != "ical":
        return (
            f"your task is named {task.name!r}: name it as the handout does, "
            '@celery.task(name="ical"), so the API and the worker agree on it'
        )
    parameters = list(inspect.signature(task.run).parameters)
    if parameters != ["tasks"]:
        return (
            f"keep the handout's signature create_ical(tasks) (yours takes {parameters}): the API "
            "sends the todo list as its one argument"
        )
    if app.conf.task_default_queue != os.environ.get("CELERY_DEFAULT_QUEUE"):
        return (
            "read task_default_queue from os.environ['CELERY_DEFAULT_QUEUE'] (default 'ical'), "
            "as the handout does: the lesson's worker listens on the queue named there"
        )
    from celery.exceptions import TimeoutError as CeleryTimeout

    try:
        value = answer.get(timeout=20)
    except (TimeoutError, CeleryTimeout):
        return (
            "no worker ran the task within 20 s: run the cell that starts the worker on "
            "student_tasks after writing the file (its log says what went wrong)"
        )
    except Exception as error:  # noqa: BLE001 - the task's own exception, reported
        told = f"the task raised on the worker: {type(error).__name__}: {error}"
        if "required positional argument" in str(error):
            told += "; pass the todo list to the task: create_ical.delay(todos)"
        return told
    if value != "Hello World":
        return (
            f'the task returned {value!r}; section 5.2\'s task returns "Hello World" (if it came '
            "from another worker, read task_default_queue from CELERY_DEFAULT_QUEUE)"
        )
    return True
