"""One student x one lesson: run the notebook in its box, judge the answers, describe the run.

`grade_job` takes and returns plain JSON-able dicts, so the same function serves the local
pool (--jobs) and a Celery worker (--broker). The row it returns is the per-lesson part of a
student's JSON: status (completed, timeout, kernel died, missing, invalid notebook), each
exercise's status/points/hint/seconds, the cells that failed, the changed cells, what was
left running and killed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from labkit.tools.grade import sandbox
from labkit.tools.grade.cells import changed_cells, prelude, student_code
from labkit.tools.grade.released import load_lesson, parse_notebook


def account_for(run_id: str, student: str, lesson: str) -> str:
    """A 12-digit emulator account of this student x lesson in this run (never the class's)."""
    digest = hashlib.sha256(f"{run_id}|{student}|{lesson}".encode()).digest()
    return f"{1 + digest[0] % 9}{int.from_bytes(digest[1:9], 'big') % 10**11:011d}"


def _points(exercise_id: str) -> float:
    from labkit.lessons.grading.checker import get_exercise

    return get_exercise(exercise_id).points


def _all(exercises: list[str], status: str, message: str) -> dict[str, dict[str, Any]]:
    return {
        ex: {
            "status": status,
            "message": message,
            "points": 0,
            "max_points": _points(ex),
            "seconds": 0,
        }
        for ex in exercises
    }


def _run(
    command: list[str], env: dict[str, str], timeout: float, token: str
) -> subprocess.CompletedProcess | None:
    """Run a grader-side child; None when it outlived ``timeout`` (then it and the job die)."""
    try:
        return subprocess.run(
            command,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd="/",
            start_new_session=True,
            preexec_fn=sandbox.die_with_parent,  # noqa: PLW1509 - one prctl, no locks taken
        )
    except subprocess.TimeoutExpired:
        sandbox.kill_job(token)
        return None


def _execute(
    spec: dict[str, Any], workdir: Path, notebook: Path, env: dict[str, str], token: str
) -> dict[str, Any]:
    plan = {
        "notebook": str(notebook),
        "executed": str(Path(spec["out"]) / notebook.name.replace(".ipynb", ".executed.ipynb")),
        "summary": str(workdir.parent / f"{workdir.name}.summary.json"),
        "workdir": str(workdir),
        "captured": str(workdir.parent / f"{workdir.name}.captured"),
        "limits": spec["limits"],
    }
    plan_file = workdir.parent / f"{workdir.name}.plan.json"
    plan_file.write_text(json.dumps(plan))
    env = {**env, "JUPYTER_PATH": spec["kernels"]}
    limit = spec["limits"]["notebook_seconds"] + 60
    done = _run(
        [sys.executable, "-s", "-m", "labkit.tools.grade.execute", str(plan_file)],
        env,
        limit,
        token,
    )
    summary_file = Path(plan["summary"])
    if done is None or not summary_file.is_file():
        why = (
            "timeout"
            if done is None
            else "grader error: " + (done.stderr.strip().splitlines() or ["?"])[-1]
        )
        return {
            "status": why,
            "seconds": limit if done is None else 0,
            "cells": [],
            "output_dropped_bytes": 0,
        }
    return json.loads(summary_file.read_text())


def _evaluate(
    spec: dict[str, Any], lesson: Any, cells: list[Any], capture: Path, stopped: str
) -> dict[str, Any]:
    token = uuid.uuid4().hex[:16]
    workdir = Path(spec["work"]) / token
    sandbox.prepare_workdir(workdir, Path(spec["stack_state"]))
    for record in capture.glob("*.pkl"):
        shutil.copyfile(record, workdir / ".capture" / record.name)
    limits = spec["limits"]
    plan = {
        "exercises": lesson.exercises,
        "student_code": student_code(lesson, cells),
        "prelude": prelude(lesson),
        "capture": str(workdir / ".capture"),
        "stopped": stopped,
        "exercise_seconds": limits["exercise_seconds"],
        "define_seconds": spec.get("define_seconds", 10),
    }
    (workdir / "plan.json").write_text(json.dumps(plan))
    env = sandbox.box_env(workdir, spec["account"], token, sandbox.Limits(**limits))
    box = [sys.executable, "-s", "-P", "-m", "labkit.tools.grade.sandbox", "--"]
    command = [
        *box,
        sys.executable,
        "-s",
        "-P",
        "-m",
        "labkit.tools.grade.evaluate",
        str(workdir / "plan.json"),
    ]
    timeout = limits["exercise_seconds"] * (len(lesson.exercises) + 1) + 60
    done = _run(command, env, timeout, token)
    sandbox.kill_job(token)
    shutil.rmtree(workdir, ignore_errors=True)
    lines = (done.stdout.strip().splitlines() if done else []) or [""]
    try:
        verdicts = json.loads(lines[-1])
    except ValueError:
        why = (
            "took too long"
            if done is None
            else "stopped: " + (done.stderr.strip().splitlines() or ["?"])[-1][:200]
        )
        return _all(lesson.exercises, "error", f"the grader's evaluation {why}")
    for ex, verdict in verdicts.items():
        verdict["max_points"] = _points(ex)
        verdict["points"] = verdict["max_points"] if verdict["status"] == "right" else 0
    return verdicts


def grade_job(spec: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """Grade one student x lesson: ``spec`` travels (student, lesson, the notebook's text,
    limits, account), ``context`` is the machine's own (released notebooks, folders, stack)."""
    began = time.monotonic()
    spec = {**spec, **context, "out": str(Path(context["out"]) / spec["student"])}
    lesson = load_lesson(Path(spec["released_dir"]) / spec["released"])
    row: dict[str, Any] = {
        "student": spec["student"],
        "lesson": lesson.number,
        "notebook": lesson.name,
        "renamed_from": spec.get("renamed_from", ""),
        "worker": spec.get("worker") or f"{os.uname().nodename}:{os.getpid()}",
        "sandbox": spec.get("sandbox", []),
        "account": spec["account"],
        "cells_failed": [],
        "changed_cells": [],
        "killed_processes": 0,
        "output_dropped_bytes": 0,
    }
    if spec.get("notebook_text") is None:
        row.update(
            status="missing", exercises=_all(lesson.exercises, "not tried", "no notebook handed in")
        )
        return _finish(row, began)
    try:
        cells = parse_notebook(spec["notebook_text"], lesson.name)["cells"]
    except ValueError as error:
        row.update(status="invalid notebook", detail=str(error)[:300])
        row["exercises"] = _all(
            lesson.exercises, "error", "the notebook is not valid JSON: nothing could run"
        )
        return _finish(row, began)
    row["changed_cells"] = changed_cells(lesson, cells)
    token = uuid.uuid4().hex[:16]
    workdir = Path(spec["work"]) / token
    Path(spec["out"]).mkdir(parents=True, exist_ok=True)
    try:
        sandbox.prepare_workdir(workdir, Path(spec["stack_state"]))
        notebook = workdir / lesson.name
        notebook.write_text(spec["notebook_text"], encoding="utf-8")
        env = sandbox.box_env(workdir, spec["account"], token, sandbox.Limits(**spec["limits"]))
        summary = _execute(spec, workdir, notebook, env, token)
        row["killed_processes"] = len(sandbox.leftovers(token)) and sandbox.kill_job(token)
        row.update(
            status=summary["status"],
            notebook_seconds=summary["seconds"],
            cells_failed=[c for c in summary["cells"] if c["error"]],
            output_dropped_bytes=summary["output_dropped_bytes"],
        )
        stopped = (
            ""
            if summary["status"] == "completed"
            else f"the notebook stopped ({summary['status']})"
        )
        captured = workdir.parent / f"{workdir.name}.captured"
        row["exercises"] = _evaluate(spec, lesson, cells, captured, stopped)
    finally:
        sandbox.kill_job(token)
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(workdir.parent / f"{workdir.name}.captured", ignore_errors=True)
        for extra in (".plan.json", ".summary.json"):
            with contextlib.suppress(OSError):
                (workdir.parent / f"{workdir.name}{extra}").unlink()
        _forget_account(spec)
    return _finish(row, began)


def _finish(row: dict[str, Any], began: float) -> dict[str, Any]:
    row["points"] = sum(e["points"] for e in row["exercises"].values())
    row["max_points"] = sum(e["max_points"] for e in row["exercises"].values())
    row["seconds"] = round(time.monotonic() - began, 2)
    return row


def _forget_account(spec: dict[str, Any]) -> None:
    """Delete the queues the job left in its account, so the shared emulator stays small."""
    try:
        state = json.loads(Path(spec["stack_state"]).read_text())
        from labkit.stack.clients import emulator_client

        url = state["services"]["sqs"]["url"]
        sqs = emulator_client(url, account=spec["account"], retries={"max_attempts": 1})
        for queue in sqs.list_queues().get("QueueUrls", []):
            sqs.delete_queue(QueueUrl=queue)
    except Exception:  # noqa: BLE001, S110 - housekeeping only
        pass


def limits_dict(limits: sandbox.Limits) -> dict[str, Any]:
    return asdict(limits)
