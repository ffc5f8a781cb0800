"""Mutation tests of lesson 05's check: the student's student_ical.py and student_routes.py,
served and run for real (a worker per check). Each typical mistake, an edit of the worked
solution, is refused with a hint that names it."""

from __future__ import annotations

import uuid

import pytest

from labkit.lessons.grading import checker
from tests.lessons.lesson_code import edited, written_file
from tests.lessons.mutations import judged
from tests.lessons.mutations import mistake as m

# a sweep of every catalogued mistake (about two minutes of CPU in all): make test-extended
pytestmark = pytest.mark.extended

ICAL = written_file("05", "student_ical.py")
ROUTES = written_file("05", "student_routes.py")
SKIP = '        if not task["deadline_at"]:\n            continue  # no deadline, no place in a calendar\n'
DESCRIPTION = (
    '        if task["description"]:\n            event.add("description", task["description"])\n'
)
STATUS_URL = '"task_url": f"{request.host_url}api/v1/todos/ical/{task.id}/status"'
RESULT_URL = '"result_url": f"{request.host_url}api/v1/todos/ical/{task_id}/result"'
ONLY_DONE = '    if task_result.status == "SUCCESS":\n        return task_result.result'
CALENDAR = [  # (mistake, edits of student_ical.py, edits of student_routes.py)
    (m("the handout's None deadlines", "has no deadline_at", (SKIP, "")), ICAL),
    (
        m(
            "no DTSTAMP",
            "no DTSTAMP (RFC 5545",
            ('        event.add("dtstamp"', '        # ("dtstamp"'),
        ),
        ICAL,
    ),
    (
        m(
            "DESCRIPTION:None",
            "DESCRIPTION:None",
            (DESCRIPTION, '        event.add("description", task["description"])\n'),
        ),
        ICAL,
    ),
    (m("no UID", "has no UID", ('        event.add("uid", task["id"])\n', "")), ICAL),
    (
        m(
            "one UID for all",
            "its own UID",
            ('event.add("uid", task["id"])', 'event.add("uid", "todo")'),
        ),
        ICAL,
    ),
    (m("no VERSION", "VERSION 2.0", ('    cal.add("version", "2.0")\n', "")), ICAL),
    (
        m(
            "returns the Calendar object",
            "cal.to_ical().decode('utf-8')",
            ('return cal.to_ical().decode("utf-8")', "return cal"),
        ),
        ICAL,
    ),
    (
        m(
            "DTSTART a date only",
            "as a datetime",
            ('"%Y-%m-%dT%H:%M:%S"))', '"%Y-%m-%dT%H:%M:%S").date())'),
        ),
        ICAL,
    ),
    (
        m(
            "SUMMARY from the description",
            "the SUMMARY is the todo's title",
            ('event.add("summary", task["title"])', 'event.add("summary", task["description"])'),
        ),
        ICAL,
    ),
    (
        m(
            "200 instead of 202",
            "a job accepted is 202",
            ("return jsonify(result), 202", "return jsonify(result)"),
        ),
        ROUTES,
    ),
    (
        m(
            "task_url without /api/v1",
            "'http://localhost/todos/ical/",
            (STATUS_URL, STATUS_URL.replace("api/v1/", "")),
        ),
        ROUTES,
    ),
    (
        m(
            "result_url without /api/v1",
            "'http://localhost/todos/ical/",
            (RESULT_URL, RESULT_URL.replace("api/v1/", "")),
        ),
        ROUTES,
    ),
    (m("no text/calendar", "text/calendar", (', {"Content-Type": "text/calendar"}', "")), ROUTES),
    (
        m(
            "status key misnamed",
            "task_status",
            ('"task_status": task_result.status', '"status": task_result.status'),
        ),
        ROUTES,
    ),
    (
        m(
            "job run in the web server",
            "create_ical.delay(...)",
            ("ical.create_ical.delay(todo_input)", "ical.create_ical(todo_input)"),
        ),
        ROUTES,
    ),
    (
        m(
            "result before SUCCESS",
            "answer 404 until the job succeeded",
            (ONLY_DONE, "    if True:\n        return task_result.result"),
        ),
        ROUTES,
    ),
    (
        m(
            "POST route as GET",
            "answered 405",
            ('"/todos/ical", methods=["POST"]', '"/todos/ical", methods=["GET"]'),
        ),
        ROUTES,
    ),
]


@pytest.mark.parametrize(("item", "file"), [pytest.param(i, f, id=i.name) for i, f in CALENDAR])
def test_05_mistake_is_refused_with_its_hint(lab, tmp_path, monkeypatch, item, file) -> None:
    folder = tmp_path / uuid.uuid4().hex[:6]
    folder.mkdir()
    changed = edited(file, *item.edits)
    (folder / "student_ical.py").write_text(changed if file is ICAL else ICAL)
    (folder / "student_routes.py").write_text(changed if file is ROUTES else ROUTES)
    monkeypatch.chdir(folder)
    judged("05.calendar_routes", item, checker.evaluate("05.calendar_routes", "student_routes.py"))
