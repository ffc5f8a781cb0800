"""Every figure a lesson shows carries alt text: through a real kernel (the inline backend, as
papermill and JupyterLab run it), each named plot helper's PNG has its text in the display
metadata, and a figure drawn with raw matplotlib is caught. The extended test checks every
executed lesson."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from labkit.lessons.analysis.figures import images_without_alt

REPO = Path(__file__).resolve().parents[2]

SETUP = """\
import matplotlib.pyplot as plt
import pandas as pd
from labkit.lessons.analysis import charts, plots, timeline
from labkit.lessons.analysis.queue_record import QueueRecord, COLUMNS
rows = [dict(seq=1, at=0.0, queue="q", kind="sent", message_id="m1", label="Message 1"),
        dict(seq=2, at=0.5, queue="q", kind="received", message_id="m1", label="Message 1",
             attempt=1, consumer="Consumer 1", hidden_until=1.5),
        dict(seq=3, at=1.5, queue="q", kind="visible", message_id="m1", label="Message 1", attempt=1),
        dict(seq=4, at=1.6, queue="q", kind="received", message_id="m1", label="Message 1",
             attempt=2, consumer="Consumer 1", hidden_until=2.6),
        dict(seq=5, at=1.7, queue="q", kind="deleted", message_id="m1", label="Message 1")]
events = pd.DataFrame(rows, columns=COLUMNS).assign(t=lambda f: f["at"])
record = QueueRecord(events)
deliveries = pd.DataFrame({"position": [0, 1, 2], "number": pd.array([1, 0, 2], dtype="Int64"),
                           "client": "A", "consumer": "Consumer 1", "message_id": ["a", "b", "c"],
                           "sent_at": [1.0, 2.0, 3.0], "received_at": [1.5, 2.5, 3.5]})
tasks = pd.DataFrame({"lane": ["w1", "w2"], "name": ["ical", "ical"],
                      "started": [0.0, 0.2], "succeeded": [1.0, 1.1]})
"""
HELPER_CELLS = [
    "timeline.plot_timeline(record)\nplt.show()",
    "timeline.plot_timelines({'a': record, 'b': record})\nplt.show()",
    "plots.plot_standard_vs_fifo(deliveries, deliveries)\nplt.show()",
    "plots.plot_arrival_order(deliveries)\nplt.show()",
    "plots.plot_task_timeline(tasks)\nplt.show()",
    "charts.plot_bars({'sent': 200, 'naive': 240}, 'Balance', 'balance', reference=200)\nplt.show()",
    "charts.plot_measured_vs_ideal([1, 2], [1.0, 1.9], [1, 2], 'Throughput', 'n', 'tasks/s')\nplt.show()",
    "charts.plot_task_timelines({'1': tasks, '2': tasks}, marker_at=0.5, marker_label='B polls')\nplt.show()",
    "charts.plot_count_matrix(pd.DataFrame([[1, 0], [2, 3]], index=['q1', 'q2'], columns=['a', 'b']),"
    " 'Who got what', 'event', 'queue', 'events')\nplt.show()",
    "charts.plot_dated_points(pd.Series(pd.to_datetime(['2025-04-09', None])), pd.Series(['x', 'y']),"
    " 'Deadlines', 'deadline', 'todo')\nplt.show()",
]
RAW = "fig, ax = plt.subplots()\nax.plot([1, 2], [3, 4])\nplt.show()"


def execute(cells: list[str], cwd: Path) -> dict:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env_path) if p)
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return nb


def test_every_helper_figure_has_alt_text_and_a_raw_one_is_caught(tmp_path: Path) -> None:
    nb = execute([SETUP, *HELPER_CELLS, RAW], tmp_path)
    missing = images_without_alt(nb)
    assert missing == [f"cell {len(HELPER_CELLS) + 1}: fig, ax = plt.subplots()"]
    for cell in nb.cells[1 : len(HELPER_CELLS) + 1]:
        (shown,) = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        alt = shown["metadata"]["image/png"]["alt"]
        assert len(alt) > 40 and shown["data"]["text/plain"] == f"Figure: {alt}"
        assert 'alt="' in shown["data"]["text/html"]
    first = nb.cells[1].outputs[0]["metadata"]["image/png"]["alt"]
    assert "1 redeliveries" in first and "came back after 1.0 s" in first


@pytest.mark.extended
@pytest.mark.timeout(2400)  # every lesson, one after another, on a stack of its own
def test_every_executed_lesson_figure_has_alt_text(tmp_path: Path, monkeypatch) -> None:
    from labkit.cli import main

    monkeypatch.setenv("LABKIT_HOME", str(tmp_path / "home"))  # a stack of its own
    monkeypatch.delenv("LABKIT_REDIS_URL", raising=False)  # and a Redis of its own

    lessons = sorted((REPO / "notebooks").glob("0[1-8]_*.ipynb"))
    assert main(["run", *map(str, lessons), "--output-dir", str(tmp_path)]) == 0
    for lesson in lessons:
        executed = nbformat.read(tmp_path / lesson.name, as_version=4)
        images = sum(
            "image/png" in o.get("data", {}) for c in executed.cells for o in c.get("outputs", [])
        )
        assert images, f"{lesson.name} showed no figure"
        assert images_without_alt(executed) == [], f"{lesson.name}: figures without alt text"
