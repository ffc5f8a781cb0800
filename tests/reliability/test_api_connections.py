"""The API past 1,024 open connections: poll() instead of select(), and a limit that answers.

waitress's default loop uses select(), which ends the process once a file number passes 1023;
and at its connection limit waitress stops accepting, so a new client hangs in the backlog.
Here 1,100 clients connect at once (file numbers well past 1,023 in this process): the server
stays up, the clients past the limit get a 503 JSON body at once, and once they leave every
new request is served again.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import requests

from labkit.taskoverflow.db import db
from labkit.taskoverflow.serve import connection_limit, start
from tests.reliability.conftest import api_app, unique

CLIENTS = 1100


@pytest.fixture
def api(redis_url: str, tmp_path) -> Iterator[str]:
    app = api_app(tmp_path / "todo.db", redis_url, unique("ical-conn"))
    handle = start(app)
    try:
        yield handle.url
    finally:
        handle.stop()
        with app.app_context():
            db.engine.dispose()


def test_past_1024_connections_the_api_answers(api: str) -> None:
    limit = connection_limit()
    assert limit == 1000  # the machine allows more files than that: the limit itself is met
    port = int(api.rsplit(":", 1)[1])
    held: list[socket.socket] = []
    try:
        for _ in range(CLIENTS):
            held.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        assert max(sock.fileno() for sock in held) > 1023
        # The newest client is past the limit: it is told so at once, not left hanging.
        late = held[-1]
        late.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = late.recv(4096)
        assert answer.startswith(b"HTTP/1.1 503"), answer[:80]
        assert b"too many open connections" in answer
    finally:
        for sock in held:
            sock.close()
    # Everyone left: the server is alive and serves again.
    response = requests.get(f"{api}/api/v1/health", timeout=10)
    assert response.status_code == 200
