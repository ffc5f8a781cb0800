"""The Codespaces/Dev Containers file: valid, and it starts the lab with its ports forwarded.

Validated with `jsonschema` (the library check-jsonschema wraps, in-process: the CLI spent two
seconds importing per call) against tests/schemas/devcontainer.schema.json (its description says
why that file and not a download: nothing but PyPI, npm and Debian is reachable).
"""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft7Validator

REPO = Path(__file__).resolve().parents[1]
DEVCONTAINER = REPO / ".devcontainer" / "devcontainer.json"
SCHEMA = REPO / "tests" / "schemas" / "devcontainer.schema.json"


def errors_in(config: dict) -> list[str]:
    schema = json.loads(SCHEMA.read_text())
    return [error.message for error in Draft7Validator(schema).iter_errors(config)]


def test_devcontainer_validates_against_the_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    Draft7Validator.check_schema(schema)  # the schema itself is valid draft-07
    assert errors_in(json.loads(DEVCONTAINER.read_text())) == []


def test_schema_catches_a_misspelt_key() -> None:
    """The check can fail: a typo in a lifecycle command is an error, not ignored."""
    config = json.loads(DEVCONTAINER.read_text())
    config["postCreateComand"] = config.pop("onCreateCommand")
    found = errors_in(config)
    assert found and any("postCreateComand" in message for message in found), found


def test_codespace_builds_the_venv_then_runs_make_lab_with_ports_forwarded() -> None:
    config = json.loads(DEVCONTAINER.read_text())
    assert config["onCreateCommand"] == "make .venv/.installed"
    assert "make lab" in json.dumps(config["postAttachCommand"])
    assert {8888, 6400, 9324} <= set(config["forwardPorts"])
    assert config["portsAttributes"]["8888"]["onAutoForward"] == "openBrowser"
    image = config["image"]
    version = image.rsplit(":", 1)[-1].split("-")[0]
    assert tuple(map(int, version.split("."))) >= (3, 11), image
