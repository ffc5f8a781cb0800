"""`labkit grade --one NOTEBOOK`: one student's notebook, graded the way the course grades it.

For a student's own CI (a GitHub Actions step, a pre-submit check): the same sandbox and the
same evaluation as the class run, a table of exercises on stdout, and with ``--out`` the
feedback page, results.json and junit.xml.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from labkit.tools.grade.collect import Handin


def grade_one(args: argparse.Namespace) -> int:
    from labkit.tools.grade import commands, fanout, reports
    from labkit.tools.grade.job import grade_job
    from labkit.tools.grade.released import lesson_of, load_notebook, released_lessons

    lessons = released_lessons()
    try:
        notebook = load_notebook(args.one)
    except ValueError as error:
        print(f"labkit grade: {error}; fix the file (open it in Jupyter and save)", file=sys.stderr)
        return 1
    by_name = {lesson.name: lesson for lesson in lessons}
    lesson = by_name.get(args.one.name) or lesson_of(notebook, lessons)
    if lesson is None:
        print(f"labkit grade: {args.one.name} checks no exercise of any lesson", file=sys.stderr)
        return 1
    out = args.out or Path(tempfile.mkdtemp(prefix="labkit-grade-one-"))
    renamed = "" if args.one.name == lesson.name else args.one.name
    spec = fanout.job_spec(Handin("me", lesson, args.one, renamed), commands._limits(args), "one")
    started = commands._ensure_stack()
    began = time.monotonic()
    try:
        row = grade_job(spec, fanout.machine_context(out))
    finally:
        if started and not args.keep_stack:
            import labkit

            labkit.down()
    for ex, res in row["exercises"].items():
        print(
            f"{ex:32} {res['status']:10} {res['points']:g}/{res['max_points']:g}  {res['message']}"
        )
    print(
        f"{lesson.name}: {row['status']}, {row['points']:g} of {row['max_points']:g} points in {time.monotonic() - began:.0f} s"
    )
    if args.out:
        reports.write_all([row], args.out)
    if row["status"] in ("invalid notebook",):
        return 1
    return 1 if args.strict and row["points"] < row["max_points"] else 0
