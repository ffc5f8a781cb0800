"""Serving the API with waitress: in the foreground (`labkit api`) or on a background thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import Flask

from labkit.net import wait_for_port


@dataclass
class ServerHandle:
    """A waitress server running on a thread of this process."""

    url: str
    host: str
    port: int
    server: object = field(repr=False)
    thread: threading.Thread = field(repr=False)

    def stop(self) -> None:
        """Close the listener and every kept-alive connection, so the loop ends at once."""
        from waitress import wasyncore

        server = self.server
        server.close()  # type: ignore[attr-defined]
        wasyncore.close_all(server._map, ignore_all=True)  # type: ignore[attr-defined]
        server.task_dispatcher.shutdown(timeout=2)  # type: ignore[attr-defined]
        self.thread.join(timeout=5)


def make_server(app: Flask, host: str = "127.0.0.1", port: int = 6400, threads: int = 8):
    import waitress

    # waitress stops accepting at 100 open connections by default; a class of students (or a
    # load test) holding keep-alive connections would then stall every new client.
    return waitress.create_server(
        app, host=host, port=port, threads=threads, ident="taskoverflow", connection_limit=1000
    )


def start(app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 8) -> ServerHandle:
    """Serve ``app`` on a daemon thread (port 0 picks a free one); for tests and benchmarks."""
    server = make_server(app, host, port, threads)
    port = server.effective_port  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.run, name=f"waitress-{port}", daemon=True)
    thread.start()
    wait_for_port(port, host, timeout=5)
    return ServerHandle(f"http://{host}:{port}", host, port, server, thread)
