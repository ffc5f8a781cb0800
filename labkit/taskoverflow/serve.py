"""Serving the API with waitress: in the foreground (`labkit api`) or on a background thread."""

from __future__ import annotations

import socket
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


CONNECTION_LIMIT = 1000
SPARE_FILES = 64  # file numbers kept free beside the connections (database, logs, pipes)
OVERLOADED = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
)


def _open_file_limit() -> int:
    """Raise this process's open-file limit to its hard limit; return the limit in force."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or soft < hard:
            wanted = 65536 if hard == resource.RLIM_INFINITY else hard
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        return soft
    except (ImportError, ValueError, OSError):
        return 1024


def connection_limit() -> int:
    """At most `CONNECTION_LIMIT` open connections, and fewer when the process may not open
    that many files (accept() failing with EMFILE would spin the loop)."""
    return max(16, min(CONNECTION_LIMIT, _open_file_limit() - SPARE_FILES))


def _answering_server_class() -> type:
    from waitress.server import TcpWSGIServer

    class AnsweringServer(TcpWSGIServer):
        """waitress, but a client past the connection limit gets a 503 at once: waitress itself
        stops accepting, and a new client then hangs in the listen backlog."""

        def readable(self) -> bool:
            super().readable()  # its periodic clean-up of idle connections
            return bool(self.accepting)

        def handle_accept(self) -> None:
            if len(self._map) < self.adj.connection_limit:
                super().handle_accept()
                return
            try:
                accepted = self.accept()
            except OSError:
                return
            if accepted is None:
                return
            conn = accepted[0]
            body = (
                b'{"error": "the API has too many open connections; close idle ones '
                b'or retry in a second"}'
            )
            try:
                conn.send(OVERLOADED % (len(body), body))
                conn.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            finally:
                conn.close()

    return AnsweringServer


def make_server(app: Flask, host: str = "127.0.0.1", port: int = 6400, threads: int = 8):
    """waitress on ``host:port`` polling its sockets with poll(), not select(): select() ends
    the process (`filedescriptor out of range`) once a file number passes 1023, about a
    thousand open connections. Past the connection limit a client gets a 503 (above)."""
    from waitress.adjustments import Adjustments
    from waitress.task import ThreadedTaskDispatcher

    adj = Adjustments(
        host=host,
        port=port,
        threads=threads,
        ident="taskoverflow",
        connection_limit=connection_limit(),
        asyncore_use_poll=True,
    )
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    return _answering_server_class()(
        app, {}, dispatcher=dispatcher, adj=adj, sockinfo=adj.listen[0]
    )


def start(app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 8) -> ServerHandle:
    """Serve ``app`` on a daemon thread (port 0 picks a free one); for tests and benchmarks."""
    server = make_server(app, host, port, threads)
    port = server.effective_port  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.run, name=f"waitress-{port}", daemon=True)
    thread.start()
    wait_for_port(port, host, timeout=5)
    return ServerHandle(f"http://{host}:{port}", host, port, server, thread)
