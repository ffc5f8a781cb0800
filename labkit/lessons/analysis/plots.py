"""Figures for the lessons: arrival order, standard versus FIFO, latency, a task timeline.

Each helper draws on the Axes it is given (or a new figure), titles it, labels both axes, adds a
legend when colours mean something, gives the figure alt text with its point in numbers
(`figures.describe`), and returns the Axes (or the Figure for several panels). Colours come
from the Okabe-Ito palette and each series also has its own marker or hatching. None calls
``plt.show()``: the notebook cell does, so each figure is drawn once, as PNG.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from labkit.lessons.analysis import figures, metrics


def _axes(ax: Axes | None, size: tuple[float, float] = (7, 4)) -> Axes:
    if ax is not None:
        return ax
    _, new = figures.new_figure(figsize=size)
    return new


def _runs_deliveries(data) -> pd.DataFrame:
    """Accept a `experiments.Run` or its deliveries frame."""
    return getattr(data, "deliveries", data)


def _order_scope(color_by: str) -> str:
    """Inversions are judged per message group when colours show groups, else per publisher."""
    return "group" if color_by == "group" else "client"


def _inversion_text(frame: pd.DataFrame, color_by: str) -> str:
    scope = _order_scope(color_by)
    count = metrics.inversions(frame, by=scope)
    return f"{count} inversions" + (" within groups" if scope == "group" else "")


def plot_arrival_order(
    deliveries, color_by: str = "client", ax: Axes | None = None, title: str | None = None
) -> Axes:
    """Message number against arrival position: a rising diagonal means in order.

    One colour per value of ``color_by`` (``"client"`` for publishers, ``"consumer"`` for
    consumers, ``"group"`` for message groups, whose order is then judged within each group).
    """
    frame = _runs_deliveries(deliveries)
    ax = _axes(ax)
    frame = frame.dropna(subset=["number"])
    groups = list(frame.groupby(color_by, sort=True)) if not frame.empty else []
    for i, (name, part) in enumerate(groups):
        ax.scatter(
            part["position"], part["number"], s=14, label=str(name),
            color=figures.colour(i), marker=figures.marker(i),
        )  # fmt: skip
    if title is None:
        title = f"Arrival order ({_inversion_text(frame, color_by)})"
    figures.add_description(ax, _arrival_text(frame, color_by, title))
    ax.set_title(title)
    ax.set_xlabel("arrival position")
    ax.set_ylabel("message number")
    for axis in (ax.xaxis, ax.yaxis):  # positions and numbers are whole: no 1.5 ticks
        axis.set_major_locator(MaxNLocator(integer=True))
    if groups:
        ax.legend(title=color_by, fontsize="small", loc="upper left")
    return ax


def _arrival_text(frame: pd.DataFrame, color_by: str, title: str) -> str:
    scope = _order_scope(color_by)
    count = metrics.inversions(frame, by=scope) if not frame.empty else 0
    return (
        f"{title}: {len(frame)} messages, message number against arrival position, one colour "
        f"and marker per {color_by}; {count} pairs arrived out of order"
        + (" within a group." if scope == "group" else ".")
    )


def plot_standard_vs_fifo(
    standard,
    fifo,
    color_by: str = "client",
    titles: tuple[str, str] = ("Standard", "FIFO"),
    suptitle: str = "Arrival order: standard versus FIFO queue",
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Figure:
    """The two arrival-order plots side by side on shared axes, inversions in each title."""
    fig, (left, right) = figures.new_figure(1, 2, figsize=(11, 4), sharex=True, sharey=True)
    figures.describe(fig, f"{suptitle}.")
    for ax, data, name in ((left, standard, titles[0]), (right, fifo, titles[1])):
        frame = _runs_deliveries(data)
        text = _inversion_text(frame, color_by)
        plot_arrival_order(frame, color_by=color_by, ax=ax, title=f"{name}: {text}")
        ax.set_xlabel(xlabel or ax.get_xlabel())
        ax.set_ylabel(ylabel or ax.get_ylabel())
    fig.suptitle(suptitle)
    return fig


def plot_latency(
    runs, bins: int = 30, ax: Axes | None = None, title: str = "Send-to-receive latency"
) -> Axes:
    """Histogram of latency in milliseconds; ``runs`` is one run/frame or a dict label -> run."""
    ax = _axes(ax)
    series = runs if isinstance(runs, Mapping) else {"": runs}
    medians = []
    for i, (label, data) in enumerate(series.items()):
        values = metrics.latencies(_runs_deliveries(data)).dropna() * 1000
        ax.hist(
            values, bins=bins, alpha=0.6, label=str(label) or None, color=figures.colour(i),
            hatch=figures.hatch(i), edgecolor="black", linewidth=0.4,
        )  # fmt: skip
        medians.append(f"{label or 'run'}: median {values.median():.1f} ms")
    figures.add_description(ax, f"{title}, histogram in milliseconds; {'; '.join(medians)}.")
    ax.set_title(title)
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("messages")
    if len(series) > 1:
        ax.legend(title="run")
    return ax


def plot_task_timeline(
    events: pd.DataFrame, ax: Axes | None = None, title: str = "Tasks on worker processes"
) -> Axes:
    """One lane per worker process, one bar per task from start to finish.

    ``events`` has columns ``lane, name, started, succeeded`` (epoch seconds); time is shown
    from the first start. Colours distinguish task names.
    """
    ax = _axes(ax, size=(9, 3.5))
    frame = events.dropna(subset=["started", "succeeded"])
    lanes = sorted(frame["lane"].astype(str).unique()) if not frame.empty else []
    origin = frame["started"].min() if not frame.empty else 0.0
    names = sorted(frame["name"].astype(str).unique()) if not frame.empty else []
    for i, name in enumerate(names):
        part = frame[frame["name"].astype(str) == name]
        ax.barh(
            [lanes.index(str(lane)) for lane in part["lane"]],
            part["succeeded"] - part["started"],
            left=part["started"] - origin,
            height=0.6,
            color=figures.colour(i),
            hatch=figures.hatch(i),
            edgecolor="black",
            linewidth=0.5,
            label=name,
        )
    span = float(frame["succeeded"].max() - origin) if not frame.empty else 0.0
    figures.add_description(
        ax,
        f"{title}: {len(frame)} tasks on {len(lanes)} lanes ({', '.join(lanes[:8])}), "
        f"all done {span:.1f} s after the first started.",
    )
    ax.set_yticks(range(len(lanes)), lanes)
    ax.set_title(title)
    ax.set_xlabel("seconds since the first task started")
    ax.set_ylabel("worker process")
    if names:
        ax.legend(title="task", fontsize="small", loc="upper right")
    return ax


def plot_consumer_timeline(
    deliveries, ax: Axes | None = None, title: str = "Messages handled by each consumer"
) -> Axes:
    """One lane per consumer, one bar per message from the start to the end of its work,
    coloured by MessageGroupId: shows which groups were handled in parallel."""
    frame = _runs_deliveries(deliveries)
    events = pd.DataFrame(
        {
            "lane": frame["consumer"],
            "name": frame["group"].fillna("(none)"),
            "started": frame["started_at"],
            "succeeded": frame["handled_at"],
        }
    )
    ax = plot_task_timeline(events, ax=ax, title=title)
    ax.set_ylabel("consumer")
    ax.set_xlabel("seconds since the first message was handled")
    legend = ax.get_legend()
    if legend is not None:
        legend.set_title("message group")
    return ax
