"""The marks: the grader judges each recorded answer itself, in a fresh process per exercise.

    python -s -P -m labkit.tools.grade.sandbox -- python -s -P -m labkit.tools.grade.evaluate SPEC

Runs inside the box (the student's functions run here), never in the student's kernel: the
parent imports labkit and the checks, then forks one child per exercise. The child rebuilds the
student's functions from the submitted `student-code` cells alone, loads the recorded answer,
runs the registry's own check and compares every labkit/boto3 function and builtin with what
it was before: a check during which the student's code patched any of them earns nothing. The
child's stdout and stderr go nowhere; its verdict comes back on a pipe; a child over its time
limit is killed. The parent prints one JSON document: the verdicts.
"""

from __future__ import annotations

import contextlib
import json
import linecache
import os
import select
import signal
import sys
import time
import types
from pathlib import Path
from typing import Any

WATCHED = ("labkit", "boto3", "botocore", "builtins", "json", "threading", "time", "pandas.core")
DEFINE_SECONDS = 10  # the student-code cells only define functions: seconds at most


def snapshot() -> dict[tuple[str, str], int]:
    """id() of every function, class and module the checks rely on (by module and name)."""
    seen: dict[tuple[str, str], int] = {}
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(WATCHED):
            continue
        for attr, value in list(vars(module).items()):
            if isinstance(value, types.FunctionType | types.BuiltinFunctionType | type):
                seen[(name, attr)] = id(value)
    from labkit.lessons.grading import checker

    for key, entry in list(checker._REGISTRY.items()):  # noqa: SLF001 - what is guarded
        seen[("registry", key)] = id(entry)
    return seen


def tampered(before: dict[tuple[str, str], int]) -> list[str]:
    """What changed since ``before`` (names), empty when nothing did."""
    after = snapshot()
    return sorted(
        f"{mod}.{attr}" for (mod, attr), ident in before.items() if after.get((mod, attr)) != ident
    )


class _Slow(Exception):  # noqa: N818 - a signal, not an error
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Slow


def define_student_code(spec: dict[str, Any]) -> dict[str, Any]:
    """The namespace of the submitted `student-code` cells (after the lesson's imports)."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    for line in spec["prelude"]:
        try:
            exec(compile(line, "<lesson>", "exec"), namespace)  # noqa: S102 - released code
        except Exception:  # noqa: BLE001, S112 - an import the check may not need
            continue
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(int(spec.get("define_seconds", DEFINE_SECONDS)))
    try:
        for index, source in enumerate(spec["student_code"]):
            name = f"<student-code cell {index + 1}>"
            # inspect.getsource (the checks' "still the template?" test) reads linecache
            linecache.cache[name] = (len(source), None, source.splitlines(True), name)
            exec(compile(source, name, "exec"), namespace)  # noqa: S102
    finally:
        signal.alarm(0)
    return namespace


def judge(exercise_id: str, spec: dict[str, Any], evaluate: Any) -> dict[str, Any]:
    """One exercise's verdict, in the forked child."""
    from labkit.tools.grade.capture import read_capture

    record = read_capture(Path(spec["capture"]), exercise_id)
    if record is None:
        if spec.get("stopped"):
            return {"status": "error", "message": f"its check never ran: {spec['stopped']}"}
        return {"status": "not tried", "message": "its check was never run"}
    if "unreadable" in record:
        return {
            "status": "wrong",
            "message": f"the answer could not be read ({record['unreadable']})",
        }
    before = snapshot()
    answer = record.get("answer")
    if "function" in record:
        try:
            namespace = define_student_code(spec)
        except _Slow:
            limit = spec.get("define_seconds", DEFINE_SECONDS)
            return {
                "status": "error",
                "message": f"the student-code cells did not finish within {limit} s (a loop at "
                "the top level?)",
            }
        except BaseException as error:  # noqa: BLE001 - the student's code
            return {
                "status": "wrong",
                "message": f"the student-code cells raise {type(error).__name__}: {error}"[:400],
            }
        answer = namespace.get(record["function"])
        if not callable(answer):
            return {
                "status": "wrong",
                "message": f"define {record['function']} in a student-code cell (the grader uses those cells only)",
            }
    result = evaluate(exercise_id, answer, record.get("data"))
    changed = tampered(before)
    if changed:
        shown = ", ".join(changed[:3])
        return {
            "status": "wrong",
            "message": f"the submission changes the checker or its libraries ({shown}): no marks",
        }
    return {"status": result.status, "message": result.message}


def _run_child(exercise_id: str, spec: dict[str, Any], evaluate: Any) -> dict[str, Any]:
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: student code may run from here on
        os.close(reader)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        try:
            verdict = judge(exercise_id, spec, evaluate)
        except BaseException as error:  # noqa: BLE001 - reported, never raised
            verdict = {
                "status": "error",
                "message": f"the check failed: {type(error).__name__}: {error}"[:400],
            }
        os.write(writer, json.dumps(verdict).encode()[:60_000])
        os._exit(0)
    os.close(writer)
    limit = float(spec["exercise_seconds"])
    deadline, chunks = time.monotonic() + limit, []
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([reader], [], [], left)
        if not ready:
            break
        chunk = os.read(reader, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(reader)
    timed_out = time.monotonic() >= deadline
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    try:
        verdict = json.loads(b"".join(chunks)) if chunks else None
    except ValueError:
        verdict = None
    if timed_out and verdict is None:
        return {"status": "error", "message": f"the check took longer than {limit:.0f} s"}
    if not isinstance(verdict, dict) or verdict.get("status") not in (
        "right",
        "wrong",
        "not tried",
        "error",
    ):
        return {
            "status": "error",
            "message": "the check's process died (killed by the submission?)",
        }
    return verdict


def _import_once(prelude: list[str]) -> None:
    """Import what the lesson's own import lines name, here, before any fork: each exercise's
    child then finds pandas and matplotlib loaded instead of spending seconds importing them
    again (released code only; the student's cells run in the children)."""
    for line in prelude:
        if line.startswith(("import ", "from ")):
            with contextlib.suppress(Exception):
                exec(compile(line, "<lesson>", "exec"), {"__name__": "__lesson_imports__"})  # noqa: S102


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    import labkit.lessons  # noqa: F401 - imported once, before any fork
    from labkit.lessons.grading import checker

    checker.registered()
    evaluate = checker.evaluate
    _import_once(spec["prelude"])
    verdicts = {}
    for exercise_id in spec["exercises"]:
        began = time.monotonic()
        verdict = _run_child(exercise_id, spec, evaluate)
        verdict["seconds"] = round(time.monotonic() - began, 2)
        verdicts[exercise_id] = verdict
    sys.stdout.write(json.dumps(verdicts) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
