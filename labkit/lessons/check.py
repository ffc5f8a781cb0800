"""Exercise checkers: one line that says right, wrong (with a hint) or not tried.

Exercises live in a registry keyed by id (``"01.inversions"``). Lesson modules under
`labkit.lessons.exercises` register theirs with the `exercise` decorator (answers that depend
on a run) or `known_answer` (answers fixed in advance, stored as salted SHA-256 digests so the
notebook's source does not give them away). `check` imports those modules on first use.

    from labkit.lessons import check
    check("01.inversions", answer, data=run)   # prints one line, returns a CheckResult
    assert check("01.inversions", 42, data=run)  # solutions notebooks: true only when right
"""

from __future__ import annotations

import hashlib
import importlib
import math
import numbers
import pkgutil
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

RIGHT, WRONG, NOT_TRIED = "right", "wrong", "not tried"
SALT = "queue-lab/1"

#: What a checker returns: True (right), False (wrong, default hint), or a string (wrong, with
#: this hint instead).
Verdict = bool | str
Checker = Callable[..., Verdict]


@dataclass(frozen=True)
class Exercise:
    id: str
    checker: Checker
    hint: str
    prompt: str = ""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check; true only when right, so ``assert check(...)`` works."""

    exercise: str
    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == RIGHT

    @property
    def line(self) -> str:
        mark = {RIGHT: "✔", WRONG: "✘", NOT_TRIED: "…"}[self.status]
        return f"{mark} {self.exercise}: {self.status} — {self.message}"

    def __str__(self) -> str:
        return self.line

    def _ipython_display_(self) -> None:
        """`check` already printed the line; showing the result again would repeat it."""


_REGISTRY: dict[str, Exercise] = {}
_LOADED = False


def exercise(exercise_id: str, hint: str, prompt: str = "") -> Callable[[Checker], Checker]:
    """Register ``checker(answer, data=None, **context) -> Verdict`` under ``exercise_id``.

    ``hint`` is what a wrong answer is told when the checker returns False.
    """

    def register(checker: Checker) -> Checker:
        if exercise_id in _REGISTRY and _REGISTRY[exercise_id].checker is not checker:
            raise ValueError(f"exercise {exercise_id!r} is registered twice")
        _REGISTRY[exercise_id] = Exercise(exercise_id, checker, hint, prompt)
        return checker

    return register


def normalize(answer: Any) -> str:
    """A canonical text for an answer: case, spacing and number formats do not matter."""
    if isinstance(answer, bool) or type(answer).__name__ == "bool_":
        return "true" if answer else "false"
    if isinstance(answer, numbers.Real):
        value = float(answer)
        if math.isfinite(value) and value == int(value):
            return str(int(value))
        return repr(round(value, 6))
    if isinstance(answer, set | frozenset | list | tuple):
        return ",".join(sorted(normalize(item) for item in answer))
    text = " ".join(str(answer).strip().lower().split())
    try:
        return normalize(float(text))  # "42" and 42 are the same answer
    except ValueError:
        return text


def digest(exercise_id: str, answer: Any) -> str:
    """The salted SHA-256 stored for a known answer (salted by exercise id too, so equal answers
    to different questions do not look alike)."""
    return hashlib.sha256(f"{SALT}|{exercise_id}|{normalize(answer)}".encode()).hexdigest()


def known_answer(exercise_id: str, digests: str | list[str], hint: str, prompt: str = "") -> None:
    """Register an exercise whose right answers are known in advance, given by their digests
    (`digest(exercise_id, answer)`); any one of several digests counts as right."""
    accepted = {digests} if isinstance(digests, str) else set(digests)

    def checker(answer: Any, data: Any = None, **context: Any) -> Verdict:
        return digest(exercise_id, answer) in accepted

    exercise(exercise_id, hint, prompt)(checker)


def _load_exercise_modules() -> None:
    global _LOADED
    if _LOADED:
        return
    from labkit.lessons import exercises

    for module in pkgutil.iter_modules(exercises.__path__):
        importlib.import_module(f"{exercises.__name__}.{module.name}")
    _LOADED = True


def registered() -> list[str]:
    """Every exercise id, sorted (loads the lesson modules first)."""
    _load_exercise_modules()
    return sorted(_REGISTRY)


def _not_tried(answer: Any) -> bool:
    return answer is Ellipsis or answer is None or (isinstance(answer, str) and not answer.strip())


def evaluate(exercise_id: str, answer: Any, data: Any = None, **context: Any) -> CheckResult:
    """Judge ``answer`` without printing (see `check`)."""
    _load_exercise_modules()
    if exercise_id not in _REGISTRY:
        lesson = exercise_id.split(".", 1)[0]
        near = [name for name in _REGISTRY if name.startswith(lesson + ".")]
        known = ", ".join(near) if near else "none for this lesson"
        raise KeyError(f"no exercise {exercise_id!r}; known: {known}")
    entry = _REGISTRY[exercise_id]
    if _not_tried(answer):
        return CheckResult(exercise_id, NOT_TRIED, "replace the ... with your answer and run again")
    try:
        verdict = entry.checker(answer, data=data, **context)
    except (TypeError, ValueError) as error:
        return CheckResult(exercise_id, WRONG, f"could not read that answer ({error})")
    if verdict is True:
        return CheckResult(exercise_id, RIGHT, "well done")
    return CheckResult(exercise_id, WRONG, verdict if isinstance(verdict, str) else entry.hint)


def check(exercise_id: str, answer: Any, data: Any = None, **context: Any) -> CheckResult:
    """Print one line saying whether ``answer`` is right, and return the result.

    ``answer`` left as ``...`` or None is "not tried" (no failure). ``data`` (and any keyword
    arguments) are what the checker needs to compute answers that depend on a run.
    """
    result = evaluate(exercise_id, answer, data, **context)
    print(result.line)
    return result


class _CallableModule(types.ModuleType):
    """Lets ``labkit.lessons.check(...)`` work whether that name resolves to this module (once
    any lesson module imported it) or to the function."""

    def __call__(self, exercise_id: str, answer: Any, data: Any = None, **context: Any):
        return check(exercise_id, answer, data, **context)


sys.modules[__name__].__class__ = _CallableModule
