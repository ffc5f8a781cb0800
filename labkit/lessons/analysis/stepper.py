"""Step through a `QueueRecord` in JupyterLab: a slider (and play button) over its events,
showing what the queue holds at that moment and one line saying what just happened.

    step_through(record)      # the view; in a static export, its text summary

Built from ipywidgets (in requirements.txt; JupyterLab 4 ships its manager, so it works in
Codespaces and behind jupyter-server-proxy with no extension to build). Moving the slider
re-renders one HTML block from the kernel: the messages waiting, in flight (and with whom),
deleted and in the dead-letter queue, each in a labelled box, so colour is not the only cue.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from labkit.lessons.analysis.queue_record import QueueRecord
from labkit.lessons.analysis.timeline import DEAD_LETTER, DELETED, IN_FLIGHT, STYLE, WAITING

BOXES = (WAITING, IN_FLIGHT, DELETED, DEAD_LETTER)
BOX_TITLES = {
    WAITING: "Waiting (visible or delayed)",
    IN_FLIGHT: "In flight (hidden, held by)",
    DELETED: "Gone (deleted, purged, expired)",
    DEAD_LETTER: "In the dead-letter queue",
}
MAX_CHIPS = 60  # per box; the rest are counted


def _name(event: Any) -> str:
    label = event.label if isinstance(event.label, str) else str(event.message_id)[:8]
    return label


def _of(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _timeout_before(record: QueueRecord, step: int, message_id: str) -> float | None:
    """How long the receive before event ``step`` hid the message (its visibility timeout)."""
    earlier = record.events.iloc[:step]
    received = earlier[(earlier["message_id"] == message_id) & (earlier["kind"] == "received")]
    if received.empty or pd.isna(received["hidden_until"].iloc[-1]):
        return None
    return round(float(received["hidden_until"].iloc[-1] - received["at"].iloc[-1]), 3)


def caption(record: QueueRecord, step: int) -> str:
    """One line for event ``step``: its time, and what happened in words."""
    event = next(record.events.iloc[[step]].itertuples())
    who, name = _of(event.consumer) or _of(event.receiver) or "a consumer", _name(event)
    settings = record.settings.get(event.queue, {})
    limit = settings.get("max_receives")
    of = f" of {limit}" if limit else ""
    kind = event.kind
    text = {
        "sent": f"{name} sent to {event.queue}"
        + (f", group {event.group}" if _of(event.group) else ""),
        "deduplicated": f"a second {name} dropped: same deduplication id within 5 minutes",
        "duplicated": f"a second copy of {name} stored (at-least-once delivery)",
        "received": f"{who} received {name} (receive {event.attempt}{of})",
        "visibility": f"{who} changed how long {name} stays hidden",
        "deleted": f"{name} deleted: done",
        "purged": f"{name} purged with its queue",
        "expired": f"{name} expired (retention period over)",
        "dead_letter": f"{name} moved to the dead-letter queue {_of(event.to)} after {limit or 'too many'} receives",
        "arrived": f"{name} arrived in {event.queue} from {_of(event.source)}",
        "published": f"{name} published to topic {event.queue}",
        "delivered": f"{name} delivered to {_of(event.subscription)}",
        "filtered": f"{name} filtered out for {_of(event.subscription)}",
    }.get(kind, f"{name}: {kind}")
    if kind == "visible" and pd.notna(event.attempt) and int(event.attempt) > 0:
        timeout = _timeout_before(record, step, event.message_id)
        after = f" after its {timeout:g} s visibility timeout" if timeout is not None else ""
        text = f"{name} is visible again{after}: receive {int(event.attempt) + 1}{of} next"
    elif kind == "visible":
        text = f"{name} is visible (its delay is over)"
    return f"{event.t:.2f} s: {text}"


def state_at(record: QueueRecord, step: int) -> dict[str, dict[str, str]]:
    """After event ``step``: each box (BOXES) -> {message name: who holds it, or ""}."""
    where: dict[str, tuple[str, str]] = {}
    for event in record.events.iloc[: step + 1].itertuples():
        name, kind = _name(event), event.kind
        if kind in ("sent", "visible"):
            where[name] = (WAITING, "")
        elif kind == "received":
            where[name] = (IN_FLIGHT, _of(event.consumer) or _of(event.receiver))
        elif kind in ("deleted", "purged", "expired"):
            where[name] = (DELETED, "")
        elif kind == "arrived":
            where[name] = (DEAD_LETTER, "")
    boxes: dict[str, dict[str, str]] = {box: {} for box in BOXES}
    for name, (box, holder) in where.items():
        boxes[box][name] = holder
    return boxes


def render(record: QueueRecord, step: int) -> str:
    """The HTML of step ``step``: the caption, then one labelled box per state."""
    parts = [
        f'<p class="labkit-caption" aria-live="polite"><b>{html.escape(caption(record, step))}</b></p>'
    ]
    parts.append('<div style="display:flex;gap:8px;flex-wrap:wrap">')
    for box, names in state_at(record, step).items():
        style = STYLE[box]
        chips = [
            f'<span style="display:inline-block;margin:2px;padding:1px 5px;border:1px solid '
            f'{style["edgecolor"]};background:{style["facecolor"]};color:#000;border-radius:3px">'
            f"{html.escape(name)}{(' &rarr; ' + html.escape(holder)) if holder else ''}</span>"
            for name, holder in list(names.items())[:MAX_CHIPS]
        ]
        if len(names) > MAX_CHIPS:
            chips.append(f"<span>and {len(names) - MAX_CHIPS} more</span>")
        parts.append(
            f'<section class="labkit-box" data-state="{box}" style="flex:1;min-width:180px;'
            f'border:2px solid {style["edgecolor"]};padding:4px">'
            f"<h4 style='margin:2px 0'>{BOX_TITLES[box]}: {len(names)}</h4>{''.join(chips)}</section>"
        )
    parts.append("</div>")
    return "".join(parts)


class StepThrough:
    """The view: a play button and slider over the record's events, and `render` of the step."""

    def __init__(self, record: QueueRecord, interval_ms: int = 400) -> None:
        import ipywidgets as widgets

        self.record = record
        last = max(len(record.events) - 1, 0)
        self.play = widgets.Play(min=0, max=last, step=1, interval=interval_ms, description="play")
        self.slider = widgets.IntSlider(
            min=0, max=last, value=0, description="event", continuous_update=True,
            layout=widgets.Layout(width="70%"),
        )  # fmt: skip
        widgets.jslink((self.play, "value"), (self.slider, "value"))
        self.view = widgets.HTML(
            render(record, 0) if last or len(record.events) else self.summary()
        )
        self.slider.observe(self._moved, names="value")
        self.box = widgets.VBox([widgets.HBox([self.play, self.slider]), self.view])

    def _moved(self, change: dict) -> None:
        self.view.value = render(self.record, int(change["new"]))

    def summary(self) -> str:
        n = len(self.record.events)
        if not n:
            return f"No events recorded. {self.record.note}".strip()
        return (
            f"Step-through view of {n} events (open in JupyterLab to use the slider); "
            f"first: {caption(self.record, 0)}; last: {caption(self.record, n - 1)}"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = self.box._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data = dict(data or {})
        data["text/plain"] = self.summary()
        return data


def step_through(record: QueueRecord, interval_ms: int = 400) -> StepThrough:
    """A step-through view of ``record`` (display it as a cell's last line)."""
    return StepThrough(record, interval_ms)
