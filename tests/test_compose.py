"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

The file is validated against the Compose specification's schema, then its structure is held to
what the handout and the stack rely on: service names, localhost-only ports, the environment
names, health checks and start order.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
IMAGE_SERVICES = ("sqs", "app", "worker", "lab")
TASKOVERFLOW_ENV = (
    "SQLALCHEMY_DATABASE_URI",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CELERY_DEFAULT_QUEUE",
)


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_matches_the_compose_schema():
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_services_and_published_ports(services):
    """Localhost only; each host port from a LABKIT_*_PORT variable with the course's default."""
    assert set(services) == {"database", "redis", "sqs", "app", "worker", "lab"}
    expected = {
        "database": ("LABKIT_DATABASE_PORT", "5432"),
        "redis": ("LABKIT_REDIS_PORT", "6379"),
        "sqs": ("LABKIT_SQS_PORT", "9324"),
        "app": ("LABKIT_API_PORT", "6400"),
        "lab": ("LABKIT_LAB_PORT", "8888"),
    }
    for name, (variable, port) in expected.items():
        assert services[name]["ports"] == [f"127.0.0.1:${{{variable}:-{port}}}:{port}"], name
    assert "ports" not in services["worker"]
    from labkit.stack.compose import PORTS

    assert {p.service: (p.variable, str(p.container)) for p in PORTS.values()} == expected


def test_database_credentials_are_the_handouts(services):
    env = services["database"]["environment"]
    assert env == {
        "POSTGRES_USER": "administrator",
        "POSTGRES_PASSWORD": "verySecretPassword",
        "POSTGRES_DB": "todo",
    }
    assert services["database"]["image"].startswith("postgres")
    assert services["redis"]["image"].startswith("redis")


def test_one_image_for_the_python_services(services):
    for name in IMAGE_SERVICES:
        assert services[name]["image"] == "queue-lab:latest", name
        assert services[name]["build"]["context"] == "."
    assert services["app"]["command"][:2] == ["labkit", "api"]
    assert "6400" in services["app"]["command"]
    assert services["worker"]["command"][:2] == ["labkit", "worker"]
    assert services["sqs"]["command"] == [
        "labkit",
        "sqs-server",
        "--host",
        "0.0.0.0",
        "--port",
        "9324",
    ]
    assert services["lab"]["command"][:2] == ["jupyter", "lab"]


def test_environment_names(services):
    for name in ("app", "worker", "lab"):
        env = services[name]["environment"]
        for key in TASKOVERFLOW_ENV:
            assert key in env, (name, key)
        assert env["CELERY_DEFAULT_QUEUE"] == "ical"
        assert env["CELERY_BROKER_URL"] == "redis://redis:6379"
        assert "@database:5432/todo" in env["SQLALCHEMY_DATABASE_URI"]
    assert services["lab"]["environment"]["AWS_ENDPOINT_URL_SQS"] == "http://sqs:9324"
    assert services["lab"]["environment"]["AWS_ENDPOINT_URL_SNS"] == "http://sqs:9324"


def test_health_checks_and_start_order(services):
    for name, service in services.items():
        check = service["healthcheck"]
        assert check["test"] and check["interval"], name
    assert "/api/v1/health" in " ".join(services["app"]["healthcheck"]["test"])
    assert "/_labkit/health" in " ".join(services["sqs"]["healthcheck"]["test"])
    wants = {
        "app": {"database", "redis"},
        "worker": {"database", "redis"},
        "lab": {"app", "worker", "sqs"},
    }
    for name, needed in wants.items():
        depends = services[name]["depends_on"]
        assert set(depends) == needed, name
        assert all(d["condition"] == "service_healthy" for d in depends.values()), name


def test_health_checks_hold_without_hostname_and_lab_has_a_token(services):
    """No `$HOSTNAME` (podman's exec does not set it), no shell needed; JupyterLab never runs
    without a token (empty LABKIT_LAB_TOKEN: Jupyter makes a random one)."""
    for name, service in services.items():
        test = " ".join(service["healthcheck"]["test"])
        assert "HOSTNAME" not in test and "$" not in test, name
    assert services["worker"]["healthcheck"]["test"][1:] == [
        "python",
        "-m",
        "labkit.stack.container_health",
        "worker",
    ]
    lab = services["lab"]
    assert not any("token" in str(arg).lower() for arg in lab["command"])
    assert lab["environment"]["JUPYTER_TOKEN"] == "${LABKIT_LAB_TOKEN:-}"


def test_dockerfile_builds_the_runtime_only():
    text = (ROOT / "Dockerfile").read_text()
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    assert "pip install --no-compile -r requirements.txt" in text
    assert "requirements-dev" not in text.split("stay out")[-1]
    assert "pip install --no-compile --no-deps --no-build-isolation -e ." in text
    assert "COPY terraform/*.tf ./terraform/" in text
    assert "COPY terraform " not in text and "COPY . " not in text


def test_secrets_and_terraform_state_stay_out_of_git_and_the_image():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for secret in (".env", "aws.env", "credentials", "**/.env", ".venv", ".git"):
        assert secret in ignored, secret
    for pattern in ("terraform/*.tfvars", "terraform/*.tfstate*", "terraform/.terraform*"):
        assert pattern in ignored, pattern
    git_ignored = (ROOT / ".gitignore").read_text().split()
    assert "terraform/*.tfvars" in git_ignored
