"""The Codespaces/Dev Containers file: valid, and it starts the lab with its ports forwarded.

Validated with check-jsonschema against tests/schemas/devcontainer.schema.json (its description
says why that file and not a download: nothing but PyPI, npm and Debian is reachable).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEVCONTAINER = REPO / ".devcontainer" / "devcontainer.json"
SCHEMA = REPO / "tests" / "schemas" / "devcontainer.schema.json"


def check_jsonschema(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_devcontainer_validates_against_the_schema() -> None:
    meta = check_jsonschema("--check-metaschema", str(SCHEMA))
    assert meta.returncode == 0, meta.stdout + meta.stderr
    done = check_jsonschema("--schemafile", str(SCHEMA), str(DEVCONTAINER))
    assert done.returncode == 0, done.stdout + done.stderr


def test_schema_catches_a_misspelt_key(tmp_path: Path) -> None:
    """The check can fail: a typo in a lifecycle command is an error, not ignored."""
    config = json.loads(DEVCONTAINER.read_text())
    config["postCreateComand"] = config.pop("onCreateCommand")
    bad = tmp_path / "devcontainer.json"
    bad.write_text(json.dumps(config))
    done = check_jsonschema("--schemafile", str(SCHEMA), str(bad))
    assert done.returncode == 1
    assert "postCreateComand" in done.stdout + done.stderr


def test_codespace_builds_the_venv_then_runs_make_lab_with_ports_forwarded() -> None:
    config = json.loads(DEVCONTAINER.read_text())
    assert config["onCreateCommand"] == "make .venv/.installed"
    assert "make lab" in json.dumps(config["postAttachCommand"])
    assert {8888, 6400, 9324} <= set(config["forwardPorts"])
    assert config["portsAttributes"]["8888"]["onAutoForward"] == "openBrowser"
    image = config["image"]
    version = image.rsplit(":", 1)[-1].split("-")[0]
    assert tuple(map(int, version.split("."))) >= (3, 11), image
