"""Clear words where the lab cannot run: an old Python found by `make`, native Windows."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OLD_PYTHON = """#!/bin/sh
# Stands for macOS's command-line tools python3, 3.9.6
case "$*" in
  *print*) echo "3.9.6" ;;
  *sys.exit*) exit 1 ;;
  *) echo "Python 3.9.6" ;;
esac
"""


def test_make_lab_names_the_old_python_it_found_and_how_to_get_311(tmp_path: Path) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    python3 = fake_bin / "python3"
    python3.write_text(OLD_PYTHON)
    python3.chmod(0o755)
    checkout = tmp_path / "queue-lab"  # no .venv yet, as on a fresh clone
    checkout.mkdir()
    for name in ("Makefile", "requirements.txt", "requirements-dev.txt", "pyproject.toml"):
        shutil.copy(REPO / name, checkout / name)
    env = {"PATH": f"{fake_bin}:/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        ["make", "lab"], cwd=checkout, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert f"found {python3} (Python 3.9.6)" in done.stderr
    assert "needs Python 3.11 or newer" in done.stderr
    assert "brew install python@3.12" in done.stderr and "PYTHON=" in done.stderr
    assert not (checkout / ".venv").exists()  # stopped before building anything


def test_native_windows_gets_one_line_pointing_to_wsl2() -> None:
    code = (
        "import sys; sys.platform = 'win32'\n"
        "from labkit.cli import main\n"
        "raise SystemExit(main(['up']))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "WSL2" in lines[0] and "Traceback" not in done.stderr


def test_no_fcntl_is_a_stack_error_not_a_traceback_from_fcntl() -> None:
    """A notebook on native Windows: `labkit.up()` raises StackError naming WSL2."""
    code = (
        "import sys; sys.modules['fcntl'] = None\n"
        "import labkit\n"
        "from labkit.stack.errors import StackError\n"
        "try:\n    labkit.up()\nexcept StackError as exc:\n    print('StackError:', exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("StackError:") and "WSL2" in done.stdout
