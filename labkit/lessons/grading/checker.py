"""Exercise checks: one line that says right, wrong (with a hint) or not tried.

Exercises live in a registry keyed by id (``"01.first_out_of_order"``). The lesson modules in
`labkit.lessons.grading.exercises` register theirs, imported on the first `check`:

- `exercise` for answers that depend on a run or on code the student wrote; the checker works
  the answer out privately from what the lab holds (``data=`` is the run the question is about);
- `known_answer` for text answers fixed in advance, stored as salted SHA-256 digests;
- `known_number` for numbers fixed in advance, digested too, compared exactly or within a stated
  tolerance (never truncated);
- `known_choice` for multiple choice: ``"b"``, ``"(b)"``, ``"b)"``, ``"B."`` are one answer.

`check` is a plain function, what notebooks call as ``labkit.lessons.check(...)``.
"""

from __future__ import annotations

import hashlib
import importlib
import math
import numbers
import pkgutil
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

RIGHT, WRONG, NOT_TRIED = "right", "wrong", "not tried"
SALT = "queue-lab/1"

#: What a checker returns: True (right), False (wrong, default hint), or a string (wrong, with
#: this hint instead).
Verdict = bool | str
Checker = Callable[..., Verdict]


class NotTried(Exception):  # noqa: N818 - a verdict, not an error
    """Raised by a checker when the student's code is still the template (nothing to judge)."""


class NeedsData(Exception):  # noqa: N818 - a verdict, not an error
    """Raised by a checker that needs ``data=`` or the lab; the message says what to pass."""


class Wrong(Exception):  # noqa: N818 - a verdict, not an error
    """Raised by a checker deep in a code check: wrong, and the message is the hint."""


@dataclass(frozen=True)
class Exercise:
    id: str
    checker: Checker
    hint: str
    prompt: str = ""
    needs: str = ""  # what ``data=`` must be, in words; empty when the checker needs no data
    points: float = 1  # what a right answer earns when a course grades the lab (`labkit grade`)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check; true only when right, so ``assert check(...)`` works.

    ``details`` holds what a code check observed (e.g. the deliveries it received), for the
    notebook to show.
    """

    exercise: str
    status: str
    message: str
    details: Any = field(default=None, compare=False, repr=False)

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


@dataclass
class Observed:
    """A checker's verdict with what it saw: ``Observed(True, details=frame)``."""

    verdict: Verdict
    details: Any = None


_REGISTRY: dict[str, Exercise] = {}
_LOADED = False


def exercise(
    exercise_id: str, hint: str, prompt: str = "", needs: str = "", points: float = 1
) -> Callable[[Checker], Checker]:
    """Register ``checker(answer, data=None) -> Verdict | Observed`` under ``exercise_id``.

    ``hint`` is what a wrong answer is told when the checker returns False; ``needs`` says what
    ``data=`` must be, and a check without it answers with that sentence. ``points`` is declared
    here once: `labkit grade` and the notebooks' nbgrader metadata both read it.
    """
    if not (isinstance(points, int | float) and points >= 0):
        raise ValueError(f"points of {exercise_id!r} must be a number >= 0, not {points!r}")

    def register(checker: Checker) -> Checker:
        if exercise_id in _REGISTRY and _REGISTRY[exercise_id].checker is not checker:
            raise ValueError(f"exercise {exercise_id!r} is registered twice")
        _REGISTRY[exercise_id] = Exercise(exercise_id, checker, hint, prompt, needs, points)
        return checker

    return register


# ---------------------------------------------------------------------------------------------
# Reading answers

_UNITS = {
    "ms": 0.001,
    "millisecond": 0.001,
    "milliseconds": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
}
_NUMBER = re.compile(
    r"^\s*(?:about|around|~|≈)?\s*([-+]?(?:\d[\d_,]*)?\.?\d+(?:e[-+]?\d+)?)\s*([a-z]*)\.?\s*$"
)
_CHOICE = re.compile(r"^\s*\(?\s*([a-z])\s*[).:]?(?:\s.*)?$", re.S)


def read_number(answer: Any, unit_seconds: bool = False) -> float:
    """The number in ``answer``: 5, 5.0, "5.0", " 1,000 ", "about 150". With
    ``unit_seconds``, a time unit converts to seconds ("300 s", "5 min", "5 minutes").

    Raises ValueError with one sentence when there is no number to read.
    """
    if isinstance(answer, bool) or type(answer).__name__ == "bool_":
        raise ValueError("give a number, not True/False")
    if isinstance(answer, numbers.Real):
        return float(answer)
    match = _NUMBER.match(str(answer).strip().lower())
    if not match:
        raise ValueError(f"give a number (e.g. 42{' or 5 min' if unit_seconds else ''})")
    value = float(match.group(1).replace(",", "").replace("_", ""))
    unit = match.group(2)
    if unit:
        if not unit_seconds or unit not in _UNITS:
            raise ValueError(f"give a plain number; {unit!r} is not a unit this question takes")
        value *= _UNITS[unit]
    return value


_SECOND_UNITS = ("", "s", "sec", "secs", "second", "seconds")


def _unit_of(answer: Any) -> str:
    """The unit written after a number ("5 minutes" -> "minutes"), "" when none."""
    if isinstance(answer, numbers.Real):
        return ""
    match = _NUMBER.match(str(answer).strip().lower())
    return match.group(2) if match else ""


def read_whole_number(answer: Any) -> int:
    """An integer answer: 3, 3.0, "3" are 3; 3.99 or "3.5" are refused (never truncated)."""
    value = read_number(answer)
    if not math.isfinite(value) or value != int(value):
        raise ValueError(f"give a whole number; {answer!r} is not one")
    return int(value)


def read_choice(answer: Any, options: str = "abc") -> str:
    """A letter answer: "b", "B", "(b)", "b)", "b.", "(b) the customer's id" are all "b"."""
    match = _CHOICE.match(str(answer).strip().lower())
    if not match or match.group(1) not in options:
        letters = ", ".join(f'"{letter}"' for letter in options)
        raise ValueError(f"answer with one letter: {letters}")
    return match.group(1)


def normalize(answer: Any) -> str:
    """A canonical text for an answer: case, spacing, quotes and number formats do not matter."""
    if isinstance(answer, bool) or type(answer).__name__ == "bool_":
        return "true" if answer else "false"
    if isinstance(answer, set | frozenset | list | tuple):
        return ",".join(sorted(normalize(item) for item in answer))
    try:
        value = read_number(answer)
    except ValueError:
        return " ".join(str(answer).strip().strip("`'\"").lower().split())
    if math.isfinite(value) and value == int(value):
        return str(int(value))
    return repr(value)


def digest(exercise_id: str, answer: Any) -> str:
    """The salted SHA-256 stored for a known answer (salted by exercise id too, so equal answers
    to different questions do not look alike)."""
    return hashlib.sha256(f"{SALT}|{exercise_id}|{normalize(answer)}".encode()).hexdigest()


def known_answer(
    exercise_id: str,
    digests: str | Iterable[str],
    hint: str,
    prompt: str = "",
    points: float = 1,
) -> None:
    """Register an exercise whose right answers are known in advance, given by their digests
    (`digest(exercise_id, answer)`); any one of several digests counts as right."""
    accepted = {digests} if isinstance(digests, str) else set(digests)

    def checker(answer: Any, data: Any = None) -> Verdict:
        return digest(exercise_id, answer) in accepted

    exercise(exercise_id, hint, prompt, points=points)(checker)


def known_choice(
    exercise_id: str, digests: str, hint: str, options: str = "abc", points: float = 1
) -> None:
    """A multiple-choice question: the letter is read from "b", "(b)", "b)" ... first."""

    def checker(answer: Any, data: Any = None) -> Verdict:
        return digest(exercise_id, read_choice(answer, options)) == digests

    exercise(exercise_id, hint, points=points)(checker)


def known_number(
    exercise_id: str,
    digests: str,
    hint: str,
    tolerance: int = 0,
    seconds: bool = False,
    points: float = 1,
) -> None:
    """A number known in advance (a whole number, digested): right when the answer is within
    ``tolerance`` of it (0: exactly). ``seconds``: the answer is in seconds ("300" or "300 s");
    another unit ("5 min") is refused, with a hint, where the cell asks for seconds."""

    def checker(answer: Any, data: Any = None) -> Verdict:
        value = read_number(answer, unit_seconds=seconds)
        if seconds and _unit_of(answer) not in _SECOND_UNITS:
            raise ValueError(
                f"the question asks for seconds: give {answer!r} as a number of seconds "
                "(a minute is 60)"
            )
        if not math.isfinite(value):
            raise ValueError("give a finite number")
        low, high = math.ceil(value - tolerance), math.floor(value + tolerance)
        return any(digest(exercise_id, whole) == digests for whole in range(low, high + 1))

    about = f" (within ±{tolerance})" if tolerance else ""
    exercise(exercise_id, hint + about, points=points)(checker)


def _load_exercise_modules() -> None:
    global _LOADED
    if _LOADED:
        return
    from labkit.lessons.grading import exercises

    for module in pkgutil.iter_modules(exercises.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{exercises.__name__}.{module.name}")
    _LOADED = True


def registered() -> list[str]:
    """Every exercise id, sorted (loads the lesson modules first)."""
    _load_exercise_modules()
    return sorted(_REGISTRY)


def get_exercise(exercise_id: str) -> Exercise:
    """The registered exercise (loads the lesson modules first); KeyError when unknown."""
    _load_exercise_modules()
    return _REGISTRY[exercise_id]


def _not_tried(answer: Any) -> bool:
    return answer is Ellipsis or answer is None or (isinstance(answer, str) and not answer.strip())


def evaluate(exercise_id: str, answer: Any, data: Any = None) -> CheckResult:
    """Judge ``answer`` without printing (see `check`)."""
    _load_exercise_modules()
    if exercise_id not in _REGISTRY:
        lesson = exercise_id.split(".", 1)[0]
        near = sorted(name for name in _REGISTRY if name.startswith(lesson + "."))
        known = ", ".join(near) if near else "none for this lesson"
        raise KeyError(f"no exercise {exercise_id!r}; known: {known}")
    entry = _REGISTRY[exercise_id]
    if _not_tried(answer):
        return CheckResult(exercise_id, NOT_TRIED, "replace the ... with your answer and run again")
    if entry.needs and data is None:
        return CheckResult(exercise_id, WRONG, f"pass data={entry.needs} to check this answer")
    details = None
    try:
        verdict = entry.checker(answer, data=data)
    except NotTried as reason:
        return CheckResult(exercise_id, NOT_TRIED, str(reason))
    except (NeedsData, Wrong) as reason:
        return CheckResult(exercise_id, WRONG, str(reason))
    except (TypeError, ValueError) as error:
        return CheckResult(exercise_id, WRONG, f"could not read that answer: {error}")
    except Exception as error:  # noqa: BLE001 - one line, never a traceback in a lesson
        return CheckResult(
            exercise_id, WRONG, f"the check could not run ({type(error).__name__}: {error})"
        )
    if isinstance(verdict, Observed):
        verdict, details = verdict.verdict, verdict.details
    if verdict is True:
        return CheckResult(exercise_id, RIGHT, "well done", details)
    message = verdict if isinstance(verdict, str) else entry.hint
    return CheckResult(exercise_id, WRONG, message, details)


def check(exercise_id: str, answer: Any, data: Any = None) -> CheckResult:
    """Print one line saying whether ``answer`` is right, and return the result.

    ``answer`` left as ``...`` or None is "not tried" (no failure). ``data`` is the run the
    question is about, for answers that depend on it (the question says which).
    """
    result = evaluate(exercise_id, answer, data)
    print(result.line)
    return result
