"""`dashboard.html`: the class at a glance, one self-contained file that opens from disk.

Pass rate per exercise (an inline SVG bar chart), the most common wrong hints per exercise with
counts, who has not tried what, time per lesson, the runs that errored or timed out, and the
cells changed outside the students' own. No scripts, no network: plain HTML and SVG.
"""

from __future__ import annotations

import html
import statistics
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from labkit.tools.grade.reports import Row, exercise_ids

e = html.escape
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;"
    "color:#222}table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border-bottom:1px "
    "solid #ddd;padding:.25rem .6rem;text-align:left;vertical-align:top}th{background:#f4f4f4}"
    "svg text{font-size:12px;font-family:system-ui,sans-serif}.num{text-align:right}"
)


def pass_rates(rows: list[Row]) -> dict[str, tuple[int, int]]:
    """{exercise: (students right, students graded)}."""
    rates: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        for ex, res in row["exercises"].items():
            rates[ex][1] += 1
            rates[ex][0] += res["status"] == "right"
    return {ex: (right, total) for ex, (right, total) in sorted(rates.items())}


def pass_rate_svg(rates: dict[str, tuple[int, int]]) -> str:
    """A horizontal bar per exercise: the share of students right, labelled with the counts."""
    bar_h, label_w, plot_w = 22, 190, 420
    height = 40 + bar_h * len(rates) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{label_w + plot_w + 90}" '
        f'height="{height}" aria-labelledby="pass-title">',
        '<title id="pass-title">Pass rate per exercise</title>',
        f'<text x="{label_w}" y="18" font-weight="bold">Pass rate per exercise (share of students right)</text>',
    ]
    for i, (ex, (right, total)) in enumerate(rates.items()):
        y = 30 + i * bar_h
        share = right / total if total else 0
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{e(ex)}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{plot_w}" height="{bar_h - 6}" fill="#eee"/>'
        )
        parts.append(
            f'<rect class="bar" data-exercise="{e(ex)}" data-right="{right}" data-total="{total}" '
            f'x="{label_w}" y="{y + 3}" width="{plot_w * share:.1f}" height="{bar_h - 6}" fill="#2f7d4f"/>'
        )
        parts.append(
            f'<text x="{label_w + plot_w + 6}" y="{y + 15}">{share:.0%} ({right}/{total})</text>'
        )
    axis_y = 30 + bar_h * len(rates) + 4
    for tick in (0, 0.5, 1):
        x = label_w + plot_w * tick
        parts.append(f'<text x="{x:.0f}" y="{axis_y + 14}" text-anchor="middle">{tick:.0%}</text>')
    parts.append(
        f'<text x="{label_w + plot_w / 2:.0f}" y="{axis_y + 28}" text-anchor="middle">students right</text>'
    )
    return "".join(parts) + "</svg>"


def _table(headers: list[str], body: list[list[Any]], css: str) -> str:
    if not body:
        return f'<p class="{css}">none</p>'
    head = "".join(f"<th>{e(h)}" for h in headers)
    rows = "".join("<tr>" + "".join(f"<td>{e(str(c))}" for c in row) for row in body)
    return f'<table class="{css}"><tr>{head}{rows}</table>'


def wrong_hints(rows: list[Row], top: int = 3) -> list[list[Any]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        for ex, res in row["exercises"].items():
            if res["status"] == "wrong":
                counts[ex][res["message"]] += 1
    return [[ex, n, hint] for ex in sorted(counts) for hint, n in counts[ex].most_common(top)]


def not_tried(rows: list[Row]) -> list[list[Any]]:
    who: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        for ex, res in row["exercises"].items():
            if res["status"] == "not tried":
                who[ex].append(row["student"])
    return [[ex, len(names), ", ".join(sorted(names))] for ex, names in sorted(who.items())]


def lesson_times(rows: list[Row]) -> list[list[Any]]:
    times: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        if "notebook_seconds" in row:
            times[row["lesson"]].append(row["notebook_seconds"])
    return [
        [n, len(t), f"{statistics.median(t):.1f}", f"{max(t):.1f}"]
        for n, t in sorted(times.items())
    ]


def problems(rows: list[Row]) -> list[list[Any]]:
    found = []
    for row in rows:
        notes = [f"{c['error']} (cell {c['index']})" for c in row.get("cells_failed", [])][:3]
        if row.get("killed_processes"):
            notes.append(f"{row['killed_processes']} processes left running, killed")
        if row.get("output_dropped_bytes"):
            notes.append(f"{row['output_dropped_bytes'] / 1e6:.1f} MB of output not kept")
        errors = [ex for ex, res in row["exercises"].items() if res["status"] == "error"]
        if errors:
            notes.append("no verdict for " + ", ".join(errors))
        if row["status"] != "completed" or notes:
            found.append([row["student"], row["lesson"], row["status"], "; ".join(notes)])
    return found


def changed(rows: list[Row]) -> list[list[Any]]:
    return [
        [
            row["student"],
            row["lesson"],
            c["change"],
            c["cell"] if c["cell"] is not None else "new",
            c["line"],
        ]
        for row in rows
        for c in row.get("changed_cells", [])
    ]


def render(rows: list[Row], title: str = "labkit grade") -> str:
    students = sorted({r["student"] for r in rows})
    totals = defaultdict(float)
    for row in rows:
        totals[row["student"]] += row["points"]
    most = max(
        (sum(r["max_points"] for r in rows if r["student"] == s) for s in students), default=0
    )
    mean = statistics.mean(totals.values()) if totals else 0
    sections = [
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{e(title)}</title><style>{_STYLE}</style>",
        f"<h1>{e(title)}</h1>",
        f'<p id="summary" data-students="{len(students)}" data-exercises="{len(exercise_ids(rows))}">'
        f"{len(students)} students, {len(exercise_ids(rows))} exercises, mean {mean:.1f} of {most:g} points.</p>",
        "<h2>Pass rate per exercise</h2>",
        pass_rate_svg(pass_rates(rows)),
        "<h2>Most common wrong answers (the hint they were given)</h2>",
        _table(["exercise", "students", "hint"], wrong_hints(rows), "wrong-hints"),
        "<h2>Not tried</h2>",
        _table(["exercise", "students", "who"], not_tried(rows), "not-tried"),
        "<h2>Time per lesson (seconds to run the notebook)</h2>",
        _table(["lesson", "notebooks", "median", "slowest"], lesson_times(rows), "times"),
        "<h2>Errors, timeouts and runaway notebooks</h2>",
        _table(["student", "lesson", "run", "what happened"], problems(rows), "problems"),
        "<h2>Cells changed outside the students' own</h2>",
        _table(["student", "lesson", "change", "cell", "first line"], changed(rows), "changed"),
        "<h2>Marks</h2>",
        _table(["student", "points"], [[s, f"{totals[s]:g}"] for s in students], "marks"),
    ]
    return "\n".join(sections) + "\n</html>\n"


def write(rows: list[Row], out: Path, title: str = "labkit grade") -> Path:
    path = out / "dashboard.html"
    path.write_text(render(rows, title), encoding="utf-8")
    return path
