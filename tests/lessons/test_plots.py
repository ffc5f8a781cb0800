"""Figures come back titled, labelled, with legends where colours mean something."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from labkit.lessons.analysis import plots


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def arrivals(order: list[tuple[str, int]], consumer: str = "Consumer 1") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "position": range(len(order)),
            "consumer": consumer,
            "client": [client for client, _ in order],
            "number": pd.array([n for _, n in order], dtype="Int64"),
            "message_id": [f"{c}{n}" for c, n in order],
            "sent_at": [1.0 + n for _, n in order],
            "received_at": [1.5 + i for i in range(len(order))],
        }
    )


def test_arrival_order_colours_each_publisher() -> None:
    frame = arrivals([("A", 0), ("B", 0), ("A", 2), ("A", 1), ("B", 1)])
    ax = plots.plot_arrival_order(frame)
    assert ax.get_title() == "Arrival order (1 inversions)"
    assert ax.get_xlabel() == "arrival position" and ax.get_ylabel() == "message number"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A", "B"]
    assert len(ax.collections) == 2


def test_standard_vs_fifo_shares_axes_and_counts_inversions() -> None:
    standard = arrivals([("A", 1), ("A", 0), ("A", 3), ("A", 2)])
    fifo = arrivals([("A", n) for n in range(4)])
    fig = plots.plot_standard_vs_fifo(standard, fifo)
    left, right = fig.axes
    assert (
        left.get_title() == "Standard: 2 inversions" and right.get_title() == "FIFO: 0 inversions"
    )
    assert fig.get_suptitle()
    assert left.get_shared_y_axes().joined(left, right)


def test_latency_histogram_for_several_runs() -> None:
    ax = plots.plot_latency(
        {"standard": arrivals([("A", 0), ("A", 1)]), "fifo": arrivals([("A", 0)])}
    )
    assert ax.get_title() and ax.get_xlabel() == "latency (ms)" and ax.get_ylabel() == "messages"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["standard", "fifo"]


def test_task_timeline_has_one_lane_per_worker_process() -> None:
    events = pd.DataFrame(
        {
            "lane": ["worker@1", "worker@2", "worker@1"],
            "name": ["ical", "ical", "ical"],
            "started": [100.0, 100.5, 102.0],
            "succeeded": [101.5, 103.0, 103.0],
        }
    )
    ax = plots.plot_task_timeline(events)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["worker@1", "worker@2"]
    bars = ax.patches
    assert len(bars) == 3
    assert sorted(round(b.get_x(), 1) for b in bars) == [0.0, 0.5, 2.0]
    assert sorted(round(b.get_width(), 1) for b in bars) == [1.0, 1.5, 2.5]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() == "worker process"
    assert ax.get_legend() is not None
