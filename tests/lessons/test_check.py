"""The exercise checker: right, wrong with a hint, not tried; digests; a registry per lesson."""

from __future__ import annotations

import pytest

import labkit.lessons
from labkit.lessons import check as checks


@pytest.fixture(autouse=True)
def exercises():
    checks.known_answer(
        "test.capital", checks.digest("test.capital", "Brisbane"), hint="it is on a river"
    )

    @checks.exercise("test.count", hint="count the rows")
    def _count(answer, data=None):
        if not isinstance(answer, int):
            return "give a whole number"
        return answer == len(data)

    yield
    for key in ("test.capital", "test.count"):
        checks._REGISTRY.pop(key, None)


def test_three_outcomes_in_one_line(capsys) -> None:
    assert not labkit.lessons.check("test.capital", ...)
    assert not labkit.lessons.check("test.capital", "Sydney")
    assert labkit.lessons.check("test.capital", "  brisbane ")
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "… test.capital: not tried — replace the ... with your answer and run again",
        "✘ test.capital: wrong — it is on a river",
        "✔ test.capital: right — well done",
    ]


def test_not_tried_is_not_wrong() -> None:
    for blank in (..., None, "  "):
        assert checks.evaluate("test.capital", blank).status == checks.NOT_TRIED


def test_answers_that_depend_on_the_run() -> None:
    rows = [1, 2, 3]
    assert checks.evaluate("test.count", 3, data=rows)
    wrong = checks.evaluate("test.count", 4, data=rows)
    assert wrong.status == checks.WRONG and wrong.message == "count the rows"
    assert checks.evaluate("test.count", "3", data=rows).message == "give a whole number"


def test_a_checker_that_cannot_read_the_answer_says_so() -> None:
    checks.exercise("test.float", hint="a number")(lambda answer, data=None: float(answer) > 1)
    try:
        result = checks.evaluate("test.float", "lots")
        assert result.status == checks.WRONG and "could not read" in result.message
    finally:
        checks._REGISTRY.pop("test.float")


def test_digests_hide_answers_and_ignore_form() -> None:
    stored = checks.digest("test.capital", "Brisbane")
    assert "brisbane" not in stored and len(stored) == 64
    assert checks.digest("test.other", "Brisbane") != stored  # salted by exercise
    assert checks.normalize(42) == checks.normalize(42.0) == checks.normalize(" 42 ") == "42"
    assert checks.normalize({"b", "A"}) == checks.normalize(["a", "b"])
    assert checks.normalize(True) == "true"


def test_unknown_and_duplicate_ids_are_refused() -> None:
    with pytest.raises(KeyError, match="no exercise 'test.nope'; known: test.capital"):
        checks.evaluate("test.nope", 1)
    with pytest.raises(ValueError, match="registered twice"):
        checks.exercise("test.count", hint="again")(lambda answer, data=None: True)


def test_lesson_modules_are_loaded_on_first_use() -> None:
    assert set(checks.registered()) >= {"test.capital", "test.count"}
