"""Stack behaviour that needs no running service: masked addresses, one-line CLI errors, paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.cli import main
from labkit.net import free_port
from labkit.stack import compose, embedded
from labkit.stack.lab import Lab
from labkit.stack.state import write_state

SECRET = "very" + "Secret" + "Password"


def compose_state() -> dict:
    closed = free_port()
    return {
        "mode": "compose",
        "services": {},
        "compose": None,
        "urls": {
            "sqs": f"http://127.0.0.1:{closed}",
            "redis": f"redis://:{SECRET}@127.0.0.1:{closed}/0",
            "database": f"postgresql+psycopg://administrator:{SECRET}@127.0.0.1:{closed}/todo",
        },
    }


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LABKIT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LABKIT_MODE", raising=False)
    return tmp_path / "home"


def test_lab_shows_addresses_without_passwords() -> None:
    lab = Lab(compose_state(), notes=["a note"])
    assert SECRET not in repr(lab) and SECRET not in lab._repr_html_()
    assert "administrator:****@127.0.0.1" in repr(lab) and "redis://:****@" in repr(lab)
    assert SECRET in lab.urls["database"]  # the clients still get the real address


def test_status_table_masks_passwords(home: Path) -> None:
    rows = compose.status_rows(compose_state())
    assert rows and all(SECRET not in str(row) for row in rows)
    state = {"mode": "embedded", "services": {}, "urls": compose_state()["urls"]}
    rows = embedded.status_rows(state)
    assert all(SECRET not in str(row) for row in rows)
    assert any("****" in row["url"] for row in rows if row["service"] == "database")


def test_down_without_docker_is_one_line(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    write_state(compose_state())
    monkeypatch.setenv("PATH", "/nonexistent")
    assert main(["down"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1, captured.err
    assert "docker" in captured.err and "labkit" in captured.err


def test_api_by_hand_and_the_stack_share_one_database(home: Path) -> None:
    from labkit.taskoverflow.settings import default_database_uri

    assert default_database_uri() == embedded.sqlite_url()
    assert default_database_uri().startswith(f"sqlite:///{home}")


def test_the_old_stack_database_is_taken_over(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "taskoverflow.db").write_bytes(b"todos")
    url = embedded.sqlite_url()
    assert url.endswith("taskoverflow.sqlite3")
    assert (home / "taskoverflow.sqlite3").read_bytes() == b"todos"
    assert not (home / "taskoverflow.db").exists()
