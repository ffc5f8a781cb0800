"""`labkit grade` below the notebook level: registry points and nbgrader metadata, collecting
submissions, changed cells, the sandboxed evaluation of recorded answers, and the reports.

Fast (no notebook runs, no lab stack): `make test`. The whole class is test_grade_class.py.
"""

from __future__ import annotations

import csv
import json
import pickle
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from labkit.lessons.grading.checker import exercise, get_exercise
from labkit.paths import NOTEBOOK_DIR
from labkit.tools.grade import dashboard, reports, synthetic
from labkit.tools.grade.cells import changed_cells, student_code
from labkit.tools.grade.collect import handins, students
from labkit.tools.grade.job import _evaluate
from labkit.tools.grade.nbgrader_metadata import stale
from labkit.tools.grade.released import exercises_in, load_lesson, source_of
from labkit.tools.grade.sandbox import Limits

LESSON = synthetic.LESSON_01


def test_points_live_in_the_registry_and_every_exercise_cell_says_them():
    assert get_exercise("01.publisher").points == 2
    assert get_exercise("01.guarantee").points == 1
    with pytest.raises(ValueError, match="points"):
        exercise("99.bad", hint="h", points=-1)
    assert stale() == [], "run: python -m labkit.tools.grade.nbgrader_metadata"
    for path in sorted(NOTEBOOK_DIR.glob("[0-9]*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            ids = exercises_in(cell)
            if ids:
                meta = cell["metadata"]["nbgrader"]
                assert meta["grade"] and meta["points"] == sum(get_exercise(i).points for i in ids)
                assert meta["solution"] == ("answer =" in source_of(cell))
            elif "student-code" in cell["metadata"].get("tags", []):
                assert cell["metadata"]["nbgrader"]["solution"] is True


def test_collect_folders_zips_renamed_missing_and_invalid(tmp_path):
    subs = tmp_path / "subs"
    synthetic.write(synthetic.notebook(LESSON), subs / "ann" / LESSON)
    with zipfile.ZipFile(subs / "bob.zip", "w") as zipped:
        zipped.writestr(f"bob/work/Copy of {LESSON}", json.dumps(synthetic.notebook(LESSON)))
        zipped.writestr("../../escape.ipynb", "{}")
    (subs / "cat").mkdir()
    synthetic.write("{not json", subs / "dan" / LESSON)
    lessons = [load_lesson(NOTEBOOK_DIR / LESSON)]
    found = students(subs, tmp_path / "unpacked")
    assert sorted(found) == ["ann", "bob", "cat", "dan"]
    assert not (tmp_path / "escape.ipynb").exists() and not list(tmp_path.glob("../escape*"))
    got = {s: handins(folder, s, lessons)[0] for s, folder in found.items()}
    assert got["ann"].path.name == LESSON and not got["ann"].renamed_from
    assert got["bob"].renamed_from == f"Copy of {LESSON}"
    assert got["cat"].path is None
    assert got["dan"].path.name == LESSON  # found; the job reports it as invalid


def test_changed_cells_list_what_is_not_the_students_own():
    lesson = load_lesson(NOTEBOOK_DIR / LESSON)
    nb = synthetic.notebook(LESSON, extra=[(-1, "print('scratch')")])
    assert [c["change"] for c in changed_cells(lesson, nb["cells"])] == ["added"]
    setup = next(
        c for c in nb["cells"] if c["cell_type"] == "code" and "labkit.up(" in source_of(c)
    )
    setup["source"] = "lab = None"
    nb["cells"] = [c for c in nb["cells"] if "plot_standard_vs_fifo(standard" not in source_of(c)]
    rows = changed_cells(lesson, nb["cells"])
    assert ("changed", setup["id"]) in {(r["change"], r["id"]) for r in rows}
    assert sorted(r["change"] for r in rows) == ["added", "changed", "removed"]
    assert "def publish" in student_code(lesson, nb["cells"])[0]


def _capture(folder: Path, exercise_id: str, **record) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{exercise_id}.pkl").write_bytes(pickle.dumps({"exercise": exercise_id, **record}))


def test_the_grader_judges_recorded_answers_itself_in_a_sandbox(tmp_path):
    lesson = load_lesson(NOTEBOOK_DIR / LESSON)
    capture = tmp_path / "capture"
    _capture(capture, "01.guarantee", answer="b")
    _capture(capture, "01.fifo_inversions", answer=5)
    _capture(capture, "01.publisher", function="publish")
    _capture(capture, "01.subscriber", function="subscribe")
    code = synthetic.PATCH_CHECKER + "\n\n" + synthetic.TEMPLATE_PUBLISH
    code += "\n\n\nif True:\n    while True:\n        pass\n" + synthetic.TEMPLATE_SUBSCRIBE
    nb = synthetic.notebook(LESSON, code=[code], solved=False)
    work = tmp_path / "work"
    work.mkdir(mode=0o711)
    spec = {
        "work": str(work),
        "stack_state": str(tmp_path / "no-stack.json"),
        "limits": Limits(exercise_seconds=60).__dict__,
        "account": "123456789012",
        "define_seconds": 2,
    }
    verdicts = _evaluate(spec, lesson, nb["cells"], capture, stopped="")
    assert verdicts["01.guarantee"]["status"] == "right"
    assert verdicts["01.guarantee"]["points"] == 1
    assert verdicts["01.fifo_inversions"]["status"] == "wrong"
    assert verdicts["01.first_out_of_order"]["status"] == "not tried"
    # the student-code cell patches the checker, then loops: no marks either way
    assert verdicts["01.publisher"]["status"] == "error"
    assert "did not finish within 2 s" in verdicts["01.publisher"]["message"]
    code = synthetic.PATCH_CHECKER + "\n\n" + synthetic.TEMPLATE_PUBLISH
    nb = synthetic.notebook(
        LESSON, code=[code + "\n\n" + synthetic.TEMPLATE_SUBSCRIBE], solved=False
    )
    verdicts = _evaluate(
        spec, lesson, nb["cells"], capture, stopped="the notebook stopped (kernel died)"
    )
    assert verdicts["01.publisher"]["status"] == "wrong" and verdicts["01.publisher"]["points"] == 0
    assert "changes the checker" in verdicts["01.publisher"]["message"]
    assert verdicts["01.first_out_of_order"]["status"] == "error"
    nb = synthetic.notebook(LESSON, code=[synthetic.TEMPLATE_SUBSCRIBE], solved=False)
    verdicts = _evaluate(spec, lesson, nb["cells"], capture, stopped="")
    assert verdicts["01.subscriber"]["status"] == "not tried"  # still the template
    assert "define publish" in verdicts["01.publisher"]["message"]


def _row(student: str, statuses: dict[str, str], **extra) -> dict:
    exercises = {
        ex: {
            "status": status,
            "message": {"right": "well done", "wrong": "<b>off by one</b>"}.get(status, "…"),
            "points": get_exercise(ex).points if status == "right" else 0,
            "max_points": get_exercise(ex).points,
            "seconds": 0.5,
        }
        for ex, status in statuses.items()
    }
    row = {"student": student, "lesson": "01", "status": "completed", "exercises": exercises}
    row.update({"cells_failed": [], "changed_cells": [], "notebook_seconds": 30.0, **extra})
    row["points"] = sum(e["points"] for e in exercises.values())
    row["max_points"] = sum(e["max_points"] for e in exercises.values())
    return row


def class_rows() -> list[dict]:
    return [
        _row("ann", {"01.publisher": "right", "01.guarantee": "right"}),
        _row("bob", {"01.publisher": "wrong", "01.guarantee": "right"}),
        _row("cat", {"01.publisher": "wrong", "01.guarantee": "not tried"}, killed_processes=3),
        _row(
            "dan",
            {"01.publisher": "error", "01.guarantee": "not tried"},
            status="timeout",
            changed_cells=[{"cell": 3, "id": "3", "change": "changed", "line": "lab = None"}],
        ),
    ]


def test_reports_say_the_same_numbers_in_every_format(tmp_path):
    rows = class_rows()
    reports.write_all(rows, tmp_path)
    dashboard.write(rows, tmp_path)
    ann = json.loads((tmp_path / "students" / "ann" / "grade.json").read_text())
    assert (ann["points"], ann["max_points"]) == (3, 3)
    scope = json.loads((tmp_path / "students" / "bob" / "results.json").read_text())
    assert scope["score"] == 1 and {t["status"] for t in scope["tests"]} == {"passed", "failed"}
    suites = ET.parse(tmp_path / "junit.xml").getroot()
    dan = next(s for s in suites if s.get("name") == "dan.01")
    assert (dan.get("errors"), dan.get("skipped"), dan.get("failures")) == ("1", "1", "0")
    table = list(csv.DictReader((tmp_path / "class.csv").open()))
    assert [(r["student"], r["total"]) for r in table] == [
        ("ann", "3"),
        ("bob", "1"),
        ("cat", "0"),
        ("dan", "0"),
    ]
    page = (tmp_path / "students" / "bob" / "feedback.html").read_text()
    assert "&lt;b&gt;off by one&lt;/b&gt;" in page and "<b>off by one</b>" not in page
    assert dashboard.pass_rates(rows) == {"01.guarantee": (2, 4), "01.publisher": (1, 4)}
    assert dashboard.wrong_hints(rows) == [["01.publisher", 2, "<b>off by one</b>"]]
    assert dashboard.not_tried(rows) == [["01.guarantee", 2, "cat, dan"]]


@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="/usr/bin/chromium missing")
def test_dashboard_opens_from_disk_in_chromium(tmp_path):
    from playwright.sync_api import sync_playwright

    page_file = dashboard.write(class_rows(), tmp_path)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox"]
        )
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri())
        bar = page.locator('rect.bar[data-exercise="01.guarantee"]')
        assert (bar.get_attribute("data-right"), bar.get_attribute("data-total")) == ("2", "4")
        assert "50% (2/4)" in page.locator("svg").text_content()
        assert "lab = None" in page.locator("table.changed").inner_text()
        browser.close()
    assert errors == []
