"""Outputs for course tools: per-student JSON, feedback HTML and Gradescope `results.json`;
the class as JUnit XML and CSV.

Every function takes the job rows (`job.grade_job`) and writes files; nothing re-runs.
"""

from __future__ import annotations

import csv
import html
import json
from collections import defaultdict
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

Row = dict[str, Any]


def by_student(rows: list[Row]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row["student"]].append(row)
    return {s: sorted(r, key=lambda row: row["lesson"]) for s, r in sorted(grouped.items())}


def exercise_ids(rows: list[Row]) -> list[str]:
    return sorted({ex for row in rows for ex in row["exercises"]})


def student_json(student: str, rows: list[Row]) -> dict[str, Any]:
    """One student's marks: per lesson its run, per exercise status, points, hint, seconds."""
    return {
        "student": student,
        "points": sum(r["points"] for r in rows),
        "max_points": sum(r["max_points"] for r in rows),
        "lessons": rows,
    }


def gradescope(rows: list[Row]) -> dict[str, Any]:
    """Gradescope's autograder `results.json`: one test per exercise, visible to the student."""
    tests = []
    for row in rows:
        for ex, result in row["exercises"].items():
            tests.append(
                {
                    "name": ex,
                    "number": ex,
                    "score": result["points"],
                    "max_score": result["max_points"],
                    "status": "passed" if result["status"] == "right" else "failed",
                    "output": f"{result['status']}: {result['message']}",
                    "visibility": "visible",
                }
            )
    notes = [f"lesson {r['lesson']}: {r['status']}" for r in rows if r["status"] != "completed"]
    return {
        "score": sum(r["points"] for r in rows),
        "execution_time": round(sum(r.get("seconds", 0) for r in rows)),
        "output": "; ".join(notes) or "every notebook ran to the end",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


_MARK = {"right": "✔", "wrong": "✘", "not tried": "…", "error": "⚠"}
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;"
    "text-align:left;vertical-align:top}.right{color:#17663a}.wrong{color:#a1260d}"
    ".error{color:#8a5a00}.not-tried{color:#666}"
)


def feedback_html(student: str, rows: list[Row]) -> str:
    """A page a student can read: each exercise's result and hint, what went wrong in a run."""
    e = html.escape
    parts = [f"<!doctype html><meta charset=utf-8><title>Feedback: {e(student)}</title>"]
    parts.append(f"<style>{_STYLE}</style><h1>Feedback for {e(student)}</h1>")
    total, most = sum(r["points"] for r in rows), sum(r["max_points"] for r in rows)
    parts.append(f"<p>Total: <b>{total:g}</b> of {most:g} points.</p>")
    for row in rows:
        parts.append(
            f"<h2>Lesson {e(row['lesson'])}: {row['points']:g} / {row['max_points']:g}</h2>"
        )
        if row["status"] != "completed":
            parts.append(
                f"<p class=error>The notebook: {e(row['status'])}. {e(row.get('detail', ''))}</p>"
            )
        if row.get("renamed_from"):
            parts.append(f"<p>Graded from <code>{e(row['renamed_from'])}</code>.</p>")
        parts.append("<table><tr><th>exercise<th>result<th>points<th>hint")
        for ex, res in row["exercises"].items():
            css = res["status"].replace(" ", "-")
            parts.append(
                f"<tr><td>{e(ex)}<td class={css}>{_MARK[res['status']]} {e(res['status'])}"
                f"<td>{res['points']:g} / {res['max_points']:g}<td>{e(res['message'])}"
            )
        parts.append("</table>")
        for cell in row.get("cells_failed", []):
            parts.append(f"<p>Cell {cell['index']} stopped: {e(cell['error'])}</p>")
        for cell in row.get("changed_cells", []):
            parts.append(
                f"<p>A cell that is not yours was {e(cell['change'])}: <code>{e(cell['line'])}</code></p>"
            )
    return "\n".join(parts) + "\n"


def junit_xml(rows: list[Row]) -> str:
    """JUnit XML for CI dashboards: a test suite per student x lesson, a test case per exercise."""
    suites = ET.Element("testsuites", name="labkit grade")
    for row in rows:
        results = row["exercises"].values()
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"{row['student']}.{row['lesson']}",
            tests=str(len(row["exercises"])),
            failures=str(sum(r["status"] == "wrong" for r in results)),
            errors=str(sum(r["status"] == "error" for r in results)),
            skipped=str(sum(r["status"] == "not tried" for r in results)),
            time=str(row.get("seconds", 0)),
        )
        for ex, res in row["exercises"].items():
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{row['student']}.{row['lesson']}",
                name=ex,
                time=str(res.get("seconds", 0)),
            )
            tag = {"wrong": "failure", "error": "error", "not tried": "skipped"}.get(res["status"])
            if tag:
                ET.SubElement(case, tag, message=res["message"])
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def class_csv(rows: list[Row], path: Path) -> None:
    """Student x exercise points, then each lesson's status and the total (nbgrader-like)."""
    exercises = exercise_ids(rows)
    lessons = sorted({r["lesson"] for r in rows})
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["student", *exercises, *(f"lesson {n} status" for n in lessons), "total", "max"]
        )
        for student, mine in by_student(rows).items():
            points = {ex: res["points"] for r in mine for ex, res in r["exercises"].items()}
            status = {r["lesson"]: r["status"] for r in mine}
            writer.writerow(
                [
                    student,
                    *(points.get(ex, "") for ex in exercises),
                    *(status.get(n, "") for n in lessons),
                    sum(r["points"] for r in mine),
                    sum(r["max_points"] for r in mine),
                ]
            )


def write_all(rows: list[Row], out: Path) -> None:
    """Every per-student file and the class files (the dashboard is `dashboard.write`)."""
    for student, mine in by_student(rows).items():
        folder = out / "students" / student
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "grade.json").write_text(json.dumps(student_json(student, mine), indent=1))
        (folder / "feedback.html").write_text(feedback_html(student, mine), encoding="utf-8")
        (folder / "results.json").write_text(json.dumps(gradescope(mine), indent=1))
    (out / "junit.xml").write_text(junit_xml(rows), encoding="utf-8")
    class_csv(rows, out / "class.csv")
