"""A running embedded stack: loopback-only sockets, the emulator killed and brought back, and
the command line's one-line errors (unknown queue, refused credentials, a taken port).

The stack runs in a temporary LABKIT_HOME on free ports and a non-zero Redis db, as in
tests/stack/. (A missing Docker is tests/stack/test_processes.py::
test_compose_without_a_docker_engine_is_one_line; `labkit up` on taken ports is
tests/stack/test_stack.py::test_down_then_up_twice_leaves_nothing_behind_and_replaces_taken_ports.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psutil
import pytest

import labkit.stack as stack
from labkit.aws_credentials import FILE_NAMES
from labkit.lessons.engine.queue_errors import QueueError
from labkit.lessons.engine.queue_state import drain, start_clean
from labkit.net import free_port
from labkit.paths import REPO_ROOT, TERRAFORM_DIR
from labkit.waiting import wait_until
from tests.processes import run_labkit

# faults injected into running stacks (killed workers, restarts, services gone): about a
# minute in all on two cores, so `make test-extended` (CI runs it on every change)
pytestmark = pytest.mark.extended

cli = run_labkit


@pytest.fixture(scope="module")
def lab(place: dict) -> stack.Lab:
    return stack.up(**place["ports"])


def service_pids(lab: stack.Lab) -> dict[str, int]:
    services = lab._state["services"]
    return {name: svc["pid"] for name, svc in services.items() if svc.get("pid")}


def test_every_server_listens_on_loopback_only(lab: stack.Lab) -> None:
    listening: dict[str, set[str]] = {}
    for name, pid in service_pids(lab).items():
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            for conn in proc.net_connections(kind="inet"):
                if conn.status == psutil.CONN_LISTEN:
                    listening.setdefault(name, set()).add(conn.laddr.ip)
    assert {"sqs", "api"} <= set(listening), listening
    assert all(ips == {"127.0.0.1"} for ips in listening.values()), listening


def test_emulator_killed_is_reported_named_and_restarted(lab: stack.Lab, place: dict) -> None:
    queue_url = lab.queue_url("csse6400_prac")
    lab.sqs.send_message(QueueUrl=queue_url, MessageBody="before")
    sqs_pid = service_pids(lab)["sqs"]
    os.killpg(sqs_pid, signal.SIGKILL)
    wait_until(lambda: not psutil.pid_exists(sqs_pid) or _zombie(sqs_pid), 10, "emulator gone")

    status = cli(place["env"], "status")
    assert status.returncode != 0
    sqs_line = next(line for line in status.stdout.splitlines() if line.lstrip().startswith("sqs"))
    assert "down" in sqs_line and "labkit up" in sqs_line, status.stdout

    # The lesson helpers name the service and the next step instead of a botocore traceback.
    for helper in (lambda: drain(lab.sqs, queue_url), lambda: start_clean(lab.sqs, queue_url)):
        with pytest.raises(QueueError) as caught:
            helper()
        message = str(caught.value)
        assert ("SQS" in message or "emulator" in message) and "labkit up" in message, message
        assert "\n" not in message

    up = cli(place["env"], "up", "--sqs-port", str(place["ports"]["sqs_port"]))
    assert up.returncode == 0, up.stderr
    assert "sqs" in up.stdout + up.stderr
    again = cli(place["env"], "status")
    assert again.returncode == 0, again.stdout
    lab = stack.connect()  # same address: the notebook's client keeps working
    assert lab.urls["sqs"] == f"http://127.0.0.1:{place['ports']['sqs_port']}"
    lab.sqs.send_message(QueueUrl=lab.queue_url("csse6400_prac"), MessageBody="after")
    got = lab.sqs.receive_message(QueueUrl=lab.queue_url("csse6400_prac"), WaitTimeSeconds=1)
    # The emulator keeps messages in memory: what was queued before the kill is gone.
    assert [m["Body"] for m in got.get("Messages", [])] == ["after"]


def _zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True


# ---- one-line CLI errors ---------------------------------------------------------------------


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_queue_cli_unknown_queue_is_one_line(lab: stack.Lab, place: dict) -> None:
    result = cli(place["env"], "queue", "--name", "no_such_queue", "--client-name", "x", timeout=60)
    assert "Unable to find a Queue by this name no_such_queue" in one_line_error(result)


class _RefusingSQS(BaseHTTPRequestHandler):
    """Answers every SQS call as AWS does for a bad or expired key."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps(
            {
                "__type": "com.amazon.coral.service#UnrecognizedClientException",
                "message": "The security token included in the request is invalid.",
            }
        ).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("x-amzn-query-error", "InvalidClientTokenId;Sender")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_queue_cli_refused_credentials_is_one_line(place: dict) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RefusingSQS)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        result = cli(
            place["env"], "queue", "--name", "csse6400_prac", "--client-name", "x",
            "--endpoint", endpoint, timeout=60,
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    line = one_line_error(result)
    assert "credential" in line.lower() or "token" in line.lower(), line
    assert "Unable to find a Queue" not in line  # the course tool's confusion, fixed


def test_sqs_server_on_a_taken_port_is_one_line(lab: stack.Lab, place: dict) -> None:
    taken = str(place["ports"]["sqs_port"])
    line = one_line_error(cli(place["env"], "sqs-server", "--port", taken, timeout=30))
    assert taken in line and "--port" in line


def test_api_on_a_taken_port_is_one_line(lab: stack.Lab, place: dict) -> None:
    taken = str(place["ports"]["api_port"])
    line = one_line_error(cli(place["env"], "api", "--port", taken, timeout=30))
    assert taken in line and "--port" in line


@pytest.mark.parametrize("keys", ["fake", "none"])
def test_up_in_aws_mode_with_bad_or_no_credentials_is_one_line(
    place: dict, tmp_path, keys: str
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    env = {k: v for k, v in place["env"].items() if not k.startswith("AWS_")}
    env |= {"LABKIT_HOME": str(tmp_path), "AWS_MAX_ATTEMPTS": "1"}
    env |= {"AWS_ENDPOINT_URL_SQS": closed, "AWS_ENDPOINT_URL_STS": closed}
    env |= {"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_CONFIG_FILE": "/dev/null"}
    if keys == "none" and any(
        (folder / name).exists() for folder in (REPO_ROOT, TERRAFORM_DIR) for name in FILE_NAMES
    ):
        pytest.skip("this checkout holds a credentials file, so there are credentials")
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKEKEY"
    if keys == "fake":
        env |= {"AWS_ACCESS_KEY_ID": "ASIA" + "FAKEFAKEFAKE1234", "AWS_SECRET_ACCESS_KEY": secret}
    result = subprocess.run(
        [sys.executable, "-m", "labkit", "up", "--mode", "aws"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=tmp_path,  # no .env here; the repository's would be found only from its root
    )
    line = one_line_error(result)
    assert line.startswith("aws:") or "aws" in line.lower(), line
    expected = "Cannot reach AWS" if keys == "fake" else "No AWS credentials"
    assert expected in line, line
    assert secret not in result.stdout + result.stderr
