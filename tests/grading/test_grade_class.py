"""A synthetic class of 13 lesson-01 submissions graded end to end by `labkit grade`.

Built from the worked solutions and the released template (`synthetic.lesson_01_class`):
full marks, the template, typical mistakes, partial work, a patched checker, faked ticks, a
redefined `check`, an infinite loop, a killed kernel, a notebook that forks/prints/deletes, a
missing, a renamed (in a zip) and an invalid notebook. Every exercise's points are exact, the
hostile notebooks leave the others' marks alone, every output exists, and the dashboard opens
in Chromium without console errors and shows the class's numbers.

Several minutes on two cores: `extended` (make test-extended).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from labkit.tools.grade import synthetic

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.extended, pytest.mark.timeout(3600)]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    base.chmod(0o700)
    expected = synthetic.lesson_01_class(base / "subs")
    out = base / "results"
    command = [sys.executable, "-m", "labkit", "grade", str(base / "subs"), "--out", str(out)]
    command += ["--lessons", "01", "--jobs", "2", "--cell-timeout", "45", "--timeout", "400"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3000)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {p.parent.name: json.loads(p.read_text()) for p in (out / "students").glob("*/01.json")}
    return base, out, expected, rows, command, env


def test_every_student_gets_exactly_the_expected_marks(graded):
    _, _, expected, rows, _, _ = graded
    assert sorted(rows) == sorted(expected)
    got = {s: {ex: r["points"] for ex, r in row["exercises"].items()} for s, row in rows.items()}
    assert got == {s: e["points"] for s, e in expected.items()}
    for student, want in expected.items():
        assert rows[student]["status"] == want["status"], (student, rows[student])
        for ex, words in want.get("hints", {}).items():
            assert words in rows[student]["exercises"][ex]["message"], (student, ex)
        for ex in want.get("not_tried", []):
            assert rows[student]["exercises"][ex]["status"] == "not tried"


def test_cheats_and_hostile_notebooks_are_named_for_what_they_did(graded):
    base, _, _, rows, _, _ = graded
    template = rows["template"]["exercises"]
    assert {r["status"] for r in template.values()} == {"not tried"}
    assert "changes the checker" in rows["patched"]["exercises"]["01.publisher"]["message"]
    assert {r["status"] for r in rows["redefined"]["exercises"].values()} == {"not tried"}
    assert rows["redefined"]["changed_cells"][0]["change"] == "added"
    killed = rows["killed"]["exercises"]["01.guarantee"]
    assert killed["status"] == "error" and "kernel died" in killed["message"]
    assert any("CellTimeout" in c["error"] for c in rows["loop"]["cells_failed"])
    vandal = rows["vandal"]
    assert vandal["killed_processes"] >= 5 and vandal["output_dropped_bytes"] > 1_000_000
    assert (base / "subs" / "full" / synthetic.LESSON_01).is_file()  # its delete was refused
    assert rows["renamed"]["renamed_from"] == f"Copy of {synthetic.LESSON_01}"
    assert rows["invalid"]["exercises"]["01.guarantee"]["status"] == "error"


def test_outputs_for_course_tools(graded):
    _, out, expected, rows, command, env = graded
    for student in expected:
        folder = out / "students" / student
        assert {"grade.json", "feedback.html", "results.json"} <= {p.name for p in folder.iterdir()}
    scope = json.loads((out / "students" / "full" / "results.json").read_text())
    assert scope["score"] == 7 and len(scope["tests"]) == 5
    table = {r["student"]: r for r in csv.DictReader((out / "class.csv").open())}
    assert table["full"]["total"] == "7" and table["partial"]["total"] == "3"
    assert len(ET.parse(out / "junit.xml").getroot()) == len(expected)
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "graded 0 notebooks (13 already graded" in again.stdout


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed")
def test_dashboard_opens_in_chromium_and_shows_the_class(graded):
    from playwright.sync_api import sync_playwright

    _, out, expected, rows, _, _ = graded
    right = sum(r["exercises"]["01.publisher"]["status"] == "right" for r in rows.values())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((out / "dashboard.html").as_uri())
        assert page.get_attribute("#summary", "data-students") == str(len(expected))
        bar = page.locator('rect.bar[data-exercise="01.publisher"]')
        assert bar.get_attribute("data-right") == str(right)
        assert bar.get_attribute("data-total") == str(len(expected))
        assert "off by one" in page.locator("table.wrong-hints").inner_text()
        assert "template" in page.locator("table.not-tried").inner_text()
        assert "kernel died" in page.locator("table.problems").inner_text()
        browser.close()
    assert errors == []
