"""What every lesson figure shares: a colour-blind-safe palette, markers and line styles so colour
is never the only cue, and alt text that travels with the image.

A helper names what its figure shows with `describe(fig, "...")` (the figure's point in
numbers: "standard: 22 of 100 messages out of order; FIFO: none"). In a notebook kernel the PNG
of such a figure carries that text in its display metadata (``{"image/png": {"alt": ...}}``),
in ``text/plain`` (what a screen reader or a text export reads) and in an HTML ``<img alt>``
(JupyterLab renders that one; it ignores the PNG's metadata). `tests/lessons` fail on an
executed lesson with a figure that has none.
"""

from __future__ import annotations

import base64
import html
import io

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

#: Okabe & Ito (2008), the colour-blind-safe qualitative palette (black last)
OKABE_ITO = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#999999",  # grey
    "#000000",
)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h")
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 1)))
HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo", "--", "**")
_ALT = "_labkit_alt"


def colour(i: int) -> str:
    return OKABE_ITO[i % len(OKABE_ITO)]


def marker(i: int) -> str:
    return MARKERS[i % len(MARKERS)]


def linestyle(i: int) -> str | tuple:
    return LINESTYLES[i % len(LINESTYLES)]


def hatch(i: int) -> str:
    return HATCHES[i % len(HATCHES)]


class LessonFigure(Figure):
    """A Figure whose PNG carries its alt text: the kernel's formatters are registered for this
    class (the inline backend's, registered for Figure, stay as they are for other figures)."""


def new_figure(*args, **kwargs) -> tuple[LessonFigure, object]:
    """``plt.subplots`` with a `LessonFigure`, constrained layout unless told otherwise."""
    import matplotlib.pyplot as plt

    kwargs.setdefault("layout", "constrained")
    return plt.subplots(*args, FigureClass=LessonFigure, **kwargs)


def figure_of(item: Figure | Axes) -> Figure:
    return item if isinstance(item, Figure) else item.get_figure(root=True)


def describe(item: Figure | Axes, text: str) -> str:
    """Set the alt text of ``item``'s figure; returns it."""
    fig = figure_of(item)
    if not isinstance(fig, LessonFigure):
        fig.__class__ = LessonFigure  # a figure the caller made: now it displays with its text
    setattr(fig, _ALT, " ".join(text.split()))
    return getattr(fig, _ALT)


def add_description(item: Figure | Axes, text: str) -> str:
    """Append ``text`` to the figure's alt text (a panel added to a figure that has one)."""
    current = alt_text(item)
    return describe(item, f"{current} {text}" if current else text)


def alt_text(item: Figure | Axes) -> str | None:
    """The alt text `describe` gave the figure, if any."""
    return getattr(figure_of(item), _ALT, None)


def count_table(counts: dict[str, int] | pd.Series, what: str, value: str) -> pd.DataFrame:
    """The numbers behind a figure as a small table (shown beside it: a figure's point in text)."""
    series = pd.Series(counts, name=value)
    return series.rename_axis(what).to_frame()


_last_png: list = [None, b""]  # (figure, its PNG): the HTML and PNG formats render it once


def _png(fig: Figure) -> bytes:
    if _last_png[0] is fig and not fig.stale:
        return _last_png[1]
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, bbox_inches="tight")
    _last_png[:] = [fig, buffer.getvalue()]
    return _last_png[1]


def _png_with_alt(fig: Figure) -> bytes | tuple[bytes, dict] | None:
    """IPython's image/png formatter for a Figure: its PNG, with its alt text as metadata."""
    if not fig.axes:
        return None
    data = _png(fig)
    text = alt_text(fig)
    return (data, {"alt": text}) if text else data


def _html_with_alt(fig: Figure) -> str | None:
    text = alt_text(fig)
    if not text or not fig.axes:
        return None
    source = base64.b64encode(_png(fig)).decode("ascii")
    alt = html.escape(text, quote=True)
    return f'<img src="data:image/png;base64,{source}" alt="{alt}" title="{alt}">'


def _plain_with_alt(fig: Figure) -> str:
    text = alt_text(fig)
    return f"Figure: {text}" if text else repr(fig)


def install(shell: object | None = None) -> bool:
    """Make the kernel's figures carry their alt text (idempotent); False outside IPython."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    formatter = getattr(shell, "display_formatter", None)
    if formatter is None:
        return False
    formatters = formatter.formatters
    formatters["image/png"].for_type(LessonFigure, _png_with_alt)
    formatters["text/html"].for_type(LessonFigure, _html_with_alt)
    formatters["text/plain"].for_type(
        LessonFigure, lambda fig, printer, cycle: printer.text(_plain_with_alt(fig))
    )
    return True


def images_without_alt(notebook: dict) -> list[str]:
    """Where an executed notebook (nbformat JSON) shows an image without alt text in its display
    metadata: one "cell N: first line of its source" each."""
    missing = []
    for number, cell in enumerate(notebook.get("cells", [])):
        for output in cell.get("outputs", []):
            metadata = output.get("metadata", {})
            for mime in output.get("data", {}):
                alt = metadata.get(mime, {}).get("alt", "") if mime.startswith("image/") else None
                if alt is not None and not str(alt).strip():
                    source = "".join(cell.get("source", "")).strip().splitlines() or [""]
                    missing.append(f"cell {number}: {source[0]}")
    return missing


install()
