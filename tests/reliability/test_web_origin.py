"""A hostile web page must not drive the lab: Host and Origin checks on both HTTP servers.

Each test sends what a browser sends for a page on another origin (a `no-cors` POST carries an
``Origin`` and a form or text content type; DNS rebinding sends the attacker's name as
``Host``) to the real servers: the SQS emulator and the TaskOverflow API under waitress.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest

from labkit.emulator.server import start as start_emulator
from labkit.taskoverflow.serve import start as start_api
from labkit.web_guard import configured_hosts, host_allowed, origin_allowed
from tests.reliability.conftest import api_app


def call(
    port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None
) -> tuple[int, dict, bytes]:
    """One raw request with exactly these headers (http.client adds only Host when absent)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        reply = conn.getresponse()
        return reply.status, dict(reply.getheaders()), reply.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def emulator() -> Iterator:
    handle = start_emulator(seed=11)
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def api(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    database = tmp_path_factory.mktemp("origin") / "db"
    app = api_app(database, redis_url, "ical-origin-test-unread")
    handle = start_api(app)
    yield handle
    handle.stop()


def sqs_action(
    port: int, action: str, params: dict, headers: dict | None = None
) -> tuple[int, dict, bytes]:
    """One SQS JSON-protocol call, as boto3 sends it, with ``headers`` added (e.g. a Host)."""
    sent = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AmazonSQS.{action}"}
    return call(port, "POST", "/", json.dumps(params).encode(), {**(headers or {}), **sent})


def send_json(
    port: int, method: str, path: str, body: dict, headers: dict | None = None
) -> tuple[int, dict, bytes]:
    """A JSON request as a page's fetch() sends it, with ``headers`` added (Host, Origin)."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    return call(port, method, path, json.dumps(body).encode(), sent)


def page_at(host: str) -> dict:
    """The Host and Origin of a page served from ``host`` itself."""
    return {"Host": host, "Origin": f"http://{host}"}


def _queue_names(port: int) -> list[str]:
    status, _, body = sqs_action(port, "ListQueues", {})
    assert status == 200
    return json.loads(body).get("QueueUrls", [])


# ---- the emulator ---------------------------------------------------------------------------


def test_emulator_refuses_a_cross_site_reset_and_config(emulator) -> None:
    port = emulator.port
    assert sqs_action(port, "CreateQueue", {"QueueName": "keep-me"})[0] == 200
    page = {"Origin": "http://evil.example", "Content-Type": "text/plain;charset=UTF-8"}
    for path, body in (("/_labkit/reset", b"{}"), ("/_labkit/config", b'{"duplicate_rate": 1}')):
        status, _, reply = call(port, "POST", path, body, page)
        assert status == 403, (path, reply)
        assert "origin" in json.loads(reply)["error"]
    # A form post without Origin (old browsers, some redirects) is refused for not being JSON.
    status, _, reply = call(
        port, "POST", "/_labkit/reset", b"{}", {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 403 and "application/json" in json.loads(reply)["error"]
    assert any(url.endswith("/keep-me") for url in _queue_names(port))
    status, _, config = call(port, "GET", "/_labkit/config")
    assert status == 200 and json.loads(config)["duplicate_rate"] == 0


def test_emulator_refuses_a_foreign_host_and_never_echoes_it(emulator) -> None:
    rebind = {"QueueName": "rebind"}
    status, _, reply = sqs_action(
        emulator.port, "CreateQueue", rebind, {"Host": "evil.example:9324"}
    )
    assert status == 403
    assert b"evil.example/" not in reply
    status, _, _ = call(emulator.port, "GET", "/_labkit/health", headers={"Host": "evil.example"})
    assert status == 403


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", None])
def test_emulator_answers_loopback_names_and_its_own_origin(emulator, host: str | None) -> None:
    headers = page_at(host.format(port=emulator.port)) if host else {}
    status, _, _ = send_json(emulator.port, "POST", "/_labkit/clock", {"advance": 0}, headers)
    assert status == 200


def test_allowed_hosts_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABKIT_ALLOWED_HOSTS", "sqs, app ,https://abc-6400.app.github.dev")
    assert configured_hosts() == {"sqs", "app", "abc-6400.app.github.dev"}
    handle = start_emulator(seed=1)
    try:
        compose = {"QueueName": "compose"}
        status, _, body = sqs_action(handle.port, "CreateQueue", compose, {"Host": "sqs:9324"})
        assert status == 200 and json.loads(body)["QueueUrl"].startswith("http://sqs:9324/")
        assert call(handle.port, "GET", "/_labkit/health", headers={"Host": "evil"})[0] == 403
    finally:
        handle.stop()
    # A proxy may rewrite Host; a write from the configured public origin is still the lab's.
    assert origin_allowed("https://abc-6400.app.github.dev", "127.0.0.1:6400")
    assert not origin_allowed("http://localhost:8000", "127.0.0.1:6400")
    assert not origin_allowed("null", "127.0.0.1:6400")
    assert not host_allowed("127.0.0.1.evil.example")
    assert not host_allowed("127.0.0.1:6400@evil.example")


# ---- the API --------------------------------------------------------------------------------


def _todo_count(port: int) -> int:
    status, _, body = call(port, "GET", "/api/v1/todos")
    assert status == 200
    return len(json.loads(body))


def test_api_refuses_cross_site_writes(api) -> None:
    before = _todo_count(api.port)
    hostile = {"Origin": "http://evil.example", "Content-Type": "text/plain"}
    assert call(api.port, "POST", "/api/v1/todos/ical", b"", hostile)[0] == 403
    todo, evil = {"title": "from a page"}, {"Origin": hostile["Origin"]}
    status, _, reply = send_json(api.port, "POST", "/api/v1/todos", todo, evil)
    assert status == 403 and "origin" in json.loads(reply)["error"]
    assert call(api.port, "DELETE", "/api/v1/todos/1", b"", hostile)[0] == 403
    assert _todo_count(api.port) == before


def test_api_refuses_a_foreign_host_and_never_echoes_it(api) -> None:
    status, _, reply = call(api.port, "GET", "/api/v1/todos", headers={"Host": "evil.example"})
    assert status == 403 and b"evil.example/" not in reply
    status, _, reply = send_json(
        api.port, "POST", "/api/v1/todos/ical", {}, {"Host": "evil.example"}
    )
    assert status == 403 and b"http://evil.example" not in reply


def test_api_page_on_its_own_origin_still_works(api) -> None:
    own = page_at(f"127.0.0.1:{api.port}")
    status, _, body = send_json(api.port, "POST", "/api/v1/todos", {"title": "from the page"}, own)
    assert status == 201, body
    path, local = f"/api/v1/todos/{json.loads(body)['id']}", page_at(f"localhost:{api.port}")
    assert send_json(api.port, "PUT", path, {"completed": True}, local)[0] == 200


def test_emulator_refuses_an_sns_action_sent_as_a_cross_site_get(emulator) -> None:
    """`<img src="http://127.0.0.1:9324/?Action=CreateTopic&Name=x">` sends a GET with no
    Origin but with Sec-Fetch-Site: cross-site; SNS actions change state, so it is refused."""
    status, _, _ = call(
        emulator.port,
        "GET",
        "/?Action=CreateTopic&Name=from-a-page",
        headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"},
    )
    assert status == 403
    assert "from-a-page" not in _topic_names(emulator)


def _topic_names(emulator) -> str:
    """The emulator's topics, listed the way a student's boto3 does (signed)."""
    from labkit.stack.clients import emulator_client

    sns = emulator_client(emulator.url, service="sns")
    return " ".join(topic["TopicArn"] for topic in sns.list_topics()["Topics"])


def test_a_codespace_or_jupyterhub_proxy_is_allowed_without_configuration() -> None:
    env = {
        "CODESPACE_NAME": "fuzzy-robot-x7",
        "GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN": "app.github.dev",
        "JUPYTERHUB_PUBLIC_URL": "https://hub.uq.example/",
    }
    allowed = configured_hosts(env)
    assert host_allowed("fuzzy-robot-x7-6400.app.github.dev", allowed)
    assert origin_allowed("https://fuzzy-robot-x7-6400.app.github.dev", "localhost:6400", allowed)
    assert origin_allowed("https://hub.uq.example", "127.0.0.1:6400", allowed)
    # Another codespace (anyone can host a page there) is still another site.
    assert not origin_allowed("https://other-space-6400.app.github.dev", "localhost:6400", allowed)
    assert not host_allowed("evil.app.github.dev", allowed)
    assert host_allowed(
        "lab-1.uni.example:8443", configured_hosts({"LABKIT_ALLOWED_HOSTS": "*.uni.example"})
    )


def test_an_sns_write_as_an_unsigned_get_is_refused_without_fetch_headers(emulator) -> None:
    """Older Safari's `<img>` sends neither Origin nor Sec-Fetch-Site: a write GET must be
    signed, which only an SDK (or the AWS CLI) does."""
    status, _, _ = call(emulator.port, "GET", "/?Action=CreateTopic&Name=img-safari")
    assert status == 403
    assert "img-safari" not in _topic_names(emulator)


def test_a_bracketed_ipv6_allowed_host_is_that_address(monkeypatch: pytest.MonkeyPatch) -> None:
    allowed = configured_hosts({"LABKIT_ALLOWED_HOSTS": "[2001:db8::5]"})
    assert host_allowed("[2001:db8::5]:9324", allowed)
    assert host_allowed("[2001:DB8:0::5]", allowed)
    assert not host_allowed("1", allowed) and not host_allowed("[2001:db8::6]", allowed)
    assert host_allowed("[2001:db8::5]", configured_hosts({"LABKIT_ALLOWED_HOSTS": "2001:db8::5"}))


def test_the_codespaces_pattern_takes_only_a_port_number() -> None:
    env = {"CODESPACE_NAME": "name", "GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN": "app.github.dev"}
    allowed = configured_hosts(env)
    assert host_allowed("name-9324.app.github.dev", allowed)
    for spoof in (
        "name-9x.evil.app.github.dev",
        "name-9.evil.app.github.dev",
        "name-.app.github.dev",
    ):
        assert not host_allowed(spoof, allowed), spoof
    wildcard = configured_hosts({"LABKIT_ALLOWED_HOSTS": "*.uni.example"})
    assert not host_allowed("evil.com.uni.example", wildcard)
