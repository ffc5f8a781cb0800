"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

The file is validated against the Compose specification's schema, then held to what the code
that drives it relies on (`labkit.stack.compose`: the published ports and their variables, the
service names, the URLs the lab container is given; `labkit.taskoverflow.settings`: the
environment the API and the worker read; `labkit.stack.health`: the health endpoints), not to
its literal text. `make test-compose` runs the stack itself under Docker.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from labkit import web_guard
from labkit.aws_credentials import ENV_NAMES, FILE_NAMES
from labkit.cli import build_parser
from labkit.paths import REPO_ROOT
from labkit.stack import compose, health
from labkit.taskoverflow.settings import from_environment

COMPOSE = compose.compose_file()
#: The compose services reached by a URL another container is given, by labkit's name.
BY_SERVICE = {port.service: name for name, port in compose.PORTS.items()}
_VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?::-(?P<default>[^}]*)|:\?(?P<required>[^}]*))?\}")
#: What `labkit up --mode compose` passes (`compose_secrets.secret_environment`).
STACK_ENV = {
    "LABKIT_DATABASE_PASSWORD": "generated-database-password",
    "LABKIT_REDIS_PASSWORD": "generated-redis-password",
    "LABKIT_EMULATOR_SECRET": "generated-emulator-secret",
    "LABKIT_UID": "1000",
    "LABKIT_GID": "1000",
}


class MissingVariable(KeyError):
    """A `${NAME:?message}` Compose would stop at."""


def interpolate(value: object, env: dict[str, str]) -> str:
    """``value`` as Compose reads it with the host environment ``env`` (`${NAME:-default}`,
    `${NAME:?message}`: required)."""

    def one(match: re.Match) -> str:
        found = env.get(match["name"])
        if not found and match["required"] is not None:
            raise MissingVariable(match["name"], match["required"])
        return found or (match["default"] or "")

    return _VARIABLE.sub(one, str(value))


def environment(service: dict, env: dict[str, str] | None = None) -> dict[str, str]:
    """A service's environment as its container sees it (started by `labkit up`)."""
    env = STACK_ENV if env is None else env
    return {k: interpolate(v, env) for k, v in (service.get("environment") or {}).items()}


@pytest.fixture(scope="module")
def services() -> dict:
    assert COMPOSE is not None, f"no compose file in {REPO_ROOT}"
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


def test_the_services_labkit_starts_and_students_name_exist(services):
    """`labkit up` starts `compose.SERVICES`, `labkit lab` the `lab` service."""
    assert set(services) == {*compose.SERVICES, "lab"}


def test_each_port_is_published_on_localhost_from_its_variable(services):
    """`choose_ports` sets each LABKIT_*_PORT: the host port follows it, the container port
    does not move, and nothing is published beyond 127.0.0.1 or beyond `compose.PORTS`."""
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {port.service for port in compose.PORTS.values()}
    for port in compose.PORTS.values():
        (mapping,) = services[port.service]["ports"]
        for env, host in (({}, port.container), ({port.variable: "40123"}, 40123)):
            assert interpolate(mapping, env) == f"127.0.0.1:{host}:{port.container}", mapping


def test_each_server_listens_on_its_published_container_port(services):
    parser = build_parser()
    for port in compose.PORTS.values():
        command = services[port.service].get("command")
        if not command:  # the database and Redis images listen on their own default ports
            continue
        if command[0] == "labkit":
            args = parser.parse_args(command[1:])
            assert (args.host, args.port) == ("0.0.0.0", port.container), command
        elif command[0] == "sh":  # Redis: its own default port, every address of the container
            assert "--port" not in command[-1] and "--bind" not in command[-1], command
            assert port.container == 6379
        else:
            assert {"--ip=0.0.0.0", f"--port={port.container}"} <= set(command), command


def test_the_labkit_commands_parse(services):
    parser = build_parser()
    for name, service in services.items():
        command = service.get("command") or []
        if command[:1] == ["labkit"]:
            assert parser.parse_args(command[1:]).func, name


def test_api_and_worker_read_one_configuration(services):
    """The API publishes jobs where the worker takes them and both see the same results and
    todos: the settings each derives from its environment are the same, and complete."""
    configs = {name: from_environment(environment(services[name])) for name in ("app", "worker")}
    assert configs["app"] == configs["worker"]
    config = configs["app"]
    assert all(config[key] for key in ("SQLALCHEMY_DATABASE_URI", "CELERY_BROKER_URL")), config
    assert config["CELERY_RESULT_BACKEND"], "the API reads the results the worker stores"


def test_urls_name_a_service_on_its_container_port(services):
    """Every URL a container is given points at a compose service by name, on the port that
    service listens on; the database URLs carry the database service's own credentials."""
    database = environment(services["database"])
    for name, service in services.items():
        for variable, value in environment(service).items():
            if "://" not in value:
                continue
            url = urlsplit(value.removeprefix("db+"))
            target = url.hostname
            assert target in services, (name, variable, value)
            assert url.port == compose.PORTS[BY_SERVICE[target]].container, (name, variable)
            if target == "database":
                assert (url.username, url.password, url.path) == (
                    database["POSTGRES_USER"],
                    database["POSTGRES_PASSWORD"],
                    "/" + database["POSTGRES_DB"],
                ), (name, variable)
    host = urlsplit(compose.urls_for({n: 1 for n in compose.PORTS}, {"database": "pw"})["database"])
    assert host.username == database["POSTGRES_USER"], "`labkit up` connects from the host so"


def test_the_lab_container_gets_every_service_url(services):
    """`compose.container_urls` reads these inside the lab container; the API and the SQS
    emulator must let that host name through their Host-header guard."""
    lab = environment(services["lab"])
    assert lab["LABKIT_MODE"] == "compose", "compose.inside_lab_container() reads it"
    for name, variable in compose.URL_VARIABLES.items():
        url = urlsplit(lab[variable])
        assert url.hostname == compose.PORTS[name].service, variable
        if url.scheme == "http":
            guard = web_guard.configured_hosts(environment(services[url.hostname]))
            assert web_guard.host_allowed(url.netloc, guard), (variable, url.netloc)
    for variable in ("AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_SNS"):
        assert lab[variable] == lab[compose.URL_VARIABLES["sqs"]], variable


def dependencies(services: dict, name: str) -> set[str]:
    """Every service ``name`` waits for, directly or through another."""
    found: set[str] = set()
    pending = list(services[name].get("depends_on") or {})
    while pending:
        target = pending.pop()
        if target not in found:
            found.add(target)
            pending += list(services[target].get("depends_on") or {})
    return found


def test_a_service_starts_after_the_services_it_names_are_healthy(services):
    for name, service in services.items():
        for target, condition in (service.get("depends_on") or {}).items():
            assert services[target].get("healthcheck"), f"{name} waits on {target}'s health"
            assert condition == {"condition": "service_healthy"}, (name, target)
        named = {
            urlsplit(value.removeprefix("db+")).hostname
            for value in environment(service).values()
            if "://" in value
        }
        assert named <= dependencies(services, name) | {name}, name


def test_health_checks_probe_the_service_itself(services):
    """Exec form (no shell, no `$` for Compose to substitute, no `$HOSTNAME`, which podman's
    exec does not set); a URL probe asks the service's own port for the path labkit's health
    checks use; a module probe names a module that exists."""
    paths = {"app": health.API_HEALTH, "sqs": health.SQS_HEALTH, "lab": "/api"}
    for name, service in services.items():
        test = service["healthcheck"]["test"]
        assert test[0] == "CMD" and service["healthcheck"]["interval"], name
        assert not any("$" in part for part in test), name
        probe = " ".join(test)
        url = re.search(r"https?://[^'\" ]+", probe)
        if url:
            url = urlsplit(url.group())
            assert url.hostname == "127.0.0.1", name
            assert url.port == compose.PORTS[BY_SERVICE[name]].container, name
            assert url.path == paths[name], name
        if test[1:3] == ["python", "-m"]:
            assert importlib.util.find_spec(test[3]), name


def test_python_services_run_one_image_built_from_the_dockerfile(services):
    built = {name: s for name, s in services.items() if "build" in s}
    assert set(built) >= {"sqs", "app", "worker", "lab"}
    assert len({s["image"] for s in built.values()}) == 1, "one image, built once"
    for name, service in built.items():
        context = REPO_ROOT / service["build"]["context"]
        assert (context / service["build"].get("dockerfile", "Dockerfile")) == (
            REPO_ROOT / "Dockerfile"
        ), name


def test_no_aws_credentials_reach_the_file(services):
    """AWS keys stay in the git-ignored files students paste them into; the file carries only
    the course's local database password."""
    for name, service in services.items():
        assert not set(ENV_NAMES) & set(service.get("environment") or {}), name
        assert "env_file" not in service, name
        for volume in service.get("volumes") or []:
            source = Path(str(volume).split(":")[0]).name
            assert source not in FILE_NAMES, (name, volume)
    assert not set(ENV_NAMES) & set(re.findall(r"\w+", COMPOSE.read_text()))


def test_dockerfile_builds_the_runtime_only():
    text = (REPO_ROOT / "Dockerfile").read_text()
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    assert "pip install --no-compile -r requirements.txt" in text
    assert "requirements-dev" not in text.split("stay out")[-1]
    assert "pip install --no-compile --no-deps --no-build-isolation -e ." in text
    assert "COPY terraform/*.tf ./terraform/" in text
    assert "COPY terraform " not in text and "COPY . " not in text


def test_secrets_and_terraform_state_stay_out_of_git_and_the_image():
    ignored = (REPO_ROOT / ".dockerignore").read_text().split()
    for secret in (".env", "aws.env", "credentials", "**/.env", ".venv", ".git"):
        assert secret in ignored, secret
    for pattern in ("terraform/*.tfvars", "terraform/*.tfstate*", "terraform/.terraform*"):
        assert pattern in ignored, pattern
    git_ignored = (REPO_ROOT / ".gitignore").read_text().split()
    assert "terraform/*.tfvars" in git_ignored


# ---- secrets and users (issue 23) ------------------------------------------------------------


def test_no_password_is_written_in_the_file(services):
    """PostgreSQL's and Redis's passwords come from variables Compose requires (generated by
    `labkit up --mode compose`); without them Compose stops with the way to get them."""
    text = COMPOSE.read_text()
    assert "verySecretPassword" not in text
    for name in ("database", "redis", "sqs", "app", "worker", "lab"):
        with pytest.raises(MissingVariable):
            environment(services[name], {})
    assert (
        environment(services["database"])["POSTGRES_PASSWORD"]
        == STACK_ENV["LABKIT_DATABASE_PASSWORD"]
    )


def test_every_redis_url_carries_the_password_redis_asks_for(services):
    redis = services["redis"]
    asked = environment(redis)["REDISCLI_AUTH"]  # the health check's redis-cli reads it
    script = " ".join(redis["command"])
    assert "requirepass" in script and "$$REDISCLI_AUTH" in script
    assert "requirepass" not in " ".join(redis["healthcheck"]["test"])
    for command in ("CONFIG", "MODULE", "SAVE", "DEBUG", "SLAVEOF"):
        assert command in script, f"{command} renamed away"
    for name, service in services.items():
        for variable, value in environment(service).items():
            if value.startswith("redis://"):
                assert urlsplit(value).password == asked, (name, variable)


def test_services_run_as_unprivileged_users(services):
    """The Python services as the image's `labkit` user (the Dockerfile's last USER); Redis as
    `redis`; the lab container as the host user (LABKIT_UID); PostgreSQL's entrypoint drops
    to `postgres` by itself (the real image and the stand-in alike)."""
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    final = dockerfile.rsplit("\nFROM ", 1)[1]
    assert re.search(r"^USER labkit$", final, re.M) and "useradd" in final
    assert services["redis"]["user"] == "redis"
    lab = services["lab"]
    assert interpolate(lab["user"], STACK_ENV) == "1000:1000"
    assert interpolate(lab["user"], {}) == "10001:10001", "the image's user by default"
    assert "--allow-root" not in lab["command"]
    for name in ("sqs", "app", "worker"):
        assert "user" not in services[name] or services[name]["user"] != "root", name
    entrypoint = (REPO_ROOT / "tests/compose/postgres-entrypoint.sh").read_text()
    assert "exec setpriv --reuid=postgres" in entrypoint


def test_the_image_drops_what_no_process_runs():
    """The runtime stage copies a venv built and pruned in the first stage (files deleted in
    a later layer would still count); each path removed exists in an install of the pins, so
    the removal is not a no-op."""
    text = (REPO_ROOT / "Dockerfile").read_text()
    assert text.count("\nFROM python:3.11-slim") == 2 and "COPY --from=build /opt/venv" in text
    site = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    site = site / "site-packages"
    for removed in ("debugpy", "jupyterlab/galata", "jedi/third_party/typeshed", "lupa"):
        assert f'"$site/{removed}"' in text, removed
        assert (site / removed).exists(), f"{removed} is not in an install of the pins"
    assert "pip uninstall -y -q pip" in text


def test_labkit_up_generates_the_passwords_once(tmp_path, monkeypatch):
    from labkit.stack import compose_secrets

    monkeypatch.setenv("LABKIT_HOME", str(tmp_path))
    first = compose_secrets.stack_passwords(None)
    assert set(first) == {"database", "redis", "emulator"} and all(
        len(v) >= 32 for v in first.values()
    )
    assert compose_secrets.stack_passwords({"passwords": first}) == first
    assert compose_secrets.stack_passwords(None) != first
    state = {"passwords": first, "ports": {n: p.container for n, p in compose.PORTS.items()}}
    path = compose_secrets.write_env_file(state)
    assert path.stat().st_mode & 0o777 == 0o600
    written = dict(line.split("=", 1) for line in path.read_text().splitlines())
    assert written["LABKIT_REDIS_PASSWORD"] == first["redis"]
    assert written["LABKIT_DATABASE_PASSWORD"] == first["database"]


def test_the_runtime_packages_fit_the_image_budget():
    """595 MB on the stand-in base held 400 MB of packages (so ~195 MB of base and app); the
    image must stay under 500 MB, so what the Dockerfile keeps must stay under 300 MB.
    `make test-compose` measures the built image itself."""
    from tests.compose import image_estimate

    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    for name in image_estimate.DOCKERFILE_NAMES:
        assert name in dockerfile, f"the estimate removes {name}; the Dockerfile must too"
    kept, _ = image_estimate.estimate()
    assert kept < 300e6, f"runtime packages {kept / 1e6:.0f} MB"
