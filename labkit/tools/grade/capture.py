"""Recording what each check was given, inside the student's kernel, for the grader to judge.

The grader puts `HOOK` first in the copy it runs. From then on every ``check(id, answer,
data=...)`` also writes ``<id>.pkl`` (the answer, or the name of the function handed in; the
``data=`` run only for exercises that need one) into the job's capture folder. Nothing here
decides a mark: a notebook that replaces ``check`` records nothing and earns nothing, and what
it prints is never read.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

CAPTURE_ENV = "LABKIT_GRADE_CAPTURE"
MAX_CAPTURE_BYTES = 20_000_000

HOOK = '''\
def _labkit_grade_hook():
    """Added by `labkit grade`: records what each check is given (marks are the grader's)."""
    import os, pickle
    import labkit.lessons
    from labkit.lessons.grading import checker

    folder, original = os.environ["LABKIT_GRADE_CAPTURE"], checker.check

    def check(exercise_id, answer, data=None):
        record = {"exercise": str(exercise_id)}
        if callable(answer) and getattr(answer, "__name__", "<lambda>") != "<lambda>":
            record["function"] = answer.__name__
        else:
            record["answer"] = answer
        try:
            if data is not None and checker.get_exercise(exercise_id).needs:
                record["data"] = data
            blob = pickle.dumps(record)
        except Exception as error:
            blob = pickle.dumps({"exercise": str(exercise_id), "unreadable": repr(error)[:300]})
        name = "".join(c for c in str(exercise_id) if c.isalnum() or c in "._")[:80]
        with open(os.path.join(folder, name + ".pkl"), "wb") as out:
            out.write(blob)
        return original(exercise_id, answer, data)

    checker.check = labkit.lessons.check = check


_labkit_grade_hook()
del _labkit_grade_hook
'''


def hook_cell() -> dict[str, Any]:
    """The cell the grader runs before the student's first cell."""
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": "labkit-grade-hook",
        "metadata": {"tags": ["labkit-grade-injected"]},
        "outputs": [],
        "source": HOOK,
    }


def read_capture(folder: Path, exercise_id: str) -> dict[str, Any] | None:
    """One recorded check, unpickled. Call only inside the sandboxed evaluator: the file was
    written by the student's kernel, and unpickling it may run the student's code."""
    path = folder / f"{exercise_id}.pkl"
    if not path.is_file():
        return None
    if path.stat().st_size > MAX_CAPTURE_BYTES:
        return {"exercise": exercise_id, "unreadable": "the recorded answer is over 20 MB"}
    try:
        record = pickle.loads(path.read_bytes())  # noqa: S301 - sandboxed, see above
    except Exception as error:  # noqa: BLE001 - any failure is the submission's
        return {"exercise": exercise_id, "unreadable": f"{type(error).__name__}: {error}"}
    if not isinstance(record, dict) or record.get("exercise") != exercise_id:
        return {"exercise": exercise_id, "unreadable": "the recorded answer was tampered with"}
    return record
