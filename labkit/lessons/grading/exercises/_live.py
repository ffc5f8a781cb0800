"""What the code checks share: the running lab, scratch queues, a recording SQS client, and
running the student's function with a time limit.

The lab comes from the stack (`labkit.stack.connect`), never from the student, so a check cannot
be talked into a right answer by what the notebook passes.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import textwrap
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from labkit.lessons.grading.checker import NeedsData, NotTried, Wrong


def current_lab() -> Any:
    """The lab stack this kernel runs on (`labkit.up()` started or attached to it)."""
    from labkit.stack import ServiceUnavailable, connect

    try:
        return connect()
    except ServiceUnavailable:
        raise NeedsData(
            "no lab stack is running: run the notebook's setup cell (labkit.up()) first"
        ) from None


class Recorder:
    """A boto3 client that passes every call on and remembers its name and keyword arguments."""

    def __init__(self, client: Any) -> None:
        from labkit.stack.context import context_of, register

        self._client = client
        self.calls: list[tuple[str, dict[str, Any]]] = []
        known = context_of(client)  # lesson helpers given the recorder see the same SQS
        register(self, known.kind, known.account)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name.startswith("_") or name in ("meta", "exceptions") or not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, dict(kwargs)))
            return attr(*args, **kwargs)

        return call

    def called(self, *names: str) -> list[dict[str, Any]]:
        """The keyword arguments of every call to one of ``names``, in order."""
        return [kwargs for name, kwargs in list(self.calls) if name in names]


@contextlib.contextmanager
def scratch_queue(sqs: Any, prefix: str, fifo: bool = False, **attributes: str) -> Iterator[str]:
    """A queue of the check's own (unique name), deleted afterwards."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}" + (".fifo" if fifo else "")
    if fifo:
        attributes = {"FifoQueue": "true", **attributes}
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    try:
        yield url
    finally:
        with contextlib.suppress(Exception):
            sqs.delete_queue(QueueUrl=url)


class CheckQueue(NamedTuple):
    """One check's scratch queue: the lab's client (for the check's own calls), a Recorder on it
    (the client the student's code is given) and the queue's URL."""

    sqs: Any
    recorder: Recorder
    url: str


@contextlib.contextmanager
def check_queue(prefix: str, fifo: bool = False) -> Iterator[CheckQueue]:
    """A scratch queue on the running lab for one check, with the two clients around it."""
    sqs = current_lab().sqs
    with scratch_queue(sqs, prefix, fifo=fifo) as url:
        yield CheckQueue(sqs, Recorder(sqs), url)


def is_template(function: Any) -> bool:
    """True when ``function``'s body is still only `...`, `pass` or a docstring (not tried)."""
    try:
        source = textwrap.dedent(inspect.getsource(function))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return False
    definition = tree.body[0]
    if not isinstance(definition, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    for statement in definition.body:
        if isinstance(statement, ast.Pass):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # a docstring or `...`
        return False
    return True


def require_function(answer: Any, what: str) -> Callable[..., Any]:
    """The student's function, or NotTried while it is the template."""
    if not callable(answer):
        raise ValueError(f"pass your function itself ({what}), not {type(answer).__name__}")
    if is_template(answer):
        raise NotTried(
            f"write the body of {what} (replace the ...), then run its cell and this one"
        )
    return answer


class StudentFailed(Wrong):
    """The student's code raised or did not return in time; str() is the verdict."""


def run_student(function: Callable[..., Any], *args: Any, timeout: float = 30.0) -> Any:
    """Call the student's function with a time limit; StudentFailed says what went wrong."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = function(*args)
        except NotImplementedError:
            outcome["not_tried"] = True
        except BaseException as error:  # noqa: BLE001 - reported to the student
            outcome["error"] = error

    thread = threading.Thread(target=target, name="student-code", daemon=True)
    thread.start()
    thread.join(timeout)
    name = getattr(function, "__name__", "your function")
    if thread.is_alive():
        raise StudentFailed(
            f"{name} did not return within {timeout:.0f} s: does its loop ever stop?"
        )
    if outcome.get("not_tried"):
        raise NotTried(f"write the body of {name} (it still raises NotImplementedError)")
    if "error" in outcome:
        error = outcome["error"]
        raise StudentFailed(f"{name} raised {type(error).__name__}: {error}")
    return outcome.get("value")
