"""Measures of a queue run: order, loss, duplication and latency, from the frames of `queues`.

Every function takes the DataFrames that `publishing.publish` and `consuming.consume` return (one
row per send, one row per delivery; an `experiments.Run` holds both) so a notebook can ask one
question per line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

PERCENTILES = (50, 90, 99)


def count_inversions(sequence: Iterable[float]) -> int:
    """Pairs (i < j) with ``sequence[i] > sequence[j]``, by merge sort in O(n log n).

    Zero means perfectly in order; n(n-1)/2 means exactly reversed.
    """
    values = list(sequence)
    total = 0
    width = 1
    n = len(values)
    buffer = values[:]
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            i, j, k = lo, mid, lo
            while i < mid and j < hi:
                if values[j] < values[i]:
                    buffer[k] = values[j]
                    total += mid - i  # everything left of the gap is larger than values[j]
                    j += 1
                else:
                    buffer[k] = values[i]
                    i += 1
                k += 1
            buffer[k : k + mid - i] = values[i:mid]
            k += mid - i
            buffer[k : k + hi - j] = values[j:hi]
        values, buffer = buffer, values
        width *= 2
    return total


def longest_in_order_run(sequence: Iterable[float]) -> int:
    """Length of the longest stretch of consecutive arrivals that each exceed the one before."""
    best = run = 0
    previous = None
    for value in sequence:
        run = run + 1 if previous is not None and value > previous else 1
        best = max(best, run)
        previous = value
    return best


def first_deliveries(deliveries: pd.DataFrame, key: str = "message_id") -> pd.DataFrame:
    """Each message's first delivery, in arrival order (redeliveries and copies dropped)."""
    if deliveries.empty:
        return deliveries
    ordered = deliveries.sort_values("position", kind="stable")
    if key not in ordered.columns:  # a check's frame of what arrived: no ids, no copies to drop
        return ordered
    return ordered.drop_duplicates(subset=key, keep="first")


def _streams(deliveries: pd.DataFrame, by: str | None) -> list[pd.Series]:
    """Message numbers in arrival order, one stream per ``by`` value (e.g. per publisher)."""
    first = first_deliveries(deliveries).dropna(subset=["number"])
    if first.empty:
        return []
    if by is None:
        return [first["number"]]
    return [group["number"] for _, group in first.groupby(by, sort=True)]


def inversions(deliveries: pd.DataFrame, by: str | None = "client") -> int:
    """Out-of-order pairs among message numbers as they arrived, summed per ``by`` stream.

    Each publisher numbers its own messages from 0, so order is judged within each publisher
    (``by="client"``); pass ``by=None`` for one publisher's numbers taken as a whole.
    """
    return sum(count_inversions(stream) for stream in _streams(deliveries, by))


def longest_run(deliveries: pd.DataFrame, by: str | None = "client") -> int:
    """Longest in-order run of message numbers over the ``by`` streams."""
    return max((longest_in_order_run(s) for s in _streams(deliveries, by)), default=0)


def duplicates(deliveries: pd.DataFrame, key: str = "message_id") -> int:
    """Deliveries processed (deleted) beyond the first for the same message: the work done twice.

    A redelivery after a consumer failed (not deleted) is a retry, not a duplicate.
    """
    if deliveries.empty:
        return 0
    done = deliveries[deliveries["deleted"]]
    return int(len(done) - done[key].nunique())


def redeliveries(deliveries: pd.DataFrame) -> int:
    """Deliveries that SQS had already handed out before (ApproximateReceiveCount above 1)."""
    if deliveries.empty:
        return 0
    return int((deliveries["receive_count"] > 1).sum())


def missing(sends: pd.DataFrame, deliveries: pd.DataFrame, key: str = "message_id") -> pd.DataFrame:
    """The sends whose message never arrived (a FIFO queue's deduplicated sends land here)."""
    seen = set(deliveries[key]) if not deliveries.empty else set()
    ok = sends[sends["error"].isna()] if "error" in sends else sends
    return ok[~ok[key].isin(seen)]


def group_order_violations(
    deliveries: pd.DataFrame, group: str = "group", order: str = "sequence_number"
) -> pd.DataFrame:
    """Per message group: messages delivered and out-of-order pairs by ``order``.

    FIFO promises order within a MessageGroupId, judged by SequenceNumber, so every row of a
    FIFO run should show zero.
    """
    first = first_deliveries(deliveries)
    rows = []
    if not first.empty:
        known = first.dropna(subset=[group, order])
        for name, members in known.groupby(group, sort=True):
            keys = pd.to_numeric(members[order]) if order == "sequence_number" else members[order]
            rows.append(
                {"group": name, "delivered": len(members), "violations": count_inversions(keys)}
            )
    return pd.DataFrame(rows, columns=["group", "delivered", "violations"])


def latencies(deliveries: pd.DataFrame) -> pd.Series:
    """Seconds from send to first receipt, one value per message."""
    first = first_deliveries(deliveries)
    if first.empty:
        return pd.Series(dtype=float, name="latency_s")
    return (first["received_at"] - first["sent_at"]).rename("latency_s")


def latency_percentiles(
    deliveries: pd.DataFrame, percentiles: Sequence[int] = PERCENTILES
) -> pd.Series:
    """p50/p90/p99 (by default) of send-to-receive latency, in seconds."""
    values = latencies(deliveries).dropna().to_numpy()
    names = [f"p{p}_s" for p in percentiles]
    if values.size == 0:
        return pd.Series([np.nan] * len(names), index=names, dtype=float)
    return pd.Series(np.percentile(values, percentiles), index=names, dtype=float)


def max_parallel(deliveries: pd.DataFrame) -> int:
    """The most messages being handled at the same moment (from ``started_at`` to
    ``handled_at``, the work before the delete), over all consumers."""
    if deliveries.empty or "started_at" not in deliveries:
        return 0
    spans = deliveries.dropna(subset=["started_at", "handled_at"])
    # An end sorts before a start at the same instant: the spans are half-open.
    edges = sorted(
        [(t, 1) for t in spans["started_at"]] + [(t, -1) for t in spans["handled_at"]],
        key=lambda edge: (edge[0], edge[1]),
    )
    busy = best = 0
    for _, step in edges:
        busy += step
        best = max(best, busy)
    return best


def summary(sends: pd.DataFrame, deliveries: pd.DataFrame, by: str | None = "client") -> pd.Series:
    """One run in one row: counts, order, loss, duplication and latency.

    Read fields as attributes (``summary(...).inversions``) or stack several runs with
    ``pd.DataFrame([s1, s2])``.
    """
    failed_sends = int(sends["error"].notna().sum()) if "error" in sends else 0
    group_rows = group_order_violations(deliveries)
    start = sends["sent_at"].min() if not sends.empty else np.nan
    end = deliveries["received_at"].max() if not deliveries.empty else np.nan
    values = {
        "sent": len(sends) - failed_sends,
        "send_errors": failed_sends,
        "delivered": len(deliveries),
        "distinct": int(deliveries["message_id"].nunique()) if not deliveries.empty else 0,
        "missing": len(missing(sends, deliveries)),
        "duplicates": duplicates(deliveries),
        "redeliveries": redeliveries(deliveries),
        "inversions": inversions(deliveries, by=by),
        "longest_run": longest_run(deliveries, by=by),
        "group_violations": int(group_rows["violations"].sum()) if not group_rows.empty else 0,
        "max_parallel": max_parallel(deliveries),
        **latency_percentiles(deliveries).round(4).to_dict(),
        "seconds": round(float(end - start), 3) if pd.notna(start) and pd.notna(end) else np.nan,
    }
    # object dtype keeps the counts as ints (``summary(...).inversions == 0``, printed as 0)
    return pd.Series(values, name="run", dtype=object)
