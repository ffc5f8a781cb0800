"""Who handed in what: one folder or one .zip per student, named by the student's id.

A notebook is matched to its lesson by file name; one under another name (``Copy of
01_...ipynb``, ``01_standard_vs_fifo (1).ipynb``) is matched by the exercises it checks and
graded, with the rename noted. Zips are unpacked with limits (notebooks only, no paths out of
the folder, bounded sizes) into the results folder.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from labkit.tools.grade.released import Lesson, lesson_of, load_notebook

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
MAX_NOTEBOOK_BYTES = 50_000_000
MAX_ZIP_BYTES = 300_000_000


@dataclass
class Handin:
    """One student x lesson: the notebook to grade, or why there is none."""

    student: str
    lesson: Lesson
    path: Path | None
    renamed_from: str = ""


class CollectError(ValueError):
    """The submissions folder cannot be read; the message says what to do."""


def unzip(archive: Path, into: Path) -> list[str]:
    """Extract the notebooks of ``archive`` flat into ``into``; what was skipped, in words."""
    skipped = []
    into.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(archive) as zipped:
            total = 0
            for member in zipped.infolist():
                name = PurePosixPath(member.filename).name
                if member.is_dir() or not name.endswith(".ipynb") or "__MACOSX" in member.filename:
                    continue
                if (
                    member.file_size > MAX_NOTEBOOK_BYTES
                    or total + member.file_size > MAX_ZIP_BYTES
                ):
                    skipped.append(f"{name}: too large")
                    continue
                total += member.file_size
                (into / name).write_bytes(zipped.read(member)[:MAX_NOTEBOOK_BYTES])
    except (zipfile.BadZipFile, OSError) as error:
        skipped.append(f"{archive.name}: not a readable zip ({error})")
    return skipped


def students(submissions: Path, unpack: Path) -> dict[str, Path]:
    """{student id: folder of their notebooks}, zips unpacked under ``unpack``."""
    if not submissions.is_dir():
        raise CollectError(
            f"{submissions} is not a folder; give the folder holding one folder or zip per student"
        )
    found: dict[str, Path] = {}
    for entry in sorted(submissions.iterdir()):
        student = entry.stem if entry.suffix == ".zip" else entry.name
        if entry.name.startswith(".") or not STUDENT_ID.match(student):
            continue
        if entry.is_dir():
            found[student] = entry
        elif entry.suffix == ".zip":
            unzip(entry, unpack / student)
            found[student] = unpack / student
    return found


def _notebooks(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and p.is_file()
    )


def handins(folder: Path, student: str, lessons: list[Lesson]) -> list[Handin]:
    """One Handin per lesson for ``student`` (path None when missing)."""
    files = _notebooks(folder)
    by_name = {p.name: p for p in files}
    result = {
        lesson.number: Handin(student, lesson, by_name.get(lesson.name)) for lesson in lessons
    }
    for path in files:
        if path.name in {lesson.name for lesson in lessons}:
            continue
        try:
            lesson = lesson_of(load_notebook(path), lessons)
        except ValueError:
            continue
        if lesson is not None and result[lesson.number].path is None:
            result[lesson.number] = Handin(student, lesson, path, renamed_from=path.name)
    return [result[lesson.number] for lesson in lessons]
