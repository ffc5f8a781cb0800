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
    assert set(services) == {"database", "redis", "sqs", "app", "worker", "lab"}
    expected = {
        "database": "5432",
        "redis": "6379",
        "sqs": "9324",
        "app": "6400",
        "lab": "8888",
    }
    for name, port in expected.items():
        assert services[name]["ports"] == [f"127.0.0.1:{port}:{port}"], name
    assert "ports" not in services["worker"]


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


def test_dockerfile_builds_one_image_from_the_pins():
    text = (ROOT / "Dockerfile").read_text()
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    assert "pip install -r requirements.txt" in text
    assert "pip install --no-deps --no-build-isolation -e ." in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    for secret in (".env", "aws.env", "credentials", ".venv", ".git"):
        assert secret in ignored, secret
