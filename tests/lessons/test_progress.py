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


def test_a_wait_that_succeeds_early_ends_complete(monkeypatch) -> None:
    """A notebook bar closed short of its total turns red; one that succeeded must not."""
    import io

    from labkit.lessons import progress

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.setattr(progress, "SHOW_AFTER", 0.0)
    bars = []
    real_bar = progress._bar

    def recording_bar(*args, **kwargs):
        bar = real_bar(*args, file=io.StringIO(), **kwargs)
        bars.append(bar)
        return bar

    monkeypatch.setattr(progress, "_bar", recording_bar)
    calls = iter([False, False, True])
    assert progress.wait_until(lambda: next(calls), timeout=30, desc="x", poll=0.01)
    (bar,) = bars
    assert 0 < bar.n == bar.total < 30
