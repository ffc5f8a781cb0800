"""`labkit sqs-server` in the foreground: first line is the URL, and it starts quickly."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

from labkit.net import free_port


def test_sqs_server_command_prints_its_url_and_serves(tmp_path):
    port = free_port()
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "labkit", "sqs-server", "--port", str(port), "--seed", "1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline().strip()
        assert line == f"SQS emulator listening on http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_labkit/health", timeout=5) as r:
            assert json.load(r) == {"status": "ok"}
        assert time.monotonic() - start < 5, "the stack needs it healthy within 5 s"
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_busy_port_is_one_clear_line(tmp_path):
    from labkit.emulator.server import start

    handle = start()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "labkit", "sqs-server", "--port", str(handle.port)],
            capture_output=True,
            text=True,
            timeout=20,
        )
    finally:
        handle.stop()
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--port" in lines[0], result.stdout + result.stderr
