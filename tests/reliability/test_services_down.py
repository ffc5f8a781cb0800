"""Redis restarted and PostgreSQL cut off under a running API and worker.

Redis is a server of the test's own (the machine's shared Redis is never stopped); PostgreSQL
is the shared one seen through a TCP relay the test can cut, which looks to the API exactly
like a database that went away (refused connections, pooled sockets reset).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from labkit.net import free_port
from labkit.taskoverflow.db import db
from labkit.taskoverflow.models import CalendarJob, Todo
from labkit.taskoverflow.serve import start
from labkit.waiting import wait_until
from tests.reliability.conftest import RedisServer, api_app, unique, worker_env

# faults injected into running stacks (killed workers, restarts, services gone): about a
# minute in all on two cores, so `make test-extended` (CI runs it on every change)
pytestmark = pytest.mark.extended

BUDGET_SECONDS = 5  # a student's request must get an answer within this


def finished(api: str, task_id: str) -> str | None:
    state = requests.get(f"{api}/todos/ical/{task_id}/status", timeout=10).json()["task_status"]
    return state if state in ("SUCCESS", "FAILURE") else None


def test_redis_restarted_under_the_api_and_worker(
    own_redis: RedisServer, start_worker, tmp_path: Path, reliability_home: Path
) -> None:
    queue = unique("ical-redis")
    app = api_app(tmp_path / "todo.db", own_redis.url, queue, TESTING=True)
    server = start(app)
    api = f"{server.url}/api/v1"
    try:
        start_worker(worker_env(own_redis.url, queue, reliability_home), name="redis-restart")
        requests.post(f"{api}/todos", json={"title": "before"}, timeout=10).raise_for_status()
        before = requests.post(f"{api}/todos/ical", timeout=10).json()["task_id"]
        assert wait_until(lambda: finished(api, before), 20, "a job before the restart") == (
            "SUCCESS"
        )

        own_redis.stop()
        for _ in range(3):
            started = time.monotonic()
            reply = requests.post(f"{api}/todos/ical", timeout=BUDGET_SECONDS + 5)
            elapsed = time.monotonic() - started
            assert reply.status_code == 503, reply.text
            assert reply.json()["service"] == "broker" and "labkit up" in reply.json()["error"]
            assert elapsed < BUDGET_SECONDS, f"503 took {elapsed:.1f} s"
        started = time.monotonic()
        status = requests.get(f"{api}/todos/ical/{before}/status", timeout=BUDGET_SECONDS + 5)
        assert status.status_code == 503 and status.json()["service"] == "result backend"
        assert time.monotonic() - started < BUDGET_SECONDS
        # Todos live in the database, not Redis: they keep working.
        assert requests.get(f"{api}/todos", timeout=10).status_code == 200
        with app.app_context():  # the refused jobs left no id behind that would say PENDING
            assert db.session.query(CalendarJob).count() == 1

        own_redis.start()  # same port; neither the API nor the worker is restarted
        after = wait_until(
            lambda: (
                (r := requests.post(f"{api}/todos/ical", timeout=10)).status_code == 202
                and r.json()["task_id"]
            ),
            timeout=10,
            what="the API publishes again",
            poll=0.2,
        )
        assert wait_until(lambda: finished(api, after), 40, "the worker reconnected") == "SUCCESS"
        ics = requests.get(f"{api}/todos/ical/{after}/result", timeout=10)
        assert ics.status_code == 200 and "SUMMARY:before" not in ics.text  # no deadline: no event
        assert "BEGIN:VCALENDAR" in ics.text
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()


# ---- PostgreSQL through a relay that can be cut ----------------------------------------------


class Relay:
    """A TCP relay 127.0.0.1:port -> target; `cut()` closes every connection and the listener."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if self.listener is not listener:  # cut while this connection was arriving
                client.close()
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            listener.close()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()


@pytest.fixture
def relayed_postgres(postgres_url: str) -> Iterator[tuple[str, Relay]]:
    """A schema of its own on the shared PostgreSQL, reached through a relay."""
    from sqlalchemy.engine import make_url

    base = make_url(postgres_url)
    schema = f"reliability_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    relay = Relay((base.host or "127.0.0.1", base.port or 5432))
    relay.open()
    url = base.set(host="127.0.0.1", port=relay.port, query={"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False), relay
    finally:
        relay.cut()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_postgres_unreachable_is_503_and_nothing_half_written(relayed_postgres, redis_url) -> None:
    url, relay = relayed_postgres
    app = api_app(url, redis_url, unique("ical-pg"), TESTING=True)
    server = start(app)
    api = f"{server.url}/api/v1"
    try:
        kept = requests.post(f"{api}/todos", json={"title": "kept"}, timeout=10).json()

        relay.cut()
        calls = [
            ("post", "/todos", {"title": "lost in the outage"}),
            ("put", f"/todos/{kept['id']}", {"title": "changed in the outage"}),
            ("delete", f"/todos/{kept['id']}", None),
            ("get", "/todos", None),
            ("post", "/todos/ical", None),
        ]
        with ThreadPoolExecutor(len(calls)) as pool:  # at once, as a class of students would

            def call(spec):
                method, path, body = spec
                began = time.monotonic()
                reply = requests.request(method, api + path, json=body, timeout=BUDGET_SECONDS + 5)
                return reply, time.monotonic() - began

            for (method, path, _), (reply, elapsed) in zip(
                calls, pool.map(call, calls), strict=True
            ):
                assert reply.status_code == 503, (method, path, reply.text)
                assert "database" in reply.json()["error"]
                assert elapsed < BUDGET_SECONDS, (method, path, elapsed)

        relay.open()  # the database is back; the API was not restarted
        listed = wait_until(
            lambda: (r := requests.get(f"{api}/todos", timeout=10)).status_code == 200 and r.json(),
            timeout=10,
            what="the API reads again",
            poll=0.2,
        )
        assert listed == [kept]  # nothing half-written: no new row, no change, no delete
        with app.app_context():
            assert db.session.query(Todo).count() == 1
            assert db.session.query(CalendarJob).count() == 0
        again = requests.post(f"{api}/todos", json={"title": "after"}, timeout=10)
        assert again.status_code == 201
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()


def test_job_queued_across_a_redis_restart_is_kept(own_redis: RedisServer, tmp_path: Path) -> None:
    """A job accepted (202) but not yet taken by a worker when Redis is killed and restarted
    is still queued: the lab's own Redis keeps an append-only file."""
    import redis

    queue = unique("ical-queued")
    app = api_app(tmp_path / "todo.db", own_redis.url, queue)
    client = app.test_client()
    assert client.post("/api/v1/todos/ical").status_code == 202  # no worker yet: it waits
    broker = redis.Redis.from_url(own_redis.url)
    assert broker.llen(queue) == 1
    own_redis.stop()
    own_redis.start()
    try:
        assert broker.llen(queue) == 1, "the queued job is gone"
    finally:
        broker.close()
        with app.app_context():
            db.engine.dispose()
