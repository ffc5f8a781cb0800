"""Every numeric hint leads to the right answer (issue 22): each test does what its hint says,
as a student would, and the check must accept the number that comes out. A wrong answer's hint
is followed the same way, so a hint never sends the student round in a circle (02: the clock
moved 5 * 60 + 1 s, and 301 used to get the same hint again)."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from labkit.lessons.grading import checker


def _hint(exercise_id: str, wrong_answer, data=None) -> str:
    result = checker.evaluate(exercise_id, wrong_answer, data=data)
    assert result.status == checker.WRONG, result.line
    return result.message


def test_02_dedup_interval_hint_leads_to_the_interval() -> None:
    hint = _hint("02.dedup_interval", 301)  # the clock step the lesson shows, taken as is
    step = eval(re.search(r"(\d+ \* \d+ \+ \d+) seconds", hint).group(1))  # noqa: S307
    assert "one second past" in hint
    assert checker.evaluate("02.dedup_interval", step - 1)
    refused = checker.evaluate("02.dedup_interval", "5 minutes")  # the cell says `# seconds`
    assert not refused and "asks for seconds" in refused.message


def test_03_receive_count_hint() -> None:
    hint = _hint("03.receive_count", 2)
    assert "two failed attempts, then the next one" in hint
    assert checker.evaluate("03.receive_count", 2 + 1)


def test_05_three_exports_hint() -> None:
    hint = _hint("05.three_exports", 50)
    assert "one job at a time" in hint and "queue up behind each other" in hint
    assert checker.evaluate("05.three_exports", 3 * 50)  # three 50 s jobs, one after another


def test_05_missing_from_calendar_hint() -> None:
    todos = pd.DataFrame({"deadline_at": ["2025-04-09 14:00:00", None, None, "2025-01-01"]})
    hint = _hint("05.missing_from_calendar", 4, data=todos)
    assert "count the todos whose deadline_at is empty" in hint
    assert checker.evaluate(
        "05.missing_from_calendar", int(todos["deadline_at"].isna().sum()), data=todos
    )


def test_04_shortest_batch_hint() -> None:
    summary = pd.DataFrame({"tasks": [10], "seconds": [0.25]})
    hint = _hint("04.shortest_batch", 10 * 0.25 / 4, data=summary)  # the split a task cannot do
    assert "count whole rounds" in hint
    assert checker.evaluate("04.shortest_batch", math.ceil(10 / 4) * 0.25, data=summary)


def test_07_hints() -> None:
    from labkit.terraform import TerraformFolder

    folder = TerraformFolder()
    assert "multiply by the task count" in _hint("07.parallel_jobs", 1)
    (worker,) = next(
        t for t in folder.task_definitions() if t.resource == 'taskoverflow["worker"]'
    ).containers
    concurrency = int(worker["command"][worker["command"].index("--concurrency") + 1])
    assert checker.evaluate("07.parallel_jobs", 3 * concurrency)  # worker_count=3 tasks
    assert "maxReceiveCount" in _hint("07.dead_letter_receives", 0)
    (ical,) = (q for q in folder.queue_definitions() if q.name == "ical")
    assert checker.evaluate(
        "07.dead_letter_receives",
        int(re.search(r'"maxReceiveCount":(\d+)', ical.attributes["RedrivePolicy"]).group(1)),
    )


def test_08_copies_hint() -> None:
    hint = _hint("08.copies", 20)
    assert "copies each event into every subscribed queue" in hint
    assert checker.evaluate("08.copies", 20 * 3)  # each of 20 events into each of 3 queues


def test_01_fifo_inversions_hint() -> None:
    assert "within one message group" in _hint("01.fifo_inversions", 1)
    assert checker.evaluate("01.fifo_inversions", 0)  # First-In-First-Out: none


@pytest.mark.parametrize("exercise_id", ["02.dedup_interval", "05.three_exports"])
def test_seconds_questions_refuse_other_units(exercise_id) -> None:
    result = checker.evaluate(exercise_id, "2.5 min")
    assert not result and "asks for seconds" in result.message
