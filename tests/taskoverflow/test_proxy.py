"""The TaskOverflow page behind jupyter-server-proxy, as on JupyterHub, in headless Chromium.

JupyterLab runs on 127.0.0.1 under a hub-like prefix (``/user/student/``) with
jupyter-server-proxy (installed from requirements.txt). The link comes from labkit's helper with
the variables a JupyterHub single-user server has; Chromium opens it, the page lists todos,
creates one and downloads the calendar, every request going through ``/proxy/PORT/``.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import icalendar
import pytest

from labkit.net import free_port, wait_for_port
from labkit.stack.links import browser_url
from tests.processes import stop_group
from tests.taskoverflow.test_browser import CHROMIUM, browser, page  # noqa: F401 - fixtures

PREFIX = "/user/student/"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory):
    """JupyterLab on 127.0.0.1 at PREFIX with a token; yields (base URL, token)."""
    port, token = free_port(), secrets.token_hex(16)
    root = tmp_path_factory.mktemp("jupyter-root")
    log = Path(root) / "jupyterlab.log"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(root / "config"), JUPYTER_RUNTIME_DIR=str(root))
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--no-browser",
        f"--ServerApp.base_url={PREFIX}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        assert wait_for_port(port, timeout=60), log.read_text()
        yield f"http://127.0.0.1:{port}", token
    finally:
        stop_group(proc)


def test_page_and_calendar_through_the_proxy(page, live, live_server, jupyterlab, tmp_path):  # noqa: F811
    base, token = jupyterlab
    hub_env = {"JUPYTERHUB_SERVICE_PREFIX": PREFIX, "JUPYTERHUB_HOST": base}
    link = browser_url(f"{live_server.url}/", hub_env)
    api_port = live_server.url.rsplit(":", 1)[-1]
    assert link == f"{base}{PREFIX}proxy/{api_port}/"

    live.create_todo("Made through the API")
    page.goto(f"{link}?token={token}")  # the hub's login; later requests carry its cookie
    rows = page.locator("#todos tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1

    requests_seen: list[str] = []
    page.on("request", lambda request: requests_seen.append(request.url))
    page.fill("#title", "Made through the proxy")
    page.fill("#deadline", "2025-04-09T14:00:00")
    page.click("#add")
    page.wait_for_function("document.querySelectorAll('#todos tbody tr').length === 2")
    assert [t["title"] for t in live.list_todos()] == [
        "Made through the API",
        "Made through the proxy",
    ]

    with page.expect_download() as download_info:
        page.click("#export")
    path = tmp_path / "taskoverflow.ics"
    download_info.value.save_as(path)
    cal = icalendar.Calendar.from_ical(path.read_text(encoding="utf-8"))
    assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["Made through the proxy"]
    # Every call the page made went through the proxy path, none to the API's own port.
    assert requests_seen and all(url.startswith(link) for url in requests_seen), requests_seen
