"""What a student types at each exercise: two wrong attempts, then the right one.

Code exercises take their wrong attempts from the mutation catalogues (tests/lessons/
test_mutations_*.py: typical mistakes written as edits of the worked solution) and their right
attempt from notebooks/solutions; question exercises take two typical wrong answers from
`WRONG_ANSWERS`, then the solution notebook's own cell.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

from labkit.paths import REPO_ROOT
from tests.lessons import (
    test_mutations_calendar,
    test_mutations_celery,
    test_mutations_config,
    test_mutations_sqs,
)
from tests.lessons.mutations import Mistake

CHECK = re.compile(r"""check\(\s*["'](\d\d\.\w+)["']""")

#: Two typical wrong answers per question (never the right one).
WRONG_ANSWERS: dict[str, tuple] = {
    "00.no_docker_mode": ("docker", "compose"),
    "00.sqs_port": (6400, 0),
    "01.first_out_of_order": (-1, 1000),
    "01.fifo_inversions": (1, 10),
    "01.guarantee": ("a", "c"),
    "02.dedup_interval": (301, "5 minutes"),
    "02.parallelism": (16, 1),
    "02.group_id": ("a", "c"),
    "03.receive_count": (2, 1),
    "03.dead_letter": (1, 100),
    "03.idempotent": ("a", "c"),
    "04.waiting_state": ("STARTED", "QUEUED"),
    "04.shortest_batch": (100.0, 0.01),
    "04.why_faster": ("a", "c"),
    "05.missing_from_calendar": (0, 100),
    "05.unknown_id": ("a", "c"),
    "05.result_backend": ("CELERY_BROKER_URL", "REDIS_URL"),
    "05.three_exports": (50, "150 minutes"),
    "06.no_backend": ("a", "b"),
    "06.body_encoding": ("json", "utf-8"),
    "06.ordered_tasks": ("MessageDeduplicationId", "QueueUrl"),
    "07.task_role": ("execution_role_arn", "iam_role"),
    "07.dead_letter_receives": (1, 100),
    "07.parallel_jobs": (1, 100),
    "08.copies": (20, 120),
}


def catalogue() -> list[Mistake]:
    """Every typical mistake of the code checks, in the catalogues' order."""
    items: list[Mistake] = []
    for module in (test_mutations_sqs, test_mutations_celery, test_mutations_calendar):
        for name in dir(module):
            value = getattr(module, name)
            if name.isupper() and isinstance(value, list):
                items += [v[0] if isinstance(v, tuple) else v for v in value]
    for name in ("SQS_BLOCKS", "SUBSCRIPTION", "FILTER_POLICY"):
        items += getattr(test_mutations_config, name)
    return [item for item in items if isinstance(item, Mistake)]


def solutions(lesson: str) -> list[nbformat.NotebookNode]:
    [path] = (REPO_ROOT / "notebooks" / "solutions").glob(f"{lesson}_*.ipynb")
    return nbformat.read(path, as_version=4).cells


def solution_imports(lesson: str) -> str:
    """The import lines of the solution notebook (its worked answers use them)."""
    lines = []
    for cell in solutions(lesson):
        if cell.cell_type == "code":
            lines += [ln for ln in cell.source.splitlines() if ln.startswith(("import ", "from "))]
    return "\n".join(dict.fromkeys(lines))


def _key(source: str) -> set[str]:
    """What a student-code cell defines: its %%writefile file, functions and top-level names."""
    first, _, body = source.partition("\n")
    if first.startswith("%%writefile"):
        return {first.split()[1]}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names - {"todos", "answer"}


def right_source(lesson: str, student_source: str) -> str:
    """The worked solution of a student-code cell: the solution cells defining the same things."""
    wanted = _key(student_source)
    found = [
        c.source for c in solutions(lesson) if c.cell_type == "code" and _key(c.source) & wanted
    ]
    assert found, f"lesson {lesson}: no worked solution for a cell defining {sorted(wanted)}"
    return "\n\n".join(found)


def wrong_sources(right: dict[int, str], count: int = 2) -> list[dict[int, str]]:
    """``count`` typical mistakes that apply to these worked cells (asserts dropped, so a wrong
    check prints its hint instead of raising)."""
    unasserted = {
        i: s.replace("assert labkit.lessons.check", "labkit.lessons.check")
        for i, s in right.items()
    }
    attempts = []
    for item in catalogue():
        sources = dict(unasserted)
        for old, new in item.edits:
            holders = [i for i, s in sources.items() if old in s]
            if not holders:
                break
            sources[holders[0]] = sources[holders[0]].replace(old, new)
        else:
            attempts.append(sources)
        if len(attempts) == count:
            return attempts
    raise AssertionError(f"fewer than {count} catalogued mistakes apply to {list(right)}")


def answer_attempts(exercise_id: str, lesson_source: str) -> list[str]:
    """The question cell with two wrong answers typed in."""
    wrong = WRONG_ANSWERS[exercise_id]
    return [
        re.sub(r"^answer = \.\.\.", f"answer = {value!r}", lesson_source, flags=re.M)
        for value in wrong
    ]


def solution_cell(lesson: str, exercise_id: str) -> str:
    [source] = [
        c.source
        for c in solutions(lesson)
        if c.cell_type == "code" and exercise_id in CHECK.findall(c.source)
    ]
    return source


def lesson_of(path: Path) -> str:
    return path.name[:2]
