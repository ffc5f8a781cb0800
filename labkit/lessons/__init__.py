"""What notebook cells call: runs -> DataFrames, measures, plots and exercise checks.

    from labkit.lessons import experiment, summary, plot_standard_vs_fifo, check

Names load on first use, so `labkit --help` (which imports `labkit.tools.runner`) stays
instant and pandas/matplotlib load only in the kernel.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    # experiments, publishing, consuming: threads, one row per send / delivery
    "experiment": "engine.experiments",
    "Run": "engine.experiments",
    "publish": "engine.publishing",
    "consume": "engine.consuming",
    "message_number": "engine.consuming",
    # queue_state: a lesson's queues and emulator put in a known state between runs
    "drain": "engine.queue_state",
    "queue_counts": "engine.queue_state",
    "queue_depth": "engine.queue_state",
    "start_clean": "engine.queue_state",
    "advance_clock": "engine.queue_state",
    "is_emulator": "engine.queue_state",
    # metrics
    "summary": "analysis.metrics",
    "inversions": "analysis.metrics",
    "longest_run": "analysis.metrics",
    "duplicates": "analysis.metrics",
    "missing": "analysis.metrics",
    "group_order_violations": "analysis.metrics",
    "latency_percentiles": "analysis.metrics",
    # plots
    "plot_arrival_order": "analysis.plots",
    "plot_standard_vs_fifo": "analysis.plots",
    "plot_latency": "analysis.plots",
    "plot_task_timeline": "analysis.plots",
    "plot_consumer_timeline": "analysis.plots",
    # the queue's own record of each message, drawn over time, stepped through in JupyterLab
    "run_record": "analysis.queue_record",
    "message_record": "analysis.queue_record",
    "plot_timeline": "analysis.timeline",
    "plot_timelines": "analysis.timeline",
    "step_through": "analysis.stepper",
    # progress
    "wait_until": "progress",
    # what notebooks use from the rest of labkit, so that they import only labkit.lessons
    "check_environment": "labkit.stack.environment",
    "sample_todos": "labkit.taskoverflow.samples",
    "calendar_events": "labkit.taskoverflow.calendar",
    "TaskOverflowError": "labkit.taskoverflow.client",
    "mask_url": "labkit.aws_credentials",
    "TerraformFolder": "labkit.terraform",
    "ensure_queues": "labkit.terraform",
    "queue_drift": "labkit.terraform",
    "with_prefix": "labkit.terraform",
}

# Exercise checks, loaded at once: ``labkit.lessons.check("01.x", answer)`` (a plain function).
from labkit.lessons.grading.checker import check as check  # noqa: E402

__all__ = sorted([*_EXPORTS, "check"])


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'labkit.lessons' has no attribute {name!r}")
    module = _EXPORTS[name]
    module = module if module.startswith("labkit.") else f"{__name__}.{module}"
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
