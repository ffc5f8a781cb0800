"""Student-code exercises: each check passes on the worked solution; the template is "not tried"
(typical mistakes, with their hints: test_mutations_*.py). The checks run against real
services (the session's SQS emulator and Redis, real Celery workers)."""

from __future__ import annotations

import textwrap
import uuid

from labkit.lessons.grading import checker
from tests.lessons.lesson_code import cell_defining, run_cell, written_file


def right(exercise_id: str, answer) -> checker.CheckResult:
    result = checker.evaluate(exercise_id, answer)
    assert result, result.line
    return result


def wrong(exercise_id: str, answer, says: str) -> None:
    result = checker.evaluate(exercise_id, answer)
    assert result.status == checker.WRONG, result.line
    assert says in result.message, result.line


# --------------------------------------------------------------------------------------------
# 01: publisher and subscriber


def test_01_publisher(lab) -> None:
    worked = cell_defining("01", "publish")
    result = right("01.publisher", run_cell(worked, "publish"))
    assert sorted(result.details) == sorted(f"Message {i}" for i in range(12))
    template = run_cell(cell_defining("01", "publish", solution=False), "publish")
    assert checker.evaluate("01.publisher", template).status == checker.NOT_TRIED


def test_01_subscriber(lab) -> None:
    worked = cell_defining("01", "subscribe")
    right("01.subscriber", run_cell(worked, "subscribe"))


# --------------------------------------------------------------------------------------------
# 02: a FIFO sender


def test_02_fifo_sender(lab) -> None:
    worked = cell_defining("02", "send_orders")
    result = right("02.fifo_sender", run_cell(worked, "send_orders"))
    frame = result.details
    assert set(frame["group"]) == {"alice", "bob", "carol"} and len(frame) == 12


# --------------------------------------------------------------------------------------------
# 03: an idempotent consumer


def test_03_idempotent_consumer(lab) -> None:
    worked = cell_defining("03", "idempotent_deposit")
    result = right("03.idempotent_consumer", run_cell(worked, "idempotent_deposit"))
    kinds = set(result.details["delivery"])
    assert {"duplicate copy", "redelivered after the crash"} <= kinds


# --------------------------------------------------------------------------------------------
# 04: the handout's Celery task, in a module of the student's

TASKS_MODULE = written_file("04", "student_tasks.py")


def _student_module(tmp_path, monkeypatch, name: str, source: str):
    import importlib

    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()


def test_04_ical_task(lab, tmp_path, monkeypatch) -> None:
    from labkit.lessons import lesson_04

    _student_module(tmp_path, monkeypatch, "student_tasks_t04", TASKS_MODULE)
    worker = lesson_04.start_student_worker(lab, "student_tasks_t04", f"t04-{uuid.uuid4().hex[:6]}")
    assert worker is not None
    try:
        import student_tasks_t04

        todos = [{"id": 1, "title": "Project Proposal"}]
        right("04.ical_task", student_tasks_t04.create_ical.delay(todos))
        wrong("04.ical_task", student_tasks_t04.create_ical(todos), "ran create_ical here")
    finally:
        worker.stop()


def test_04_worker_needs_the_module(lab) -> None:
    """Typical mistakes are in test_mutations_celery.py; a module not written yet starts none."""
    from labkit.lessons import lesson_04

    assert lesson_04.start_student_worker(lab, "student_tasks_t04_missing", "t04-none") is None


# --------------------------------------------------------------------------------------------
# 05: create_ical(tasks) and the three routes

ICAL_MODULE = written_file("05", "student_ical.py")
ROUTES_MODULE = written_file("05", "student_routes.py")


def _calendar_case(tmp_path, monkeypatch, ical: str, routes: str) -> None:
    folder = tmp_path / uuid.uuid4().hex[:6]
    folder.mkdir()
    (folder / "student_ical.py").write_text(ical)
    (folder / "student_routes.py").write_text(routes)
    monkeypatch.chdir(folder)


def test_05_calendar_routes(lab, tmp_path, monkeypatch) -> None:
    import icalendar

    _calendar_case(tmp_path, monkeypatch, ICAL_MODULE, ROUTES_MODULE)
    result = right("05.calendar_routes", "student_routes.py")
    events = icalendar.Calendar.from_ical(result.details).walk("VEVENT")
    assert sorted(str(e["SUMMARY"]) for e in events) == ["Project Proposal", "Queue prac"]


def test_05_template_is_not_tried(lab, tmp_path, monkeypatch) -> None:
    stubs = written_file("05", "student_routes.py", solution=False)
    _calendar_case(tmp_path, monkeypatch, ICAL_MODULE, stubs)
    assert checker.evaluate("05.calendar_routes", "student_routes.py").status == checker.NOT_TRIED


# --------------------------------------------------------------------------------------------
# 06: Celery on SQS with a database backend


def test_06_sqs_settings(lab, tmp_path) -> None:
    results = f"db+sqlite:///{tmp_path / 'results.sqlite'}"
    right("06.sqs_settings", {"CELERY_BROKER_URL": "sqs://", "CELERY_RESULT_BACKEND": results})
    template = {"CELERY_BROKER_URL": ..., "CELERY_RESULT_BACKEND": ...}
    assert checker.evaluate("06.sqs_settings", template).status == checker.NOT_TRIED


# --------------------------------------------------------------------------------------------
# 07: the aws_sqs_queue blocks

SQS_TF = written_file("07", "student_sqs.tf")


def test_07_sqs_blocks(lab, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "student_sqs.tf"
    path.write_text(written_file("07", "student_sqs.tf", solution=False))
    assert checker.evaluate("07.sqs_blocks", "student_sqs.tf").status == checker.NOT_TRIED
    path.write_text(SQS_TF)
    result = right("07.sqs_blocks", "student_sqs.tf")
    assert sorted(q.name for q in result.details) == ["csse6400_prac", "csse6400_prac.fifo", "ical"]
    assert not [u for u in lab.sqs.list_queues().get("QueueUrls", []) if "check07-" in u]
