"""What notebook cells call: runs -> DataFrames, measures, plots and exercise checks.

    from labkit.lessons import experiment, summary, plot_standard_vs_fifo, check

Names load on first use, so `labkit --help` (which imports `labkit.lessons.runner`) stays
instant and pandas/matplotlib load only in the kernel.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    # experiments, publishing, consuming: threads, one row per send / delivery
    "experiment": "experiments",
    "Run": "experiments",
    "publish": "publishing",
    "consume": "consuming",
    "message_number": "consuming",
    # queue_state: a lesson's queues and emulator put in a known state between runs
    "drain": "queue_state",
    "start_clean": "queue_state",
    "advance_clock": "queue_state",
    "is_emulator": "queue_state",
    # metrics
    "summary": "metrics",
    "inversions": "metrics",
    "longest_run": "metrics",
    "duplicates": "metrics",
    "missing": "metrics",
    "group_order_violations": "metrics",
    "latency_percentiles": "metrics",
    # plots
    "plot_arrival_order": "plots",
    "plot_standard_vs_fifo": "plots",
    "plot_latency": "plots",
    "plot_task_timeline": "plots",
    "plot_consumer_timeline": "plots",
    # progress
    "wait_until": "progress",
}

# Exercise checks, loaded at once: ``labkit.lessons.check("01.x", answer)`` (a plain function).
from labkit.lessons.checker import check as check  # noqa: E402

__all__ = sorted([*_EXPORTS, "check"])


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'labkit.lessons' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
