"""What a run may be told: `PublishOptions` and `ConsumeOptions`, and the notebook's keywords
applied to them.

`publish`, `consume` and `experiment` each take an options object or its fields as keywords;
the objects live here, apart from the threads that read them, so each of those modules (and a
reader looking for a keyword) finds them in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from types import SimpleNamespace
from typing import Any, TypeVar

from labkit.course_messages import CLIENT_ATTRIBUTE

_O = TypeVar("_O", "PublishOptions", "ConsumeOptions")

#: A failure rule: a rate in [0, 1] (seeded) or a predicate on the delivery (attributes as in
#: consuming.DELIVERY_COLUMNS, e.g. ``lambda m: m.number in {3, 5} and m.receive_count == 1``).
FailRule = float | Callable[[SimpleNamespace], bool] | None
#: Seconds of pretend work per message: a constant or a function of the delivery.
WorkRule = float | Callable[[SimpleNamespace], float]
#: MessageGroupId per message: a count of groups (round robin by number), names, or a function
#: of (publisher index, message number).
GroupRule = int | Sequence[str] | Callable[[int, int], str] | None


def _per_publisher(value: str | Sequence[str], publishers: int, what: str) -> list[str]:
    if isinstance(value, str):
        return [value] * publishers
    values = list(value)
    if len(values) != publishers:
        raise ValueError(f"give one {what} per publisher ({publishers}), not {len(values)}")
    return values


@dataclass(frozen=True)
class PublishOptions:
    """How publishers send: ``count`` course messages from each of ``publishers`` threads.

    ``clients`` names the publishers (default ``Client 1``...), ``prepend`` is one prefix or one
    per publisher, ``groups`` spreads FIFO messages over MessageGroupIds, ``batch`` uses
    SendMessageBatch (10 a call), ``interval`` pauses between calls (seconds).
    """

    count: int = 100
    publishers: int = 1
    clients: Sequence[str] | None = None
    prepend: str | Sequence[str] = ""
    groups: GroupRule = None
    batch: bool = False
    interval: float = 0.0

    def client_names(self) -> list[str]:
        names = list(self.clients) if self.clients else []
        names = names or [f"Client {p + 1}" for p in range(self.publishers)]
        if len(names) != self.publishers:
            raise ValueError(
                f"give one client name per publisher ({self.publishers}), not {len(names)}"
            )
        return names

    def prefixes(self) -> list[str]:
        return _per_publisher(self.prepend, self.publishers, "prepend")


@dataclass(frozen=True)
class ConsumeOptions:
    """How consumers receive: ``consumers`` threads until ``expected`` distinct messages were
    handled (deleted), or nothing arrived for ``idle_timeout`` seconds, or ``timeout`` passed.

    ``names`` names the consumers (default ``Consumer 1``...); ``max_messages``, ``wait_time``
    and ``visibility_timeout`` go on each ReceiveMessage; ``fail`` skips the delete of some
    deliveries (a seeded rate or a predicate), so SQS hands them out again after the visibility
    timeout; ``work`` is the seconds each message takes to handle.
    """

    consumers: int = 1
    names: Sequence[str] | None = None
    max_messages: int = 10
    wait_time: int = 1
    visibility_timeout: int | None = None
    fail: FailRule = None
    seed: int = 0
    work: WorkRule = 0.0
    expected: int | None = None
    idle_timeout: float = 3.0
    timeout: float = 120.0

    def consumer_names(self) -> list[str]:
        labels = list(self.names) if self.names else []
        labels = labels or [f"Consumer {c + 1}" for c in range(self.consumers)]
        if len(labels) != self.consumers:
            raise ValueError(f"give one name per consumer ({self.consumers}), not {len(labels)}")
        return labels

    def check(self) -> None:
        fail = self.fail
        if fail is not None and not callable(fail) and not 0 <= float(fail) <= 1:
            raise ValueError(f"fail must be a rate between 0 and 1 or a function, not {fail!r}")

    def receive_arguments(self) -> dict[str, Any]:
        """The keyword arguments of every ReceiveMessage call."""
        arguments: dict[str, Any] = {
            "MaxNumberOfMessages": self.max_messages,
            "WaitTimeSeconds": self.wait_time,
            "MessageAttributeNames": [CLIENT_ATTRIBUTE],
            "AttributeNames": ["All"],
            "MessageSystemAttributeNames": ["All"],
        }
        if self.visibility_timeout is not None:
            arguments["VisibilityTimeout"] = self.visibility_timeout
        return arguments


def apply_settings(kind: type[_O], given: _O | None, settings: dict[str, Any], function: str) -> _O:
    """``given`` (default ``kind()``) with ``settings`` (a notebook's keyword arguments) applied;
    a TypeError naming the accepted keywords when one is unknown."""
    known = {f.name for f in fields(kind)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise TypeError(
            f"{function}() got unexpected keyword argument(s) {', '.join(unknown)}; "
            f"{kind.__name__} takes {', '.join(sorted(known))}"
        )
    return replace(given if given is not None else kind(), **settings)


def with_positional(settings: dict[str, Any], **positional: Any) -> dict[str, Any]:
    """A notebook's keyword ``settings`` plus the positional arguments it gave (not None)."""
    return {**{k: v for k, v in positional.items() if v is not None}, **settings}
