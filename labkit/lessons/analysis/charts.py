"""Named chart helpers for the lessons' small figures: bars against a reference, measured against
ideal, task timelines in panels, a dated scatter, a count matrix.

Like `plots`, each titles and labels its axes, draws from the Okabe-Ito palette with a marker,
line style or hatching per series, gives its figure alt text with the point in numbers, and
returns the Axes (or Figure). Notebook cells call these instead of matplotlib itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from labkit.lessons.analysis import figures
from labkit.lessons.analysis.plots import plot_task_timeline


def _number(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}"


def plot_bars(
    values: Mapping[str, float] | pd.Series,
    title: str,
    ylabel: str,
    xlabel: str = "",
    reference: float | None = None,
    reference_label: str = "expected",
    ax: Axes | None = None,
) -> Axes:
    """One labelled bar per entry (its value written on it), a dashed reference line if
    given; each bar has its own colour and hatching."""
    series = pd.Series(values, dtype=float)
    if ax is None:
        _, ax = figures.new_figure(figsize=(max(4.5, 1.1 * len(series) + 2), 3.2))
    labels = [str(k) for k in series.index]
    bars = ax.bar(
        labels,
        series.values,
        color=[figures.colour(i) for i in range(len(series))],
        edgecolor="black",
        linewidth=0.6,
    )
    for i, bar in enumerate(bars):
        bar.set_hatch(figures.hatch(i))
    ax.bar_label(bars, labels=[_number(v) for v in series.values])
    if reference is not None:
        ax.axhline(reference, color="black", linestyle="--", linewidth=1, label=reference_label)
        ax.legend(fontsize="small", loc="upper right")
    top = max([*series.values, reference or 0, 1e-9])
    ax.set_ylim(0, top * (1.35 if reference is not None else 1.18))
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    pairs = ", ".join(f"{k}: {_number(v)}" for k, v in zip(labels, series.values, strict=True))
    extra = f"; {reference_label}: {_number(reference)}" if reference is not None else ""
    per = f" ({ylabel} per {xlabel})" if xlabel else f" ({ylabel})"
    figures.add_description(ax, f"Bar chart, {title}{per}: {pairs}{extra}.")
    return ax


def plot_bar_panels(
    panels: Mapping[str, tuple[pd.Series, str]],
    ylabel: str,
    reference: float | None = None,
    reference_label: str = "expected",
) -> Figure:
    """`plot_bars` side by side on one value axis: ``{title: (values, x label)}``."""
    fig, axes = figures.new_figure(1, len(panels), figsize=(5 * len(panels), 3.2), sharey=True)
    axes = axes if len(panels) > 1 else [axes]
    for ax, (title, (values, xlabel)) in zip(axes, panels.items(), strict=True):
        plot_bars(values, title, ylabel, xlabel, reference, reference_label, ax=ax)
    return fig


def plot_measured_vs_ideal(
    x: Sequence[float],
    measured: Sequence[float],
    ideal: Sequence[float],
    title: str,
    xlabel: str,
    ylabel: str,
    ideal_label: str = "ideal",
) -> Axes:
    """A measured line (solid, circles) against an ideal one (dashed, squares)."""
    _, ax = figures.new_figure(figsize=(6, 3.5))
    ax.plot(x, measured, marker="o", linestyle="-", color=figures.colour(4), label="measured")
    ax.plot(x, ideal, marker="s", linestyle="--", color=figures.colour(7), label=ideal_label)
    ax.set_xticks(list(x))
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    points = "; ".join(
        f"{_number(a)}: {_number(m)} measured, {_number(i)} ideal"
        for a, m, i in zip(x, measured, ideal, strict=True)
    )
    figures.describe(ax, f"Line chart, {title} ({xlabel}: {ylabel}): {points}.")
    return ax


def plot_task_timelines(
    panels: Mapping[str, pd.DataFrame], marker_at: float | None = None, marker_label: str = ""
) -> Figure:
    """`plot_task_timeline` panels stacked (one per entry, titled by its key), sharing the time
    axis; ``marker_at`` draws a dotted vertical line (a moment the text talks about)."""
    lanes = sum(max(1, part["lane"].nunique()) for part in panels.values())
    height = 1.3 * len(panels) + 0.4 * lanes
    fig, axes = figures.new_figure(len(panels), 1, figsize=(9, height), sharex=True, squeeze=False)
    figures.describe(fig, f"{len(panels)} task timelines, one lane per worker process.")
    for ax, (title, part) in zip(axes[:, 0], panels.items(), strict=True):
        plot_task_timeline(part, ax=ax, title=title)
        legend = ax.get_legend()
        if legend is not None and part["name"].nunique() <= 1:
            legend.remove()  # one kind of task: the colour says nothing
        if marker_at is not None:
            ax.axvline(marker_at, color="black", linestyle=":", label=marker_label)
    if marker_at is not None:
        figures.add_description(fig, f"Dotted line at {marker_at:g} s: {marker_label}.")
    return fig


def plot_dated_points(
    when: pd.Series, what: pd.Series, title: str, xlabel: str, ylabel: str
) -> Axes:
    """One marker per item on a date axis (e.g. each todo's deadline)."""
    _, ax = figures.new_figure(figsize=(9, 1.5 + 0.3 * len(what)))
    ax.scatter(when, what, marker="D", color=figures.colour(4), zorder=3)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(axis="x", alpha=0.3)
    ax.get_figure().autofmt_xdate()
    valid = pd.to_datetime(when).dropna()
    span = f" from {valid.min():%Y-%m-%d} to {valid.max():%Y-%m-%d}" if len(valid) else ""
    figures.describe(ax, f"{title}: {len(valid)} of {len(what)} items dated{span}.")
    return ax


def plot_count_matrix(
    matrix: pd.DataFrame, title: str, xlabel: str, ylabel: str, colorbar_label: str
) -> Axes:
    """A heat map of counts with each count written in its cell (the number, not only the
    shade, carries the value)."""
    _, ax = figures.new_figure(figsize=(8, 1.4 + 0.45 * len(matrix)))
    values = matrix.to_numpy(dtype=float)
    image = ax.imshow(values, cmap="cividis", vmin=0, aspect="auto")
    ax.set_xticks(range(matrix.shape[1]), [str(c) for c in matrix.columns])
    ax.set_yticks(range(matrix.shape[0]), [str(r) for r in matrix.index])
    high = np.nanmax(values) if values.size else 0
    for (row, col), count in np.ndenumerate(values):
        ax.text(col, row, _number(count), ha="center", va="center",
                color="black" if count > high / 2 else "white")  # fmt: skip
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.get_figure().colorbar(image, ax=ax, label=colorbar_label)
    rows = "; ".join(
        f"{r}: " + ", ".join(f"{c} {_number(v)}" for c, v in matrix.loc[r].items())
        for r in matrix.index
    )
    figures.describe(ax, f"Table as a heat map, {title} ({ylabel} by {xlabel}): {rows}.")
    return ax
