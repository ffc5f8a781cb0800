"""The compose stack's passwords: generated per machine, never in git, readable by their owner only.

docker-compose.yml names no password: it requires `LABKIT_DATABASE_PASSWORD` and
`LABKIT_REDIS_PASSWORD` (Compose stops with a message when they are unset). `labkit up --mode
compose` draws them once, records them in the 0600 stack.json, passes them to every compose
command it runs and writes them to `.labkit/compose.env` (0600), so a hand-typed
`docker compose --env-file .labkit/compose.env ...` reaches the same stack.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from labkit.paths import open_private, state_dir

DATABASE_USER = "administrator"
PASSWORD_VARIABLES = {
    "database": "LABKIT_DATABASE_PASSWORD",
    "redis": "LABKIT_REDIS_PASSWORD",
    "emulator": "LABKIT_EMULATOR_SECRET",  # SigV4 secret of the sqs container (and the lab's)
}
# The lab container runs as the host user, so the notebooks it saves stay the student's; root
# (or a platform without uids) gets the image's own unprivileged user.
IMAGE_UID = 10001
ENV_FILE = "compose.env"


def stack_passwords(current: dict[str, Any] | None) -> dict[str, str]:
    """The recorded stack's passwords, else new ones (URL-safe, 32 characters)."""
    known = dict((current or {}).get("passwords") or {})
    for name in PASSWORD_VARIABLES:
        known.setdefault(name, secrets.token_urlsafe(24))
    return known


def host_user() -> tuple[int, int]:
    """uid and gid the lab container runs as: the caller's, unless that is root."""
    uid = getattr(os, "getuid", lambda: 0)()
    if uid == 0:
        return IMAGE_UID, IMAGE_UID
    return uid, os.getgid()


def secret_environment(state: dict[str, Any]) -> dict[str, str]:
    """The variables docker-compose.yml reads for this stack's passwords and lab user."""
    passwords = state.get("passwords") or {}
    env = {variable: passwords.get(name, "") for name, variable in PASSWORD_VARIABLES.items()}
    uid, gid = host_user()
    env |= {"LABKIT_UID": str(uid), "LABKIT_GID": str(gid)}
    return env


def write_env_file(state: dict[str, Any]) -> Path:
    """`.labkit/compose.env` (0600) with the passwords and ports, for hand-typed compose."""
    from labkit.stack.compose import PORTS

    path = state_dir() / ENV_FILE
    values = secret_environment(state)
    values |= {port.variable: str(state["ports"][name]) for name, port in PORTS.items()}
    with open_private(path, "w") as out:
        out.writelines(f"{name}={value}\n" for name, value in sorted(values.items()))
    return path
