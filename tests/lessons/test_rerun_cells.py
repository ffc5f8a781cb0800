"""The student's path through lesson 04's worker exercise, in a real kernel: write
`student_tasks.py` wrong, start its worker, fix the file, run the worker cell again, check.

Re-running the worker cell must replace the first worker (issue 22, "stale workers"): were it
left running, it would keep consuming `lesson04-ical` with the old module, and the right answer
would fail at random with `NotRegistered: 'ical'`. The cells run are the notebook's own (the
worker cell) and the worked solution's (the module, the check); only the setup cell differs:
it attaches to this session's Redis through a stack.json, as `labkit.up()` attaches to a
running stack.
"""

from __future__ import annotations

import json
import os
import queue
from pathlib import Path

import psutil
import pytest

from labkit.paths import REPO_ROOT
from tests.lessons.lesson_code import NOTEBOOKS, code_cells, edited

CHECKS = 4  # runs of the check cell after the fix (a stale worker failed 2 runs of 6)


def _cell(path: Path, needle: str) -> str:
    [source] = [s for s in code_cells(path).values() if needle in s]
    return source


class Kernel:
    """An IPython kernel (the venv's), run from ``cwd``; ``run`` executes one cell."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        from jupyter_client.manager import KernelManager

        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(cwd=str(cwd), env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def run(self, source: str, timeout: float = 120) -> str:
        """The cell's text output; AssertionError with the traceback when the cell raised."""
        out: list[str] = []

        def collect(message: dict) -> None:
            content = message["content"]
            if message["msg_type"] == "stream":
                out.append(content["text"])
            elif message["msg_type"] == "error":
                out.append("\n".join(content["traceback"]))

        try:
            reply = self.client.execute_interactive(source, timeout=timeout, output_hook=collect)
        except queue.Empty:
            raise AssertionError(f"the cell did not finish in {timeout} s:\n{source}") from None
        text = "".join(out)
        assert reply["content"]["status"] == "ok", f"cell failed:\n{source}\n{text}"
        return text

    def pid(self) -> int:
        return self.manager.provisioner.process.pid

    def stop(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def worker_processes(kernel_pid: int, module: str) -> list[psutil.Process]:
    """Main processes of Celery workers on ``module`` under the kernel (pool children left out)."""
    try:
        below = psutil.Process(kernel_pid).children(recursive=True)
    except psutil.Error:
        return []

    def is_worker(proc: psutil.Process) -> bool:
        try:
            line = proc.cmdline()
            return (
                proc.status() != psutil.STATUS_ZOMBIE
                and "celery" in " ".join(line)
                and (module in line)
            )
        except psutil.Error:
            return False

    workers = [p for p in below if is_worker(p)]
    pids = {p.pid for p in workers}
    return [p for p in workers if p.ppid() not in pids]


@pytest.fixture
def kernel(tmp_path: Path, redis_url: str, sqs_endpoint: str, account: str):
    home = tmp_path / "home"
    home.mkdir()
    state = {
        "mode": "embedded",
        "urls": {"sqs": sqs_endpoint, "redis": redis_url},
        "env": {"CELERY_BROKER_URL": redis_url, "CELERY_RESULT_BACKEND": redis_url},
    }
    (home / "stack.json").write_text(json.dumps(state))
    drop = ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CELERY_DEFAULT_QUEUE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(LABKIT_HOME=str(home), PYTHONPATH=str(REPO_ROOT), TQDM_DISABLE="1")
    env["LABKIT_ACCOUNT"] = account  # the kernel acts in this file's account
    work = tmp_path / "notebook"
    work.mkdir()
    running = Kernel(work, env)
    try:
        yield running
    finally:
        running.stop()


def test_rerunning_the_worker_cell_replaces_the_stale_worker(kernel: Kernel) -> None:
    lesson = NOTEBOOKS / "04_celery_worker_queues.ipynb"
    solution = NOTEBOOKS / "solutions" / "04_celery_worker_queues_solutions.ipynb"
    module_cell = _cell(solution, "%%writefile student_tasks.py")
    worker_cell = _cell(lesson, "lesson_04.start_student_worker(")
    check_cell = _cell(solution, 'check("04.ical_task"').replace("student_worker.stop()", "")
    unnamed = edited(module_cell, ('@celery.task(name="ical")', "@celery.task"))
    kernel.run(
        "import labkit, labkit.lessons, labkit.stack\n"
        "from labkit.lessons import lesson_04\n"
        "lab = labkit.stack.connect()  # the stack.json of this test: the session's Redis"
    )
    kernel.run(unnamed)  # a typical first attempt: the task is not named "ical"
    assert "ready." in kernel.run(worker_cell)
    first = worker_processes(kernel.pid(), "student_tasks")
    assert len(first) == 1
    kernel.run(module_cell)  # fixed, then the worker cell is run again
    assert "ready." in kernel.run(worker_cell)
    now = worker_processes(kernel.pid(), "student_tasks")
    assert len(now) == 1, f"stale workers left running: {[p.pid for p in now]}"
    assert now[0].pid != first[0].pid, "the worker was restarted on the fixed module"
    for _ in range(CHECKS):
        kernel.run(check_cell)  # the right answer passes every time (no NotRegistered)
    kernel.run("lesson_04.stop_workers()")
    assert worker_processes(kernel.pid(), "student_tasks") == []
