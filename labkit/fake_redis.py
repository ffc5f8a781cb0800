"""A pure-Python Redis server for machines with no Redis binary (macOS, Windows/WSL on ARM, aarch64).

`python -m labkit.fake_redis --port P` serves the Redis protocol on 127.0.0.1 from
fakeredis's in-memory data model (Lua scripts through `lupa`, which kombu needs). Only the
network front is labkit's: fakeredis's own `TcpFakeServer` polls every connection each 10 ms
and leaves Nagle's algorithm on, which costs a Celery round trip about 92 ms. Here each
connection has a reader thread that blocks on its socket and a writer thread woken by each
queued reply, with TCP_NODELAY: about 7 ms a round trip and no CPU while idle.

Everything lives in memory: jobs queued in it are gone when it stops (the real `redis-server`
keeps an append-only file). docs/stack.md says when this server is chosen.

On a shared machine other users can reach its port, so it asks for the password in
`LABKIT_REDIS_PASSWORD` (checked by `labkit.redis_auth`: fakeredis itself ignores `requirepass`)
and runs Lua without `os`, `io`, file loading or a way into Python (lupa exposes all of them).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import signal
import sys
import threading
from typing import Any

if __name__ == "__main__":
    # fakeredis loads these only for vector sets and RedisJSON, which Celery never sends: the
    # server is about 20 MB smaller without them.
    for _optional in ("numpy", "jsonpath_ng"):
        sys.modules.setdefault(_optional, None)  # type: ignore[arg-type]

from fakeredis._clients._tcp_server import (  # noqa: E402
    TCPFakeRequestHandler,
    TcpFakeServer,
    encode_reply,
)

from labkit.redis_auth import AuthGate  # noqa: E402

READ_SIZE = 65536
PASSWORD_VARIABLE = "LABKIT_REDIS_PASSWORD"
# What real Redis leaves out of its Lua sandbox, plus lupa's bridge into Python.
_LUA_REMOVED = [
    "os",
    "io",
    "python",
    "debug",
    "package",
    "require",
    "dofile",
    "loadfile",
    "load",
    "loadstring",
    "module",
    "setfenv",
    "getfenv",
    "newproxy",
]


class _SandboxedLua:
    """fakeredis's Lua module, but every runtime it makes is sandboxed like redis-server's."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def _no_python_attributes(self, obj: object, name: object, is_setting: bool) -> object:
        """lupa's attribute filter: a script sees no attribute of a Python object (the
        functions fakeredis hands to Lua would lead to their module globals, hence to `os`).
        A LuaError, so fakeredis answers it as a failed script."""
        raise self._module.LuaError("Python attributes are not reachable from a Lua script")

    def LuaRuntime(self, **options: Any) -> Any:  # noqa: N802 - lupa's name
        options.update(register_eval=False, register_builtins=False)
        runtime = self._module.LuaRuntime(attribute_filter=self._no_python_attributes, **options)
        runtime.execute("\n".join(f"{name} = nil" for name in _LUA_REMOVED))
        return runtime


def sandbox_lua() -> None:
    """Make every Lua runtime fakeredis creates from now on a sandboxed one."""
    from fakeredis.commands_mixins import scripting_mixin

    if not isinstance(scripting_mixin.LUA_MODULE, _SandboxedLua):
        scripting_mixin.LUA_MODULE = _SandboxedLua(scripting_mixin.LUA_MODULE)


class EventedHandler(TCPFakeRequestHandler):
    """One client connection: blocking reads in this thread, replies written by another."""

    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()  # TCP_NODELAY (disable_nagle_algorithm) and fakeredis's connection
        # fakeredis makes the socket non-blocking for its polling loop: this one blocks.
        self.connection.setblocking(True)
        self._closing = threading.Event()

    def _write_replies(self, fake: Any) -> None:
        """Send every reply fakeredis queues (command answers, pub/sub messages, unblocked
        BRPOPs) as soon as it is queued, several in one write when they pile up."""
        while True:
            fake.response_ready.wait()
            fake.response_ready.clear()
            replies = fake.responses
            if replies is None or self._closing.is_set():
                return
            out = []
            with contextlib.suppress(queue.Empty):
                while True:
                    out.append(encode_reply(replies.get_nowait(), self.protocol_version))
            if out:
                try:
                    self.connection.sendall(b"".join(out))
                except OSError:
                    return

    def _authenticate(self) -> bytes | None:
        """Read until the client has sent the password; return what follows it (None when the
        connection ends first). Nothing reaches fakeredis before that."""
        password = getattr(self.server, "password", b"")
        if not password:
            return b""
        gate = AuthGate(password)
        while not gate.open:
            data = self.connection.recv(READ_SIZE)
            if not data:
                return None
            reply, forward = gate.feed(data)
            if reply:
                self.connection.sendall(reply)
            if gate.closed:
                return None
        return forward

    def handle(self) -> None:
        fake = self.current_client.get_socket()
        writer = threading.Thread(target=self._write_replies, args=(fake,), daemon=True)
        writer.start()
        try:
            data = self._authenticate()
            if data:
                fake.sendall(data)
            while data is not None:
                data = self.connection.recv(READ_SIZE)
                if not data:
                    break
                fake.sendall(data)  # runs the commands; a BRPOP blocks here, as in Redis
        except OSError:
            pass
        finally:
            self._closing.set()
            fake.response_ready.set()
            writer.join(timeout=1)


class FakeRedisServer(TcpFakeServer):
    """fakeredis's data model behind the evented handler; one thread per connection."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], password: str = "") -> None:
        super().__init__(address)
        self.RequestHandlerClass = EventedHandler
        self.daemon_threads = True
        self.password = password.encode()


def serve(host: str, port: int) -> None:
    """Serve until SIGTERM/SIGINT; prints one line when listening (the log's ready mark)."""
    sandbox_lua()
    server = FakeRedisServer((host, port), os.environ.get(PASSWORD_VARIABLE, ""))

    def stop(*_: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    try:
        print(f"labkit fake Redis (fakeredis, pure Python) listening on {host}:{port}", flush=True)
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6379)
    parser.add_argument(
        "--no-password",
        action="store_true",
        help=f"serve without a password (otherwise {PASSWORD_VARIABLE} must hold one)",
    )
    args = parser.parse_args(argv)
    if not args.no_password and not os.environ.get(PASSWORD_VARIABLE):
        print(
            f"labkit: set {PASSWORD_VARIABLE} (anyone on this machine can reach the port), "
            "or pass --no-password",
            file=sys.stderr,
        )
        return 2
    try:
        serve(args.host, args.port)
    except OSError as exc:
        print(f"labkit: cannot listen on {args.host}:{args.port} ({exc.strerror})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
