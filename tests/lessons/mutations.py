"""Mutation testing of the exercise checks: a typical mistake is an edit of the worked solution
(read from notebooks/solutions), and the check must call it wrong with a hint naming it.

Each judged mistake is recorded under build/mutation-score/ (one JSON file per mistake, so
parallel test processes never write the same file); `tests/conftest.py` adds them up at the end
of the session: refused / tried is the mutation score.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from labkit.lessons.grading import checker
from labkit.paths import REPO_ROOT

SCORE_DIR = REPO_ROOT / "build" / "mutation-score"


@dataclass(frozen=True)
class Mistake:
    """One typical mistake: ``edits`` turn the worked solution into it; ``says`` is what the
    hint must contain to name the mistake."""

    name: str
    edits: tuple[tuple[str, str], ...]
    says: str

    @property
    def id(self) -> str:
        return self.name


def mistake(name: str, says: str, *edits: tuple[str, str]) -> Mistake:
    return Mistake(name, tuple(edits), says)


def record(exercise_id: str, item: Mistake, result: checker.CheckResult) -> None:
    """Write what the check said about ``item`` (read back by `score`)."""
    SCORE_DIR.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", f"{exercise_id} {item.name}".lower()).strip("-")
    refused = result.status == checker.WRONG
    entry = {
        "exercise": exercise_id,
        "mistake": item.name,
        "refused": refused,
        "named": refused and item.says in result.message,
        "message": result.message,
    }
    (SCORE_DIR / f"{slug}.json").write_text(json.dumps(entry, indent=1) + "\n")


def judged(exercise_id: str, item: Mistake, result: checker.CheckResult) -> None:
    """Record, then assert: the mistake is wrong, and its hint says ``item.says``."""
    record(exercise_id, item, result)
    assert result.status == checker.WRONG, f"{item.name}: accepted ({result.line})"
    assert item.says in result.message, f"{item.name}: the hint does not name it ({result.line})"
    assert not re.search(r"(?<!\.)\.\.(?!\.)", result.message), f"a doubled period: {result.line}"


def score(folder: Path = SCORE_DIR) -> dict | None:
    """The session's mutation score from the recorded files, or None when none were written."""
    entries = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
    if not entries:
        return None
    per: dict[str, list[int]] = {}
    for entry in entries:
        counts = per.setdefault(entry["exercise"], [0, 0, 0])
        counts[0] += entry["refused"]
        counts[1] += entry["named"]
        counts[2] += 1
    refused = sum(c[0] for c in per.values())
    return {
        "refused": refused,
        "named": sum(c[1] for c in per.values()),
        "tried": len(entries),
        "score": refused / len(entries),
        "per_exercise": {k: {"refused": r, "named": n, "tried": t} for k, (r, n, t) in per.items()},
    }
