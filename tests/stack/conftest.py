"""Fixtures for the stack tests: a private LABKIT_HOME, free ports and a non-zero Redis db.

A stack started here never touches the user's (`.labkit/`, ports 9324/6400, Redis db 0).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from labkit.net import free_port


@dataclass
class StackPlace:
    home: Path
    sqs_port: int
    api_port: int
    env: dict[str, str]

    def options(self) -> dict[str, int]:
        return {"sqs_port": self.sqs_port, "api_port": self.api_port}

    def cli(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "labkit", *args]


def stack_redis_db_for_tests() -> str:
    return str(int(os.environ.get("LABKIT_TEST_REDIS_DB") or 1) or 1)


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackPlace]:
    """Environment of a private stack for one test module; its stack is stopped at the end."""
    home = tmp_path_factory.mktemp("labkit-home")
    values = {"LABKIT_HOME": str(home), "LABKIT_STACK_REDIS_DB": stack_redis_db_for_tests()}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in values.items():
            mp.setenv(key, value)
        spot = StackPlace(home, free_port(), free_port(), dict(os.environ))
        try:
            yield spot
        finally:
            from labkit.stack import down

            down()


def stack_processes(home: Path) -> list[psutil.Process]:
    """Every live process whose environment names this LABKIT_HOME (the stack's children)."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.pid == os.getpid() or proc.status() == psutil.STATUS_ZOMBIE:
                continue
            if proc.environ().get("LABKIT_HOME") == str(home) and _is_service(proc):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def _is_service(proc: psutil.Process) -> bool:
    cmdline = " ".join(proc.cmdline())
    return any(
        word in cmdline
        for word in ("sqs-server", "labkit api", "labkit worker", "celery", "redis-server")
    )
