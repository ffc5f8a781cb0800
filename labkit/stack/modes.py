"""The three ways to run the lab's services, and which module runs each.

A mode is a module of `labkit.stack` with ``RECORDED`` (does stack.json remember it) and three
functions: ``up(current, record, **options) -> (state, notes)``, ``down(state) -> [names]`` and
``status_rows(state) -> [rows]`` (one row per service: service, status, url, pid, detail). No
mode writes the state file itself: `labkit.stack` reads it, holds the stack lock, and hands
``up`` a ``record`` callback, so the file is written in one place (embedded records its
children before waiting for them, so that `labkit down` can stop a start that failed half-way).

- embedded (`stack/embedded.py`): child processes on 127.0.0.1, no Docker; the default.
- compose (`stack/compose.py`): the repository's compose file under Docker.
- aws (`stack/aws.py`): SQS on AWS; nothing runs locally and nothing is recorded.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from labkit.stack.errors import StackError

#: Mode name -> the module that runs it (imported on first use: compose is not needed to run
#: embedded, nor boto3's AWS checks to run compose).
MODULES = {
    "embedded": "labkit.stack.embedded",
    "compose": "labkit.stack.compose",
    "aws": "labkit.stack.aws",
}


def get_mode(name: str) -> ModuleType:
    """The module of mode ``name``; StackError naming the choices when there is none."""
    if name not in MODULES:
        raise StackError(f"unknown mode {name!r}; choose one of {', '.join(MODULES)}")
    return importlib.import_module(MODULES[name])
