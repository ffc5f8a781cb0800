"""Links a student opens in a browser, right wherever the browser is.

On a laptop the browser and the stack share 127.0.0.1, so a stack URL is its own link. Behind
JupyterHub the browser is elsewhere: the stack's port is reached through jupyter-server-proxy at
``{JUPYTERHUB_SERVICE_PREFIX}proxy/{port}/`` (absolute when the hub tells its public URL). In
GitHub Codespaces a forwarded port has its own host, ``{CODESPACE_NAME}-{port}.{domain}``.
Services talk to each other on 127.0.0.1 whatever the link says: only what a human opens goes
through here (`Lab.urls["ui"]`, `Lab.link(...)`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

HUB_PREFIX = "JUPYTERHUB_SERVICE_PREFIX"


def where(environ: Mapping[str, str] | None = None) -> str:
    """ "jupyterhub", "codespaces" or "local": where this kernel's browser is."""
    env = os.environ if environ is None else environ
    if env.get(HUB_PREFIX):
        return "jupyterhub"
    if env.get("CODESPACE_NAME") and env.get("GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN"):
        return "codespaces"
    return "local"


def browser_url(url: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The address a browser uses for ``url`` (an http URL of a service on this machine).

    JupyterHub: ``/user/NAME/proxy/6400/...`` (prefixed with the hub's public URL when
    JUPYTERHUB_PUBLIC_URL or JUPYTERHUB_HOST says it); Codespaces: the forwarded port's https
    address; elsewhere ``url`` itself. A URL of another host is returned unchanged.
    """
    if not url:
        return url
    env = os.environ if environ is None else environ
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost") or not parts.port:
        return url
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    kind = where(env)
    if kind == "jupyterhub":
        prefix = "/" + env[HUB_PREFIX].strip("/") + "/"
        public = env.get("JUPYTERHUB_PUBLIC_URL", "").rstrip("/")
        if public:  # the user's server's public URL, its prefix included
            return f"{public}/proxy/{parts.port}{path}"
        host = env.get("JUPYTERHUB_HOST", "").rstrip("/")  # set when the hub uses subdomains
        return f"{host}{prefix}proxy/{parts.port}{path}"
    if kind == "codespaces":
        name = env["CODESPACE_NAME"]
        domain = env["GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN"]
        return f"https://{name}-{parts.port}.{domain}{path}"
    return url


class Link(str):
    """A browser link that a notebook shows as a clickable anchor (and prints as the URL)."""

    def _repr_html_(self) -> str:
        import html

        return f'<a href="{html.escape(self)}" target="_blank">{html.escape(self)}</a>'
