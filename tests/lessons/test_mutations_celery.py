"""Mutation tests of the Celery checks: 04's handout module (run by a real worker when the
mistake gets that far) and 06's broker and result-backend settings. Each typical mistake, an
edit of the worked solution, is refused with a hint that names it."""

from __future__ import annotations

import importlib
import itertools
import uuid

import pytest

from labkit.lessons.grading import checker
from tests.lessons.lesson_code import cell_containing, edited, written_file
from tests.lessons.mutations import judged
from tests.lessons.mutations import mistake as m

# a sweep of every catalogued mistake (about two minutes of CPU in all): make test-extended
pytestmark = pytest.mark.extended

TASKS_MODULE = written_file("04", "student_tasks.py")
CALL = "create_ical.delay(todos)"
assert CALL in cell_containing("04", "result = create_ical")
BROKER = 'celery.conf.broker_url = os.environ.get("CELERY_BROKER_URL")'
BACKEND = 'celery.conf.result_backend = os.environ.get("CELERY_RESULT_BACKEND")'
QUEUE = 'os.environ.get("CELERY_DEFAULT_QUEUE", "ical")'

#: (mistake, whether a worker must run the mutated module for the check to judge it)
ICAL_TASK = [
    (
        m(
            "conf.broker",
            "the setting is broker_url",
            (BROKER, BROKER.replace("broker_url", "broker")),
        ),
        False,
    ),
    (
        m(
            "conf.backend",
            "the setting is result_backend",
            (BACKEND, BACKEND.replace("result_backend", "backend")),
        ),
        False,
    ),
    (
        m(
            "broker_url misspelt",
            "the setting is broker_url",
            (BROKER, BROKER.replace("broker_url", "broker_uri")),
        ),
        False,
    ),
    (m("no result_backend", "never sets result_backend", (BACKEND, "")), False),
    (
        m(
            "no default queue",
            "CELERY_DEFAULT_QUEUE",
            ("celery.conf.task_default_queue = " + QUEUE, ""),
        ),
        False,
    ),
    (m("queue hard-coded", "CELERY_DEFAULT_QUEUE", (QUEUE, '"ical"')), False),
    (
        m(
            "task not named",
            "name it as the handout does",
            ('@celery.task(name="ical")', "@celery.task"),
        ),
        False,
    ),
    (
        m(
            "task named after the function",
            "name it as the handout does",
            ('name="ical"', 'name="create_ical"'),
        ),
        False,
    ),
    (
        m(
            "no tasks argument",
            "keep the handout's signature",
            ("def create_ical(tasks):", "def create_ical():"),
            (CALL, "create_ical.delay()"),
        ),
        False,
    ),
    (m("called directly", "ran create_ical here", (CALL, "create_ical(todos)")), False),
    (
        m(
            "run with apply()",
            "apply() ran create_ical here",
            (CALL, "create_ical.apply(args=[todos])"),
        ),
        False,
    ),
    (
        m("wrong result", "the task returned 'Hello world'", ('"Hello World"', '"Hello world"')),
        True,
    ),
    (
        m(
            "prints instead of returning",
            "returned None",
            ('return "Hello World"', 'print("Hello World")'),
        ),
        True,
    ),
]
_modules = itertools.count()


def _apply(item, module: str, call: str) -> tuple[str, str]:
    for old, new in item.edits:
        if old in call:
            call = edited(call, (old, new))
        else:
            module = edited(module, (old, new))
    return module, call


@pytest.mark.parametrize(
    ("item", "needs_worker"), [pytest.param(i, w, id=i.name) for i, w in ICAL_TASK]
)
def test_04_mistake_is_refused_with_its_hint(
    lab, tmp_path, monkeypatch, item, needs_worker
) -> None:
    from labkit.lessons import lesson_04

    source, call = _apply(item, TASKS_MODULE, CALL)
    name = f"student_tasks_m{next(_modules)}"
    (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    queue = f"m04-{uuid.uuid4().hex[:6]}"
    worker = None
    if needs_worker:  # as the lesson's cell does: exports the variables, starts the worker
        worker = lesson_04.start_student_worker(lab, name, queue)
        assert worker is not None
    else:  # the same variables in this kernel, no worker: the check judges before waiting
        monkeypatch.setenv("CELERY_BROKER_URL", lab.env["CELERY_BROKER_URL"])
        monkeypatch.setenv("CELERY_RESULT_BACKEND", lab.env["CELERY_RESULT_BACKEND"])
        monkeypatch.setenv("CELERY_DEFAULT_QUEUE", queue)
        importlib.invalidate_caches()
    try:
        create_ical = importlib.import_module(name).create_ical
        todos = [{"id": 1, "title": "Project Proposal"}]
        answer = eval(call, {"create_ical": create_ical, "todos": todos})  # noqa: S307
        judged("04.ical_task", item, checker.evaluate("04.ical_task", answer))
    finally:
        if worker is not None:
            worker.stop()


def test_04_at_least_eight_mistakes() -> None:
    assert len(ICAL_TASK) >= 8


SETTINGS = cell_containing("06", '"CELERY_BROKER_URL": "sqs://"').split("assert")[0]
RESULTS = '"db+" + DATABASE'
SQS_SETTINGS = [
    m("broker is Redis", "that broker is Redis", ('"sqs://"', '"redis://127.0.0.1:6379/0"')),
    m("broker without ://", "sqs://", ('"sqs://"', '"sqs"')),
    m(
        "broker is the SQS endpoint",
        "AWS_ENDPOINT_URL_SQS",
        ('"sqs://"', '"https://sqs.us-east-1.amazonaws.com"'),
    ),
    m("broker is amqp", "sqs://", ('"sqs://"', '"amqp://guest@localhost//"')),
    m("no result backend", "no result backend", (RESULTS, "None")),
    m("results on SQS", "cannot store results", (RESULTS, '"sqs://"')),
    m("database URL without db+", "with db+ in front", (RESULTS, "DATABASE")),
    m("results over rpc", "keeps results in the database", (RESULTS, '"rpc://"')),
    m("results in Redis", "keeps results in the database", (RESULTS, '"redis://127.0.0.1:6379/0"')),
    m(
        "setting misnamed",
        "CELERY_BROKER_URL and CELERY_RESULT_BACKEND",
        ('"CELERY_BROKER_URL"', '"BROKER_URL"'),
    ),
    m(
        "backend misnamed",
        "CELERY_BROKER_URL and CELERY_RESULT_BACKEND",
        ('"CELERY_RESULT_BACKEND"', '"CELERY_BACKEND"'),
    ),
]


@pytest.mark.parametrize("item", [pytest.param(i, id=i.name) for i in SQS_SETTINGS])
def test_06_mistake_is_refused_with_its_hint(lab, tmp_path, item) -> None:
    namespace = {"DATABASE": f"sqlite:///{tmp_path / 'results.sqlite'}"}
    exec(edited(SETTINGS, *item.edits), namespace)  # noqa: S102 - the lesson's own cell
    judged("06.sqs_settings", item, checker.evaluate("06.sqs_settings", namespace["settings"]))
