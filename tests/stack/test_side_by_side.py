"""Several notebooks on one stack at once: lessons 01 and 02 side by side, twice over.

Each kernel works in an emulator account of its own, so runs with the handout's queue names
never take each other's messages (before, two notebooks on `csse6400_prac` failed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from labkit import stack
from labkit.paths import NOTEBOOK_DIR
from labkit.stack.clients import emulator_client
from tests.stack.conftest import StackPlace

# Four papermill kernels at once (a minute or more on two cores): make test-extended.
pytestmark = pytest.mark.extended

LESSONS = ["01_standard_vs_fifo.ipynb", "02_fifo_dedup_and_groups.ipynb"]


@pytest.mark.timeout(1500)  # four kernels at once on two shared cores
def test_lessons_01_and_02_side_by_side_twice_over(place: StackPlace, tmp_path: Path) -> None:
    lab = stack.up(**place.options())
    runs = []
    for copy in range(2):
        for name in LESSONS:
            output = tmp_path / f"{copy}-{name}"
            argv = [sys.executable, "-m", "papermill", str(NOTEBOOK_DIR / name), str(output)]
            argv += ["--cwd", str(NOTEBOOK_DIR), "--kernel", "python3", "--no-progress-bar"]
            argv += ["--execution-timeout", "600"]
            log = output.with_suffix(".log").open("w")
            runs.append((name, output, subprocess.Popen(argv, stdout=log, stderr=log)))
    failed = []
    for _name, output, proc in runs:
        if proc.wait(timeout=1200) != 0:
            failed.append(f"{output.name}:\n{output.with_suffix('.log').read_text()[-2000:]}")
    assert not failed, "\n\n".join(failed)
    # The class account (the CLI's, a tutor's terminal) saw none of it.
    classroom = emulator_client(lab.urls["sqs"])
    for queue in ("csse6400_prac", "csse6400_prac.fifo"):
        url = classroom.get_queue_url(QueueName=queue)["QueueUrl"]
        counts = classroom.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert counts["ApproximateNumberOfMessages"] == "0"
        assert counts["ApproximateNumberOfMessagesNotVisible"] == "0"
