"""What the benchmarks time the same way: a rate is messages per wall-clock second, and a batch
is SQS's and SNS's ten entries at most, each with an Id unique within its batch."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator


def rate(count: int, work: Callable[[], object]) -> float:
    """``count`` messages over the seconds ``work()`` took."""
    start = time.perf_counter()
    work()
    return count / (time.perf_counter() - start)


def one_by_one(count: int, call: Callable[[int], object]) -> float:
    """Calls a second of ``call(0)`` ... ``call(count - 1)``, one after another."""

    def calls() -> None:
        for i in range(count):
            call(i)

    return rate(count, calls)


def in_tens(count: int, entry: Callable[[int], dict]) -> Iterator[list[dict]]:
    """``entry(0)`` ... ``entry(count - 1)`` in batches of ten, each given its Id ("0".."9")."""
    for first in range(0, count, 10):
        yield [{"Id": str(i), **entry(first + i)} for i in range(min(10, count - first))]


def quick_option(description: str) -> tuple[float, str]:
    """The benchmarks' one option, --quick (smaller counts, a smoke run): the factor to scale
    the counts by, and the words the report's title adds for it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="smaller counts (a smoke run)")
    return (0.2, ", --quick") if parser.parse_args().quick else (1.0, "")
