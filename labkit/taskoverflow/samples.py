"""Repeatable example todos for demos, lessons and benchmarks.

Roughly a third have no deadline and some no description, as real lists do (the course's UI omits
``deadline_at`` when none is picked), and a few titles are not ASCII.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

TITLES = (
    "Project proposal",
    "Read the SQS developer guide",
    "Prac 7: worker queues",
    "Café with the tutor",
    "Deploy the worker to ECS",
    "Terraform the ical queue",
    "Write the calendar tests",
    "Review pull request #42",
    "Übung: Celery retries",
    "Cloud assignment demo",
    "Révision: report draft",
    "Load-test the API",
)


def sample_todos(count: int = 12, seed: int = 6400, start: datetime | None = None) -> list[dict]:
    """``count`` todo bodies for ``POST /todos``: the same list for the same seed and start.

    Deadlines fall in working hours within 21 days of ``start`` (default: 1 April 2025 09:00), written in the course UI's ``"YYYY-MM-DD HH:MM:SS.fff"`` form.
    """
    rng = random.Random(seed)
    start = start or datetime(2025, 4, 1, 9, 0)
    todos = []
    for i in range(count):
        title = TITLES[i % len(TITLES)]
        if i >= len(TITLES):
            title = f"{title} ({i // len(TITLES) + 1})"
        todo: dict = {"title": title}
        if rng.random() < 0.7:
            todo["description"] = f"Step {i + 1} of the practical"
        if i % 3 != 2:  # every third todo has no deadline
            day, hour, quarter = rng.randrange(21), rng.randrange(9), rng.randrange(4)
            deadline = start + timedelta(days=day, hours=hour, minutes=15 * quarter)
            todo["deadline_at"] = deadline.strftime("%Y-%m-%d %H:%M:%S.000")
        todos.append(todo)
    return todos
