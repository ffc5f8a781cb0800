"""wait_until: returns the first truthy value, or names what it waited for."""

from __future__ import annotations

import itertools

import pytest

from labkit.lessons.progress import wait_until


def test_returns_the_first_truthy_value() -> None:
    calls = itertools.count()
    assert wait_until(lambda: next(calls) >= 3 and "ready", 5, "the counter", poll=0.01) == "ready"


def test_timeout_names_what_it_waited_for() -> None:
    with pytest.raises(TimeoutError, match=r"gave up after 0.2 s waiting for the worker"):
        wait_until(lambda: False, 0.2, "the worker", poll=0.05)
