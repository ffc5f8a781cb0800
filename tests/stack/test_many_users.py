"""One machine, several users: two LABKIT_HOMEs with default options, and `labkit lab` that
leaves nothing running when it is stopped."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from labkit.net import free_port, wait_for_port
from labkit.waiting import wait_until
from tests.processes import run_labkit
from tests.stack.conftest import stack_processes


def home_env(home: Path) -> dict[str, str]:
    """A user's environment: their own LABKIT_HOME, nothing else chosen (default ports)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABKIT_")}
    env["LABKIT_HOME"] = str(home)
    return env


def labkit(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return run_labkit(env, *args, timeout=timeout)


def recorded(home: Path) -> dict:
    return json.loads((home / "stack.json").read_text())


@pytest.mark.timeout(600)  # two stacks start at once on two shared cores
def test_two_homes_with_default_options_each_get_a_stack(tmp_path: Path) -> None:
    homes = [tmp_path / "ann", tmp_path / "bob"]
    envs = [home_env(home) for home in homes]
    starts = [
        subprocess.Popen(
            [sys.executable, "-m", "labkit", "up"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for env in envs
    ]  # at once: both may see 9324 and 6400 free
    try:
        outputs = [proc.communicate(timeout=120)[0] for proc in starts]
        assert [proc.returncode for proc in starts] == [0, 0], outputs
        states = [recorded(home) for home in homes]
        ports = [
            {name: svc.get("port") for name, svc in state["services"].items()} for state in states
        ]
        for service in ("sqs", "api", "redis"):
            assert ports[0][service] != ports[1][service], ports
        for env, state, output in zip(envs, states, outputs, strict=True):
            shown = labkit(env, "status")
            assert shown.returncode == 0, shown.stdout + shown.stderr
            for service in ("sqs", "api"):
                assert state["urls"][service] in shown.stdout  # recorded and shown
                assert state["urls"][service] in output
        bob_before = {p.pid for p in stack_processes(homes[1])}
        assert bob_before
        down = labkit(envs[0], "down")
        assert down.returncode == 0 and "stopped" in down.stdout
        assert not stack_processes(homes[0])
        assert {p.pid for p in stack_processes(homes[1])} == bob_before, "ann's down hit bob"
        assert labkit(envs[1], "status").returncode == 0
    finally:
        for env in envs:
            labkit(env, "down")


def _sigterm(lab: subprocess.Popen) -> None:
    lab.send_signal(signal.SIGTERM)


def _ctrl_c_twice(lab: subprocess.Popen) -> None:
    """What a terminal does on Ctrl-C under `make lab`: SIGINT to the foreground process group,
    here twice, the second once JupyterLab is gone and the stack is being stopped."""
    os.killpg(lab.pid, signal.SIGINT)

    def jupyterlab_gone() -> bool:
        try:
            children = psutil.Process(lab.pid).children(recursive=True)
            return not any("jupyterlab" in " ".join(p.cmdline()) for p in children)
        except psutil.Error:
            return True

    wait_until(jupyterlab_gone, 60, "JupyterLab to stop after Ctrl-C", poll=0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(lab.pid, signal.SIGINT)


@pytest.mark.timeout(600)  # JupyterLab and a kernel start on two shared cores
@pytest.mark.parametrize(
    "stop",
    [_sigterm, pytest.param(_ctrl_c_twice, marks=pytest.mark.extended)],
    ids=["sigterm", "ctrl-c-twice"],
)
def test_labkit_lab_passes_sigterm_on_and_leaves_nothing(tmp_path: Path, stop) -> None:
    import requests

    home = tmp_path / "home"
    env = {**home_env(home), "JUPYTER_TOKEN": "labkit-test", "JUPYTER_CONFIG_DIR": str(tmp_path)}
    port = free_port()
    argv = [sys.executable, "-m", "labkit", "lab", "--no-browser", "--port", str(port)]
    argv += ["--sqs-port", str(free_port()), "--api-port", str(free_port())]
    lab = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as under a terminal
    )
    try:
        if not wait_for_port(port, timeout=120):
            lab.kill()
            pytest.fail(f"JupyterLab did not start:\n{lab.communicate(timeout=10)[0][-3000:]}")
        base = f"http://127.0.0.1:{port}/api/kernels?token=labkit-test"
        kernel = requests.post(base, json={"name": "python3"}, timeout=60).json()
        assert "id" in kernel, kernel
        everything: list[psutil.Process] = []

        def a_kernel() -> list:
            children = psutil.Process(lab.pid).children(recursive=True)
            return children if any("ipykernel" in " ".join(p.cmdline()) for p in children) else []

        everything = wait_until(a_kernel, 60, "a notebook kernel under `labkit lab`", poll=0.2)
        assert stack_processes(home)
        everything += stack_processes(home)
        stop(lab)
        output = lab.communicate(timeout=90)[0]
        assert lab.returncode == 0, output[-3000:]
        _, alive = psutil.wait_procs(everything, timeout=20)
        assert not alive, f"left running: {[' '.join(p.cmdline())[:80] for p in alive]}"
        assert not stack_processes(home)
        assert "stopped the stack it started" in output
    finally:
        if lab.poll() is None:
            lab.kill()
        labkit(home_env(home), "down")
