"""The step-through view in JupyterLab 4, in headless Chromium: under a hub-like prefix (as on
JupyterHub, with jupyter-server-proxy installed), a notebook runs a real emulator run, shows the
view, and moving its slider changes what the view says the queue holds."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from labkit.net import free_port, wait_for_port
from tests.processes import stop_group
from tests.taskoverflow.test_browser import CHROMIUM, browser, page  # noqa: F401 - fixtures

PREFIX = "/user/student/"
REPO = Path(__file__).resolve().parents[2]
CELLS = [
    "from labkit.emulator.server import start\n"
    "from labkit.lessons import experiment, run_record, step_through\n"
    "from labkit.stack.clients import emulator_client\n"
    "emulator = start(seed=3)\n"
    "sqs = emulator_client(emulator.url)\n"
    "url = sqs.create_queue(QueueName='steps', Attributes={'VisibilityTimeout': '1'})['QueueUrl']\n"
    "run = experiment(sqs, url, count=4, fail=lambda m: m.number == 2 and m.receive_count == 1,"
    " progress=False)",
    "step_through(run_record(sqs, run))",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.extended,  # JupyterLab, a kernel and Chromium: tens of seconds
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
]


@pytest.fixture
def lab_with_notebook(tmp_path: Path):
    """JupyterLab on 127.0.0.1 at PREFIX, its app exposed to the page; (notebook URL, token)."""
    port, token = free_port(), secrets.token_hex(16)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, tmp_path / "steps.ipynb")
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path),
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    )
    argv = [
        sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}", "--no-browser",
        f"--ServerApp.base_url={PREFIX}", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={tmp_path}", "--LabApp.expose_app_in_browser=True",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    log = tmp_path / "jupyterlab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        assert wait_for_port(port, timeout=60), log.read_text()
        yield f"http://127.0.0.1:{port}{PREFIX}lab/tree/steps.ipynb?token={token}"
    finally:
        stop_group(proc)


@pytest.mark.timeout(600)  # JupyterLab, a kernel and Chromium on shared cores
def test_the_slider_steps_through_the_record(page, lab_with_notebook) -> None:  # noqa: F811
    page.set_default_timeout(90_000)
    page.goto(lab_with_notebook)
    page.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook .jp-Cell')")
    page.wait_for_function(  # the kernel is up: the toolbar's status says idle
        "document.querySelector('.jp-Notebook') && window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status === 'idle'"
    )
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    caption = page.locator(".labkit-caption")
    caption.wait_for()
    first = caption.inner_text()
    assert re.match(r"0\.00 s: Message 0 sent to steps", first), first
    boxes = page.locator(".labkit-box")
    assert boxes.count() == 4
    assert "Waiting (visible or delayed): 1" in boxes.nth(0).inner_text()

    handle = page.locator(".widget-slider .noUi-handle").first
    handle.focus()
    handle.press("End")  # the last event
    page.wait_for_function(
        f"document.querySelector('.labkit-caption').innerText !== {json.dumps(first)}"
    )
    last = caption.inner_text()
    assert "deleted" in last, last
    assert "Gone (deleted, purged, expired): 4" in page.locator(".labkit-box").nth(2).inner_text()
    readout = page.locator(".widget-readout").first.inner_text()
    assert int(readout) > 0
