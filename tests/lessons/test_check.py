"""The exercise checker: right, wrong with a hint, not tried; how answers are read; digests;
answers that depend on the run and the lab; a registry per lesson."""

from __future__ import annotations

import pandas as pd
import pytest

import labkit.lessons
from labkit.lessons.grading import checker


@pytest.fixture(autouse=True)
def exercises():
    checker.known_answer(
        "test.capital", checker.digest("test.capital", "Brisbane"), hint="it is on a river"
    )
    checker.known_choice("test.choice", checker.digest("test.choice", "b"), hint="think")
    checker.known_number("test.seconds", checker.digest("test.seconds", 300), "s", seconds=True)
    checker.known_number("test.about", checker.digest("test.about", 150), "q", tolerance=10)

    @checker.exercise("test.count", hint="count the rows", needs="rows (the list of rows)")
    def _count(answer, data=None):
        return checker.read_whole_number(answer) == len(data)

    yield
    for key in ("test.capital", "test.choice", "test.seconds", "test.about", "test.count"):
        checker._REGISTRY.pop(key, None)


def test_check_is_a_plain_function() -> None:
    import importlib
    import types

    assert isinstance(labkit.lessons.check, types.FunctionType)
    assert labkit.lessons.check is checker.check
    importlib.import_module(
        "labkit.lessons.grading.checker"
    )  # the module never shadows the function
    assert isinstance(labkit.lessons.check, types.FunctionType)


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
        assert checker.evaluate("test.capital", blank).status == checker.NOT_TRIED


@pytest.mark.parametrize("answer", [3.99, 4.9, 3.5, "3.5", 2.0000001])
def test_numbers_are_never_truncated(answer) -> None:
    checker.known_number("test.three", checker.digest("test.three", 3), "three")
    try:
        assert not checker.evaluate("test.three", answer)
        assert not checker.evaluate("test.count", answer, data=[1, 2, 3])
    finally:
        checker._REGISTRY.pop("test.three")


@pytest.mark.parametrize("answer", [3, 3.0, "3", "3.0", " 3 ", "3."])
def test_numbers_in_any_form(answer) -> None:
    assert checker.evaluate("test.count", answer, data=[1, 2, 3])


@pytest.mark.parametrize("answer", [300, "300", "300.0", "300 s", "300 seconds"])
def test_units_are_read(answer) -> None:
    assert checker.evaluate("test.seconds", answer)


@pytest.mark.parametrize("answer", ["5 min", "5 minutes", "0.0833 h"])
def test_other_units_where_the_cell_asks_for_seconds_are_refused(answer) -> None:
    """Issue 22: the cell says `# seconds`; "5 minutes" is told to give seconds."""
    result = checker.evaluate("test.seconds", answer)
    assert not result and "asks for seconds" in result.message


def test_units_where_none_is_asked_for_are_refused() -> None:
    result = checker.evaluate("test.count", "3 min", data=[1, 2, 3])
    assert not result and "plain number" in result.message


def test_a_stated_tolerance() -> None:
    for right in (150, 141, "159.5", "about 155", "150.0"):
        assert checker.evaluate("test.about", right)
    for wrong in (139, 161, 300):
        result = checker.evaluate("test.about", wrong)
        assert not result and "±10" in result.message


@pytest.mark.parametrize("answer", ["b", "B", "(b)", "b)", "b.", " (B) ", "b) each publisher"])
def test_letters_in_any_form(answer) -> None:
    assert checker.evaluate("test.choice", answer)


def test_a_letter_that_is_not_an_option() -> None:
    result = checker.evaluate("test.choice", "d")
    assert not result and 'one letter: "a", "b", "c"' in result.message
    assert not checker.evaluate("test.choice", "a")


def test_missing_data_is_one_sentence() -> None:
    result = checker.evaluate("test.count", 3)
    assert result.status == checker.WRONG
    assert result.message == "pass data=rows (the list of rows) to check this answer"


def test_a_checker_that_breaks_never_raises() -> None:
    checker.exercise("test.broken", hint="x")(lambda answer, data=None: {}["groups"])
    try:
        result = checker.evaluate("test.broken", 1)
        assert not result and result.message.startswith("the check could not run (KeyError")
    finally:
        checker._REGISTRY.pop("test.broken")


def test_digests_hide_answers_and_ignore_form() -> None:
    stored = checker.digest("test.capital", "Brisbane")
    assert "brisbane" not in stored and len(stored) == 64
    assert checker.digest("test.other", "Brisbane") != stored  # salted by exercise
    assert checker.normalize(42) == checker.normalize(42.0) == checker.normalize(" 42 ") == "42"
    assert checker.normalize("5.0") == "5"
    assert checker.normalize({"b", "A"}) == checker.normalize(["a", "b"])
    assert checker.normalize("`MessageGroupId`") == "messagegroupid"


def test_unknown_and_duplicate_ids_are_refused() -> None:
    with pytest.raises(KeyError, match="no exercise 'test.nope'; known: test.about"):
        checker.evaluate("test.nope", 1)
    with pytest.raises(ValueError, match="registered twice"):
        checker.exercise("test.count", hint="again")(lambda answer, data=None: True)


def test_every_lesson_is_loaded_and_no_answer_is_importable() -> None:
    import importlib
    import inspect

    ids = checker.registered()
    for lesson in range(1, 8):
        assert any(i.startswith(f"0{lesson}.") for i in ids), lesson
        module = importlib.import_module(f"labkit.lessons.grading.exercises.lesson_0{lesson}")
        public = [
            name
            for name, value in vars(module).items()
            if inspect.isfunction(value)
            and not name.startswith("_")
            and value.__module__ == module.__name__
        ]
        assert public == [], f"lesson {lesson} exposes {public}"


def test_run_dependent_answers_come_from_the_run_not_from_keywords() -> None:
    run = type("Run", (), {})()
    run.sends = pd.DataFrame({"group": ["g0", "g1", "g0", "g1"]})
    run.deliveries = pd.DataFrame(
        {"consumer": ["Consumer 1", "Consumer 2", "Consumer 3"] + ["Consumer 1"]}
    )
    assert checker.evaluate("02.parallelism", 2, data=run)
    assert not checker.evaluate("02.parallelism", 3, data=run)
    with pytest.raises(TypeError):
        checker.evaluate("02.parallelism", 3, data=run, groups=3, consumers=3)  # no such door
    assert not checker.evaluate("02.parallelism", 2)  # data missing: one sentence


def test_first_out_of_order_needs_the_run() -> None:
    result = checker.evaluate("01.first_out_of_order", 3)
    assert not result and result.message.startswith("pass data=standard")


@pytest.mark.parametrize(
    ("exercise_id", "answer", "right"),
    [
        ("03.receive_count", 3, True),
        ("03.receive_count", 3.99, False),
        ("03.receive_count", "3.0", True),
        ("01.fifo_inversions", 0.4, False),
        ("02.dedup_interval", "300 s", True),
        ("02.dedup_interval", "5 min", False),
        ("02.dedup_interval", "5 minutes", False),
        ("02.dedup_interval", 299, False),
        ("01.guarantee", "(b)", True),
        ("01.guarantee", "b)", True),
        ("02.group_id", "B", True),
        ("05.three_exports", "about 155 s", True),
        ("05.three_exports", "2.5 min", False),
        ("05.three_exports", 165, False),
        ("06.ordered_tasks", "`MessageGroupId`", True),
    ],
)
def test_the_lessons_answers_are_read_as_the_issue_asks(exercise_id, answer, right) -> None:
    assert bool(checker.evaluate(exercise_id, answer)) is right


def test_celery_setting_names_are_read_from_the_source(tmp_path, monkeypatch) -> None:
    """04: the names written count, in each way Celery takes them (issue 22: conf.broker)."""
    import importlib

    from labkit.lessons.grading.exercises._celery_settings import settings_hint

    sources = {
        "by_attribute": "celery.conf.broker_url = 'x'\ncelery.conf.result_backend = 'y'\n",
        "by_update": "celery.conf.update(broker_url='x', result_backend='y')\n",
        "by_constructor": "celery = Celery(__name__, broker='x', backend='y')\n",
        "from_object": "celery.config_from_object('celeryconfig')\n",
        "wrong_name": "celery.conf.broker = 'x'\ncelery.conf.result_backend = 'y'\n",
    }
    monkeypatch.syspath_prepend(str(tmp_path))
    hints = {}
    for name, body in sources.items():
        (tmp_path / f"conf_{name}.py").write_text(
            f"from celery import Celery\ncelery = Celery(__name__)\n{body}"
        )
        hints[name] = settings_hint(importlib.import_module(f"conf_{name}"))
    assert [k for k, v in hints.items() if v is None] == [
        "by_attribute",
        "by_update",
        "by_constructor",
        "from_object",
    ]
    assert "the setting is broker_url" in hints["wrong_name"]
