"""Lesson 4's Celery helpers against a real worker process and Redis: events, states, scaling."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from labkit.lessons import lesson_04


@pytest.fixture(scope="module")
def lab(redis_url: str, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABKIT_HOME", str(tmp_path_factory.mktemp("celery-lab")))
        yield SimpleNamespace(
            env={"CELERY_BROKER_URL": redis_url, "CELERY_RESULT_BACKEND": redis_url}
        )


def test_states_of_a_task_seen_from_the_notebook(lab) -> None:  # noqa: ANN001
    worker = lesson_04.start_worker(lab, concurrency=1, queues=["lessons.states"], name="states")
    try:
        # the one pool process is busy long enough for each watched task to be seen waiting
        # (an idle worker starts a task before a loaded machine's first look at it)
        busy = lesson_04.work.apply_async((1.0,), queue="lessons.states")
        ok = lesson_04.watch_states(lesson_04.work.apply_async((0.1,), queue="lessons.states"))
        assert busy.get(timeout=10) > 0
        busy = lesson_04.work.apply_async((1.0,), queue="lessons.states")
        bad = lesson_04.watch_states(lesson_04.fail.apply_async(queue="lessons.states"))
        assert busy.get(timeout=10) > 0
    finally:
        worker.stop()
    assert list(ok["state"]) == ["PENDING", "STARTED", "SUCCESS"]
    assert bad["state"].iloc[0] == "PENDING" and bad["state"].iloc[-1] == "FAILURE"


def test_throughput_grows_with_concurrency_and_events_fill_the_timeline(lab) -> None:  # noqa: ANN001
    summary = lesson_04.throughput_experiment(lab, concurrencies=(1, 3), tasks=6, seconds=0.3)
    assert list(summary["concurrency"]) == [1, 3]
    assert summary["speedup"].iloc[1] > 1.8  # sleeping tasks overlap even on 2 cores
    events = summary.attrs["events"]
    assert set(lesson_04.EVENT_COLUMNS) <= set(events.columns)
    assert len(events) == 12 and (events["state"] == "SUCCESS").all()
    assert (events["started"] >= events["received"]).all()
    assert (events["succeeded"] >= events["started"]).all()
    lanes = events.groupby("concurrency")["lane"].nunique()
    assert lanes[1] == 1 and lanes[3] == 3
    assert events["lane"].str.contains("@").all() and events["runtime"].between(0.25, 5).all()
    assert not list(Path(lesson_04.__file__).parent.glob("*.log"))


def test_a_worker_that_dies_while_starting_is_named_with_its_log(lab) -> None:  # noqa: ANN001
    from labkit.stack.errors import StackError
    from labkit.stack.processes import start_celery_worker

    broken = start_celery_worker("labkit.no_such_app", env=dict(lab.env), name="broken")
    try:
        with pytest.raises(StackError, match="broken: the Celery worker exited"):
            lesson_04.wait_ready([broken], timeout=20, progress=False)
    finally:
        broken.stop()
