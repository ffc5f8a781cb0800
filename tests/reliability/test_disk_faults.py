"""A full or read-only disk: `labkit status` says the database cannot write, and `down`/`logs`
answer in one line instead of a traceback.

The disk is a tmpfs of 1 MiB mounted for the test (root can write through file modes, not
through a full or read-only mount); without the right to mount, the tests are skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from labkit.stack import health
from labkit.taskoverflow.app import create_app
from labkit.taskoverflow.db import db


def _mount(path: Path, options: str) -> bool:
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    place = tmp_path / "disk"
    place.mkdir()
    if not _mount(place, "size=1m"):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield place
    finally:
        subprocess.run(["umount", "-l", str(place)], check=False)


def _fill(disk: Path) -> None:
    with contextlib.suppress(OSError), open(disk / "filler", "wb") as out:
        while True:
            out.write(b"\0" * 65536)
            out.flush()


def _status(home: Path, database_url: str) -> subprocess.CompletedProcess:
    """`labkit status` on a stack whose only record is its database."""
    home.mkdir(exist_ok=True)
    (home / "stack.json").write_text(
        json.dumps({"mode": "embedded", "services": {}, "urls": {"database": database_url}})
    )
    env = {**os.environ, "LABKIT_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "labkit", "status"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def _database_row(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("database"))


def test_status_says_the_database_cannot_write_on_a_full_disk(
    small_disk: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{small_disk / 'todo.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    client = app.test_client()
    assert client.post("/api/v1/todos", json={"title": "fits"}).status_code == 201
    assert health.database_problem(url) is None
    assert "ok" in _database_row(_status(tmp_path / "home", url).stdout)

    _fill(small_disk)
    problem = health.database_problem(url)
    assert problem and "No space left" in problem
    done = _status(tmp_path / "home", url)
    assert done.returncode != 0
    row = _database_row(done.stdout)
    assert "down" in row and "No space left" in row, done.stdout
    # What the student sees from the API agrees: a write is refused, not half-done.
    reply = client.post("/api/v1/todos", json={"title": "x" * 80})
    assert reply.status_code == 503 and "full" in reply.get_json()["error"], reply.get_json()
    with app.app_context():
        db.engine.dispose()


def test_status_says_the_database_cannot_write_on_a_read_only_disk(
    small_disk: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{small_disk / 'todo.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.engine.dispose()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    problem = health.database_problem(url)
    assert problem and "Read-only" in problem
    done = _status(tmp_path / "home", url)
    assert done.returncode != 0 and "Read-only" in _database_row(done.stdout)


@pytest.mark.parametrize("command", [["down"], ["logs"], ["logs", "api"]])
def test_read_only_state_folder_is_one_line(small_disk: Path, command: list[str]) -> None:
    (small_disk / "stack.json").write_text(json.dumps({"mode": "embedded", "services": {}}))
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    env = {**os.environ, "LABKIT_HOME": str(small_disk)}
    done = subprocess.run(
        [sys.executable, "-m", "labkit", *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "labkit" in lines[0], done.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["queue", "--name", "csse6400_prac", "--client-name", "x", "--count", "1"],
        ["run", "--output-dir", "{disk}/out", "notebooks/01_standard_vs_fifo.ipynb"],
    ],
)
def test_read_only_folders_of_queue_and_run_are_one_line(
    small_disk: Path, command: list[str]
) -> None:
    """`labkit queue` starts the stack in LABKIT_HOME; `labkit run` writes to --output-dir."""
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    env = {**os.environ, "LABKIT_HOME": str(small_disk)}
    argv = [part.replace("{disk}", str(small_disk)) for part in command]
    done = subprocess.run(
        [sys.executable, "-m", "labkit", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot write" in lines[0] and "Read-only" in lines[0], done.stderr
