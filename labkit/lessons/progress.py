"""Progress bars for waits in notebook cells: visible after a second, silent before.

Bars come from `tqdm.auto`, so they render as widgets in JupyterLab and as plain text under
papermill and nbval. Only the calling thread touches a bar; worker threads update counters.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from tqdm.auto import tqdm

from labkit import waiting

T = TypeVar("T")

#: A bar appears only once a wait has lasted this long (seconds).
SHOW_AFTER = 1.0


def _bar(total: float | None, desc: str, unit: str, show: bool, **options) -> tqdm:
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        delay=SHOW_AFTER,
        disable=not show,
        leave=False,
        dynamic_ncols=True,
        **options,
    )


def _finish(bar: tqdm) -> None:
    """End a bar as complete: a notebook bar closed short of its total turns red, which reads
    as a failure after a wait that succeeded early (or a run that needed fewer messages)."""
    if bar.total and bar.n < bar.total:
        bar.total = bar.n


def advance(bar: tqdm, value: float) -> None:
    """Move ``bar`` to ``value`` (never backwards) through update(), which honours the display
    delay."""
    if value > bar.n:
        bar.update(value - bar.n)


def counter(total: int | None, desc: str, unit: str = "task", progress: bool = True) -> tqdm:
    """A bar for a count the caller moves with `advance` (use it as a context manager)."""
    return _bar(total, desc, unit, progress)


def wait_until(
    predicate: Callable[[], T],
    timeout: float,
    desc: str,
    poll: float = 0.1,
    progress: bool = True,
) -> T:
    """Call ``predicate`` every ``poll`` seconds until it returns something truthy; return that.

    Raises TimeoutError naming ``desc`` when ``timeout`` seconds pass first, so a stuck cell
    says what it was waiting for instead of hanging the notebook. `labkit.waiting.wait_until`
    with a bar of the seconds spent.
    """
    timed = "{desc}: {elapsed} of {total:g} s{postfix}"
    with _bar(timeout, desc, "s", progress, bar_format=timed) as bar:
        result = waiting.wait_until(predicate, timeout, desc, poll, lambda s: advance(bar, s))
        _finish(bar)
        return result


def follow(
    threads: list[threading.Thread],
    count: Callable[[], int],
    total: int | None,
    desc: str,
    unit: str = "msg",
    poll: float = 0.1,
    progress: bool = True,
) -> None:
    """Show a bar for ``count()`` out of ``total`` until every thread in ``threads`` has ended.

    The bar lives in the calling thread and polls the shared counter, so workers never print.
    """
    with _bar(total, desc, unit, progress) as bar:
        while any(t.is_alive() for t in threads):
            advance(bar, count())
            for t in threads:
                t.join(timeout=poll)
                if t.is_alive():
                    break
        advance(bar, count())
        _finish(bar)
