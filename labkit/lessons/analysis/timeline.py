"""Lifecycle timelines: each message's life drawn from a `QueueRecord`, time across.

A message is *waiting* (visible, or delayed) from its send until a consumer receives it, *in
flight* until that consumer deletes it or its visibility timeout ends (then waiting again: a
redelivery follows), *deleted* (or purged, expired) after, *dead-letter* once moved to the
dead-letter queue. `stretches` cuts the record into those stretches; `plot_timeline` draws one
lane per message, per message group or per consumer, with markers for dropped duplicates,
redeliveries and dead-letter moves. Colour is never the only cue: each state also has its own
hatching, each marker its own shape, and the figure's alt text says its point in numbers.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from labkit.lessons.analysis import figures
from labkit.lessons.analysis.queue_record import QueueRecord

WAITING, IN_FLIGHT, DELETED, DEAD_LETTER = "waiting", "in flight", "deleted", "dead-letter"
STATES = (WAITING, IN_FLIGHT, DELETED, DEAD_LETTER)
STYLE = {
    WAITING: {"facecolor": figures.OKABE_ITO[1], "hatch": "", "edgecolor": "#1f4e79"},
    IN_FLIGHT: {"facecolor": figures.OKABE_ITO[0], "hatch": "//", "edgecolor": "#5c3d00"},
    DELETED: {"facecolor": figures.OKABE_ITO[7], "hatch": "", "edgecolor": "#555555"},
    DEAD_LETTER: {"facecolor": figures.OKABE_ITO[5], "hatch": "xx", "edgecolor": "#5c2500"},
}
MARKS = {  # record kind -> (legend label, marker, colour)
    "timed_out": ("visibility timeout ended", "|", "#000000"),
    "deduplicated": ("duplicate dropped", "X", "#000000"),
    "duplicated": ("second copy stored", "D", "#009E73"),
    "redelivered": ("redelivery", "o", "#0072B2"),
    "dead_letter": ("moved to the DLQ", "v", "#CC79A7"),
    "filtered": ("filtered out", "P", "#000000"),
}
_ENDS = {"deleted": DELETED, "purged": DELETED, "expired": DELETED}
LANES = ("message", "group", "consumer")
TITLES = {
    "message": "What happened to each message, over time",
    "group": "Messages in flight, per message group",
    "consumer": "Messages each consumer held (in flight)",
}
STRETCH_COLUMNS = ["message_id", "label", "group", "consumer", "state", "start", "end", "attempt"]


def _close(out: list, current: dict | None, end: float) -> None:
    if current is not None and end >= current["start"]:
        out.append({**current, "end": end})


def _message_stretches(rows: pd.DataFrame, end_of_time: float, group: object) -> list[dict]:
    out: list[dict] = []
    current: dict | None = None
    in_dlq = False
    base = {
        "message_id": rows["message_id"].iloc[0],
        "label": rows["label"].iloc[0],
        "group": group,
    }
    for event in rows.itertuples():
        kind, t = event.kind, event.t
        state = None
        if kind in ("sent", "visible", "delivered"):
            state = WAITING
        elif kind == "arrived":
            state = DEAD_LETTER
        elif kind == "received":
            state = IN_FLIGHT
        elif kind in _ENDS:
            state = _ENDS[kind]
        elif kind == "dead_letter":
            _close(out, current, t)
            current = None
            continue
        in_dlq = in_dlq or state == DEAD_LETTER
        if in_dlq and state in (WAITING, IN_FLIGHT):
            state = DEAD_LETTER  # read from the dead-letter queue: still a dead letter
        if state is None or (current is not None and current["state"] == state != IN_FLIGHT):
            continue
        _close(out, current, t)
        current = {**base, "state": state, "start": t, "consumer": None, "attempt": pd.NA}
        if state == IN_FLIGHT:
            current.update(consumer=event.consumer, attempt=event.attempt)
    _close(out, current, end_of_time)
    return out


def stretches(record: QueueRecord) -> pd.DataFrame:
    """One row per stretch of one message in one state (STRETCH_COLUMNS); seconds since the
    record's first event."""
    events = record.events
    if events.empty:
        return pd.DataFrame(columns=STRETCH_COLUMNS)
    end_of_time = float(events["t"].max())
    groups = events.dropna(subset=["group"]).groupby("message_id")["group"].first()
    rows: list[dict] = []
    for message_id, part in events.groupby("message_id", sort=False):
        rows += _message_stretches(part, end_of_time, groups.get(message_id))
    frame = pd.DataFrame(rows, columns=STRETCH_COLUMNS)
    return frame.sort_values(["start", "label"], kind="stable").reset_index(drop=True)


def _dead_letter_queues(events: pd.DataFrame) -> set[str]:
    return set(events.loc[events["kind"] == "arrived", "queue"])


def _redeliveries(events: pd.DataFrame) -> pd.Series:
    """Receives after the first, outside a dead-letter queue (reading a DLQ is no retry)."""
    received = (events["kind"] == "received") & ~events["queue"].isin(_dead_letter_queues(events))
    return received & (events["attempt"].fillna(1) > 1)


def marks(record: QueueRecord) -> pd.DataFrame:
    """Moments worth a marker: dropped duplicates, redeliveries, dead-letter moves, filtered
    copies; columns message_id, label, group, consumer, mark, t."""
    events = record.events
    redelivered = _redeliveries(events)
    timed_out = (events["kind"] == "visible") & (events["attempt"].fillna(0) > 0)
    plain = events["kind"].isin(["deduplicated", "duplicated", "dead_letter", "filtered"])
    chosen = events[plain | redelivered | timed_out]
    frame = chosen[["message_id", "label", "group", "consumer", "kind", "t"]].copy()
    renamed = {"received": "redelivered", "visible": "timed_out"}
    frame["mark"] = frame["kind"].map(lambda kind: renamed.get(kind, kind))
    return frame.drop(columns="kind").reset_index(drop=True)


def max_in_flight(record: QueueRecord, by: str = "group") -> pd.Series:
    """Per ``by`` (group or consumer), the most messages in flight at the same moment."""
    frame = stretches(record)
    frame = frame[frame["state"] == IN_FLIGHT].dropna(subset=[by])
    out = {}
    for key, part in frame.groupby(by):
        moments = sorted([(s, 1) for s in part["start"]] + [(e, -1) for e in part["end"]])
        level = best = 0
        for _, step in moments:  # an end at the same moment as a start counts first
            level += step
            best = max(best, level)
        out[key] = best
    return pd.Series(out, name="most in flight at once", dtype=int).rename_axis(by)


def max_holders(record: QueueRecord) -> pd.Series:
    """Per message group, the most consumers holding messages of it at the same moment (a FIFO
    queue: 1, whatever the number of consumers)."""
    frame = stretches(record)
    frame = frame[frame["state"] == IN_FLIGHT].dropna(subset=["group", "consumer"])
    out = {}
    for key, part in frame.groupby("group"):
        moments = sorted(
            [(s, 1, c) for s, c in zip(part["start"], part["consumer"], strict=True)]
            + [(e, -1, c) for e, c in zip(part["end"], part["consumer"], strict=True)],
            key=lambda m: (m[0], m[1]),
        )
        held: dict[str, int] = {}
        best = 0
        for _, step, consumer in moments:  # ends before starts at the same moment
            held[consumer] = held.get(consumer, 0) + step
            best = max(best, sum(1 for n in held.values() if n > 0))
        out[key] = best
    return pd.Series(out, name="most consumers holding it at once", dtype=int).rename_axis("group")


def redelivery_gaps(record: QueueRecord) -> pd.Series:
    """Seconds each receive that was not deleted kept its message hidden before it was visible
    again (the visibility timeout, as the queue applied it); one value per such receive."""
    frame = stretches(record)
    order = frame.sort_values(["message_id", "start"], kind="stable")
    following = order.groupby("message_id")["state"].shift(-1)
    timed_out = order[(order["state"] == IN_FLIGHT) & (following == WAITING)]
    return (timed_out["end"] - timed_out["start"]).rename("seconds in flight before visible again")


def counts(record: QueueRecord) -> pd.DataFrame:
    """What happened, counted: the numbers behind a timeline, for a table beside it."""
    events = record.events
    received = events["kind"] == "received"
    from_dlq = received & events["queue"].isin(_dead_letter_queues(events))
    rows = {
        "messages": events["message_id"].nunique(),
        "sent": int((events["kind"] == "sent").sum()),
        "duplicates dropped": int((events["kind"] == "deduplicated").sum()),
        "second copies stored": int((events["kind"] == "duplicated").sum()),
        "receives": int((received & ~from_dlq).sum()),
        "redeliveries": int(_redeliveries(events).sum()),
        "receives from the DLQ": int(from_dlq.sum()),
        "deleted": int((events["kind"] == "deleted").sum()),
        "moved to the DLQ": int((events["kind"] == "dead_letter").sum()),
    }
    return figures.count_table(rows, "event", "count")


def _lane_keys(frame: pd.DataFrame, lane: str) -> pd.Series:
    if lane == "message":
        return frame["label"].astype(str)
    column = "group" if lane == "group" else "consumer"
    return frame[column].fillna("(none)").astype(str)


def _draw_held(ax: Axes, frame: pd.DataFrame, lanes: list[str], lane: str) -> None:
    """Group or consumer lanes: in-flight stretches, one colour and hatching per group."""
    keys = _lane_keys(frame, lane)
    groups = sorted(frame["group"].fillna("(none)").astype(str).unique())
    for i, group in enumerate(groups):
        part = frame[frame["group"].fillna("(none)").astype(str) == group]
        ax.barh(
            [lanes.index(k) for k in keys[part.index]],
            (part["end"] - part["start"]).clip(lower=0.002),
            left=part["start"],
            height=0.7,
            linewidth=0.6,
            facecolor=figures.colour(i),
            hatch=figures.hatch(i),
            edgecolor="black",
            label=f"group {group}, in flight" if len(groups) > 1 else "in flight",
        )


def _draw_stretches(ax: Axes, frame: pd.DataFrame, lanes: list[str], lane: str) -> None:
    if lane != "message":
        _draw_held(ax, frame, lanes, lane)
        return
    keys = _lane_keys(frame, lane)
    for state in STATES:
        part = frame[frame["state"] == state]
        if part.empty:
            continue
        height = 0.25 if state == DELETED else 0.7
        ax.barh(
            [lanes.index(k) for k in keys[part.index]],
            (part["end"] - part["start"]).clip(lower=0.002),
            left=part["start"],
            height=height,
            linewidth=0.6,
            label=state,
            **STYLE[state],
        )


def _draw_marks(ax: Axes, frame: pd.DataFrame, lanes: list[str], lane: str) -> None:
    keys = _lane_keys(frame, lane)
    for mark, (label, shape, colour) in MARKS.items():
        part = frame[(frame["mark"] == mark) & keys.isin(lanes)]
        if not part.empty:
            rows = [lanes.index(k) for k in keys[part.index]]
            size, width = (260, 2.0) if shape == "|" else (60, 1.0)
            ax.scatter(
                part["t"], rows, marker=shape, s=size, linewidths=width, color=colour,
                zorder=4 if shape == "|" else 5, label=label,
            )  # fmt: skip


def _lanes_of(frame: pd.DataFrame, lane: str, limit: int) -> list[str]:
    keys = _lane_keys(frame, lane)
    if lane != "message":  # groups and consumers by name
        return sorted(keys.unique(), key=lambda k: (len(k), k))[:limit]
    first = frame.assign(key=keys).groupby("key", sort=False)["start"].min().sort_values()
    return list(first.index[:limit])


def describe_timeline(record: QueueRecord, lane: str = "message") -> str:
    """The timeline's point in numbers (its alt text)."""
    c = counts(record)["count"]
    span = float(record.events["t"].max()) if not record.events.empty else 0.0
    text = (
        f"Timeline of {c['messages']} messages over {span:.1f} s, one lane per {lane}: "
        f"{c['receives']} receives ({c['redeliveries']} redeliveries), {c['deleted']} deleted, "
        f"{c['moved to the DLQ']} moved to the dead-letter queue"
        + (
            f" (read there {c['receives from the DLQ']} time(s))"
            if c["receives from the DLQ"]
            else ""
        )
        + ", "
        f"{c['duplicates dropped']} duplicates dropped."
    )
    if c["second copies stored"]:
        text += f" The queue stored {c['second copies stored']} second copies (at-least-once)."
    if lane in ("group", "consumer") and not record.events.empty:
        most, holders = max_in_flight(record, "group"), max_holders(record)
        if not most.empty:
            text += f" At most {int(most.max())} message(s) of one group in flight at once"
            text += (
                f", held by at most {int(holders.max())} consumer(s) at once."
                if len(holders)
                else "."
            )
        groups = record.events["group"].dropna().nunique()
        if groups:
            text += f" {groups} message group(s)."
    gaps = redelivery_gaps(record)
    if not gaps.empty:
        text += f" A message not deleted came back after {gaps.median():.1f} s (median)."
    if record.partial:
        text += " Partial record (from the clients only)."
    return text


def plot_timeline(
    record: QueueRecord,
    lane: str = "message",
    ax: Axes | None = None,
    title: str | None = None,
    max_lanes: int = 40,
) -> Axes:
    """One lane per message (``lane="message"``), message group or consumer; time across;
    each stretch coloured and hatched by state; markers for drops, redeliveries, DLQ moves.
    Group and consumer lanes show the in-flight stretches (who held what, when)."""
    if lane not in LANES:
        raise ValueError(f"lane must be one of {', '.join(LANES)}, not {lane!r}")
    frame = stretches(record)
    if lane != "message":
        frame = frame[frame["state"] == IN_FLIGHT]
    if ax is None:
        lanes_wanted = min(max_lanes, max(1, frame.pipe(_lane_keys, lane).nunique()))
        _, ax = figures.new_figure(figsize=(9, max(2.4, 1.2 + 0.22 * lanes_wanted)))
    lanes = _lanes_of(frame, lane, max_lanes) if not frame.empty else []
    found = marks(record)
    if lane == "message":  # a message with only a marker (filtered out) still gets its lane
        lanes += [k for k in dict.fromkeys(found["label"].astype(str)) if k not in lanes]
        lanes = lanes[:max_lanes]
    frame = frame[_lane_keys(frame, lane).isin(lanes)]
    _draw_stretches(ax, frame, lanes, lane)
    _draw_marks(ax, found, lanes, lane)
    ax.set_yticks(range(len(lanes)), lanes, fontsize="small" if len(lanes) > 12 else None)
    ax.invert_yaxis()
    ax.set_xlabel("seconds since the first event" + (" (client clocks)" if record.partial else ""))
    ax.set_ylabel(lane)
    title = title or TITLES[lane]
    ax.set_title(title)
    if frame.size or not found.empty:
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figures.add_description(ax, f"{title}. {describe_timeline(record, lane)}")
    return ax


def plot_timelines(records: dict[str, QueueRecord], lane: str = "consumer") -> Figure:
    """Several timelines stacked, one titled panel per record, on one time axis."""
    lanes = sum(
        max(1, len(_lanes_of(stretches(r), lane, 40))) if not r.events.empty else 1
        for r in records.values()
    )
    height = 1.1 * len(records) + 0.3 * lanes
    fig, axes = figures.new_figure(len(records), 1, figsize=(9, height), squeeze=False)
    for ax, (title, record) in zip(axes[:, 0], records.items(), strict=True):
        plot_timeline(record, lane=lane, ax=ax, title=title)
    return fig
