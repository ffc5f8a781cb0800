"""Synthetic submissions built from the released templates and the worked solutions, for the
tests and `benchmarks/grading.py`: full marks, the template, typical mistakes, cheats and
hostile notebooks, each with the marks it must get."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from labkit.paths import NOTEBOOK_DIR
from labkit.tools.grade.released import exercises_in, load_lesson, source_of

ASSERT_CHECK = re.compile(r"^assert (labkit\.lessons\.check\()", re.M)


def _cell(source: str) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": source,
    }


def _solutions(lesson_file: str, folder: Path) -> tuple[list[str], dict[str, str]]:
    """The solutions notebook's student-code sources and, per exercise, its answer cell."""
    path = folder / "solutions" / lesson_file.replace(".ipynb", "_solutions.ipynb")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = [source_of(c) for c in cells if "student-code" in c.get("metadata", {}).get("tags", [])]
    answers = {}
    for cell in cells:
        for ex in exercises_in(cell):
            answers[ex] = ASSERT_CHECK.sub(r"\1", source_of(cell))
    return code, answers


def notebook(
    lesson_file: str,
    folder: Path = NOTEBOOK_DIR,
    code: list[str] | None = None,
    answers: dict[str, str | None] | None = None,
    solved: bool = True,
    extra: list[tuple[int, str]] | None = None,
) -> dict[str, Any]:
    """A student's copy of ``lesson_file``: the solutions' code and answers when ``solved``,
    then ``code`` (student-code cell sources) and ``answers`` (exercise -> whole answer cell,
    None: left as released) override; ``extra``: (position, source) cells inserted after the
    released cell at that position (-1: at the end)."""
    lesson = load_lesson(folder / lesson_file)
    nb = json.loads((folder / lesson_file).read_text(encoding="utf-8"))
    sol_code, sol_answers = _solutions(lesson_file, folder) if solved else ([], {})
    wanted = dict(sol_answers)
    wanted.update(answers or {})
    sources = code if code is not None else sol_code
    own = [c for c in nb["cells"] if "student-code" in c.get("metadata", {}).get("tags", [])]
    if sources:
        groups = [[s] for s in sources] if len(sources) == len(own) else [sources]
        for cell, group in zip(own, groups, strict=False):
            cell["source"] = "\n\n".join(group)
    for cell in nb["cells"]:
        ids = exercises_in(cell)
        if len(ids) == 1 and "answer" in source_of(cell) and wanted.get(ids[0]) is not None:
            cell["source"] = wanted[ids[0]]
    for position, source in sorted(extra or [], key=lambda e: -e[0] if e[0] >= 0 else -(10**6)):
        at = len(nb["cells"]) if position < 0 else position + 1
        nb["cells"].insert(at, _cell(source))
    for index, cell in enumerate(nb["cells"]):
        cell.setdefault("id", f"added-{index}")
    assert lesson.exercises  # a lesson without exercises has nothing to grade
    return nb


def write(nb: dict[str, Any] | str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nb if isinstance(nb, str) else json.dumps(nb, indent=1), encoding="utf-8")
    return path


def template(lesson_file: str, folder: Path = NOTEBOOK_DIR) -> dict[str, Any]:
    return copy.deepcopy(json.loads((folder / lesson_file).read_text(encoding="utf-8")))


LESSON_01 = "01_standard_vs_fifo.ipynb"
TEMPLATE_PUBLISH = '''def publish(sqs, queue_url: str, count: int, client: str) -> None:
    """Send "Message 0" ... "Message {count - 1}" with the `client` attribute."""
    ...  # your code'''
TEMPLATE_SUBSCRIBE = '''def subscribe(sqs, queue_url: str) -> list[str]:
    """Long-poll, delete what was handled, return the bodies; stop after two empty polls."""
    ...  # your code'''
OFF_BY_ONE_PUBLISH = """def publish(sqs, queue_url: str, count: int, client: str) -> None:
    attributes = {"client": {"DataType": "String", "StringValue": client}}
    for i in range(1, count + 1):
        sqs.send_message(QueueUrl=queue_url, MessageBody=f"Message {i}", MessageAttributes=attributes)"""
SHORT_POLL_SUBSCRIBE = """def subscribe(sqs, queue_url: str) -> list[str]:
    bodies = []
    for _ in range(5):
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies"""
LOOPING_PUBLISH = """def publish(sqs, queue_url: str, count: int, client: str) -> None:
    while True:  # never stops
        pass"""
PATCH_CHECKER = """import labkit.lessons.grading.checker as _checker

_checker.evaluate = lambda exercise_id, answer, data=None: _checker.CheckResult(
    exercise_id, "right", "well done"
)"""
REDEFINE_CHECK = """import labkit.lessons

labkit.lessons.check = lambda exercise_id, answer, data=None: print(f"✔ {exercise_id}: right — well done") or True"""
KILL_KERNEL = "import os, signal\n\nos.kill(os.getpid(), signal.SIGKILL)"
FORKS = """import os, subprocess, sys, time

for _ in range(5):
    subprocess.Popen(["sleep", "3600"], start_new_session=True)
for _ in range(5):
    if os.fork() == 0:
        time.sleep(3600)
        os._exit(0)"""
PRINTS = 'print("x" * 3_000_000)\nprint("y" * 3_000_000)'
DELETES = """import os, shutil

for target in {targets!r}:
    try:
        os.remove(target)
    except OSError as error:
        print("could not delete", target, type(error).__name__)
shutil.rmtree(os.path.expanduser("~"), ignore_errors=True)"""
SPIN = "while True:\n    pass"


def _answer(exercise_id: str, value: str) -> str:
    return f'answer = {value}\nlabkit.lessons.check("{exercise_id}", answer)'


def _fake_tick(exercise_id: str) -> str:
    return f'print("✔ {exercise_id}: right — well done")'


def _cell_index(lesson_file: str, folder: Path, exercise_id: str) -> int:
    lesson = load_lesson(folder / lesson_file)
    return next(i for i, c in enumerate(lesson.cells) if exercise_id in exercises_in(c))


FULL_01 = {
    "01.publisher": 2,
    "01.subscriber": 2,
    "01.first_out_of_order": 1,
    "01.fifo_inversions": 1,
    "01.guarantee": 1,
}
ZERO_01 = dict.fromkeys(FULL_01, 0)
Plan = dict[str, tuple[Any, dict[str, Any]]]


def _honest(name: str, folder: Path) -> Plan:
    """Full marks, the template, typical mistakes, partial work."""
    full, zero = FULL_01, ZERO_01
    return {
        "full": (notebook(name, folder), {"points": full}),
        "template": (template(name, folder), {"points": zero}),
        "mistakes": (
            notebook(
                name,
                folder,
                code=[OFF_BY_ONE_PUBLISH + "\n\n\n" + SHORT_POLL_SUBSCRIBE],
                answers={
                    "01.first_out_of_order": 'answer = 100\nlabkit.lessons.check("01.first_out_of_order", answer, data=standard)',
                    "01.fifo_inversions": _answer("01.fifo_inversions", "5"),
                    "01.guarantee": _answer("01.guarantee", '"a"'),
                },
            ),
            {
                "points": zero,
                "hints": {"01.publisher": "off by one", "01.subscriber": "long polling"},
            },
        ),
        "partial": (
            notebook(
                name,
                folder,
                code=[_solutions(name, folder)[0][0] + "\n\n\n" + TEMPLATE_SUBSCRIBE],
                answers={"01.guarantee": _answer("01.guarantee", '"b"')},
                solved=False,
            ),
            {
                "points": {**zero, "01.publisher": 2, "01.guarantee": 1},
                "not_tried": ["01.subscriber", "01.fifo_inversions"],
            },
        ),
    }


def _hostile(name: str, folder: Path) -> Plan:
    """Cheats and notebooks that try to break the run (vandal, missing, renamed, invalid are
    written by `lesson_01_class`: they need the class's paths)."""
    full, zero = FULL_01, ZERO_01
    after_code = _cell_index(name, folder, "01.publisher")
    answers_only = ["01.first_out_of_order", "01.fifo_inversions", "01.guarantee"]
    return {
        "patched": (
            notebook(
                name,
                folder,
                code=[PATCH_CHECKER + "\n\n\n" + TEMPLATE_PUBLISH + "\n\n\n" + TEMPLATE_SUBSCRIBE],
                solved=False,
            ),
            {"points": zero},
        ),
        "faked": (
            notebook(
                name,
                folder,
                answers={ex: _fake_tick(ex) for ex in answers_only},
                code=[TEMPLATE_PUBLISH + "\n\n\n" + TEMPLATE_SUBSCRIBE],
            ),
            {"points": zero},
        ),
        "redefined": (
            notebook(name, folder, extra=[(after_code - 2, REDEFINE_CHECK)]),
            {"points": zero},
        ),
        "loop": (
            notebook(
                name,
                folder,
                code=[LOOPING_PUBLISH + "\n\n\n" + _solutions(name, folder)[0][1]],
                extra=[(-1, SPIN)],
            ),
            {"points": {**full, "01.publisher": 0}, "hints": {"01.publisher": "did not return"}},
        ),
        "killed": (
            notebook(name, folder, extra=[(after_code, KILL_KERNEL)]),
            {"points": {**zero, "01.publisher": 2, "01.subscriber": 2}, "status": "kernel died"},
        ),
        "vandal": (None, {"points": full}),  # written below: it names the others' files
        "missing": (None, {"points": zero, "status": "missing"}),
        "renamed": (notebook(name, folder), {"points": full, "renamed": True}),
        "invalid": (
            '{"cells": [{"cell_type": "code", "source": "print(',
            {"points": zero, "status": "invalid notebook"},
        ),
    }


def lesson_01_class(root: Path, folder: Path = NOTEBOOK_DIR) -> dict[str, dict[str, Any]]:
    """Write a class of 13 students' lesson-01 submissions under ``root``; return what each
    must get: {student: {"points": {exercise: points}, "status": run status, ...}}."""
    name = LESSON_01
    plan = {**_honest(name, folder), **_hostile(name, folder)}
    expected = {}
    for student, (nb, expect) in plan.items():
        expected[student] = {"status": "completed", **expect}
        if student in ("vandal", "missing", "renamed"):
            continue
        write(nb, root / student / name)
    write(notebook(name, folder), root / "renamed-src" / "nested" / f"Copy of {name}")
    import shutil

    shutil.make_archive(str(root / "renamed"), "zip", root / "renamed-src")
    shutil.rmtree(root / "renamed-src")
    (root / "missing").mkdir()
    (root / "missing" / "README.txt").write_text("I forgot to upload it\n")
    targets = [str(root / "full" / name), str(root)]
    extra = [(-1, FORKS), (-1, PRINTS), (-1, DELETES.format(targets=targets))]
    write(notebook(name, folder, extra=extra), root / "vandal" / name)
    return expected
