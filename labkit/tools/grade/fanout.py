"""Running the jobs: a local pool (``--jobs N``) or Celery workers (``--broker URL``).

A job's spec carries everything that must travel (student, lesson, the notebook's text, limits,
account); each machine adds its own context (released notebooks, folders, its one lab stack).
Finished rows are saved as they arrive (``students/<id>/<lesson>.json``), so an interrupted run
resumes where it stopped; ``--force`` grades again.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from labkit.paths import NOTEBOOK_DIR
from labkit.tools.grade import sandbox
from labkit.tools.grade.collect import Handin
from labkit.tools.grade.job import account_for, grade_job
from labkit.tools.grade.released import read_text

TASK_NAME = "labkit.grade.job"


def job_spec(handin: Handin, limits: sandbox.Limits, run_id: str) -> dict[str, Any]:
    """What one job needs, wherever it runs (the notebook travels as text)."""
    text = None
    if handin.path is not None:
        try:
            text = read_text(handin.path)
        except OSError:
            text = ""
    from dataclasses import asdict

    return {
        "student": handin.student,
        "lesson": handin.lesson.number,
        "released": handin.lesson.name,
        "notebook_text": text,
        "renamed_from": handin.renamed_from,
        "limits": asdict(limits),
        "account": account_for(run_id, handin.student, handin.lesson.number),
    }


def machine_context(out: Path, released: Path = NOTEBOOK_DIR, worker: str = "") -> dict[str, Any]:
    """This machine's part of a job: folders (work folders in a root-only 0711 parent), the
    boxed kernel spec, the running stack's state file."""
    from labkit.stack.state import state_path
    from labkit.tools.grade.execute import install_kernelspec

    base = Path(tempfile.mkdtemp(prefix="labkit-grade-"))
    work = base / "work"
    work.mkdir(mode=0o711)
    base.chmod(0o711)
    return {
        "released_dir": str(released),
        "work": str(work),
        "kernels": str(install_kernelspec(base / "jupyter")),
        "stack_state": str(state_path()),
        "out": str(out / "students"),
        "worker": worker,
        "sandbox": sandbox.describe(),
    }


def row_path(out: Path, student: str, lesson: str) -> Path:
    return out / "students" / student / f"{lesson}.json"


def save_row(out: Path, row: dict[str, Any]) -> None:
    path = row_path(out, row["student"], row["lesson"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(row, indent=1))
    os.replace(tmp, path)


def load_rows(out: Path) -> list[dict[str, Any]]:
    rows = []
    for path in sorted((out / "students").glob("*/[0-9][0-9].json")):
        try:
            rows.append(json.loads(path.read_text()))
        except ValueError:
            continue
    return rows


def run_local(
    specs: list[dict[str, Any]],
    context: dict[str, Any],
    jobs: int,
    done: Callable[[dict[str, Any]], None],
) -> None:
    """``jobs`` at a time on this machine; ``done`` gets each row as it finishes."""
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="grade")
    try:
        futures = [pool.submit(grade_job, spec, context) for spec in specs]
        for future in as_completed(futures):
            done(future.result())
    finally:  # interrupted: start nothing more (the caller kills what runs)
        pool.shutdown(wait=False, cancel_futures=True)


# ---------------------------------------------------------------------------------------------
# Celery: the grader sends specs, `labkit grade-worker` runs them on its own machine's stack


def celery_app(broker: str) -> Any:
    from celery import Celery

    app = Celery("labkit-grade", broker=broker, backend=broker)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        result_expires=7 * 24 * 3600,
        broker_connection_retry_on_startup=True,
    )
    state: dict[str, Any] = {}

    @app.task(name=TASK_NAME, bind=True)
    def grade(self: Any, spec: dict[str, Any]) -> dict[str, Any]:
        if "context" not in state:
            out = Path(
                os.environ.get("LABKIT_GRADE_WORKER_OUT")
                or tempfile.mkdtemp(prefix="labkit-grade-out-")
            )
            state["context"] = machine_context(out, worker=self.request.hostname or "")
        return grade_job(spec, state["context"])

    return app


def run_broker(
    specs: list[dict[str, Any]], broker: str, timeout: float, done: Callable[[dict[str, Any]], None]
) -> None:
    """Send every spec to the workers, then collect rows as they finish (any order)."""
    app = celery_app(broker)
    pending = {app.send_task(TASK_NAME, args=[spec]): spec for spec in specs}
    for result, row in _collect(pending, timeout):
        done(row)
        result.forget()


def _collect(
    pending: dict[Any, dict[str, Any]], timeout: float
) -> Iterator[tuple[Any, dict[str, Any]]]:
    from celery.result import ResultSet

    results = ResultSet(list(pending))
    seen: set[str] = set()

    def finished() -> list[Any]:
        return [r for r in results.results if r.ready() and r.id not in seen]

    from labkit.waiting import Deadline, wait_until

    deadline = Deadline(timeout)
    while len(seen) < len(pending):
        ready = wait_until(finished, max(deadline.left(), 0.1), "grading workers", poll=0.5)
        for result in ready:
            seen.add(result.id)
            spec = pending[result]
            try:
                yield result, result.get(propagate=True, timeout=5)
            except Exception as error:  # noqa: BLE001 - the row says what happened
                yield (
                    result,
                    _failed_row(spec, f"the worker failed: {type(error).__name__}: {error}"),
                )


def _failed_row(spec: dict[str, Any], why: str) -> dict[str, Any]:
    from labkit.tools.grade.job import _all, _finish
    from labkit.tools.grade.released import load_lesson

    lesson = load_lesson(NOTEBOOK_DIR / spec["released"])
    row = {
        "student": spec["student"],
        "lesson": spec["lesson"],
        "notebook": spec["released"],
        "status": "error",
        "detail": why,
    }
    row["exercises"] = _all(lesson.exercises, "error", why)
    return _finish(row, time.monotonic())


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]
