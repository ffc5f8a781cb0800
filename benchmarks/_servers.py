"""The two SQS/SNS servers the benchmarks compare, each as its own process on 127.0.0.1: the
lab's emulator (`labkit sqs-server`) and moto's server (the baseline). Not a benchmark itself."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from labkit.net import free_port, wait_for_port
from labkit.stack.clients import emulator_client
from labkit.stack.processes import spawn, stop_group

MOTO_SERVER = (
    "import sys, time\n"
    "from moto.server import ThreadedMotoServer\n"
    "server = ThreadedMotoServer(ip_address='127.0.0.1', port=int(sys.argv[1]), verbose=False)\n"
    "server.start()\n"
    "time.sleep(10**9)\n"
)


@dataclass
class Server:
    name: str
    url: str
    proc: subprocess.Popen

    def client(self, service: str = "sqs", **config: Any) -> Any:
        """A boto3 client on this server: one attempt per call (a benchmark counts failures)."""
        return emulator_client(self.url, service=service, retries={"max_attempts": 1}, **config)

    def stop(self) -> None:
        stop_group(self.proc.pid)


def start_server(name: str, seed: int = 1) -> Server:
    """ "emulator", "emulator-unrecorded" (no record of each message: `--no-record`) or "moto",
    started on a free port; SystemExit when it does not answer."""
    port = free_port()
    if name.startswith("emulator"):
        command = [sys.executable, "-m", "labkit", "sqs-server", "--port", str(port)]
        command += ["--seed", str(seed)]
        if name == "emulator-unrecorded":
            command.append("--no-record")
    else:
        command = [sys.executable, "-c", MOTO_SERVER, str(port)]
    proc, _ = spawn(command)  # output discarded; its own process group
    if not wait_for_port(port, timeout=30):
        proc.kill()
        raise SystemExit(f"{name} did not start")
    return Server(name, f"http://127.0.0.1:{port}", proc)
