"""The student path's lab: a stack of its own (LABKIT_HOME in a temporary folder, stopped at the
end), kernels that import this tree's labkit, and a working folder for the %%writefile cells."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from labkit.paths import REPO_ROOT


@pytest.fixture(scope="module")
def student_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A temporary LABKIT_HOME and working folder, exported for the kernels the walks start."""
    home = tmp_path_factory.mktemp("labkit-home")
    workdir = tmp_path_factory.mktemp("student")
    patch = pytest.MonkeyPatch()
    patch.setenv("LABKIT_HOME", str(home))
    # A Redis of the stack's own, as a student has: on CI's shared LABKIT_REDIS_URL the walk's
    # calendar jobs were taken by another stack's (or a leaked test worker's) consumers.
    patch.delenv("LABKIT_REDIS_URL", raising=False)
    patch.setenv("PYTHONPATH", os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    try:
        yield workdir
    finally:
        subprocess.run(
            [sys.executable, "-m", "labkit", "down"],
            env=dict(os.environ),
            capture_output=True,
            timeout=120,
            check=False,
        )
        patch.undo()
