"""labkit.waiting: the one way every layer waits for a condition."""

from __future__ import annotations

import itertools

import pytest

from labkit.waiting import Deadline, eventually, wait_until


def test_returns_the_first_truthy_value() -> None:
    calls = itertools.count()
    assert wait_until(lambda: next(calls) >= 2 and "ready", 5, "the counter", poll=0.01) == "ready"


def test_a_timeout_names_what_it_waited_for_and_the_last_value() -> None:
    with pytest.raises(TimeoutError, match=r"gave up after 0.1 s waiting for the job \(last: 0\)"):
        wait_until(lambda: 0, 0.1, "the job", poll=0.02)
    assert not eventually(lambda: False, 0.1)
    assert eventually(lambda: True, 0)


def test_a_deadline_counts_down_from_when_it_was_made() -> None:
    budget = Deadline(0.2)
    assert not budget.passed() and 0 < budget.left() <= 0.2
    wait_until(budget.passed, 1, "the budget to run out", poll=0.01)
    assert budget.left() == 0 and budget.spent() == 0.2
