"""Metrics against hand-built arrival sequences whose answers are known."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labkit.lessons.analysis import metrics
from labkit.lessons.engine.consuming import DELIVERY_COLUMNS


def brute_inversions(values: list[int]) -> int:
    return sum(1 for i, j in itertools.combinations(range(len(values)), 2) if values[i] > values[j])


@pytest.mark.parametrize(
    ("sequence", "expected"),
    [
        ([], 0),
        ([7], 0),
        (list(range(100)), 0),
        (list(range(99, -1, -1)), 100 * 99 // 2),
        ([0, 1, 2, 5, 6, 3, 4], 4),  # 5 and 6 each arrive before 3 and 4
        ([1, 0, 3, 2, 5, 4], 3),
    ],
)
def test_count_inversions_known_sequences(sequence: list[int], expected: int) -> None:
    assert metrics.count_inversions(sequence) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=20), max_size=40))
def test_count_inversions_matches_pairwise_count(values: list[int]) -> None:
    assert metrics.count_inversions(values) == brute_inversions(values)


def test_longest_in_order_run() -> None:
    assert metrics.longest_in_order_run([]) == 0
    assert metrics.longest_in_order_run([0, 1, 2, 5, 6, 3, 4]) == 5
    assert metrics.longest_in_order_run([3, 2, 1]) == 1
    assert metrics.longest_in_order_run([0, 1, 1, 2]) == 2  # a repeat breaks the run


def deliveries(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (client, number, message_id, receive_count, deleted, group, sequence_number)."""
    records = []
    for position, (client, number, mid, count, deleted, group, seq) in enumerate(rows):
        records.append(
            {
                "position": position,
                "consumer": "Consumer 1",
                "client": client,
                "body": f"Message {number}",
                "number": number,
                "message_id": mid,
                "group": group,
                "sequence_number": seq,
                "receive_count": count,
                "sent_at": 100.0 + number,
                "received_at": 100.0 + number + 0.01 * (position + 1),
                "deleted": deleted,
            }
        )
    return pd.DataFrame(records)


def sends(numbers: list[int], client: str = "A") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "publisher": 0,
            "client": client,
            "body": [f"Message {n}" for n in numbers],
            "number": numbers,
            "group": None,
            "message_id": [f"{client}{n}" for n in numbers],
            "sequence_number": None,
            "sent_at": [100.0 + n for n in numbers],
            "error": None,
        }
    )


def test_inversions_are_judged_per_publisher() -> None:
    # A: 0 2 1 (one inversion); B: 1 0 (one inversion); interleaving across clients is not one.
    frame = deliveries(
        [
            ("B", 1, "B1", 1, True, None, None),
            ("A", 0, "A0", 1, True, None, None),
            ("A", 2, "A2", 1, True, None, None),
            ("B", 0, "B0", 1, True, None, None),
            ("A", 1, "A1", 1, True, None, None),
        ]
    )
    assert metrics.inversions(frame) == 2
    assert metrics.inversions(frame, by=None) == metrics.count_inversions([1, 0, 2, 0, 1])


def test_retries_duplicates_and_missing() -> None:
    frame = deliveries(
        [
            ("A", 0, "A0", 1, True, None, None),
            ("A", 1, "A1", 1, False, None, None),  # consumer failed: not deleted
            ("A", 1, "A1", 2, True, None, None),  # the retry
            ("A", 0, "A0", 1, True, None, None),  # an at-least-once copy, handled twice
        ]
    )
    assert metrics.redeliveries(frame) == 1
    assert metrics.duplicates(frame) == 1
    lost = metrics.missing(sends([0, 1, 2, 3]), frame)
    assert list(lost["number"]) == [2, 3]
    # Order is judged on first deliveries, so a later copy does not count as an inversion.
    assert metrics.inversions(frame) == 0


def test_group_order_violations() -> None:
    frame = deliveries(
        [
            ("A", 0, "m0", 1, True, "g1", "10"),
            ("A", 2, "m2", 1, True, "g1", "30"),
            ("A", 1, "m1", 1, True, "g1", "20"),  # 20 after 30 in g1: one violation
            ("A", 3, "m3", 1, True, "g2", "40"),
        ]
    )
    table = metrics.group_order_violations(frame).set_index("group")
    assert table.loc["g1", "violations"] == 1 and table.loc["g1", "delivered"] == 3
    assert table.loc["g2", "violations"] == 0


def test_latency_percentiles_and_summary() -> None:
    rows = [("A", n, f"A{n}", 1, True, None, None) for n in range(10)]
    frame = deliveries(rows)
    # latency of the k-th arrival is 0.01 * (k + 1): 0.01 .. 0.10
    p = metrics.latency_percentiles(frame)
    assert list(p.index) == ["p50_s", "p90_s", "p99_s"]
    assert p["p50_s"] == pytest.approx(0.055)
    assert p["p90_s"] == pytest.approx(0.091)
    row = metrics.summary(sends(list(range(12))), frame)
    assert row.sent == 12 and row.delivered == 10 and row.missing == 2
    assert row.inversions == 0 and row.longest_run == 10 and row.duplicates == 0
    assert isinstance(row.inversions, int)


def test_summary_of_an_empty_run() -> None:
    empty = pd.DataFrame(columns=DELIVERY_COLUMNS)
    row = metrics.summary(sends([0, 1]), empty)
    assert row.delivered == 0 and row.missing == 2 and row.inversions == 0


def test_max_parallel_counts_overlapping_work() -> None:
    frame = pd.DataFrame(
        {
            "started_at": [0.0, 0.5, 1.0, 3.0, 3.0],
            "handled_at": [1.0, 2.0, 1.5, 4.0, 3.5],
        }
    )
    # [0,1) [0.5,2) [1,1.5): two at once (the first ends as the third starts); [3,4) [3,3.5): two
    assert metrics.max_parallel(frame) == 2
    assert metrics.max_parallel(frame.iloc[[0, 3]]) == 1
    assert metrics.max_parallel(frame.iloc[:0]) == 0
